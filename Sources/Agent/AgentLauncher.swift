import BackendKit
import Foundation

/// Finds the user's agent, or starts one, as ssh-agent, the Gradle daemon
/// and the tmux server are started by their first client: detached in a
/// session of its own, its stdio in its log file. A lock file makes two
/// simultaneous starts end with one agent.
public struct AgentLauncher: Sendable {
    public var paths: AgentPaths
    /// The `vizor` binary to run as `vizor agent run`.
    public var executable: String
    /// Idle exit of an auto-started agent, seconds.
    public var idleExit: TimeInterval
    /// Environment variables the agent must not inherit (the Administrator
    /// password's variable): secrets never reach a child's environment.
    public var withheld: Set<String>
    /// How long a new agent may take to answer.
    public var startTimeout: TimeInterval

    public init(paths: AgentPaths = AgentPaths(), executable: String = AgentLauncher.currentExecutable(),
                idleExit: TimeInterval = 600, withheld: Set<String> = ["VIZOR_ADMIN_PASSWORD"], startTimeout: TimeInterval = 60) {
        self.paths = paths
        self.executable = executable
        self.idleExit = idleExit
        self.withheld = withheld
        self.startTimeout = startTimeout
    }

    public static func currentExecutable() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// The running agent, after the version handshake; nil when none answers.
    public func running() async throws -> AgentClient? {
        let path = try paths.checkedSocketPath()
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let client = AgentClient(socketPath: path)
        do {
            _ = try await client.hello(timeout: .seconds(2))
        } catch let error as BackendError where error.kind == .unreachable || error.kind == .timeout {
            return nil
        }
        _ = try await client.handshake()
        return client
    }

    /// The running agent, or a new one started now.
    public func connect() async throws -> AgentClient {
        if let client = try await running() { return client }
        try paths.prepareDirectory()
        let lock = try StartLock(path: paths.startLock.path, timeout: startTimeout)
        defer { lock.release() }
        // Another client may have started it while this one waited for the lock.
        if let client = try await running() { return client }
        let pid = try spawn()
        let deadline = Date().addingTimeInterval(startTimeout)
        while Date() < deadline {
            if let client = try await running() { return client }
            if kill(pid, 0) != 0 && errno == ESRCH || Self.reaped(pid) {
                throw BackendError(.unreachable, backend: "agent", message: "the agent exited as it started",
                                   hint: "its log is \(paths.log.path)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BackendError(.timeout, backend: "agent", message: "the agent did not answer within \(Int(startTimeout)) s of starting",
                           hint: "its log is \(paths.log.path)")
    }

    /// This process's open file descriptors, from /proc/self/fd.
    static func openDescriptors() -> [Int32] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        // The listing's own descriptor is closed by now: keep only those still open.
        return names.compactMap(Int32.init).filter { fcntl($0, F_GETFD) != -1 }.sorted()
    }

    /// Reaps the child if it has already exited (it is this process's child until then).
    static func reaped(_ pid: pid_t) -> Bool {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == pid
    }

    /// `vizor agent run --idle-exit N`, in a new session, stdin from
    /// /dev/null, stdout and stderr appended to the agent's log.
    func spawn() throws -> pid_t {
        let arguments = [executable, "agent", "run", "--idle-exit", String(Int(idleExit))]
        var environment = ProcessInfo.processInfo.environment
        for name in withheld { environment[name] = nil }
        let log = paths.log.path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_APPEND | O_CREAT, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else of this process reaches the agent: a descriptor it
        // inherited (a parent's pipe or socket that waits for EOF, a lock)
        // would stay open as long as the agent lives.
        for descriptor in Self.openDescriptors() where descriptor > 2 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // POSIX_SPAWN_SETSID (glibc 2.26): the agent leads a session of its
        // own, so the terminal's SIGHUP never reaches it.
        posix_spawnattr_setflags(&attributes, Int16(0x80))
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw BackendError(.unreachable, backend: "agent",
                               message: "cannot start the agent \(executable): \(String(cString: strerror(result)))")
        }
        return pid
    }
}

/// An exclusive flock(2) on the start lock, waited for without blocking a thread.
final class StartLock {
    private let descriptor: Int32

    init(path: String, timeout: TimeInterval) throws {
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw BackendError(.invalidInput, backend: "agent", message: "cannot open the agent's start lock \(path): \(String(cString: strerror(errno)))")
        }
        let deadline = Date().addingTimeInterval(timeout)
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard Date() < deadline else {
                close(descriptor)
                throw BackendError(.timeout, backend: "agent", message: "another vizor has been starting the agent for \(Int(timeout)) s",
                                   hint: "see the agent's log; remove \(path) only if no vizor is running")
            }
            usleep(20_000)
        }
    }

    func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
