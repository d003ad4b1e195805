import ArgumentParser
import Foundation
import VizorLab

struct LabCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lab",
        abstract: "The lab: loopback CloudStack, XenServer and Razor servers.",
        subcommands: [Serve.self]
    )

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the lab servers in the foreground until SIGINT or SIGTERM.",
            discussion: "The first line on stdout is one JSON object with each server's URL and credentials."
        )

        @Option(help: "Address to bind the lab servers to.")
        var host: String = "127.0.0.1"

        @Option(help: "Seconds a simulated Windows install takes, about (0.5 to 86400).")
        var pace: Double = 60

        @Flag(help: "Do not simulate guests: VMs start and stay silent.")
        var noSimulation = false

        @Option(help: "A post-install step (e.g. guest-tools) that fails in every simulated guest.")
        var failStep: String?

        @Option(help: "How the failing step fails: once (a retry succeeds) or always.")
        var failMode: String = "once"

        @Option(help: "Where every simulated guest hangs: winpe, setup, or step:<name>.")
        var hangAt: String?

        @Option(help: "Exit code simulated setup.exe returns (0 = success).")
        var setupExitCode: Int?

        func validate() throws {
            guard pace >= 0.5, pace <= 86_400 else { throw ValidationError("--pace must be between 0.5 and 86400 seconds") }
            guard LabGuestStepFailure.Mode(rawValue: failMode) != nil else {
                throw ValidationError("--fail-mode must be once or always, not '\(failMode)'")
            }
            if let hangAt, LabGuestHangPoint(parsing: hangAt) == nil {
                throw ValidationError("--hang-at must be winpe, setup or step:<name>, not '\(hangAt)'")
            }
        }

        func simulationOptions() -> LabSimulationOptions? {
            guard !noSimulation else { return nil }
            var options = LabSimulationOptions(pace: .install(taking: .milliseconds(Int(pace * 1000))))
            options.faults = LabGuestFaults(failingStep: failStep.map { LabGuestStepFailure(step: $0, mode: LabGuestStepFailure.Mode(rawValue: failMode) ?? .once) },
                                            hang: hangAt.flatMap(LabGuestHangPoint.init(parsing:)), setupExitCode: setupExitCode)
            return options
        }

        mutating func run() async throws {
            let suite = try await LabSuite.start(host: host, simulation: simulationOptions())
            FileHandle.standardOutput.write(Data((suite.announcementLine() + "\n").utf8))
            await waitForTerminationSignal()
            await suite.stop()
        }
    }
}

/// Suspends until SIGINT or SIGTERM arrives.
func waitForTerminationSignal() async {
    signal(SIGINT, SIG_IGN)
    signal(SIGTERM, SIG_IGN)
    await SignalWaiter().wait(for: [SIGINT, SIGTERM])
}

/// Turns the first of several POSIX signals into the end of an async wait.
private final class SignalWaiter: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Void, Never>?
    private var sources: [any DispatchSourceSignal] = []

    func wait(for signals: [Int32]) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            self.continuation = continuation
            sources = signals.map { number in
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { [self] in resume() }
                source.resume()
                return source
            }
            lock.unlock()
        }
    }

    private func resume() {
        lock.lock()
        let pending = continuation
        continuation = nil
        for source in sources { source.cancel() }
        sources = []
        lock.unlock()
        pending?.resume()
    }
}
