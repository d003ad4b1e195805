import Foundation
import Testing

/// Mouse reporting in a real terminal: tmux knows which mouse modes the
/// program in its pane asked for, so it is the judge of what vizor sent.
@Suite("Dashboard mouse in tmux", .serialized)
struct MouseEndToEndTests {
    /// Whether the pane's program turned any mouse reporting mode on.
    static func mouseRequested(_ tmux: TmuxSession) throws -> Bool {
        try tmux.tmux(["display-message", "-p", "-t", tmux.session, "#{mouse_any_flag}"])
            .trimmingCharacters(in: .whitespacesAndNewlines) == "1"
    }

    static func run(_ tmux: TmuxSession, _ arguments: String) throws {
        try #require(FileManager.default.isExecutableFile(atPath: DashboardEndToEndTests.binary), "build first: swift build --build-tests")
        try tmux.type("clear; '\(DashboardEndToEndTests.binary)' \(arguments); echo \"EXIT=$?\"")
        try tmux.send("Enter")
    }

    @Test func mouseReportingIsOffByDefaultAndOnWithTheFlag() throws {
        let tmux = try TmuxSession(width: 100, height: 30, environment: try DashboardEndToEndTests.emptyXDG())
        try Self.run(tmux, "")
        try tmux.waitFor("1 Catalog", timeout: .seconds(60))
        #expect(try !Self.mouseRequested(tmux), "no mouse escape sequence by default")
        try tmux.send("q")
        try tmux.waitFor("EXIT=0")

        try Self.run(tmux, "--mouse")
        try tmux.waitFor("1 Catalog", timeout: .seconds(60))
        #expect(try Self.mouseRequested(tmux), "--mouse turns reporting on")
        // A click on the Templates tab, as the terminal reports it (X10
        // encoding: ESC [ M, then button+32, column+33, row+33): press, release.
        let templates = "\u{1B}[M\(UnicodeScalar(32 + 0)!)\(UnicodeScalar(33 + 29)!)\(UnicodeScalar(33 + 1)!)"
            + "\u{1B}[M\(UnicodeScalar(32 + 3)!)\(UnicodeScalar(33 + 29)!)\(UnicodeScalar(33 + 1)!)"
        try tmux.type(templates)
        try tmux.waitUntil("the Templates pane is active") { $0.contains("ws2022-golden") }
        try tmux.send("q")
        try tmux.waitFor("EXIT=0")
        #expect(try !Self.mouseRequested(tmux), "reporting is off again once vizor has quit")
    }
}
