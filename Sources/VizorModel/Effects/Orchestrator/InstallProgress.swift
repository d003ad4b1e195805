import Foundation
import VizorStore

/// Tunables of the orchestrator; the defaults suit real installs, tests and
/// the lab's fast pace shorten them.
public struct OrchestratorConfiguration: Sendable, Equatable {
    /// How long a lease lives without renewal; renewed every third of it.
    public var leaseTTL: TimeInterval
    /// How often the node log and the machine's state are read while an install runs.
    public var pollInterval: TimeInterval
    /// No new log entry nor power change for this long: the guest is hung.
    public var stallTimeout: TimeInterval
    /// How long a backend may stay unreachable before the step fails.
    public var outageLimit: TimeInterval
    /// Live jobs per site at once; sites not listed use `defaultSiteLimit`.
    public var siteLimits: [String: Int]
    public var defaultSiteLimit: Int
    /// Test facility: actions injected at named points of the steps (`VIZOR_FAILPOINTS`); none in production.
    public var failpoints: Failpoints

    public init(leaseTTL: TimeInterval = 30, pollInterval: TimeInterval = 5, stallTimeout: TimeInterval = 1800,
                outageLimit: TimeInterval = 1800, siteLimits: [String: Int] = [:], defaultSiteLimit: Int = 4,
                failpoints: Failpoints = .none) {
        self.leaseTTL = leaseTTL
        self.pollInterval = pollInterval
        self.stallTimeout = stallTimeout
        self.outageLimit = outageLimit
        self.siteLimits = siteLimits
        self.defaultSiteLimit = defaultSiteLimit
        self.failpoints = failpoints
    }

    public func limit(site: String) -> Int { max(1, siteLimits[site] ?? defaultSiteLimit) }
}

/// What the dashboard and `vizor install show` display for one job:
/// the step, the post-install sub-stage, a fraction where one is honest and
/// an ETA learnt from earlier installs of the same image and edition.
public struct InstallProgress: Sendable, Equatable, Codable {
    public var status: JournalJobStatus
    public var step: InstallStep
    /// 1...7.
    public var stepNumber: Int
    public var subStage: String?
    /// 0...1; nil while nothing honest can be said.
    public var fraction: Double?
    /// Seconds left, from the median of earlier installs; nil without history.
    public var eta: TimeInterval?
    public var elapsed: TimeInterval?

    /// Share of a whole install each step takes, roughly as on real platforms.
    static let weights: [InstallStep: Double] = [
        .exposeMedia: 0.02, .renderArtefacts: 0.02, .createContainer: 0.04, .provision: 0.02,
        .bootAndFollow: 0.80, .template: 0.08, .cleanup: 0.02,
    ]

    public init(job: JournalJob, history: [TimeInterval], now: Date) {
        status = job.status
        step = job.step
        stepNumber = job.step.index + 1
        subStage = job.subStage
        elapsed = job.startedAt.map { (job.finishedAt ?? now).timeIntervalSince($0) }
        if job.status == .succeeded {
            fraction = 1
        } else {
            let before = InstallStep.allCases.filter { $0 < job.step }.reduce(0) { $0 + (Self.weights[$1] ?? 0) }
            let within = job.step == .bootAndFollow ? (job.progress ?? 0) * (Self.weights[.bootAndFollow] ?? 0) : 0
            fraction = min(1, before + within)
        }
        if !job.status.isFinished, let elapsed, !history.isEmpty {
            let sorted = history.sorted()
            let median = sorted[sorted.count / 2]
            eta = max(0, median - elapsed)
        }
    }

    /// One line for a TTY: `[4/7] boot and follow · install_guest_tools · 62% · ETA 3m10s`.
    public var line: String {
        var parts = ["[\(stepNumber)/7] \(step.title)"]
        if let subStage, !subStage.isEmpty { parts.append(subStage) }
        if let fraction { parts.append("\(Int((fraction * 100).rounded(.down)))%") }
        if let eta { parts.append("ETA \(Self.duration(eta))") }
        return status.isFinished ? "\(status.rawValue) · " + parts.joined(separator: " · ") : parts.joined(separator: " · ")
    }

    public static func duration(_ seconds: TimeInterval) -> String {
        let total = Int(seconds.rounded())
        if total >= 3600 { return "\(total / 3600)h\(String(format: "%02d", (total % 3600) / 60))m" }
        if total >= 60 { return "\(total / 60)m\(String(format: "%02d", total % 60))s" }
        return "\(total)s"
    }
}

extension JournalJob: JournalJobLike {
    public var statusText: String { status.rawValue }
    public var errorText: String { error ?? "" }
}
