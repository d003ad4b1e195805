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
            discussion: helpText("The first line on stdout is one JSON object with each server's URL and credentials.",
                                 examples: ["vizor lab serve", "vizor lab serve --pace 5 --fail-step guest-tools --fail-mode always"])
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
        var failMode: FailMode = .once

        @Option(help: "Where every simulated guest hangs: winpe, setup, or step:<name>.")
        var hangAt: String?

        @Option(help: "Exit code simulated setup.exe returns (0 = success).")
        var setupExitCode: Int?

        @Option(help: ArgumentHelp("WinPE the guests run: vizor (what their boot serves) or razor-task (Razor's stock WinPE for every install).",
                                   discussion: "vizor: a guest booted by Vizor's own task runs the rendered winpeshl.ini and start-up, "
                                       + "one booted by Razor's stock windows task runs Razor's WinPE. razor-task: every guest plays "
                                       + "Razor's stock windows task, Vizor's own task included, and reads none of the rendered files."))
        var winpe: LabGuestWinPEDialect = .vizor

        func validate() throws {
            guard pace >= 0.5, pace <= 86_400 else { throw ValidationError("--pace must be between 0.5 and 86400 seconds") }
            if let hangAt, LabGuestHangPoint(parsing: hangAt) == nil {
                throw ValidationError("--hang-at must be winpe, setup or step:<name>, not '\(hangAt)'")
            }
        }

        func simulationOptions() -> LabSimulationOptions? {
            guard !noSimulation else { return nil }
            var options = LabSimulationOptions(pace: .install(taking: .milliseconds(Int(pace * 1000))))
            options.faults = LabGuestFaults(failingStep: failStep.map { LabGuestStepFailure(step: $0, mode: failMode) },
                                            hang: hangAt.flatMap(LabGuestHangPoint.init(parsing:)), setupExitCode: setupExitCode)
            options.winpe = winpe
            return options
        }

        mutating func run() async throws {
            let signals = await TerminationSignals.trap()
            let suite = try await LabSuite.start(host: host, simulation: simulationOptions())
            FileHandle.standardOutput.write(Data((suite.announcementLine() + "\n").utf8))
            await signals.wait()
            await suite.stop()
        }
    }
}

typealias FailMode = LabGuestStepFailure.Mode
extension LabGuestStepFailure.Mode: ExpressibleByArgument {}
extension LabGuestWinPEDialect: ExpressibleByArgument {}
