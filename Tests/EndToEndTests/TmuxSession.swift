import Foundation

/// A private tmux server (its own socket) with one session, driven the way an
/// operator would: send-keys in, capture-pane out. Every wait polls the
/// screen until it settles or shows what is expected, with a deadline, so
/// no step relies on a fixed sleep and no test can hang.
final class TmuxSession {
    let socket: String
    let session = "vizor-e2e"

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    init(width: Int, height: Int, environment: [String: String] = [:]) throws {
        socket = "vizor-e2e-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        var env = ["PS1": "E2E-READY$ ", "TERM": "tmux-256color"]
        env.merge(environment) { $1 }
        let exports = env.map { "\($0.key)='\($0.value)'" }.joined(separator: " ")
        try tmux(["new-session", "-d", "-s", session, "-x", "\(width)", "-y", "\(height)",
                  "env -i PATH=/usr/bin:/bin HOME=/tmp LANG=C.UTF-8 \(exports) bash --norc --noprofile"])
        try waitFor("E2E-READY$")
    }

    /// Ends everything this session started: the pane's shell and whatever
    /// it runs (by pid), then the private server and its socket.
    deinit {
        if let shell = try? tmux(["display-message", "-p", "-t", session, "#{pane_pid}"]),
           let pid = pid_t(shell.trimmingCharacters(in: .whitespacesAndNewlines)) {
            for child in (try? foregroundChildren()) ?? [] { kill(child, SIGKILL) }
            kill(pid, SIGKILL)
        }
        _ = try? tmux(["kill-server"])
        let directory = ProcessInfo.processInfo.environment["TMUX_TMPDIR"] ?? "/tmp"
        try? FileManager.default.removeItem(atPath: "\(directory)/tmux-\(getuid())/\(socket)")
    }

    /// Runs one tmux client command against the private server. Output goes
    /// through a file, not a pipe: the server that `new-session` forks would
    /// otherwise hold the pipe open forever. A client that takes longer than
    /// 10 s is stopped.
    @discardableResult
    func tmux(_ arguments: [String]) throws -> String {
        let outputURL = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-e2e-\(UUID().uuidString).out")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outputURL) }
        let argv = ["/usr/bin/tmux", "-L", socket, "-f", "/dev/null"] + arguments
        let status = try Self.spawnAndWait(argv, output: outputURL.path, timeout: .seconds(10))
        let text = (try? String(contentsOf: outputURL, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw Failure(description: "tmux \(arguments.joined(separator: " ")) failed: \(text)")
        }
        return text
    }

    /// posix_spawn + waitpid polling: Foundation's Process only notices a
    /// child's exit from a run loop, which a test thread does not run.
    static func spawnAndWait(_ argv: [String], output: String, timeout: Duration) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        // The tmux server (and every program in its panes) starts with no
        // signal blocked and default dispositions, as from a login: a test
        // thread's mask (libdispatch blocks SIGHUP, SIGINT, SIGTERM in its
        // workers) must not reach the programs under test.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in [SIGHUP, SIGINT, SIGTERM, SIGQUIT, SIGPIPE, SIGCHLD] { sigaddset(&defaults, number) }
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, &attributes, &cArguments, environ)
        guard spawned == 0 else { throw Failure(description: "cannot run \(argv[0]): errno \(spawned)") }
        let deadline = ContinuousClock.now + timeout
        var status: Int32 = 0
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { break }
            if reaped < 0 { throw Failure(description: "waitpid failed: errno \(errno)") }
            if ContinuousClock.now > deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                throw Failure(description: "\(argv.dropFirst(5).first ?? argv[0]) did not answer within \(timeout)")
            }
            usleep(5_000)
        }
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// Sends tmux key names (e.g. "Escape", "Enter").
    func send(_ keys: String...) throws { try tmux(["send-keys", "-t", session] + keys) }

    /// Types text literally.
    func type(_ text: String) throws { try tmux(["send-keys", "-t", session, "-l", text]) }

    func capture() throws -> String { try tmux(["capture-pane", "-p", "-t", session]) }

    /// Polls until the screen contains `expected` and is the same in two
    /// consecutive captures; throws with the last screen after `timeout`.
    @discardableResult
    func waitFor(_ expected: String, timeout: Duration = .seconds(15)) throws -> String {
        try waitUntil("the screen shows \(expected)", timeout: timeout) { $0.contains(expected) }
    }

    @discardableResult
    func waitUntil(_ what: String, timeout: Duration = .seconds(15), _ condition: (String) -> Bool) throws -> String {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var previous: String? = nil
        var screen = ""
        while clock.now < deadline {
            screen = try capture()
            if condition(screen), screen == previous { return screen }
            previous = screen
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw Failure(description: "timed out waiting until \(what); screen was:\n\(screen)")
    }

    /// The program in the foreground of the pane (e.g. "bash" once vizor exited).
    func paneCommand() throws -> String {
        try tmux(["display-message", "-p", "-t", session, "#{pane_current_command}"]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Pids of the pane shell's children: exactly the program it runs now.
    func foregroundChildren() throws -> [pid_t] {
        let shell = try tmux(["display-message", "-p", "-t", session, "#{pane_pid}"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let children = (try? String(contentsOfFile: "/proc/\(shell)/task/\(shell)/children", encoding: .utf8)) ?? ""
        return children.split(separator: " ").compactMap { pid_t($0) }
    }
}
