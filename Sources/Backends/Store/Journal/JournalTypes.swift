import Foundation

/// Where an install job stands in the journal. A job is "unfinished" while
/// queued, running or cancelling: any `vizor` process may pick it up.
public enum JournalJobStatus: String, Sendable, Codable, CaseIterable {
    case queued, running, cancelling, succeeded, failed, cancelled

    public var isFinished: Bool { self == .succeeded || self == .failed || self == .cancelled }
}

/// The seven steps of the install pipeline (docs/architecture.md), in order.
/// The raw values are what the journal stores; never rename them.
public enum InstallStep: String, Sendable, Codable, CaseIterable, Comparable {
    case exposeMedia = "expose-media"
    case renderArtefacts = "render-artefacts"
    case createContainer = "create-container"
    case provision = "razor-artefacts"
    case bootAndFollow = "boot-and-follow"
    case template = "template-and-publish"
    case cleanup = "clean-up"

    public var index: Int { Self.allCases.firstIndex(of: self)! }
    public static func < (lhs: InstallStep, rhs: InstallStep) -> Bool { lhs.index < rhs.index }
    public var next: InstallStep? {
        let all = Self.allCases
        return index + 1 < all.count ? all[index + 1] : nil
    }
    /// Words for an operator.
    public var title: String {
        switch self {
        case .exposeMedia: return "expose media"
        case .renderArtefacts: return "render artefacts"
        case .createContainer: return "create VM container"
        case .provision: return "Razor artefacts"
        case .bootAndFollow: return "boot and follow"
        case .template: return "template and publish"
        case .cleanup: return "clean up"
        }
    }
}

/// How one attempt of a step ended.
public enum StepOutcome: String, Sendable, Codable {
    case running, succeeded, failed
}

/// One job as the journal holds it. `request` is the orchestrator's request
/// as JSON: the store keeps it opaque so it does not depend on the model.
public struct JournalJob: Sendable, Equatable, Codable, Identifiable {
    public var id: String
    public var site: String
    public var hypervisor: String
    /// Image + edition, the key for ETA statistics.
    public var imageKey: String
    public var request: String
    public var status: JournalJobStatus
    /// The step being run or, when none runs, the next one to run.
    public var step: InstallStep
    public var error: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    public var leaseOwner: String?
    public var leaseExpiresAt: Date?
    public var cancelRequested: Bool
    /// Identifiers the steps created: VM id, MAC, Razor names, exposure id, template id, log cursor.
    public var resources: [String: String]
    /// 0...1 when one is honest; nil otherwise.
    public var progress: Double?
    /// Sub-stage of the post-install sequence, or a short note on what the step waits for.
    public var subStage: String?

    public init(id: String, site: String, hypervisor: String, imageKey: String, request: String, status: JournalJobStatus,
                step: InstallStep, error: String?, createdAt: Date, updatedAt: Date, startedAt: Date?, finishedAt: Date?,
                leaseOwner: String?, leaseExpiresAt: Date?, cancelRequested: Bool, resources: [String: String],
                progress: Double?, subStage: String?) {
        self.id = id
        self.site = site
        self.hypervisor = hypervisor
        self.imageKey = imageKey
        self.request = request
        self.status = status
        self.step = step
        self.error = error
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.leaseOwner = leaseOwner
        self.leaseExpiresAt = leaseExpiresAt
        self.cancelRequested = cancelRequested
        self.resources = resources
        self.progress = progress
        self.subStage = subStage
    }

    /// Whether some process holds a lease that has not lapsed at `now`.
    public func isLeased(at now: Date) -> Bool {
        guard leaseOwner != nil, let until = leaseExpiresAt else { return false }
        return until > now
    }
}

/// One attempt of one step.
public struct JournalStep: Sendable, Equatable, Codable {
    public var jobID: String
    public var step: InstallStep
    public var attempt: Int
    public var owner: String
    public var startedAt: Date
    public var finishedAt: Date?
    public var outcome: StepOutcome
    public var error: String?
    /// What this attempt created or found.
    public var created: [String: String]
}

/// One line of a job's history (a step, a Razor node-log entry, an error).
public struct JournalLogLine: Sendable, Equatable, Codable {
    public var sequence: Int64
    public var jobID: String
    public var time: Date
    public var severity: String
    public var source: String
    public var message: String
}

/// The answer to a lease claim.
public enum LeaseClaim: Sendable, Equatable {
    case claimed(JournalJob)
    /// Another process drives the job and its lease is live.
    case heldBy(owner: String, until: Date)
    /// The site already runs its limit of live jobs.
    case siteFull(limit: Int)
    case finished(JournalJobStatus)
    case notFound
}
