import Foundation
import Testing

/// The operator's day against the lab, in tmux: browse the catalog, run the
/// wizard for Windows Server 2022 on XenServer and Windows 11 on CloudStack,
/// watch both installs end, search a job's log, find both templates, delete
/// a VM through its typed-name confirmation (a stray Enter does nothing),
/// quit, start again and find both jobs in history.
@Suite("Operator in tmux against the lab", .serialized)
struct OperatorEndToEndTests {
    private func start(_ tmux: TmuxSession) throws {
        try #require(FileManager.default.isExecutableFile(atPath: DashboardEndToEndTests.binary), "build first: swift build --build-tests")
        try tmux.type("clear; '\(DashboardEndToEndTests.binary)'; echo \"EXIT=$?\"")
        try tmux.send("Enter")
    }

    /// Runs the built binary with `env` and returns its standard output.
    private static func vizor(_ arguments: [String], _ env: [String: String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: DashboardEndToEndTests.binary)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-out-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: out) }
        process.standardOutput = try FileHandle(forWritingTo: out)
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning, Date() < deadline { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return (try? String(contentsOf: out, encoding: .utf8)) ?? ""
    }

    /// Runs the wizard from the catalog edition the filter selects, on the
    /// given hypervisor, and starts the install with F10 on the review.
    private func runWizard(_ tmux: TmuxSession, filter: String, edition: String, onCloudStack: Bool,
                           hostname: String, template: String, productKey: String? = nil) throws {
        try tmux.send("1")
        // Esc on the filter line clears the last filter.
        try tmux.send("/")
        try tmux.send("Escape")
        try tmux.send("/")
        try tmux.type(filter)
        try tmux.send("Enter")
        try tmux.waitUntil("filtered to \(filter)") { $0.contains("filter /\(filter)") && $0.contains(edition) }
        try tmux.send("n")
        var screen = try tmux.waitFor("◉ 1 Target")
        if onCloudStack {
            // Site, then Hypervisor: → turns the choice to the lab CloudStack.
            try tmux.send("Tab")
            try tmux.send("Right")
            screen = try tmux.waitFor("◂ cloudstack ▸")
            // Without a zone the step does not advance: the lab cloud has two.
            try tmux.send("Enter")
            screen = try tmux.waitFor("several to choose from: lab-zone-1, lab-zone-2")
            // The zone field lists the zones the cloud reported; typing narrows the list.
            try tmux.send("Tab")
            try tmux.waitUntil("zones listed") { $0.contains("lab-zone-1") && $0.contains("lab-zone-2") }
            try tmux.type("zone-2")
            try tmux.waitFor("Enter picks lab-zone-2")
        }
        try tmux.send("Enter")
        screen = try tmux.waitFor("◉ 2 Media")
        #expect(screen.contains("▸ \(edition)"), "the edition picked in the catalog: \(screen)")
        try tmux.send("Enter")
        screen = try tmux.waitFor("◉ 3 Install")
        // Clear a remembered host name first.
        for _ in 0..<20 { try tmux.send("BSpace") }
        try tmux.type(hostname)
        try tmux.waitUntil("host name \(hostname)") { $0.contains(hostname) && !$0.contains("is not allowed") }
        if let productKey {
            // Password, UI language, locale, keyboard, time zone, then the product key.
            for _ in 0..<6 { try tmux.send("Tab") }
            try tmux.type(productKey)
            try tmux.waitUntil("product key typed") { $0.contains(productKey) }
        }
        try tmux.send("Enter")
        screen = try tmux.waitFor("◉ 4 Template")
        if !screen.contains("Template name") { try tmux.send("Space") }
        try tmux.waitFor("Template name")
        try tmux.send("Tab")
        try tmux.send("C-u")
        try tmux.type(template)
        try tmux.send("Enter")
        screen = try tmux.waitFor("These actions will be taken")
        #expect(screen.contains("Create VM \(hostname) stopped on \(onCloudStack ? "CloudStack" : "XenServer")"), "\(screen)")
        // Enter does not start anything on the review; F10 does: the job is
        // journalled and driven by the dashboard, live in the installs pane.
        try tmux.send("Enter")
        try tmux.waitFor("press F10 to start")
        try tmux.send("F10")
        // The wizard closes with a flash naming the job (a quick lab install may already announce its end).
        screen = try tmux.waitUntil("the install of \(hostname) started") {
            !$0.contains("press F10 to start") && ($0.contains("started for \(hostname) on \(onCloudStack ? "cloudstack" : "xenserver")") || $0.contains("install j"))
        }
        #expect(!screen.contains("nothing was started") && !screen.contains("cannot start"), "\(screen)")
    }

    @Test func browseWizardBothHypervisorsLogSearchDeleteQuitAndRestart() throws {
        var env = try DashboardEndToEndTests.emptyXDG()
        env["VIZOR_LAB_PACE"] = "3"
        let tmux = try TmuxSession(width: 160, height: 48, environment: env)
        try start(tmux)
        // The lab comes up: the catalog tree fills, every backend turns ok.
        var screen = try tmux.waitUntil("catalog and health", timeout: .seconds(90)) {
            $0.contains("Windows_Server_2022_x64_en-US.iso") && $0.contains("XenServer ok") && $0.contains("CloudStack ok")
        }
        #expect(screen.contains("Windows Server 2022 Datacenter"))

        // The wizard validates as it is typed: '_' is refused in a host name.
        try tmux.send("/")
        try tmux.type("Datacenter (Desktop")
        try tmux.send("Enter")
        try tmux.waitUntil("filtered") { $0.contains("filter /Datacenter (Desktop") }
        try tmux.send("n")
        try tmux.waitFor("◉ 1 Target")
        try tmux.send("Enter")
        try tmux.waitFor("◉ 2 Media")
        try tmux.send("Enter")
        try tmux.waitFor("◉ 3 Install")
        try tmux.type("srv_01")
        try tmux.waitFor("'_' is not allowed")
        for _ in 0..<4 { try tmux.send("Escape") }
        try tmux.waitUntil("wizard closed") { !$0.contains("◉ 3 Install") }

        // Windows Server 2022 on the lab XenServer, Windows 11 on the lab CloudStack.
        try runWizard(tmux, filter: "Datacenter (Desktop", edition: "Windows Server 2022 Datacenter (Desktop Experience)",
                      onCloudStack: false, hostname: "srv-01", template: "srv-tpl")
        // Client media without ei.cfg stop at Setup's product key page unless a key is given (Microsoft's generic key for the edition).
        try runWizard(tmux, filter: "Pro for Workstations", edition: "Windows 11 Pro for Workstations",
                      onCloudStack: true, hostname: "w11-01", template: "w11-tpl", productKey: "DXG7C-N36C4-C4HTG-X4T3X-2YV77")

        // Both installs, live in the installs pane, to their end.
        try tmux.send("4")
        screen = try tmux.waitUntil("both jobs in the installs pane", timeout: .seconds(30)) { $0.contains("srv-01") && $0.contains("w11-01") }
        screen = try tmux.waitUntil("both installs end", timeout: .seconds(240)) { screen in
            screen.split(separator: "\n").filter { ($0.contains("srv-01") || $0.contains("w11-01")) && ($0.contains("7/7 done") || $0.contains("failed")) }.count == 2
        }
        let rows = screen.split(separator: "\n").filter { $0.contains("srv-01") || $0.contains("w11-01") }
        #expect(rows.filter { $0.contains("7/7 done") }.count == 2, "both installs succeed: \(screen)")

        // Open the Windows 11 job, its log tail, and search it.
        try tmux.send("/")
        try tmux.type("w11-01")
        try tmux.send("Enter")
        try tmux.waitUntil("installs filtered") { $0.contains("filter /w11-01") && !$0.contains("srv-01") }
        try tmux.send("Enter")
        screen = try tmux.waitUntil("job view", timeout: .seconds(15)) { $0.contains("Start and install") && $0.contains("Convert and publish") }
        try tmux.send("l")
        screen = try tmux.waitUntil("log tail") { $0.contains("log w11-01") && $0.contains("FOLLOW") }
        try tmux.send("/")
        try tmux.type("seal")
        try tmux.send("Enter")
        screen = try tmux.waitFor("search /seal")
        try tmux.send("n")
        screen = try tmux.capture()
        #expect(!screen.contains("pattern not found"), "the log has the seal step: \(screen)")
        try tmux.send("/")
        try tmux.type("no-such-line-anywhere")
        try tmux.send("Enter")
        screen = try tmux.waitFor("pattern not found: no-such-line-anywhere")
        for _ in 0..<2 { try tmux.send("Escape") }
        try tmux.waitUntil("log closed") { !$0.contains("search /") }

        // Both templates are in the templates pane.
        try tmux.send("3")
        screen = try tmux.waitUntil("both templates", timeout: .seconds(60)) { $0.contains("srv-tpl") && $0.contains("w11-tpl") }

        // Machines of the lab, coloured power state, then delete db-01.
        try tmux.send("2")
        screen = try tmux.waitUntil("machines listed", timeout: .seconds(30)) { $0.contains("db-01") && $0.contains("web-01") }
        #expect(screen.contains("halted") && screen.contains("running"))
        try tmux.send("3")
        screen = try tmux.waitFor("ws2022-golden")
        try tmux.send("2")
        try tmux.send("g")
        try tmux.send("D")
        screen = try tmux.waitFor("Delete db-01?")
        #expect(screen.contains("This cannot be undone"))
        try tmux.send("Enter")
        try tmux.send("Enter")
        screen = try tmux.waitFor("Delete db-01?")
        try tmux.type("db-01")
        try tmux.send("Enter")
        screen = try tmux.waitUntil("db-01 deleted", timeout: .seconds(30)) { !$0.contains("db-01") && $0.contains("web-01") }

        try tmux.send("q")
        screen = try tmux.waitFor("EXIT=0")

        // The journal holds both jobs with their values (and no password).
        let listed = try Self.vizor(["install", "list", "--json"], env)
        let jobs = (try? JSONSerialization.jsonObject(with: Data(listed.utf8))) as? [[String: Any]] ?? []
        try #require(jobs.count == 2, "two journalled jobs: \(listed)")
        let requests = jobs.map { job -> [String: Any] in
            job["request"] as? [String: Any] ?? [:]
        }
        #expect(jobs.allSatisfy { $0["status"] as? String == "succeeded" })
        let server = try #require(requests.first { $0["machineName"] as? String == "srv-01" })
        #expect(server["hypervisor"] as? String == "xenserver")
        #expect(server["templateName"] as? String == "srv-tpl")
        #expect((server["editionName"] as? String)?.contains("Datacenter (Desktop Experience)") == true)
        let client = try #require(requests.first { $0["machineName"] as? String == "w11-01" })
        #expect(client["hypervisor"] as? String == "cloudstack")
        #expect(client["location"] as? String == "lab-zone-2", "the zone picked from the cloud's list")
        #expect(client["templateName"] as? String == "w11-tpl")
        #expect((client["editionName"] as? String)?.contains("Windows 11 Pro for Workstations") == true)
        #expect(!listed.lowercased().contains("password"), "no password in the journal")

        // Start again: both jobs are in the installs pane's history, and the
        // wizard remembers the last host name for the site.
        try start(tmux)
        try tmux.waitUntil("catalog again", timeout: .seconds(90)) { $0.contains("Windows_Server_2022_x64_en-US.iso") }
        try tmux.send("4")
        screen = try tmux.waitUntil("history", timeout: .seconds(30)) { $0.contains("srv-01") && $0.contains("w11-01") }
        #expect(screen.split(separator: "\n").filter { $0.contains("7/7 done") }.count == 2, "\(screen)")
        try tmux.send("1")
        try tmux.send("n")
        try tmux.waitFor("◉ 1 Target")
        try tmux.send("Enter")
        try tmux.waitFor("◉ 2 Media")
        try tmux.send("Enter")
        screen = try tmux.waitFor("◉ 3 Install")
        #expect(screen.contains("w11-01"), "the last host name is remembered for the site")
        for _ in 0..<3 { try tmux.send("Escape") }
        try tmux.waitUntil("wizard closed") { !$0.contains("New VM  ") }
        try tmux.send("q")
        try tmux.waitFor("EXIT=0")   // the second start cleared the screen
    }

    /// The terminal goes away mid-install (the tmux server is killed, as a
    /// dropped SSH session ends the shell): vizor gets SIGHUP and exits, and
    /// the job the wizard started goes on to the end in the agent, with no
    /// further command; a new process lists the template.
    @Test func aJobStartedInTheWizardFinishesAfterTheTerminalHangsUp() throws {
        var env = try DashboardEndToEndTests.emptyXDG()
        env["VIZOR_LAB_PACE"] = "20"
        env["VIZOR_LOG_LEVEL"] = "debug"
        defer { _ = try? Self.vizor(["agent", "stop"], env) }
        var tmux: TmuxSession? = try TmuxSession(width: 160, height: 48, environment: env)
        let session = try #require(tmux)
        try start(session)
        _ = try session.waitUntil("the lab is up", timeout: .seconds(90)) {
            $0.contains("Windows_Server_2022_x64_en-US.iso") && $0.contains("XenServer ok")
        }
        try runWizard(session, filter: "Datacenter (Desktop", edition: "Windows Server 2022 Datacenter (Desktop Experience)",
                      onCloudStack: false, hostname: "hup-01", template: "hup-tpl")
        let dashboard = try #require(try session.foregroundChildren().first, "no vizor in the pane")
        // Step 5/7: the guest is installing.
        let id = try Self.jobAtStep5(env)

        // The terminal is gone: tmux's server ends, the pane's shell and vizor get SIGHUP.
        _ = try? session.tmux(["kill-server"])
        let gone = Date().addingTimeInterval(20)
        while !Self.isGone(dashboard), Date() < gone { usleep(100_000) }
        let what = ((try? String(contentsOfFile: "/proc/\(dashboard)/cmdline", encoding: .utf8)) ?? "")
            .replacingOccurrences(of: "\u{0}", with: " ")
        let stack = (try? String(contentsOfFile: "/proc/\(dashboard)/wchan", encoding: .utf8)) ?? ""
        let log = ((try? String(contentsOfFile: (env["XDG_STATE_HOME"] ?? "") + "/vizor/vizor.log", encoding: .utf8)) ?? "")
            .split(separator: "\n").suffix(15).joined(separator: "\n")
        #expect(Self.isGone(dashboard), "the dashboard (pid \(dashboard): \(what), waiting in \(stack)) outlived its terminal; its log:\n\(log)")
        tmux = nil

        // Nothing else is run: the agent finishes the job.
        try Self.expectFinished(id, template: "hup-tpl", after: "the hang-up", env)
    }

    /// Gone, or a zombie nobody reaped (an orphan's parent here may not reap).
    static func isGone(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return true }
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        guard let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first == "Z"
    }

    /// A real SSH session: Debian's sshd on a loopback port of its own (own
    /// configuration and host key, its own session), `ssh -tt` from inside
    /// tmux running the dashboard. During step 5 the ssh client is killed:
    /// sshd sees the connection drop and vizor gets SIGHUP. The job reaches
    /// done with no further command, and a new process lists the template.
    @Test func aJobStartedOverSSHFinishesAfterTheClientIsKilled() throws {
        var env = try DashboardEndToEndTests.emptyXDG()
        env["VIZOR_LAB_PACE"] = "20"
        env["VIZOR_AGENT_IDLE_EXIT"] = "30"
        defer { _ = try? Self.vizor(["agent", "stop"], env) }
        let sshd = try SSHServer()
        defer { sshd.stop() }

        var tmux: TmuxSession? = try TmuxSession(width: 160, height: 48)
        let session = try #require(tmux)
        defer { tmux = nil }
        let exports = env.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ")
        try session.type("ssh -tt -p \(sshd.port) -i \(sshd.clientKey) -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
                         + "-o LogLevel=ERROR root@127.0.0.1 'env \(exports) LANG=C.UTF-8 \(DashboardEndToEndTests.binary)'")
        try session.send("Enter")
        _ = try session.waitUntil("the lab is up over ssh", timeout: .seconds(90)) {
            $0.contains("Windows_Server_2022_x64_en-US.iso") && $0.contains("XenServer ok")
        }
        try runWizard(session, filter: "Datacenter (Desktop", edition: "Windows Server 2022 Datacenter (Desktop Experience)",
                      onCloudStack: false, hostname: "ssh-01", template: "ssh-tpl")
        let client = try #require(try session.foregroundChildren().first, "no ssh client in the pane")
        let stateHome = env["XDG_STATE_HOME"] ?? ""
        let dashboard = try #require(Self.dashboards(stateHome: stateHome).first, "no vizor dashboard behind sshd")

        let id = try Self.jobAtStep5(env)

        // The connection drops: the client dies without a word, sshd hangs the session up.
        kill(client, SIGKILL)
        let gone = Date().addingTimeInterval(30)
        while !Self.isGone(dashboard), Date() < gone { usleep(100_000) }
        #expect(Self.isGone(dashboard), "the dashboard (pid \(dashboard)) outlived its SSH session")

        try Self.expectFinished(id, template: "ssh-tpl", after: "the SSH session dropped", env)
    }

    /// The id of the job the wizard started, once it runs step 5/7 (the guest is installing).
    static func jobAtStep5(_ env: [String: String]) throws -> String {
        var job: [String: Any] = [:]
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline {
            let list = (try? JSONSerialization.jsonObject(with: Data(try vizor(["install", "list", "--json"], env).utf8))) as? [[String: Any]]
            job = list?.first ?? [:]
            if job["step"] as? String == "boot-and-follow" { break }
            usleep(250_000)
        }
        #expect(job["step"] as? String == "boot-and-follow", "the job never reached step 5: \(job)")
        return try #require(job["id"] as? String)
    }

    /// With no further command, the job succeeds and a new process lists its template.
    static func expectFinished(_ id: String, template: String, after what: String, _ env: [String: String]) throws {
        var status = ""
        let end = Date().addingTimeInterval(180)
        while Date() < end {
            let show = (try? JSONSerialization.jsonObject(with: Data(try vizor(["install", "show", id, "--json"], env).utf8))) as? [String: Any]
            status = (show?["job"] as? [String: Any])?["status"] as? String ?? ""
            if status == "succeeded" || status == "failed" || status == "cancelled" { break }
            usleep(500_000)
        }
        #expect(status == "succeeded", "job \(id) after \(what): \(status)")
        let templates = (try? JSONSerialization.jsonObject(with: Data(try vizor(["template", "list", "--json"], env).utf8))) as? [[String: Any]]
        #expect(templates?.contains { $0["name"] as? String == template } == true, "template list in a new process")
    }

    /// vizor dashboards (no sub-command) whose XDG state directory is this one.
    static func dashboards(stateHome: String) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(pid_t.init).filter { pid in
            guard let command = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8),
                  command.split(separator: "\u{0}").count == 1, command.hasPrefix(DashboardEndToEndTests.binary),
                  let environment = try? String(contentsOfFile: "/proc/\(pid)/environ", encoding: .utf8) else { return false }
            return environment.split(separator: "\u{0}").contains { $0 == "XDG_STATE_HOME=\(stateHome)" }
        }
    }
}

/// Debian's sshd on a free loopback port, with a configuration, host key and
/// client key of its own, in a session of its own; stopped (with every
/// session it started) by `stop`.
final class SSHServer {
    let directory: URL
    let port: Int
    let clientKey: String
    private let process: Process

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-sshd-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // sshd refuses to start without its privilege separation directory.
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        let hostKey = directory.appendingPathComponent("host_ed25519").path
        clientKey = directory.appendingPathComponent("client_ed25519").path
        for key in [hostKey, clientKey] {
            try Self.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key])
        }
        try FileManager.default.copyItem(atPath: clientKey + ".pub", toPath: directory.appendingPathComponent("authorized_keys").path)
        port = try Self.freePort()
        let config = """
            Port \(port)
            ListenAddress 127.0.0.1
            HostKey \(hostKey)
            PidFile \(directory.path)/sshd.pid
            AuthorizedKeysFile \(directory.path)/authorized_keys
            PermitRootLogin prohibit-password
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            UsePAM no
            StrictModes no
            ClientAliveInterval 2
            ClientAliveCountMax 2
            """
        let configFile = directory.appendingPathComponent("sshd_config")
        try config.write(to: configFile, atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
        process.arguments = ["/usr/sbin/sshd", "-D", "-e", "-f", configFile.path]
        process.standardOutput = FileHandle.nullDevice
        let log = directory.appendingPathComponent("sshd.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, !Self.listening(port) { usleep(50_000) }
        guard Self.listening(port) else {
            stop()
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "sshd did not listen: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")"])
        }
    }

    /// Stops sshd and the sessions it forked (its process group), then removes its files.
    func stop() {
        kill(-process.processIdentifier, SIGTERM)
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }

    static func run(_ tool: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.executableLoad) }
    }

    /// A port the kernel has just handed out on 127.0.0.1.
    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard bound else { throw CocoaError(.fileWriteUnknown) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func listening(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
