import BackendKit
import Foundation
import Logging
import VizorAgent
import VizorModel
import VizorStore

/// The agent's work: it drives every unfinished job of the journal (taking
/// over any whose lease lapsed or whose holder died, by the orchestrator's
/// lease rules), keeps the sites' pollers and the media/artefact server, and
/// runs the lab when nothing is configured. The socket server only carries
/// requests to it.
@MainActor
final class AgentHost: AgentService {
    let runtime: VizorRuntime
    let session: InstallSession
    let startedAt = Date()
    /// Seconds with no job and no client after which the agent exits (nil: never).
    let idleExit: TimeInterval?
    private let logger = Logger(label: "vizor.agent")
    private var clients: [Int: AgentClientInfo] = [:]
    private var lastActivity = Date()
    private var following: [String: Task<Void, Never>] = [:]
    private var subscribers: [UUID: AsyncStream<JournalJob>.Continuation] = [:]
    private var latest: [String: JournalJob] = [:]
    private var scanner: Task<Void, Never>?
    private var watcher: Task<Void, Never>?
    private let (ended, endSignal) = AsyncStream<Void>.makeStream()
    private var stopping = false
    /// The configuration file as it was when the agent started (nil: none).
    /// A changed file means other sites: the agent exits rather than drive
    /// jobs against what it read before, and the next command starts one
    /// that reads the new file.
    private let configuration: ConfigurationFingerprint
    /// The socket it serves; when the file is removed (its directory deleted), nobody can reach the agent: it exits.
    var socketPath: String?

    init(runtime: VizorRuntime, session: InstallSession, idleExit: TimeInterval?) {
        self.runtime = runtime
        self.session = session
        self.idleExit = idleExit
        configuration = ConfigurationFingerprint(VizorRuntime.configFile(runtime.paths))
    }

    /// True (and the agent on its way out) when the configuration file changed since the start.
    private func configurationChanged() -> Bool {
        guard ConfigurationFingerprint(VizorRuntime.configFile(runtime.paths)) != configuration else { return false }
        if !stopping {
            logger.warning("the configuration changed since this agent started: exiting, the next vizor command starts an agent that reads it")
            stopping = true
            endSignal.yield()
        }
        return true
    }

    /// Takes up every unfinished job now, then looks for new or released
    /// ones every second (a job another process queued, retried or left).
    func start() {
        scanner = Task { [weak self] in
            while !Task.isCancelled {
                await self?.scan()
                try? await Task.sleep(for: .seconds(1))
            }
        }
        // What this agent's drivers journal reaches the subscribers at once,
        // not at the next scan: the dashboard shows a step as it is journaled.
        let writes = session.journal.writes()
        watcher = Task { [weak self] in
            for await _ in writes {
                guard let self else { return }
                await self.publishJournal()
            }
        }
    }

    private func publishJournal() async {
        guard !stopping, let jobs = try? await session.journal.jobs() else { return }
        for job in jobs { publish(job) }
    }

    /// Suspends until the agent should exit: `POST /v1/shutdown` or idleness.
    func waitUntilEnded() async {
        for await _ in ended { return }
    }

    /// Stops driving (the journal keeps every job where it is, for the next
    /// agent) and ends every subscription.
    func stop() async {
        stopping = true
        scanner?.cancel()
        watcher?.cancel()
        for task in following.values { task.cancel() }
        for task in following.values { await task.value }
        following = [:]
        for continuation in subscribers.values { continuation.finish() }
        subscribers = [:]
    }

    private func scan() async {
        guard !stopping, !configurationChanged() else { return }
        if let jobs = try? await session.journal.jobs() {
            for job in jobs { publish(job) }
            for job in jobs where !job.status.isFinished && following[job.id] == nil { follow(job.id) }
        }
        if let socketPath, !FileManager.default.fileExists(atPath: socketPath) {
            logger.warning("the socket \(socketPath) was removed: nobody can reach this agent, exiting")
            endSignal.yield()
            return
        }
        if let idleExit, following.isEmpty, clients.isEmpty, Date().timeIntervalSince(lastActivity) >= idleExit {
            logger.info("idle for \(Int(idleExit)) s with no job and no client: exiting")
            endSignal.yield()
        }
    }

    private func follow(_ id: String) {
        let orchestrator = session.orchestrator
        let secrets = session.secrets
        following[id] = Task { [weak self] in
            do {
                let done = try await orchestrator.follow(id) { [weak self] job in await self?.publish(job) }
                if done.status.isFinished && done.status != .failed { secrets.remove(job: id) }
                self?.publish(done)
            } catch is CancellationError {
            } catch {
                self?.logger.error("driving job \(id) failed: \(error)")
            }
            self?.finished(id)
        }
    }

    private func finished(_ id: String) {
        following[id] = nil
        lastActivity = Date()
    }

    private func publish(_ job: JournalJob) {
        guard latest[job.id] != job else { return }
        latest[job.id] = job
        for continuation in subscribers.values { continuation.yield(job) }
    }

    // MARK: AgentService

    nonisolated func hello() async -> AgentHello {
        AgentHello(vizorVersion: BuildInfo.version, pid: getpid(), startedAt: startedAt)
    }

    func status() async -> AgentStatus {
        let state = runtime.store.state
        let sites = state.sites.map { site in
            AgentSiteHealth(name: site.name, backends: site.backends.map { id in
                let health = state.health[id] ?? .connecting
                return AgentSiteHealth.Backend(kind: id.kind.rawValue, health: health.label, message: health.error?.description)
            })
        }
        let jobs = following.keys.sorted().compactMap { latest[$0] }.map(AgentJobLine.init)
        return AgentStatus(hello: await hello(), uptimeSeconds: Date().timeIntervalSince(startedAt), idleExitSeconds: idleExit,
                           lab: runtime.lab != nil, sites: sites, jobs: jobs,
                           clients: clients.values.sorted { $0.id < $1.id })
    }

    func lab() async throws -> AgentLab {
        guard let lab = runtime.lab else {
            throw BackendError(.notFound, backend: "agent", message: "this agent runs the configured sites, not the lab")
        }
        return AgentLab(endpoints: lab.servers.map(\.endpoint))
    }

    func jobs() async throws -> [JournalJob] {
        try await session.journal.jobs()
    }

    func submit(_ submission: AgentSubmission) async throws -> JournalJob {
        guard !configurationChanged() else {
            throw BackendError(.conflict, backend: "agent", message: "the configuration changed since this agent started; it is restarting",
                               hint: "run the command again: it starts an agent that reads the new configuration")
        }
        let request = submission.request
        guard runtime.connected.sites.contains(where: { $0.name == request.site }) else {
            let known = runtime.connected.sites.map(\.name).joined(separator: ", ")
            throw BackendError(.notFound, backend: "agent", message: "the agent has no site named \(request.site) (sites: \(known))",
                               hint: "a configuration changed since the agent started: `vizor agent restart`")
        }
        guard !submission.administratorPassword.isEmpty else {
            throw BackendError(.invalidInput, backend: "agent", message: "no Administrator password was given")
        }
        let id = submission.id ?? InstallOrchestrator.newJobID()
        try session.secrets.save(JobSecrets(administratorPassword: submission.administratorPassword), job: id)
        let job = try await session.orchestrator.submit(request, id: id)
        publish(job)
        follow(job.id)
        return job
    }

    func cancel(job wanted: String) async throws -> JournalJob {
        let journal = session.journal
        let job = try await journal.resolve(wanted)
        guard !job.status.isFinished else {
            throw BackendError(.conflict, backend: "agent", message: "job \(job.id) has already \(job.status.rawValue)")
        }
        _ = try await journal.requestCancel(job.id, now: Date())
        try await journal.appendLog(job.id, time: Date(), severity: "warn", source: "vizor", message: "cancel requested through the agent")
        let updated = try await journal.resolve(job.id)
        publish(updated)
        return updated
    }

    func retry(job wanted: String) async throws -> JournalJob {
        let journal = session.journal
        let job = try await journal.resolve(wanted)
        guard job.status == .failed, job.resources["cleanedUp"] == nil else {
            throw BackendError(.conflict, backend: "agent",
                               message: "job \(job.id) is \(job.status.rawValue)\(job.resources["cleanedUp"] != nil ? " and cleaned up" : ""); only a failed job with its leftovers can be retried")
        }
        try await journal.setStatus(job.id, owner: nil, status: .queued, now: Date())
        try await journal.appendLog(job.id, time: Date(), source: "vizor", message: "retry from \(job.step.title) (agent)")
        let updated = try await journal.resolve(job.id)
        publish(updated)
        if following[job.id] == nil { follow(job.id) }
        return updated
    }

    func jobUpdates() async -> AsyncStream<JournalJob> {
        let (stream, continuation) = AsyncStream<JournalJob>.makeStream(bufferingPolicy: .bufferingNewest(10_000))
        if stopping {
            continuation.finish()
            return stream
        }
        if let jobs = try? await session.journal.jobs() { for job in jobs { publish(job) } }
        for job in latest.values.sorted(by: { $0.createdAt < $1.createdAt }) { continuation.yield(job) }
        let id = UUID()
        subscribers[id] = continuation
        continuation.onTermination = { _ in Task { @MainActor [weak self] in self?.subscribers[id] = nil } }
        return stream
    }

    func client(_ info: AgentClientInfo, connected: Bool) async {
        clients[info.id] = connected ? info : nil
        lastActivity = Date()
    }

    func touch() async {
        lastActivity = Date()
    }

    func shutdown() async {
        logger.info("shutdown requested")
        endSignal.yield()
    }
}

/// What identifies a configuration file's content cheaply: present, size, modification time.
struct ConfigurationFingerprint: Equatable {
    var exists: Bool
    var size: Int
    var modified: Date?

    init(_ file: URL) {
        let attributes = try? FileManager.default.attributesOfItem(atPath: file.path)
        exists = attributes != nil
        size = (attributes?[.size] as? NSNumber)?.intValue ?? 0
        modified = attributes?[.modificationDate] as? Date
    }
}

extension BackendHealth {
    /// One word for status lines.
    var label: String {
        switch self {
        case .connecting: "connecting"
        case .ok: "ok"
        case .stale: "stale"
        case .failing: "failing"
        }
    }
}
