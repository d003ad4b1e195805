import BackendKit
import Foundation
import VizorStore

/// Runs install jobs as a journal-driven state machine of the seven steps.
/// Every step is journaled before and after it runs and is idempotent, so any
/// `vizor` process can resume a job another one left (crash, dropped SSH
/// session, reboot). A lease per job, renewed while this process drives it,
/// keeps two processes from driving one job; a lapsed lease is taken over,
/// and so is a live one whose holder provably died (same host, pid gone).
public actor InstallOrchestrator {
    public let journal: InstallJournal
    public let backends: any InstallBackends
    public let clock: any ModelClock
    public let configuration: OrchestratorConfiguration
    /// This process's identity in leases: host, pid and a random part.
    public nonisolated let owner: String
    private var driving: Set<String> = []

    public init(journal: InstallJournal, backends: any InstallBackends, clock: any ModelClock = SystemClock(),
                configuration: OrchestratorConfiguration = OrchestratorConfiguration(), owner: String? = nil) {
        self.journal = journal
        self.backends = backends
        self.clock = clock
        self.configuration = configuration
        self.owner = owner ?? Self.processOwner()
    }

    public static func processOwner() -> String {
        LeaseHolder.owner()
    }

    /// Job ids this process drives right now.
    public var drivenJobs: [String] { driving.sorted() }

    // MARK: submitting and reading

    /// Journals a new queued job; nothing runs until a driver picks it up.
    public func submit(_ request: InstallRequest, id: String? = nil) async throws -> JournalJob {
        let jobID = id ?? Self.newJobID()
        let job = try await journal.createJob(id: jobID, site: request.site, hypervisor: request.hypervisor.rawValue,
                                              imageKey: request.imageKey, request: try request.encoded(), now: clock.now())
        try await journal.appendLog(jobID, time: clock.now(), source: "vizor",
                                    message: "queued: \(request.editionName) on \(request.site) (\(request.hypervisor.rawValue))")
        return job
    }

    public static func newJobID() -> String {
        "j" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(11).lowercased()
    }

    /// The job's progress with an ETA from earlier installs of the same image and edition.
    public func progress(of jobID: String) async throws -> InstallProgress {
        let job = try await journal.resolve(jobID)
        let history = try await journal.durations(imageKey: job.imageKey)
        return InstallProgress(job: job, history: history, now: clock.now())
    }

    // MARK: driving

    /// How one attempt to drive a job ended.
    public enum DriveOutcome: Sendable, Equatable {
        case finished(JournalJob)
        /// Another process drives it and its lease is live.
        case heldElsewhere(owner: String, until: Date)
        /// The site runs its limit of jobs; try again later.
        case waitingForSlot
    }

    /// Claims the job and drives it to its end (succeeded, failed or cancelled).
    /// Task cancellation stops driving without journaling anything, as a crash would.
    public func drive(_ jobID: String) async throws -> DriveOutcome {
        let job = try await journal.resolve(jobID)
        let now = clock.now()
        switch try await journal.claim(job.id, owner: owner, now: now, ttl: configuration.leaseTTL,
                                       siteLimit: configuration.limit(site: job.site), holderIsGone: LeaseHolder.isProvablyDead) {
        case .claimed(let claimed):
            if let previous = job.leaseOwner, previous != owner, !job.status.isFinished {
                let why = job.isLeased(at: now) ? "its process is gone" : "its lease lapsed"
                try await log(job.id, "taking the job over from \(previous): \(why)", severity: "warn")
            }
            return .finished(try await run(claimed))
        case .heldBy(let holder, let until):
            return .heldElsewhere(owner: holder, until: until)
        case .siteFull:
            return .waitingForSlot
        case .finished:
            return .finished(try await journal.resolve(job.id))
        case .notFound:
            throw BackendError(.notFound, backend: "journal", message: "no install job \(jobID)")
        }
    }

    /// Follows a job to its end: drives it when its lease is free or lapsed,
    /// otherwise watches the process that drives it and takes over if that one dies.
    public func follow(_ jobID: String, onUpdate: @escaping @Sendable (JournalJob) async -> Void = { _ in }) async throws -> JournalJob {
        let id = try await journal.resolve(jobID).id
        while true {
            try Task.checkCancellation()
            guard let job = try await journal.job(id) else { throw BackendError(.notFound, backend: "journal", message: "no install job \(id)") }
            await onUpdate(job)
            if job.status.isFinished { return job }
            if !job.isLeased(at: clock.now()) || job.leaseOwner == owner || job.leaseOwner.map(LeaseHolder.isProvablyDead) == true {
                if case .finished(let done) = try await drive(id) {
                    await onUpdate(done)
                    if done.status.isFinished { return done }
                }
            }
            try await clock.sleep(seconds: configuration.pollInterval)
        }
    }

    /// Drives every listed job (or every unfinished one) within the per-site limits until all have ended.
    public func runAll(_ jobIDs: [String]? = nil, onUpdate: @escaping @Sendable (JournalJob) async -> Void = { _ in }) async throws -> [JournalJob] {
        var ids = jobIDs ?? []
        if jobIDs == nil { ids = try await journal.jobs(unfinishedOnly: true).map(\.id) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for id in ids {
                group.addTask { _ = try await self.follow(id, onUpdate: onUpdate) }
            }
            try await group.waitForAll()
        }
        var result: [JournalJob] = []
        for id in ids { if let job = try await journal.job(id) { result.append(job) } }
        return result
    }

    private func run(_ claimed: JournalJob) async throws -> JournalJob {
        let id = claimed.id
        guard driving.insert(id).inserted else { throw BackendError(.conflict, backend: "vizor", message: "job \(id) is already driven here") }
        defer { driving.remove(id) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.keepLease(id) }
            group.addTask { try await self.runSteps(claimed) }
            // Whichever ends first ends the other: the steps (done) or the lease (lost).
            defer { group.cancelAll() }
            _ = try await group.next()
        }
        return try await journal.resolve(id)
    }

    /// Renews the lease every third of its life; throws when another process took it.
    private func keepLease(_ id: String) async throws {
        while true {
            try await clock.sleep(seconds: configuration.leaseTTL / 3)
            guard try await journal.renew(id, owner: owner, now: clock.now(), ttl: configuration.leaseTTL) else {
                // Released because the job ended: not a loss.
                if try await journal.job(id)?.status.isFinished == true { continue }
                throw JournalLeaseLost(jobID: id, owner: owner, holder: try await journal.job(id)?.leaseOwner)
            }
        }
    }

    private func runSteps(_ claimed: JournalJob) async throws {
        let id = claimed.id
        let request = try InstallRequest.decode(claimed.request)
        let context = InstallStepRunner(jobID: id, request: request, owner: owner, orchestrator: self)
        var first = true
        while true {
            guard let job = try await journal.job(id) else { return }
            if job.status.isFinished { return }
            if job.cancelRequested || job.status == .cancelling {
                try await finishCancelled(job, context: context)
                return
            }
            let step = job.step
            if first, step > .renderArtefacts, step <= .bootAndFollow {
                // Serving is process-local: a resumed job exposes and publishes again (both idempotent).
                try await log(id, "resuming at \(step.title): re-attaching media and artefacts")
                try await context.reattach(job)
            }
            first = false
            let attempt = try await journal.beginStep(id, step: step, owner: owner, now: clock.now())
            try await log(id, "\(step.title): started (attempt \(attempt))")
            do {
                try await withOutageRetry(id, step: step) {
                    let current = try await self.journal.job(id) ?? job
                    if step == .provision, attempt > 1 { try await self.clearHalfMadeRazorArtefacts(current, context: context) }
                    try await context.run(step, job: current)
                }
                try configuration.failpoints.hit(.end, step)
                try await journal.finishStep(id, step: step, attempt: attempt, owner: owner, outcome: .succeeded,
                                             nextStep: step.next, now: clock.now())
                try await log(id, "\(step.title): done")
                if step == .cleanup {
                    try await journal.setProgress(id, progress: 1, subStage: nil)
                    try await log(id, "install finished")
                    try await journal.setStatus(id, owner: owner, status: .succeeded, now: clock.now())
                    return
                }
            } catch let cancel as CancelRequested {
                try await journal.finishStep(id, step: step, attempt: attempt, owner: owner, outcome: .failed,
                                             error: cancel.description, nextStep: nil, now: clock.now())
                continue
            } catch {
                if Self.isCancellation(error) { throw error }
                if error is JournalLeaseLost { throw error }
                let message = Self.message(error)
                try await journal.finishStep(id, step: step, attempt: attempt, owner: owner, outcome: .failed,
                                             error: message, nextStep: nil, now: clock.now())
                try await journal.appendLog(id, time: clock.now(), severity: "error", source: "vizor",
                                            message: "\(step.title) failed: \(message)")
                try await journal.setStatus(id, owner: owner, status: .failed, error: "\(step.title): \(message)", now: clock.now())
                return
            }
        }
    }

    /// Retries `body` while a backend is unreachable or does not answer (a host reboots, a management
    /// server restarts), with backoff, for up to `outageLimit` per outage; the job says what it waits for.
    /// An attempt that ran for `outageReset` before failing again made progress: a new outage begins.
    /// Past the limit the step fails with an error that names the backend and how long it was away.
    private func withOutageRetry(_ id: String, step: InstallStep, _ body: @Sendable () async throws -> Void) async throws {
        let initialDelay = max(1, configuration.pollInterval)
        var delay = initialDelay
        var outageBegan: Date?
        while true {
            let attemptBegan = clock.now()
            do {
                try await body()
                return
            } catch let error as BackendError where error.isTransient && error.backend != InstallStepRunner.guestBackend {
                let now = clock.now()
                if outageBegan == nil || now.timeIntervalSince(attemptBegan) >= Self.outageReset {
                    outageBegan = now
                    delay = initialDelay
                }
                let away = now.timeIntervalSince(outageBegan ?? now)
                if away >= configuration.outageLimit {
                    throw BackendError(error.kind, backend: error.backend,
                                       message: "\(error.backend) unreachable for \(InstallProgress.duration(away)), past the outage tolerance of \(InstallProgress.duration(configuration.outageLimit)); last error: \(error.message)",
                                       code: error.code,
                                       hint: "check that \(error.backend) is up, then `vizor install retry \(id)`; `vizor install cleanup \(id)` removes the job's leftovers")
                }
                try await journal.setProgress(id, progress: try await journal.job(id)?.progress,
                                              subStage: "waiting for \(error.backend)")
                try await journal.appendLog(id, time: now, severity: "warn", source: "vizor",
                                            message: "\(step.title): \(error.description); waiting for \(error.backend), retrying in \(Int(delay)) s")
                try await clock.sleep(seconds: delay)
                delay = min(delay * 2, 60)
                if try await journal.job(id)?.cancelRequested == true { throw CancelRequested() }
            }
        }
    }

    /// How long a step attempt must have run before failing for its failure to start a new outage.
    static let outageReset: TimeInterval = 120

    /// An earlier attempt of the Razor step ended without its outcome journaled (a crash) or failed:
    /// what it made may be half made, or point at media served by a process that is gone. Nothing
    /// uses them yet (the VM starts in the next step), so they are removed and made again.
    private func clearHalfMadeRazorArtefacts(_ job: JournalJob, context: InstallStepRunner) async throws {
        let name = await context.razorName
        let server = try await backends.provisioning(site: context.request.site)
        try await server.remove(ProvisionedArtefacts(repoName: job.resources["repo"] ?? name, taskName: nil,
                                                     tagName: job.resources["tag"] ?? name,
                                                     policyName: job.resources["policy"] ?? name, nodeName: nil))
        try await log(job.id, "removed the Razor repo, tag and policy an interrupted attempt may have left, to make them again")
    }

    private func finishCancelled(_ job: JournalJob, context: InstallStepRunner) async throws {
        let attempt = try await journal.beginStep(job.id, step: .cleanup, owner: owner, now: clock.now())
        try await log(job.id, "cancelled: removing everything the job created")
        do {
            try await withOutageRetry(job.id, step: .cleanup) {
                let current = try await self.journal.job(job.id) ?? job
                try await context.teardown(current, removeTemplate: true)
            }
            try await journal.finishStep(job.id, step: .cleanup, attempt: attempt, owner: owner, outcome: .succeeded,
                                         nextStep: nil, now: clock.now())
            try await journal.setStatus(job.id, owner: owner, status: .cancelled, error: "cancelled by the operator", now: clock.now())
        } catch {
            if Self.isCancellation(error) || error is JournalLeaseLost { throw error }
            let message = Self.message(error)
            try await journal.finishStep(job.id, step: .cleanup, attempt: attempt, owner: owner, outcome: .failed,
                                         error: message, nextStep: nil, now: clock.now())
            try await journal.setStatus(job.id, owner: owner, status: .failed,
                                        error: "cancel: clean-up failed: \(message)", step: .cleanup, now: clock.now())
        }
    }

    // MARK: operator commands

    /// Stops a job and removes what it created. A job nobody drives is cleaned up here and now;
    /// a driven job is stopped by its driver at its next check.
    public func cancel(_ jobID: String) async throws -> JournalJob {
        let job = try await journal.resolve(jobID)
        guard !job.status.isFinished || job.status == .failed else { return job }
        _ = try await journal.requestCancel(job.id, now: clock.now())
        try await journal.appendLog(job.id, time: clock.now(), severity: "warn", source: "vizor", message: "cancel requested by \(owner)")
        if job.status == .failed {
            return try await cleanup(job.id, finalStatus: .cancelled)
        }
        if case .finished(let done) = try await drive(job.id) { return done }
        return try await journal.resolve(job.id)
    }

    /// Puts a failed job back in the queue at the step that failed; steps done stay done.
    public func retry(_ jobID: String) async throws -> JournalJob {
        let job = try await journal.resolve(jobID)
        guard job.status == .failed else {
            throw BackendError(.conflict, backend: "vizor", message: "job \(job.id) is \(job.status.rawValue); only a failed job can be retried")
        }
        if job.resources["cleanedUp"] != nil {
            throw BackendError(.conflict, backend: "vizor", message: "job \(job.id) was cleaned up; start a new install instead")
        }
        try await journal.setStatus(job.id, owner: nil, status: .queued, now: clock.now())
        try await journal.appendLog(job.id, time: clock.now(), source: "vizor", message: "retry from \(job.step.title)")
        return try await journal.resolve(job.id)
    }

    /// Removes a failed job's leftovers: Razor artefacts, exposures, its VM and any template it made.
    public func cleanup(_ jobID: String, finalStatus: JournalJobStatus = .failed) async throws -> JournalJob {
        let job = try await journal.resolve(jobID)
        guard job.status == .failed || job.status == .cancelled else {
            throw BackendError(.conflict, backend: "vizor",
                               message: "job \(job.id) is \(job.status.rawValue); clean up only failed or cancelled jobs (cancel a running one)")
        }
        // Take the lease so no other process drives it meanwhile.
        try await journal.setStatus(job.id, owner: nil, status: .cancelling, now: clock.now())
        guard case .claimed(let claimed) = try await journal.claim(job.id, owner: owner, now: clock.now(), ttl: configuration.leaseTTL,
                                                                   siteLimit: nil, holderIsGone: LeaseHolder.isProvablyDead) else {
            throw BackendError(.conflict, backend: "vizor", message: "job \(job.id) is held by another process")
        }
        let context = InstallStepRunner(jobID: job.id, request: try InstallRequest.decode(claimed.request), owner: owner, orchestrator: self)
        do {
            try await context.teardown(claimed, removeTemplate: true)
            try await journal.recordResources(job.id, step: .cleanup, owner: owner, ["cleanedUp": "1"], now: clock.now())
            try await journal.setStatus(job.id, owner: owner, status: finalStatus, error: job.error, now: clock.now())
            try await log(job.id, "leftovers removed")
        } catch {
            try? await journal.setStatus(job.id, owner: owner, status: .failed,
                                         error: "clean-up failed: \(Self.message(error))", now: clock.now())
            throw error
        }
        return try await journal.resolve(job.id)
    }

    // MARK: helpers used by the steps

    func log(_ id: String, _ message: String, severity: String = "info", source: String = "vizor") async throws {
        try await journal.appendLog(id, time: clock.now(), severity: severity, source: source, message: message)
    }

    nonisolated static func isCancellation(_ error: Error) -> Bool {
        if error is CancellationError { return true }
        if let backend = error as? BackendError, backend.kind == .cancelled { return true }
        return Task.isCancelled
    }

    nonisolated static func message(_ error: Error) -> String {
        if let backend = error as? BackendError { return backend.description }
        return String(describing: error)
    }
}

/// Thrown inside a step when the operator asked to cancel the job.
struct CancelRequested: Error, CustomStringConvertible {
    var description: String { "cancel requested" }
}
