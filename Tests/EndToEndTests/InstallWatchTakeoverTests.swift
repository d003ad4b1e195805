import Foundation
import Testing

/// Two `vizor` processes on one journal: `install start --no-agent` drives,
/// `install resume <job>` finds the live lease and watches (showing progress,
/// driving nothing), and takes the job over when the driver is SIGKILLed.
@Suite("vizor install: one process drives, another watches and takes over", .serialized)
struct InstallWatchTakeoverTests {
    typealias CLI = InstallCLITests

    @Test func aWatcherDrivesNothingWhileTheDriverLivesAndFinishesTheJobWhenItIsKilled() throws {
        // Slow enough that the guest is still installing when the driver dies.
        let lab = try InstallCrashTests.ServedLab(pace: 20)
        defer { lab.stop() }
        let name = "w2022-watch"
        let (driver, _, _) = try CLI.launch(CLI.startXen + ["--hostname", name, "--template-name", name, "--no-agent", "--json"], lab.home)
        defer { if driver.isRunning { kill(driver.processIdentifier, SIGKILL) } }
        let job = try #require(try lab.job(hostname: name), "the driver journaled no job")
        #expect(try Self.until(60) { try lab.show(job).job["step"] as? String == "boot-and-follow" }, "never reached boot-and-follow")

        let (watcher, watcherOut, watcherErr) = try CLI.launch(["install", "resume", job], lab.home)
        defer { if watcher.isRunning { kill(watcher.processIdentifier, SIGKILL) } }
        let (follower, followerOut, _) = try CLI.launch(["install", "logs", job, "--follow"], lab.home)
        defer { if follower.isRunning { kill(follower.processIdentifier, SIGKILL) } }
        // The watcher shows the job's progress and who drives it.
        #expect(try Self.until(30) { Self.read(watcherErr).contains("watching, driven by") },
                "the watcher showed no progress: \(Self.read(watcherErr))")
        let driverOwner = try #require(try lab.show(job).job["leaseOwner"] as? String)
        #expect(driverOwner.contains("/\(driver.processIdentifier)/"), "\(driverOwner)")
        // Several of the watcher's polls pass while the driver lives: it drives nothing.
        let progressBefore = try lab.show(job).job["progress"] as? Double ?? 0
        #expect(try Self.until(30) { (try lab.show(job).job["progress"] as? Double ?? 0) > progressBefore }, "the install made no progress")
        let watched = try lab.show(job)
        #expect(watcher.isRunning && driver.isRunning)
        #expect(watched.job["leaseOwner"] as? String == driverOwner)
        #expect(watched.steps.allSatisfy { $0["owner"] as? String == driverOwner }, "\(watched.steps.map { $0["owner"] ?? "" })")

        // The driver dies without warning; the watcher sees its pid gone and takes over at once.
        let leaseEnd = try #require(Self.date(try lab.show(job).job["leaseExpiresAt"]))
        kill(driver.processIdentifier, SIGKILL)
        driver.waitUntilExit()
        let killedAt = Date()
        var takenBy: String?
        _ = try Self.until(60) {
            takenBy = try lab.show(job).steps.compactMap { $0["owner"] as? String }.first { $0 != driverOwner }
            return takenBy != nil
        }
        let takeover = Date().timeIntervalSince(killedAt)
        let owner = try #require(takenBy, "nobody took the job over")
        #expect(owner.contains("/\(watcher.processIdentifier)/"), "taken by \(owner), not the watcher \(watcher.processIdentifier)")
        print("takeover after SIGKILL: \(String(format: "%.1f", takeover)) s; the dead driver's lease had "
              + "\(String(format: "%.1f", leaseEnd.timeIntervalSince(killedAt))) s left (the wait before)")

        let deadline = Date().addingTimeInterval(120)
        while watcher.isRunning, Date() < deadline { usleep(100_000) }
        #expect(!watcher.isRunning, "the watcher did not finish the job")
        watcher.waitUntilExit()
        let done = try lab.show(job)
        #expect(watcher.terminationStatus == 0 && done.job["status"] as? String == "succeeded",
                "\(Self.read(watcherOut))\n\(Self.read(watcherErr))")
        #expect(Self.read(watcherOut).contains("job \(job) succeeded"), "\(Self.read(watcherOut))")
        #expect(done.steps.contains { $0["step"] as? String == "boot-and-follow" && $0["owner"] as? String == owner })
        #expect(done.steps.contains { $0["step"] as? String == "clean-up" && $0["owner"] as? String == owner
                    && $0["outcome"] as? String == "succeeded" })
        #expect(done.steps.filter { $0["step"] as? String == "create-container" }.count == 1, "one VM container")
        #expect(try lab.templates(named: name).count == 1)
        #expect(try lab.machines(named: "vizor-\(job)").isEmpty)
        let node = done.steps.compactMap { ($0["created"] as? [String: String])?["node"] }.first
        try lab.expectRazorAndExposureClean(job: job, node: node, "watch takeover")
        // `logs --follow` only watched: it ends with the job, having printed its end.
        #expect(try Self.until(20) { !follower.isRunning }, "logs --follow did not end with the job")
        #expect(Self.read(followerOut).contains("install finished"), "\(Self.read(followerOut).suffix(400))")
    }

    static func read(_ url: URL) -> String { (try? String(contentsOf: url, encoding: .utf8)) ?? "" }

    /// Polls `condition` until it holds or `limit` seconds pass.
    static func until(_ limit: TimeInterval, _ condition: () throws -> Bool) throws -> Bool {
        let end = Date().addingTimeInterval(limit)
        while Date() < end {
            if try condition() { return true }
            usleep(100_000)
        }
        return false
    }

    /// A date as the CLI's JSON prints it (ISO 8601).
    static func date(_ value: Any?) -> Date? {
        guard let text = value as? String else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text)
    }
}
