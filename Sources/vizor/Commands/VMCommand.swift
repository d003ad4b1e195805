import ArgumentParser
import Foundation
import BackendKit
import VizorModel

struct VMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vm",
        abstract: "List, inspect and control virtual machines.",
        discussion: "Exit codes: 0 ok, 1 failure, 2 usage, 3 not found, 4 backend unreachable.",
        subcommands: [List.self, Show.self, Start.self, Stop.self, Reboot.self, Delete.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the machines of a site.",
            discussion: helpText("Waits until every hypervisor of the site answered once.", examples: ["vizor vm list", "vizor vm list --site prod --json"]))
        @OptionGroup var options: SiteOptions

        mutating func run() async throws {
            try await Self.execute(options)
        }

        @MainActor static func execute(_ options: SiteOptions) async throws {
            try await withRuntime { runtime in
                let site = try resolveSite(runtime, options.site)
                try await waitForInventory(runtime, site: site)
                let machines = runtime.store.state.machines(site: site.name)
                if options.json {
                    try printJSON(machines.map { MachineOutput(site: site.name, backend: $0.backend.kind.rawValue,
                                                               record: $0.record) })
                } else {
                    printTable(["NAME", "ID", "STATE", "BACKEND", "VCPU", "MEMORY", "IP"], machines.map {
                        [$0.record.name, $0.record.id, $0.record.powerState.rawValue, $0.backend.kind.rawValue,
                         "\($0.record.vcpus)", "\($0.record.memoryMiB) MiB", $0.record.ipAddresses.joined(separator: ",")]
                    })
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one machine, by id or name.",
            discussion: helpText("A name that several machines share is refused: give the id.", examples: ["vizor vm show web01", "vizor vm show web01 --json"]))
        @OptionGroup var options: SiteOptions
        @Argument(help: "Machine id or name.") var machine: String

        mutating func run() async throws {
            try await Self.execute(options, machine)
        }

        @MainActor static func execute(_ options: SiteOptions, _ wanted: String) async throws {
            try await withRuntime { runtime in
                let site = try resolveSite(runtime, options.site)
                try await waitForInventory(runtime, site: site)
                let found = try findMachine(runtime, site: site, wanted)
                let output = MachineOutput(site: site.name, backend: found.backend.kind.rawValue, record: found.record)
                if options.json { try printJSON(output) } else { printDetails(output) }
            }
        }

        static func printDetails(_ output: MachineOutput) {
            let record = output.record
            let rows: [(String, String)] = [
                ("name", record.name), ("id", record.id), ("site", output.site), ("backend", output.backend),
                ("state", record.powerState.rawValue), ("vcpus", "\(record.vcpus)"), ("memory", "\(record.memoryMiB) MiB"),
                ("ip", record.ipAddresses.joined(separator: ", ")), ("mac", record.macAddresses.joined(separator: ", ")),
                ("location", record.location), ("source", record.sourceTemplate ?? ""),
                ("guest tools", record.guestToolsVersion ?? ""),
                ("tags", record.tags.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")),
            ]
            for (key, value) in rows { print(key.padding(toLength: 12, withPad: " ", startingAt: 0) + value) }
        }
    }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start a machine.", discussion: helpText("Returns when the platform reports the machine running.", examples: ["vizor vm start web01"]))
        @OptionGroup var options: SiteOptions
        @Argument(help: "Machine id or name.") var machine: String
        mutating func run() async throws { try await control(options, machine, .start, confirmYes: nil) }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Shut a machine down (clean unless --force).",
            discussion: helpText("--force powers off at once and asks first (or takes --yes).", examples: ["vizor vm stop web01", "vizor vm stop web01 --force --yes"]))
        @OptionGroup var options: SiteOptions
        @OptionGroup var confirmation: ConfirmOptions
        @Flag(help: "Power off at once instead of a clean shutdown (asks for confirmation).") var force = false
        @Argument(help: "Machine id or name.") var machine: String
        mutating func run() async throws {
            try await control(options, machine, force ? .forceStop : .stop, confirmYes: force ? confirmation.yes : nil)
        }
    }

    struct Reboot: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reboot a machine.", discussion: helpText("A clean reboot through the platform.", examples: ["vizor vm reboot web01"]))
        @OptionGroup var options: SiteOptions
        @Argument(help: "Machine id or name.") var machine: String
        mutating func run() async throws { try await control(options, machine, .reboot, confirmYes: nil) }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Destroy a machine and its disks.",
            discussion: helpText("Asks for confirmation; without a terminal --yes is required.", examples: ["vizor vm delete web01 --yes"]))
        @OptionGroup var options: SiteOptions
        @OptionGroup var confirmation: ConfirmOptions
        @Argument(help: "Machine id or name.") var machine: String
        mutating func run() async throws { try await control(options, machine, .delete, confirmYes: confirmation.yes) }
    }
}

/// Finds a machine by id, else by exact name; exit 3 when absent, 1 when the name is ambiguous.
@MainActor
func findMachine(_ runtime: VizorRuntime, site: Site, _ wanted: String) throws -> SiteMachine {
    let machines = runtime.store.state.machines(site: site.name)
    if let byID = machines.first(where: { $0.record.id == wanted }) { return byID }
    let byName = machines.filter { $0.record.name == wanted }
    if byName.count > 1 {
        throw CLIError(.failure, "\(byName.count) machines are named \(wanted) on site \(site.name); give the id: "
                       + byName.map(\.record.id).joined(separator: ", "))
    }
    guard let found = byName.first else { throw CLIError(.notFound, "no machine \(wanted) on site \(site.name)") }
    return found
}

/// Runs one machine verb through the store; `confirmYes` non-nil means the verb is destructive.
@MainActor
func control(_ options: SiteOptions, _ wanted: String, _ verb: MachineVerb, confirmYes: Bool?) async throws {
    try await withRuntime { runtime in
        let site = try resolveSite(runtime, options.site)
        try await waitForInventory(runtime, site: site)
        let found = try findMachine(runtime, site: site, wanted)
        if let yes = confirmYes {
            let what = verb == .delete ? "Destroy" : "Power off"
            try confirm("\(what) machine \(found.record.name) (\(found.record.id)) on \(site.name)?", yes: yes)
        }
        let status = await runtime.store.perform(.machineCommand(site: site.name, machineID: found.record.id, verb),
                                                 timeout: 1800)
        try check(status, what: "\(verb.rawValue) \(found.record.name)")
        if options.json {
            try printJSON(["id": found.record.id, "name": found.record.name, "result": "ok", "verb": verb.rawValue])
        } else {
            print("\(verb.rawValue): \(found.record.name) (\(found.record.id)) ok")
        }
    }
}
