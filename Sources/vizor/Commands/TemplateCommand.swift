import ArgumentParser
import BackendKit
import Foundation
import VizorModel

struct TemplateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "template",
        abstract: "List, inspect, publish and delete templates.",
        discussion: "Exit codes: 0 ok, 1 failure, 2 usage, 3 not found, 4 backend unreachable.",
        subcommands: [List.self, Show.self, Publish.self, Unpublish.self, Delete.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the templates of a site.",
            discussion: helpText("Waits until every hypervisor of the site answered once.", examples: ["vizor template list", "vizor template list --site prod --json"]))
        @OptionGroup var options: SiteOptions

        mutating func run() async throws { try await Self.execute(options) }

        @MainActor static func execute(_ options: SiteOptions) async throws {
            try await withRuntime { runtime in
                let site = try resolveSite(runtime, options.site)
                try await waitForInventory(runtime, site: site)
                let templates = runtime.store.state.templates(site: site.name)
                if options.json {
                    try printJSON(templates.map { TemplateOutput(site: site.name, backend: $0.backend.kind.rawValue,
                                                                 record: $0.record) })
                } else {
                    printTable(["NAME", "ID", "KIND", "BACKEND", "PUBLIC", "FEATURED", "READY"], templates.map {
                        [$0.record.name, $0.record.id, $0.record.kind.rawValue, $0.backend.kind.rawValue,
                         $0.record.isPublic ? "yes" : "no", $0.record.isFeatured ? "yes" : "no",
                         $0.record.isReady ? "yes" : "no"]
                    })
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one template, by id or name.",
            discussion: helpText("A name that several templates share is refused: give the id.", examples: ["vizor template show win2022-std", "vizor template show win2022-std --json"]))
        @OptionGroup var options: SiteOptions
        @Argument(help: "Template id or name.") var template: String

        mutating func run() async throws { try await Self.execute(options, template) }

        @MainActor static func execute(_ options: SiteOptions, _ wanted: String) async throws {
            try await withRuntime { runtime in
                let site = try resolveSite(runtime, options.site)
                try await waitForInventory(runtime, site: site)
                let found = try findTemplate(runtime, site: site, wanted)
                let output = TemplateOutput(site: site.name, backend: found.backend.kind.rawValue, record: found.record)
                if options.json {
                    try printJSON(output)
                } else {
                    let record = found.record
                    let rows: [(String, String)] = [
                        ("name", record.name), ("id", record.id), ("site", site.name), ("backend", output.backend),
                        ("kind", record.kind.rawValue), ("os type", record.osType), ("location", record.location),
                        ("public", record.isPublic ? "yes" : "no"), ("featured", record.isFeatured ? "yes" : "no"),
                        ("ready", record.isReady ? "yes" : "no"), ("size", "\(record.sizeBytes) bytes"),
                    ]
                    for (key, value) in rows { print(key.padding(toLength: 10, withPad: " ", startingAt: 0) + value) }
                }
            }
        }
    }

    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a template public (optionally featured).",
            discussion: helpText("Featured is a CloudStack notion; XenServer ignores it.", examples: ["vizor template publish win2022-std --featured"]))
        @OptionGroup var options: SiteOptions
        @Flag(help: "Also mark it featured (CloudStack).") var featured = false
        @Argument(help: "Template id or name.") var template: String
        mutating func run() async throws {
            try await templateControl(options, template, .publish(featured: featured), verbName: "publish", confirmYes: nil)
        }
    }

    struct Unpublish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a template private again.", discussion: helpText("Machines made from it are not affected.", examples: ["vizor template unpublish win2022-std"]))
        @OptionGroup var options: SiteOptions
        @Argument(help: "Template id or name.") var template: String
        mutating func run() async throws {
            try await templateControl(options, template, .unpublish, verbName: "unpublish", confirmYes: nil)
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a template.", discussion: helpText("Asks for confirmation; without a terminal --yes is required.", examples: ["vizor template delete win2022-std --yes"]))
        @OptionGroup var options: SiteOptions
        @OptionGroup var confirmation: ConfirmOptions
        @Argument(help: "Template id or name.") var template: String
        mutating func run() async throws {
            try await templateControl(options, template, .delete, verbName: "delete", confirmYes: confirmation.yes)
        }
    }
}

/// Finds a template by id, else by exact name; exit 3 when absent, 1 when ambiguous.
@MainActor
func findTemplate(_ runtime: VizorRuntime, site: Site, _ wanted: String) throws -> SiteTemplate {
    let templates = runtime.store.state.templates(site: site.name)
    if let byID = templates.first(where: { $0.record.id == wanted }) { return byID }
    let byName = templates.filter { $0.record.name == wanted }
    if byName.count > 1 {
        throw CLIError(.failure, "\(byName.count) templates are named \(wanted) on site \(site.name); give the id: "
                       + byName.map(\.record.id).joined(separator: ", "))
    }
    guard let found = byName.first else { throw CLIError(.notFound, "no template \(wanted) on site \(site.name)") }
    return found
}

@MainActor
func templateControl(_ options: SiteOptions, _ wanted: String, _ verb: TemplateVerb, verbName: String,
                     confirmYes: Bool?) async throws {
    try await withRuntime { runtime in
        let site = try resolveSite(runtime, options.site)
        try await waitForInventory(runtime, site: site)
        let found = try findTemplate(runtime, site: site, wanted)
        if let yes = confirmYes {
            try confirm("Delete template \(found.record.name) (\(found.record.id)) on \(site.name)?", yes: yes)
        }
        let status = await runtime.store.perform(.templateCommand(site: site.name, templateID: found.record.id, verb),
                                                 timeout: 600)
        try check(status, what: "\(verbName) \(found.record.name)")
        if options.json {
            try printJSON(["id": found.record.id, "name": found.record.name, "result": "ok", "verb": verbName])
        } else {
            print("\(verbName): \(found.record.name) (\(found.record.id)) ok")
        }
    }
}
