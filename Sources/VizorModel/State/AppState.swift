import BackendKit
import Foundation
import VizorMedia

/// Whether the dashboard's subscription to the agent is open.
public enum AgentLink: Sendable, Equatable {
    case connected(since: Date)
    /// The agent went away; the dashboard is starting or reaching one again.
    case reconnecting(since: Date)
}

/// Everything the panes show, as one value: sites, catalog, machines,
/// templates, installs, health per backend, notifications. View state
/// (selection, filter, focus) belongs to VizorTUI, not here.
public struct AppState: Sendable, Equatable {
    public var now: Date
    public var sites: [Site]
    /// The site commands act on when none is named.
    public var currentSite: String?
    public var catalog: [MediaImage]
    /// Machines per backend, by id.
    public var machines: [BackendID: [String: MachineRecord]]
    /// Templates per backend, by id.
    public var templates: [BackendID: [String: TemplateRecord]]
    /// Zones or pools a new VM may go to, per hypervisor backend.
    public var locations: [BackendID: [String]] = [:]
    /// Razor collection sizes per backend ("nodes": 3, "policies": 1, ...).
    public var provisioning: [BackendID: [String: Int]]
    public var installs: [String: InstallJob]
    public var health: [BackendID: BackendHealth]
    /// The generation of the poller that currently speaks for a backend;
    /// results tagged with another generation are stale and dropped.
    public var generations: [BackendID: Int]
    /// Operator commands in flight or finished, by request id.
    public var requests: [Int: RequestStatus]
    public var nextRequestID: Int
    public var notifications: [Notification]
    /// Media scans under way, per media backend (cleared when they end).
    public var scans: [BackendID: MediaScanProgress] = [:]
    public var nextNotificationID: Int
    /// The link to the Vizor agent that drives the installs (nil: this
    /// process does not use one); the header shows it.
    public var agent: AgentLink?

    public init(now: Date = Date(timeIntervalSince1970: 0), sites: [Site] = []) {
        self.now = now
        self.sites = sites
        self.currentSite = sites.first?.name
        self.catalog = []
        self.machines = [:]
        self.templates = [:]
        self.provisioning = [:]
        self.installs = [:]
        self.health = [:]
        self.generations = [:]
        self.requests = [:]
        self.nextRequestID = 1
        self.notifications = []
        self.nextNotificationID = 1
    }

    public func site(named name: String) -> Site? { sites.first { $0.name == name } }

    /// True when the only site is the embedded lab; the header says so.
    public var isLab: Bool { sites.contains { $0.isLab } }

    /// Machines of a site across its hypervisors, sorted by name then id.
    public func machines(site: String) -> [SiteMachine] {
        machines.filter { $0.key.site == site }
            .flatMap { id, records in records.values.map { SiteMachine(backend: id, record: $0) } }
            .sorted { ($0.record.name, $0.record.id) < ($1.record.name, $1.record.id) }
    }

    /// Templates of a site across its hypervisors, sorted by name then id.
    public func templates(site: String) -> [SiteTemplate] {
        templates.filter { $0.key.site == site }
            .flatMap { id, records in records.values.map { SiteTemplate(backend: id, record: $0) } }
            .sorted { ($0.record.name, $0.record.id) < ($1.record.name, $1.record.id) }
    }

    /// Whether every hypervisor of the site has answered (or failed) at least once.
    public func hasSettled(site: String) -> Bool {
        guard let site = self.site(named: site) else { return true }
        return site.backends.filter { $0.kind == .xenserver || $0.kind == .cloudstack }.allSatisfy { id in
            switch health[id] ?? .connecting {
            case .connecting: return false
            case .failing: return true
            case .ok, .stale: return machines[id] != nil
            }
        }
    }
}

/// A machine with the backend it lives on.
public struct SiteMachine: Sendable, Equatable {
    public var backend: BackendID
    public var record: MachineRecord
}

/// A template with the backend it lives on.
public struct SiteTemplate: Sendable, Equatable {
    public var backend: BackendID
    public var record: TemplateRecord
}

/// Where an operator command stands.
public enum RequestStatus: Sendable, Equatable {
    case pending
    case succeeded
    case failed(BackendError)

    public var isFinished: Bool { self != .pending }
}

/// A message for the operator (command done or failed, backend lost, an
/// install job ended). Job notices stay unacknowledged until the operator
/// has seen the list, so the dashboard can badge them meanwhile.
public struct Notification: Sendable, Equatable, Identifiable {
    public enum Level: String, Sendable, Codable { case info, warning, error }
    public var id: Int
    public var time: Date
    public var level: Level
    public var text: String
    /// Set when the notification tells of an install job's end.
    public var job: JobNotice?
    public var acknowledged: Bool

    public init(id: Int, time: Date, level: Level, text: String, job: JobNotice? = nil, acknowledged: Bool = false) {
        self.id = id
        self.time = time
        self.level = level
        self.text = text
        self.job = job
        self.acknowledged = acknowledged
    }
}

/// How an install job ended, for its notification.
public struct JobNotice: Sendable, Equatable, Hashable {
    public enum Outcome: String, Sendable, Codable, CaseIterable { case succeeded, failed, cancelled }
    public var jobID: String
    public var outcome: Outcome
    public init(jobID: String, outcome: Outcome) {
        self.jobID = jobID
        self.outcome = outcome
    }

    /// The outcome a finished phase stands for; nil while the job runs.
    public static func outcome(of phase: InstallPhase) -> Outcome? {
        switch phase {
        case .done: return .succeeded
        case .failed: return .failed
        case .cancelled: return .cancelled
        default: return nil
        }
    }
}

extension AppState {
    /// Job notifications the operator has not acknowledged yet, oldest first.
    public var unacknowledgedJobNotifications: [Notification] {
        notifications.filter { $0.job != nil && !$0.acknowledged }
    }
}
