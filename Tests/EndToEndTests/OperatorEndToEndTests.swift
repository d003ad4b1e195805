import Foundation
import Testing

/// The operator's day against the lab, in tmux: browse the catalog, open the
/// wizard from an edition, find the lab's machines and templates, delete a VM
/// through its typed-name confirmation (a stray Enter does nothing), quit,
/// start again and find the wizard's last values remembered for the site.
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

    @Test func browseWizardDeleteQuitAndRestart() throws {
        var env = try DashboardEndToEndTests.emptyXDG()
        env["VIZOR_LAB_PACE"] = "3"
        let tmux = try TmuxSession(width: 160, height: 48, environment: env)
        try start(tmux)
        // The lab comes up: the catalog tree fills, every backend turns ok.
        var screen = try tmux.waitUntil("catalog and health", timeout: .seconds(90)) {
            $0.contains("Windows_Server_2022_x64_en-US.iso") && $0.contains("XenServer ok") && $0.contains("CloudStack ok")
        }
        #expect(screen.contains("Windows Server 2022 Datacenter"))

        // Filter the catalog to one edition and open the wizard from it.
        try tmux.send("/")
        try tmux.type("Datacenter (Desktop")
        try tmux.send("Enter")
        screen = try tmux.waitUntil("filtered") { $0.contains("filter /Datacenter (Desktop") }
        try tmux.send("n")
        screen = try tmux.waitFor("New VM")
        #expect(screen.contains("◉ 1 Target"))
        try tmux.send("Enter")
        screen = try tmux.waitFor("◉ 2 Media")
        #expect(screen.contains("▸ Windows Server 2022 Datacenter (Desktop Experience)"))
        try tmux.send("Enter")
        screen = try tmux.waitFor("◉ 3 Install")
        try tmux.type("srv_01")
        screen = try tmux.waitFor("'_' is not allowed")
        for _ in 0..<6 { try tmux.send("BSpace") }
        try tmux.type("srv-01")
        try tmux.waitUntil("valid host name") { !$0.contains("is not allowed") && $0.contains("srv-01") }
        try tmux.send("Enter")
        try tmux.waitFor("◉ 4 Template")
        try tmux.send("Space")
        try tmux.waitFor("Template name")
        try tmux.send("Tab")
        try tmux.type("srv-tpl")
        try tmux.send("Enter")
        screen = try tmux.waitFor("These actions will be taken")
        #expect(screen.contains("Create VM srv-01 stopped on XenServer"))
        // Enter does not start anything on the review; F10 does: the job is
        // journalled and driven by the dashboard, live in the installs pane.
        try tmux.send("Enter")
        try tmux.waitFor("press F10 to start")
        try tmux.send("F10")
        screen = try tmux.waitFor("install job ")
        #expect(screen.contains("started for srv-01 on xenserver"))
        try tmux.send("4")
        screen = try tmux.waitUntil("the wizard's job in the installs pane", timeout: .seconds(30)) { $0.contains("srv-01") }
        screen = try tmux.waitUntil("the wizard's install ends", timeout: .seconds(170)) { $0.contains("succeeded") || $0.contains("failed") }
        #expect(screen.contains("succeeded"), "the install runs to its end: \(screen)")
        // Its template is in the templates pane.
        try tmux.send("3")
        screen = try tmux.waitUntil("the wizard's template", timeout: .seconds(30)) { $0.contains("srv-tpl") }

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

        // The journal holds the wizard's job with its values (and no password).
        let listed = try Self.vizor(["install", "list", "--json"], env)
        let jobs = (try? JSONSerialization.jsonObject(with: Data(listed.utf8))) as? [[String: Any]] ?? []
        try #require(jobs.count == 1, "one journalled job: \(listed)")
        let requestText = jobs[0]["request"] as? String ?? ""
        let request = (try? JSONSerialization.jsonObject(with: Data(requestText.utf8))) as? [String: Any] ?? [:]
        #expect(jobs[0]["status"] as? String == "succeeded")
        #expect(request["machineName"] as? String == "srv-01")
        #expect(request["hypervisor"] as? String == "xenserver")
        #expect(request["templateName"] as? String == "srv-tpl")
        #expect((request["editionName"] as? String)?.contains("Datacenter (Desktop Experience)") == true)
        #expect(!listed.lowercased().contains("password"), "no password in the journal")

        // Start again: the wizard remembers the host name for the site.
        try start(tmux)
        try tmux.waitUntil("catalog again", timeout: .seconds(90)) { $0.contains("Windows_Server_2022_x64_en-US.iso") }
        try tmux.send("n")
        try tmux.waitFor("◉ 1 Target")
        try tmux.send("Enter")
        try tmux.waitFor("◉ 2 Media")
        try tmux.send("Enter")
        screen = try tmux.waitFor("◉ 3 Install")
        #expect(screen.contains("srv-01"), "the host name is remembered for the site")
        for _ in 0..<3 { try tmux.send("Escape") }
        try tmux.waitUntil("wizard closed") { !$0.contains("New VM  ") }
        try tmux.send("q")
        try tmux.waitFor("EXIT=0")   // the second start cleared the screen
    }
}
