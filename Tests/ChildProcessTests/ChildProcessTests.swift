import Foundation
import Testing
import VizorChildProcess

@Suite("child processes: deadlines, chatty children, standard input")
struct ChildProcessTests {
    /// The process id a shell child printed first on standard error as `pid N`.
    private func announcedPID(_ lines: [String]) -> pid_t? {
        lines.lazy.compactMap { line in line.hasPrefix("pid ") ? pid_t(line.dropFirst(4)) : nil }.first
    }

    /// Gone, or a zombie waiting for init: no longer running either way.
    private func isRunning(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(close, offsetBy: 2)] != "Z"
    }

    @Test func aHangingChildIsTerminatedAtItsDeadlineAndReaped() async throws {
        let started = ContinuousClock.now
        let child = ChildProcess("/bin/sh", ["-c", "echo pid $$ >&2; exec /bin/sleep 60"], timeout: .seconds(1))
        do {
            let outcome = try await child.run()
            Issue.record("a child sleeping 60 s finished within a 1 s deadline: \(outcome)")
        } catch {
            #expect(error.reason == .timedOut(.seconds(1)))
            let pid = try #require(announcedPID(error.lastErrorLines), "\(error.lastErrorLines)")
            // Reaped: not even a zombie answers to its pid any more.
            #expect(kill(pid, 0) == -1 && errno == ESRCH)
        }
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func aChildIgnoringSIGTERMIsKilledAfterTheGrace() async throws {
        let started = ContinuousClock.now
        let child = ChildProcess("/bin/sh", ["-c", "trap '' TERM; echo pid $$ >&2; /bin/sleep 60; /bin/sleep 60"],
                                 timeout: .milliseconds(500), terminationGrace: .milliseconds(500))
        do {
            _ = try await child.run()
            Issue.record("a child ignoring SIGTERM outlived its deadline")
        } catch {
            #expect(error.reason == .timedOut(.milliseconds(500)))
            let pid = try #require(announcedPID(error.lastErrorLines))
            #expect(kill(pid, 0) == -1 && errno == ESRCH)
        }
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func theDeadlineReachesWhatTheChildStartedEvenWhenItHoldsThePipes() async throws {
        let started = ContinuousClock.now
        // The grandchild keeps stdout and stderr open after the shell would have gone.
        let child = ChildProcess("/bin/sh", ["-c", "/bin/sleep 60 & echo pid $! >&2; wait"], timeout: .seconds(1))
        do {
            _ = try await child.run()
            Issue.record("the run ended before its deadline")
        } catch {
            #expect(error.reason == .timedOut(.seconds(1)))
            let grandchild = try #require(announcedPID(error.lastErrorLines))
            var waited = 0
            while isRunning(grandchild) && waited < 50 {
                try await Task.sleep(for: .milliseconds(100))
                waited += 1
            }
            #expect(!isRunning(grandchild), "the grandchild \(grandchild) still runs")
        }
        #expect(ContinuousClock.now - started < .seconds(8))
    }

    @Test func aTimeoutIsReportedWithTheCommandsName() async throws {
        let child = ChildProcess("/bin/sh", ["-c", "echo reloading >&2; exec /bin/sleep 30"], timeout: .milliseconds(300),
                                 displayName: "smbcontrol smbd reload-config")
        let error = await #expect(throws: ChildProcessError.self) { _ = try await child.run() }
        #expect(error?.description == "smbcontrol smbd reload-config did not finish within 0.3 s and was terminated; it said: reloading")
    }

    @Test func aChattyChildWritingMegabytesToBothStreamsCompletes() async throws {
        // 40 rounds of 64 KiB on stderr then 64 KiB on stdout: 2.5 MiB each,
        // far past a pipe's 64 KiB, so reading one stream after the other
        // would leave the child blocked on the second for ever.
        let script = """
            i=0
            while [ $i -lt 40 ]; do
              head -c 65536 /dev/zero | tr '\\0' e >&2
              head -c 65536 /dev/zero | tr '\\0' o
              i=$((i + 1))
            done
            printf '\\nlast-error-line\\n' >&2
            """
        let started = ContinuousClock.now
        let kept = try await ChildProcess("/bin/sh", ["-c", script], timeout: .seconds(30),
                                          outputLimit: 4 << 20, errorLimit: 1 << 10).run()
        #expect(kept.termination == .exited(0))
        #expect(kept.standardOutput.count == 40 * 65536 && !kept.standardOutputTruncated)
        #expect(kept.standardOutput.allSatisfy { $0 == UInt8(ascii: "o") })
        #expect(kept.standardErrorTail.count == 1 << 10, "the last KiB of standard error is kept")
        #expect(kept.lastErrorLines(1) == ["last-error-line"])

        let capped = try await ChildProcess("/bin/sh", ["-c", script], timeout: .seconds(30),
                                            outputLimit: 1 << 20).run()
        #expect(capped.termination == .exited(0), "output past the cap is read and dropped, not left in the pipe")
        #expect(capped.standardOutput.count == 1 << 20 && capped.standardOutputTruncated)
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    @Test func waitingChildrenBlockNoThreadOfTheCooperativePool() async throws {
        // Twelve children of 1 s each at once: a runner that parked a pool
        // thread per child (2 threads on 2 cores) would need about 6 s.
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: ChildProcessOutcome.self) { group in
            for _ in 0..<12 {
                group.addTask { try await ChildProcess("/bin/sleep", ["1"], timeout: .seconds(20)).run() }
            }
            for try await outcome in group { #expect(outcome.succeeded) }
        }
        #expect(ContinuousClock.now - started < .seconds(4))
    }

    @Test func standardInputReachesTheChildAndNeverItsArguments() async throws {
        let secret = "hunter2-\(UUID().uuidString)"
        let script = "read -r value; printf '%s' \"$value\" | wc -c; cat /proc/$$/cmdline | tr '\\0' ' ' >&2"
        let outcome = try await ChildProcess("/bin/sh", ["-c", script], standardInput: Array((secret + "\n").utf8)).run()
        #expect(outcome.succeeded)
        #expect(outcome.output.trimmingCharacters(in: .whitespacesAndNewlines) == String(secret.utf8.count))
        #expect(!outcome.errorText.isEmpty && !outcome.errorText.contains(secret))
    }

    @Test func standardInputLargerThanAPipeIsRefusedBeforeStarting() async throws {
        let child = ChildProcess("/bin/cat", standardInput: [UInt8](repeating: 1, count: ChildProcess.maximumInputBytes + 1))
        await #expect(throws: ChildProcessError(command: "/bin/cat", reason: .inputTooLarge(ChildProcess.maximumInputBytes + 1))) {
            _ = try await child.run()
        }
    }

    @Test func aMissingProgramIsNamedInTheError() async throws {
        do {
            _ = try await ChildProcess("/nonexistent/fusermount3", ["-u", "/mnt/x"]).run()
            Issue.record("a missing program started")
        } catch {
            guard case .cannotStart(let why) = error.reason else {
                Issue.record("unexpected reason \(error.reason)")
                return
            }
            #expect(why.contains("/nonexistent/fusermount3"), "\(why)")
            #expect(error.summary.hasPrefix("/nonexistent/fusermount3 -u /mnt/x could not start ("))
        }
    }

    @Test func aFailingExitIsAnOutcomeAndRequireSuccessCarriesTheLastErrorLines() async throws {
        let script = "for i in 1 2 3 4 5 6 7; do echo line $i >&2; done; exit 3"
        let outcome = try await ChildProcess("/bin/sh", ["-c", script]).run()
        #expect(outcome.termination == .exited(3))
        #expect(throws: ChildProcessError(command: "check", reason: .ended(.exited(3)),
                                          standardErrorTail: Array("line 3\nline 4\nline 5\nline 6\nline 7\n".utf8))) {
            try outcome.requireSuccess("check")
        }
        #expect(String(describing: ChildProcessError(command: "check", reason: .ended(.exited(3)),
                                                     standardErrorTail: Array("boom\n".utf8)))
                == "check exited with status 3; it said: boom")
    }

    @Test func cancellingTheCallerTerminatesTheChild() async throws {
        let started = ContinuousClock.now
        let task = Task { try await ChildProcess("/bin/sh", ["-c", "echo pid $$ >&2; exec /bin/sleep 60"]).run() }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        do {
            _ = try await task.value
            Issue.record("a cancelled run returned an outcome")
        } catch let error as ChildProcessError {
            #expect(error.reason == .cancelled)
            if let pid = announcedPID(error.lastErrorLines) { #expect(kill(pid, 0) == -1 && errno == ESRCH) }
        }
        #expect(ContinuousClock.now - started < .seconds(5))
    }
}
