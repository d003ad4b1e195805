import Foundation
import Testing

/// The Vizor agent as operators meet it: started by the first command that
/// needs it, one per user however many start at once, replacing a dead
/// one's socket, gone when idle, refusing other users, and finishing jobs
/// whatever happens to the terminal or to itself.
@Suite("vizor agent", .serialized)
struct AgentTests {
    typealias CLI = InstallCLITests

    static func agentPID(_ home: CLI.Home) throws -> Int32? {
        let status = try CLI.run(["agent", "status", "--json"], home, timeout: 30)
        guard status.status == 0, let object = CLI.json(status.stdout) as? [String: Any],
              let hello = object["hello"] as? [String: Any] else { return nil }
        return (hello["pid"] as? NSNumber)?.int32Value
    }

    static func stopAgent(_ home: CLI.Home) {
        _ = try? CLI.run(["agent", "stop"], home, timeout: 40)
    }

    static func until(_ seconds: TimeInterval, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            usleep(100_000)
        }
        return try condition()
    }

    static func job(_ id: String, _ home: CLI.Home) throws -> [String: Any] {
        let show = try CLI.run(["install", "show", id, "--json"], home, timeout: 30)
        return ((CLI.json(show.stdout) as? [String: Any])?["job"] as? [String: Any]) ?? [:]
    }

    // MARK: the job outlives the command

    @Test func installStartReturnsAtOnceAndTheAgentFinishesTheJobThatTheNextProcessLists() throws {
        let home = try CLI.Home()
        defer {
            Self.stopAgent(home)
            try? FileManager.default.removeItem(at: home.root)
        }
        // The agent (and its lab) are up before the clock starts: what is timed is the hand-over.
        let started = try CLI.run(["agent", "start"], home, timeout: 90)
        #expect(started.status == 0, "\(started.stderr)")
        let began = Date()
        let run = try CLI.run(CLI.startXen + ["--hostname", "agent-ret", "--template-name", "agent-ret", "--json"], home, timeout: 60)
        let took = Date().timeIntervalSince(began)
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let job = try #require((CLI.json(run.stdout) as? [String: Any])?["id"] as? String, "\(run.stdout)")
        let atReturn = try Self.job(job, home)["status"] as? String
        print("install start without --wait returned in \(String(format: "%.2f", took)) s; the job was \(atReturn ?? "?") then")
        #expect(atReturn == "queued" || atReturn == "running", "the command returned before the job ended, not after")
        #expect(took < 2, "install start without --wait took \(took) s")

        // Nothing else runs: the agent drives the job to its end.
        let succeeded = try Self.until(120) { try Self.job(job, home)["status"] as? String == "succeeded" }
        let final = try Self.job(job, home)
        #expect(succeeded, "the job did not succeed: \(final)")
        // A new process (no configuration) sees the agent's lab and the template in it.
        let templates = try CLI.run(["template", "list", "--json"], home, timeout: 60)
        let names = (CLI.json(templates.stdout) as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(names.contains("agent-ret"), "template list in a new process: \(names)")
    }

    // MARK: one agent per user

    @Test func simultaneousAutoStartsLeaveOneAgent() throws {
        let home = try CLI.Home()
        defer {
            Self.stopAgent(home)
            try? FileManager.default.removeItem(at: home.root)
        }
        let starters = try (0..<4).map { _ in try CLI.launch(["agent", "start", "--json"], home) }
        var pids: Set<Int32> = []
        for (process, out, err) in starters {
            let deadline = Date().addingTimeInterval(90)
            while process.isRunning, Date() < deadline { usleep(50_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
            #expect(process.terminationStatus == 0, "\((try? String(contentsOf: err, encoding: .utf8)) ?? "")")
            if let hello = (CLI.json(text) as? [String: Any])?["hello"] as? [String: Any], let pid = hello["pid"] as? NSNumber {
                pids.insert(pid.int32Value)
            }
        }
        #expect(pids.count == 1, "four simultaneous starts answered from agents \(pids)")
        let agents = Self.agentProcesses(stateHome: home.environment["XDG_STATE_HOME"] ?? "")
        #expect(agents.count == 1, "agent processes for this home: \(agents)")
    }

    /// `vizor agent run` processes whose XDG state directory is this one.
    static func agentProcesses(stateHome: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let command = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8),
                  command.contains("agent\u{0}run"),
                  let environment = try? String(contentsOfFile: "/proc/\(pid)/environ", encoding: .utf8) else { return false }
            return environment.split(separator: "\u{0}").contains { $0 == "XDG_STATE_HOME=\(stateHome)" }
        }
    }

    @Test func aStaleSocketFromADeadAgentIsReplaced() throws {
        let home = try CLI.Home()
        defer {
            Self.stopAgent(home)
            try? FileManager.default.removeItem(at: home.root)
        }
        // A socket file with nobody listening, as a kill -9 leaves it.
        let directory = URL(fileURLWithPath: home.environment["XDG_STATE_HOME"] ?? "").appendingPathComponent("vizor")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("agent.sock").path
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        close(descriptor)
        #expect(bound == 0 && FileManager.default.fileExists(atPath: path), "a stale socket file exists")
        #expect(try Self.agentPID(home) == nil, "nobody answers on the stale socket")

        let run = try CLI.run(["vm", "list", "--json"], home, timeout: 90)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try Self.agentPID(home) != nil, "a new agent answers where the stale socket was")
    }

    @Test func anIdleAgentExits() throws {
        var home = try CLI.Home()
        home.environment["VIZOR_AGENT_IDLE_EXIT"] = "2"
        defer { try? FileManager.default.removeItem(at: home.root) }
        let run = try CLI.run(["agent", "start"], home, timeout: 90)
        #expect(run.status == 0, "\(run.stderr)")
        let pid = try #require(try Self.agentPID(home))
        #expect(kill(pid, 0) == 0)
        // No job, no client, no request: it goes by itself and says why in its log.
        #expect(Self.until(30) { kill(pid, 0) != 0 }, "the idle agent \(pid) is still running")
        let status = try CLI.run(["agent", "status"], home, timeout: 30)
        #expect(status.status == 3, "status of a gone agent: \(status.status) \(status.stderr)")
        let log = (try? String(contentsOfFile: (home.environment["XDG_STATE_HOME"] ?? "") + "/vizor/agent.log", encoding: .utf8)) ?? ""
        #expect(log.contains("listening on"), "\(log)")
    }

    @Test func aVersionMismatchNamesAgentRestart() throws {
        let home = try CLI.Home()
        defer { try? FileManager.default.removeItem(at: home.root) }
        // An "agent" of protocol 99 on the socket: a minimal HTTP server answering hello.
        let directory = URL(fileURLWithPath: home.environment["XDG_STATE_HOME"] ?? "").appendingPathComponent("vizor")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("agent.sock").path
        let server = try FakeAgent(path: path, protocolVersion: 99)
        defer { server.stop() }
        let run = try CLI.run(CLI.startXen + ["--hostname", "mismatch"], home, timeout: 60)
        #expect(run.status != 0)
        #expect(run.stderr.contains("speaks protocol 99") && run.stderr.contains("vizor agent restart"), "\(run.stderr)")
    }

    // MARK: who may connect

    @Test func anotherUserIsRefused() throws {
        try #require(getuid() == 0, "creating a second user needs root (CI runs as root)")
        let user = "vizoragt\(UInt16.random(in: 1000...9999))"
        #expect(Self.shell("useradd --system --no-create-home --shell /usr/sbin/nologin \(user)") == 0)
        defer { _ = Self.shell("userdel \(user)") }
        let uid = try #require(getpwnam(user)).pointee.pw_uid
        let gid = try #require(getpwnam(user)).pointee.pw_gid

        // The agent runs as the second user in a home of its own.
        let home = try CLI.Home()
        defer { try? FileManager.default.removeItem(at: home.root) }
        // Its own copy of the binary: the build directory may be private to root.
        let binary = home.root.appendingPathComponent("vizor").path
        try FileManager.default.copyItem(atPath: CLI.binary, toPath: binary)
        #expect(Self.shell("chown -R \(uid):\(gid) '\(home.root.path)' && chmod 0755 '\(home.root.path)' '\(binary)'") == 0)
        var agentEnv = home.environment
        agentEnv["HOME"] = home.root.path
        let agent = Process()
        agent.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        agent.arguments = ["--reuid=\(uid)", "--regid=\(gid)", "--clear-groups", binary, "agent", "run"]
        agent.environment = agentEnv
        agent.standardOutput = FileHandle.nullDevice
        agent.standardError = FileHandle.nullDevice
        try agent.run()
        defer {
            kill(agent.processIdentifier, SIGTERM)
            agent.waitUntilExit()
        }
        let socketPath = (home.environment["XDG_STATE_HOME"] ?? "") + "/vizor/agent.sock"
        #expect(Self.until(60) { FileManager.default.fileExists(atPath: socketPath) }, "the second user's agent made no socket")
        let attributes = try FileManager.default.attributesOfItem(atPath: socketPath)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600, "socket mode \(attributes[.posixPermissions] ?? "?")")
        #expect((attributes[.ownerAccountID] as? NSNumber)?.uint32Value == uid)

        // Root passes the file mode but not the agent's own check of the peer's uid.
        let status = try CLI.run(["agent", "status", "--json"], home, timeout: 30)
        #expect(status.status != 0)
        #expect(status.stderr.contains("uid 0 may not use this agent"), "\(status.stderr)")
        let direct = Self.curl(socket: socketPath, path: "/v1/hello")
        #expect(direct.contains("403"), "curl as root: \(direct)")
    }

    static func shell(_ command: String) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.standardOutput = FileHandle.nullDevice
        try? process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    static func curl(socket: String, path: String) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", "--unix-socket", socket, "http://vizor\(path)"]
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("curl-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: out) }
        process.standardOutput = try? FileHandle(forWritingTo: out)
        try? process.run()
        process.waitUntilExit()
        return (try? String(contentsOf: out, encoding: .utf8)) ?? ""
    }

    // MARK: kill -9 at each step

    /// The agent is killed (SIGKILL, through `VIZOR_FAILPOINTS`) at each of
    /// the seven steps in turn; the next `vizor` command starts a new agent,
    /// which takes the job up from the journal and finishes it with one VM
    /// and one template, and nothing left on Razor or the exposures.
    @Test func anAgentKilledAtEachStepIsReplacedByTheNextCommandAndTheJobFinishes() throws {
        let lab = try InstallCrashTests.ServedLab(pace: 3)
        defer {
            Self.stopAgent(lab.home)
            lab.stop()
        }
        let steps: [(String, String)] = [
            ("expose-media", "xenserver"), ("render-artefacts", "cloudstack"), ("create-container", "xenserver"),
            ("razor-artefacts", "cloudstack"), ("boot-and-follow", "xenserver"), ("template-and-publish", "cloudstack"),
            ("clean-up", "xenserver"),
        ]
        var figures: [String] = []
        for (index, (step, backend)) in steps.enumerated() {
            let name = "ak\(index)-\(backend.prefix(3))"
            let context = "\(step) on \(backend)"
            // This agent dies at the failpoint; the test holds it to see how it ended. (The
            // seeding of the lab's home, before its configuration, may have started an agent: stopped first.)
            Self.stopAgent(lab.home)
            let (agent, agentOut, _) = try CLI.launch(["agent", "run"], lab.home, extra: ["VIZOR_FAILPOINTS": "after:\(step)=kill"])
            #expect(Self.until(60) { ((try? String(contentsOf: agentOut, encoding: .utf8)) ?? "").contains("listening on") },
                    "\(context): the agent did not start")
            let start = (backend == "xenserver" ? CLI.startXen : CLI.startCloud) + ["--hostname", name, "--template-name", name, "--json"]
            let submitted = try CLI.run(start, lab.home, timeout: 60)
            let job = try #require((CLI.json(submitted.stdout) as? [String: Any])?["id"] as? String, "\(context): \(submitted.stderr)")
            let deadline = Date().addingTimeInterval(90)
            while agent.isRunning, Date() < deadline { usleep(50_000) }
            if agent.isRunning { kill(agent.processIdentifier, SIGKILL) }
            agent.waitUntilExit()
            #expect(agent.terminationReason == .uncaughtSignal && agent.terminationStatus == SIGKILL,
                    "\(context): the agent was not killed by its failpoint")
            // The next command shows the job as the dead agent left it, notices, and starts a new agent.
            let began = Date()
            let show = try CLI.run(["install", "show", job, "--json"], lab.home, timeout: 60)
            let dead = ((CLI.json(show.stdout) as? [String: Any])?["job"] as? [String: Any]) ?? [:]
            #expect(dead["status"] as? String == "running" && dead["step"] as? String == step, "\(context): \(dead)")
            #expect((dead["leaseOwner"] as? String)?.contains("/\(agent.processIdentifier)/agent-") == true, "\(context): \(dead)")
            #expect(show.stderr.contains("a new agent takes the job up"), "\(context): \(show.stderr)")
            let finished = try Self.until(150) { try Self.job(job, lab.home)["status"] as? String == "succeeded" }
            let done = try Self.job(job, lab.home)
            #expect(finished, "\(context): \(done)")
            figures.append("\(context): done \(String(format: "%.1f", Date().timeIntervalSince(began))) s after the next command")
            let log = try lab.logs(job)
            #expect(log.contains { $0.contains("taking the job over from") && $0.contains("its process is gone") }, "\(context)")
            #expect(!log.contains { $0.contains("removing duplicate VM") }, "\(context): a second VM was created")
            #expect(try lab.templates(named: name).count == 1, "\(context): one template")
            #expect(try lab.machines(named: "vizor-\(job)").isEmpty, "\(context): no VM left")
            let steps = try lab.show(job).steps
            let node = steps.compactMap { ($0["created"] as? [String: String])?["node"] }.first
            try lab.expectRazorAndExposureClean(job: job, node: node, context)
            Self.stopAgent(lab.home)
        }
        print("agent killed at each step, job finished by the next agent:\n" + figures.joined(separator: "\n"))
    }
}

/// A process on the agent's socket that answers `hello` with another
/// protocol version, as an agent of an older or newer vizor would.
final class FakeAgent: @unchecked Sendable {
    private let listener: Int32
    private let thread: Thread

    init(path: String, protocolVersion: Int) throws {
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(listener, 8) == 0 else { throw CocoaError(.fileWriteUnknown) }
        let descriptor = listener
        let body = "{\"protocolVersion\":\(protocolVersion),\"vizorVersion\":\"9.9.9\",\"pid\":1,\"startedAt\":\"2026-12-07T00:00:00.000Z\"}"
        let answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        thread = Thread {
            while true {
                let connection = accept(descriptor, nil, nil)
                guard connection >= 0 else { return }
                var buffer = [UInt8](repeating: 0, count: 4096)
                _ = read(connection, &buffer, buffer.count)
                _ = answer.withCString { write(connection, $0, strlen($0)) }
                close(connection)
            }
        }
        thread.start()
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }
}
