import ArgumentParser
import VizorModel
import VizorTUI

@main
struct Vizor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vizor",
        abstract: "Build VMs and VM templates by network-installing OS images from ISOs.",
        discussion: helpText(
            "With no sub-command, vizor opens the dashboard. With no configuration file it starts the lab: CloudStack, XenServer and Razor servers on loopback and a sample media library.",
            "Exit codes, the same for every command: 0 ok, 1 failure, 2 usage (a wrong argument or option), 3 not found, 4 backend unreachable.",
            examples: ["vizor", "vizor catalog list", "vizor install start --backend xenserver --image win2022.iso --edition 4 --hostname web01 --wait"]),
        version: "\(BuildInfo.version) (commit \(BuildInfo.commit))",
        subcommands: [
            LabCommand.self, ConfigCommand.self, VMCommand.self, TemplateCommand.self, DoctorCommand.self,
            CompletionsCommand.self, CatalogCommand.self, MediaCommand.self, InstallCommand.self, BuildCommand.self,
            AgentCommand.self, BootISOCommand.self,
        ]
    )

    @Flag(inversion: .prefixedNo, help: "Dashboard: clicks select rows and tabs (default: the configuration's ui.mouse, off).")
    var mouse: Bool?

    mutating func run() async throws {
        try await Dashboard.run(mouse: mouse)
    }
}
