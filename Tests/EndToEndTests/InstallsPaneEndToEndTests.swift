import Foundation
import Testing

/// The installs pane's job keys against a real failed install: the CLI leaves
/// a failed job in the journal; the operator opens the dashboard, selects the
/// job, presses C, types the VM's name and sees the clean-up's outcome; the
/// CLI then finds the job cleaned up (a retry is refused).
@Suite("Installs pane job keys in tmux", .serialized)
struct InstallsPaneEndToEndTests {
    @Test func cleanUpAFailedJobFromTheInstallsPane() throws {
        var home = try InstallCLITests.Home()
        defer { try? FileManager.default.removeItem(at: home.root) }
        // The container step fails once its VM exists: a failed job with leftovers.
        home.environment["VIZOR_FAILPOINTS"] = "end:create-container=error"
        let failed = try InstallCLITests.run(["install", "start", "--site", "lab", "--backend", "xenserver", "--image",
                                               "Windows_10_22H2_x64_en-US.iso", "--edition", "1", "--hostname", "w10f", "--wait", "--json"], home)
        home.environment["VIZOR_FAILPOINTS"] = nil
        let job = try #require(InstallCLITests.json(failed.stdout) as? [String: Any], "stdout: \(failed.stdout)\n\(failed.stderr)")
        #expect(job["status"] as? String == "failed")
        let id = try #require(job["id"] as? String)

        var env: [String: String] = [:]
        for key in ["XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "VIZOR_LAB_PACE"] { env[key] = home.environment[key] }
        let tmux = try TmuxSession(width: 160, height: 40, environment: env)
        try tmux.type("clear; '\(InstallCLITests.binary)'; echo \"EXIT=$?\"")
        try tmux.send("Enter")
        _ = try tmux.waitFor("1 Catalog", timeout: .seconds(60))
        try tmux.send("4")
        var screen = try tmux.waitFor("w10f", timeout: .seconds(20))
        #expect(screen.contains("R retry") && screen.contains("C clean up"))
        // The only job is selected: C asks for its name; a stray Enter does nothing.
        try tmux.send("C")
        _ = try tmux.waitFor("Type the name w10f")
        try tmux.send("Enter")
        screen = try tmux.capture()
        #expect(screen.contains("Type the name w10f"))
        try tmux.type("w10f")
        try tmux.send("Enter")
        screen = try tmux.waitFor("leftovers removed", timeout: .seconds(60))
        try tmux.send("q")
        _ = try tmux.waitFor("EXIT=0")

        let retry = try InstallCLITests.run(["install", "retry", id], home)
        #expect(retry.status != 0)
        #expect(retry.stderr.contains("cleaned up"), "\(retry.stderr)")
    }
}
