import BackendKit
import Foundation
import VizorStore

/// What the operator can ask of one install job from the dashboard: retry a
/// failed step, cancel a running job, clean up a failed job's leftovers.
/// Why a protocol: the dashboard must not know how jobs are driven; retry and
/// cancel are requests written to the install journal (the process driving
/// the job acts on them, exactly as with `vizor install retry|cancel`), and
/// clean-up runs through the orchestrator. Every call returns an outcome for
/// a notification instead of throwing, so the UI loop only shows it.
public protocol InstallControl: Sendable {
    func retry(_ jobID: String) async -> InstallControlOutcome
    func cancel(_ jobID: String) async -> InstallControlOutcome
    func cleanup(_ jobID: String) async -> InstallControlOutcome
}

/// The result of an install-control request, shown as a notification.
public struct InstallControlOutcome: Sendable, Hashable {
    public var succeeded: Bool
    public var message: String
    public init(succeeded: Bool, message: String) {
        self.succeeded = succeeded
        self.message = message
    }
}

/// Install control over the install journal (the same requests the CLI
/// writes) and, for clean-up, the orchestrator's `cleanup`.
public struct JournalInstallControl: InstallControl {
    private let journal: InstallJournal
    private let cleaner: (@Sendable (String) async throws -> JournalJob)?

    /// - Parameter cleanup: removes a failed job's leftovers (normally
    ///   `InstallOrchestrator.cleanup`); nil when this process has no
    ///   orchestrator, and clean-up then says so.
    public init(journal: InstallJournal, cleanup: (@Sendable (String) async throws -> JournalJob)? = nil) {
        self.journal = journal
        self.cleaner = cleanup
    }

    /// Control whose clean-up is the orchestrator's.
    public init(journal: InstallJournal, orchestrator: InstallOrchestrator) {
        self.init(journal: journal, cleanup: { try await orchestrator.cleanup($0) })
    }

    public func retry(_ jobID: String) async -> InstallControlOutcome {
        do {
            let job = try await journal.resolve(jobID)
            guard job.status == .failed, job.resources["cleanedUp"] == nil else {
                return .init(succeeded: false, message: "job \(job.id) is \(job.status.rawValue)\(job.resources["cleanedUp"] != nil ? " and cleaned up" : ""); only a failed job with its leftovers can be retried")
            }
            try await journal.setStatus(job.id, owner: nil, status: .queued, now: Date())
            try await journal.appendLog(job.id, time: Date(), source: "vizor", message: "retry from \(job.step.title) (dashboard)")
            return .init(succeeded: true, message: "job \(job.id) queued again at step \(job.step.index + 1)/7 (\(job.step.title))")
        } catch {
            return .init(succeeded: false, message: "retry failed: \(Self.text(error))")
        }
    }

    public func cancel(_ jobID: String) async -> InstallControlOutcome {
        do {
            let job = try await journal.resolve(jobID)
            guard !job.status.isFinished else {
                return .init(succeeded: false, message: "job \(job.id) has already \(job.status.rawValue)")
            }
            _ = try await journal.requestCancel(job.id, now: Date())
            try await journal.appendLog(job.id, time: Date(), severity: "warn", source: "vizor", message: "cancel requested from the dashboard")
            let who = job.isLeased(at: Date()) ? (job.leaseOwner ?? "the driving process") : "the next vizor process that resumes it"
            return .init(succeeded: true, message: "cancel requested for job \(job.id); \(who) stops it and cleans up")
        } catch {
            return .init(succeeded: false, message: "cancel failed: \(Self.text(error))")
        }
    }

    public func cleanup(_ jobID: String) async -> InstallControlOutcome {
        do {
            let job = try await journal.resolve(jobID)
            guard job.status == .failed || job.status == .cancelled else {
                return .init(succeeded: false, message: "job \(job.id) is \(job.status.rawValue); clean up only failed or cancelled jobs (cancel a running one)")
            }
            if job.resources["cleanedUp"] != nil {
                return .init(succeeded: false, message: "job \(job.id) is already cleaned up")
            }
            guard let cleaner else {
                return .init(succeeded: false, message: "this vizor has no install orchestrator to clean up job \(job.id); nothing was removed")
            }
            let done = try await cleaner(job.id)
            return .init(succeeded: true, message: "job \(done.id): leftovers removed")
        } catch {
            return .init(succeeded: false, message: "clean-up failed: \(Self.text(error))")
        }
    }

    private static func text(_ error: any Error) -> String {
        (error as? BackendError)?.message ?? "\(error)"
    }
}
