import Foundation
import Testing

/// The built `vizor` binary in a real terminal (tmux), as an operator uses it.
/// `swift build --build-tests` builds the binary these tests run.
@Suite("Dashboard in tmux", .serialized)
struct DashboardEndToEndTests {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let binary = packageRoot.appendingPathComponent(".build/debug/vizor").path

    /// Empty XDG directories: vizor finds no configuration and starts the lab.
    static func emptyXDG() throws -> [String: String] {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-e2e-\(UUID().uuidString)")
        var env: [String: String] = [:]
        for (key, name) in [("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_STATE_HOME", "state"), ("XDG_CACHE_HOME", "cache")] {
            let dir = root.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            env[key] = dir.path
        }
        // The agent the dashboard starts (it runs the lab) goes 30 s after the test's last vizor.
        env["VIZOR_AGENT_IDLE_EXIT"] = "30"
        return env
    }

    private func launch(_ tmux: TmuxSession) throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "build first: swift build --build-tests")
        try tmux.type("clear; '\(Self.binary)'; echo \"EXIT=$?\"")
        try tmux.send("Enter")
    }

    /// The prompt is back, vizor is gone, and the tty is sane again.
    private func expectShellRestored(_ tmux: TmuxSession, exit: String) throws {
        let screen = try tmux.waitFor("EXIT=\(exit)")
        #expect(!screen.contains("1 Catalog"), "the dashboard is gone from the screen")
        #expect(screen.contains("E2E-READY$"), "the shell prompt is back")
        #expect(try tmux.paneCommand() == "bash")
        try tmux.type("stty -a | tr ' ;' '\\n\\n' | grep -xE -- '-?(echo|icanon)' | sort | tr '\\n' ' '; echo END")
        try tmux.send("Enter")
        let after = try tmux.waitUntil("stty answered") { $0.components(separatedBy: "END").count > 2 }
        #expect(after.contains("echo icanon END"), "echo and canonical mode restored:\n\(after)")
    }

    private func signalVizor(_ tmux: TmuxSession, _ signal: Int32) throws {
        let children = try tmux.foregroundChildren()
        try #require(children.count == 1, "vizor runs in the pane")
        #expect(kill(children[0], signal) == 0)
    }

    @Test func operatorWalksThePanesAndQuits() throws {
        // The light theme and NO_COLOR change colours only; the text is the same.
        let tmux = try TmuxSession(width: 100, height: 30, environment: try Self.emptyXDG().merging(["VIZOR_THEME": "light", "NO_COLOR": "1"]) { $1 })
        try launch(tmux)
        var screen = try tmux.waitFor("1 Catalog", timeout: .seconds(60))
        #expect(screen.contains("site lab"))

        try tmux.send("2")
        screen = try tmux.waitFor(" 2 Machines ")

        try tmux.send("/")
        try tmux.type("build-7")
        screen = try tmux.waitFor("/build-7")
        #expect(screen.contains("Enter accept"))

        try tmux.send("Escape")
        screen = try tmux.waitUntil("the filter line closed") { !$0.contains("/build-7") && $0.contains("? help") }

        try tmux.send("?")
        screen = try tmux.waitFor("Keys: Machines")
        #expect(screen.contains("Filter rows as you type"))
        try tmux.send("Escape")
        try tmux.waitUntil("help closed") { !$0.contains("Keys: Machines") && $0.contains("? help") }

        try tmux.type(":templates")
        try tmux.waitFor(":templates")
        try tmux.send("Enter")
        try tmux.waitFor("ZONE/POOL", timeout: .seconds(30))

        try tmux.send("q")
        try expectShellRestored(tmux, exit: "0")
    }

    @Test func sigtermEndsCleanlyAndRestoresTheTerminal() throws {
        let tmux = try TmuxSession(width: 100, height: 30, environment: try Self.emptyXDG())
        try launch(tmux)
        try tmux.waitFor("1 Catalog", timeout: .seconds(60))
        try signalVizor(tmux, SIGTERM)
        try expectShellRestored(tmux, exit: "0")
    }

    @Test func crashSignalStillRestoresTheTerminal() throws {
        let tmux = try TmuxSession(width: 100, height: 30, environment: try Self.emptyXDG().merging(["SWIFT_BACKTRACE": "enable=no"]) { $1 })
        try launch(tmux)
        try tmux.waitFor("1 Catalog", timeout: .seconds(60))
        try signalVizor(tmux, SIGSEGV)
        try expectShellRestored(tmux, exit: "139")
    }

    @Test func tooSmallTerminalSaysSoAndStillQuits() throws {
        let tmux = try TmuxSession(width: 30, height: 8, environment: try Self.emptyXDG())
        try launch(tmux)
        let screen = try tmux.waitFor("too small")
        #expect(screen.contains("30x8"))
        try tmux.send("q")
        try expectShellRestored(tmux, exit: "0")
    }
}
