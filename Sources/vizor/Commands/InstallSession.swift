import ArgumentParser
import BackendKit
import Foundation
import VizorMedia
import VizorModel
import VizorStore

/// One process's install machinery over the started runtime: the journal,
/// the media + artefact server of this process, the site backends and the
/// orchestrator. Jobs are driven by the process that holds their lease; the
/// lab (without configuration) lives in this process and dies with it.
@MainActor
struct InstallSession {
    let runtime: VizorRuntime
    let journal: InstallJournal
    let serving: InstallServing
    let backends: SiteInstallBackends
    let orchestrator: InstallOrchestrator
    let secrets: JobSecretStore

    /// - Parameter owner: the lease identity (the agent marks its own; see `AgentRevival`).
    static func start(_ runtime: VizorRuntime, owner: String? = nil) async throws -> InstallSession {
        let journal = try openJournal()
        let state = runtime.paths.state
        let serving = try await installServing(runtime)
        let secrets = JobSecretStore(directory: state.appendingPathComponent("install-secrets"))
        let catalogURL = MediaCatalogStore.defaultURL(paths: runtime.paths)
        let lookup = CatalogImageLookup { id in
            guard FileManager.default.fileExists(atPath: catalogURL.path) else { return nil }
            return try? await MediaCatalogStore(url: catalogURL).entry(id: id)?.image
        }
        let backends = SiteInstallBackends(connected: runtime.connected, serving: serving, secrets: secrets, lookup: lookup)
        // A test facility (crash tests): read once, when this process starts its install machinery.
        let failpoints = try call { try Failpoints(environment: ProcessInfo.processInfo.environment) }
        let orchestrator = InstallOrchestrator(
            journal: journal, backends: backends,
            configuration: OrchestratorConfiguration(leaseTTL: 20, pollInterval: 1, siteLimits: runtime.siteLimits,
                                                     failpoints: failpoints),
            owner: owner)
        return InstallSession(runtime: runtime, journal: journal, serving: serving, backends: backends,
                              orchestrator: orchestrator, secrets: secrets)
    }

    /// Drives jobs to their end with a progress line (rewritten in place on a
    /// terminal, one line per change otherwise); returns the finished jobs.
    func drive(_ ids: [String], quiet: Bool) async throws -> [JournalJob] {
        let printer = ProgressPrinter(quiet: quiet, journal: journal, owner: orchestrator.owner)
        let finished = try await onMain {
            try await orchestrator.runAll(ids) { job in await printer.show(job) }
        }
        await printer.end()
        for job in finished where job.status.isFinished && job.status != .failed {
            secrets.remove(job: job.id)
        }
        return finished
    }
}

/// Prints progress lines for the jobs being driven or followed.
actor ProgressPrinter {
    let quiet: Bool
    /// This process's lease identity when it drives; nil when it only follows the agent.
    let owner: String?
    let journal: InstallJournal
    let tty = isatty(STDERR_FILENO) != 0
    private var last: [String: String] = [:]
    private var dirty = false

    init(quiet: Bool, journal: InstallJournal, owner: String?) {
        self.quiet = quiet
        self.journal = journal
        self.owner = owner
    }

    func show(_ job: JournalJob) async {
        guard !quiet else { return }
        let history = (try? await journal.durations(imageKey: job.imageKey)) ?? []
        let line = InstallProgress(job: job, history: history, now: Date()).line
        var text = "\(job.id) \(job.status.rawValue) \(line)"
        // Another live process drives it: this one watches (and takes over if that one dies).
        if let owner, !job.status.isFinished, let holder = job.leaseOwner, holder != owner, job.isLeased(at: Date()) {
            text += " · watching, driven by \(holder)"
        }
        guard last[job.id] != text else { return }
        last[job.id] = text
        if tty {
            FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
            dirty = true
        } else {
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
    }

    /// A line of its own (a note between progress lines).
    func note(_ text: String) {
        guard !quiet else { return }
        end()
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    func end() {
        if dirty { FileHandle.standardError.write(Data("\n".utf8)) }
        dirty = false
    }
}

/// Follows a job the agent drives until it ends, through the agent's event
/// stream; when the agent goes away mid-job, starts a new one (which takes
/// the job up from the journal) and follows on. Ctrl-C ends only this.
func followThroughAgent(_ jobID: String, journal: InstallJournal, quiet: Bool) async throws -> JournalJob {
    let printer = ProgressPrinter(quiet: quiet, journal: journal, owner: nil)
    var restarts = 0
    while true {
        let client = try await agentClient(afterADeath: restarts > 0)
        do {
            for try await event in client.events(purpose: "wait") {
                guard event.kind == .job, let job = event.job, job.id == jobID else { continue }
                await printer.show(job)
                if job.status.isFinished {
                    await printer.end()
                    return job
                }
            }
        } catch let error as BackendError where error.kind == .unreachable || error.kind == .timeout {
        } catch let error as BackendError {
            throw CLIError(ExitStatus(error), error.operatorText)
        }
        // The stream ended without the job's end: the agent is gone (a crash, a kill, a stop).
        if let job = try? await journal.job(jobID), job.status.isFinished {
            await printer.end()
            return job
        }
        restarts += 1
        guard restarts <= 20 else { throw CLIError(.unreachable, "the agent went away 20 times while following job \(jobID)") }
        await printer.note("the agent went away; starting it again to go on with job \(jobID)")
        try await Task.sleep(for: .milliseconds(300))
    }
}

/// Where the Administrator password comes from: never the command line.
struct PasswordOptions: ParsableArguments {
    @Option(name: .long, help: "Environment variable holding the Administrator password.")
    var passwordEnv = "VIZOR_ADMIN_PASSWORD"
    @Option(name: .long, help: "File whose first line is the Administrator password (keep it 0600).")
    var passwordFile: String?

    /// From the file, else the variable, else a prompt on the terminal.
    func read() throws -> String {
        if let passwordFile {
            guard let text = try? String(contentsOfFile: passwordFile, encoding: .utf8),
                  let first = text.split(separator: "\n", omittingEmptySubsequences: false).first, !first.isEmpty else {
                throw CLIError(.usage, "cannot read a password from \(passwordFile)")
            }
            return String(first)
        }
        if let value = ProcessInfo.processInfo.environment[passwordEnv], !value.isEmpty { return value }
        guard isatty(STDIN_FILENO) != 0 else {
            throw CLIError(.usage, "no Administrator password: set $\(passwordEnv), give --password-file, or run on a terminal to be asked")
        }
        return try Self.prompt("Administrator password: ")
    }

    static func prompt(_ question: String) throws -> String {
        FileHandle.standardError.write(Data(question.utf8))
        var saved = termios()
        tcgetattr(STDIN_FILENO, &saved)
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSANOW, &silent)
        let answer = readLine(strippingNewline: true)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved)
        FileHandle.standardError.write(Data("\n".utf8))
        guard let answer, !answer.isEmpty else { throw CLIError(.usage, "no password given") }
        return answer
    }
}

/// Finds a catalogued image by id, unique id prefix or file name in the
/// site's catalogue (brought up to date first, as `vizor catalog list` does),
/// else among every present image of the catalogue database.
@MainActor
func findImage(_ wanted: String, site: Site, paths: XDGPaths) async throws -> MediaImage {
    let store = try call { try MediaCatalogStore(url: MediaCatalogStore.defaultURL(paths: paths)) }
    let catalog = SiteCatalog(store: store, sources: site.mediaSources)
    _ = try await onMain { try await catalog.refresh() }
    var images = try await onMain { try await catalog.images() }
    func match(_ list: [MediaImage]) -> [MediaImage] {
        if let exact = list.first(where: { $0.id == wanted || $0.path == wanted }) { return [exact] }
        let byName = list.filter { URL(fileURLWithPath: $0.path).lastPathComponent == wanted }
        return byName.isEmpty ? list.filter { $0.id.hasPrefix(wanted) } : byName
    }
    var found = match(images)
    if found.isEmpty {
        images = try await onMain { try await store.entries().map(\.image) }
        found = match(images)
    }
    guard found.count == 1, let image = found.first else {
        let known = images.map { "\($0.id) (\(URL(fileURLWithPath: $0.path).lastPathComponent))" }.joined(separator: ", ")
        throw CLIError(found.isEmpty ? .notFound : .usage,
                       "\(found.isEmpty ? "no" : "more than one") image matches \(wanted); images: \(known)")
    }
    return image
}

/// `call` for main-actor callers: backend errors become exit codes and messages.
@MainActor
func onMain<T>(_ body: @MainActor () async throws -> T) async throws -> T {
    do { return try await body() } catch let error as BackendError {
        throw CLIError(ExitStatus(error), error.description)
    }
}
