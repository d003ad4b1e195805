import ArgumentParser
import Foundation
import BackendKit
import VizorModel
import VizorStore

/// Options shared by commands that read a site's data.
struct SiteOptions: ParsableArguments {
    @Option(name: .long, help: "The site to act on (default: the configuration's default_site, or the lab).")
    var site: String?

    @Flag(name: .long, help: "Print data as JSON.")
    var json = false
}

/// Asking before destroying something.
struct ConfirmOptions: ParsableArguments {
    @Flag(name: [.short, .long], help: "Do not ask for confirmation (required when stdin is not a terminal).")
    var yes = false
}

/// Runs `body` with a started runtime (configuration or lab); the process exits afterwards.
@MainActor
func withRuntime<T>(polling: Bool = true, _ body: (VizorRuntime) async throws -> T) async throws -> T {
    let runtime: VizorRuntime
    do {
        runtime = try await VizorRuntime.start(paths: XDGPaths(), resolver: SecretResolver(redactor: CLIEnvironment.redactor),
                                               settings: PollerSettings(requestTimeout: 15), startPolling: polling)
    } catch let errors as ConfigErrors {
        throw CLIError(.failure, "the configuration is invalid:\n" + errors.description)
    } catch let error as BackendError {
        throw CLIError(ExitStatus(error), error.description)
    }
    // The process ends right after the command: pollers and the in-process lab
    // end with it. Tearing the lab down first would only race in-flight requests.
    return try await body(runtime)
}

/// The site named by `--site`, or the default; exit 3 when it does not exist.
@MainActor
func resolveSite(_ runtime: VizorRuntime, _ name: String?) throws -> Site {
    guard let site = runtime.site(named: name) else {
        let known = runtime.connected.sites.map(\.name).joined(separator: ", ")
        throw CLIError(.notFound, "no site named \(name ?? "(default)") (sites: \(known))")
    }
    return site
}

/// Waits until every hypervisor of the site answered once; exit 4 if one is unreachable.
@MainActor
func waitForInventory(_ runtime: VizorRuntime, site: Site, timeout: TimeInterval = 60) async throws {
    let settled = await runtime.store.waitUntil(timeout: timeout) { $0.hasSettled(site: site.name) }
    let hypervisors = site.backends.filter { $0.kind == .xenserver || $0.kind == .cloudstack }
    if hypervisors.isEmpty {
        throw CLIError(.failure, "site \(site.name) has no hypervisor configured")
    }
    for id in hypervisors {
        if let error = runtime.store.state.health[id]?.error {
            throw CLIError(ExitStatus(error), "\(id) (\(target(site, id))) — \(error.description)")
        }
    }
    if !settled {
        throw CLIError(.unreachable, "site \(site.name): no answer from its hypervisors within \(Int(timeout)) s")
    }
}

func target(_ site: Site, _ id: BackendID) -> String {
    switch id.kind {
    case .xenserver: return site.xenserverURL ?? ""
    case .cloudstack: return site.cloudstackURL ?? ""
    case .razor: return site.razorURL ?? ""
    case .media: return site.mediaSources.map(\.path).joined(separator: ", ")
    }
}

/// Asks on the terminal, or requires `--yes` when there is none.
func confirm(_ question: String, yes: Bool) throws {
    if yes { return }
    guard isatty(STDIN_FILENO) != 0 else {
        throw CLIError(.usage, "\(question) — refusing without --yes (no terminal to ask on)")
    }
    FileHandle.standardError.write(Data("\(question) [y/N] ".utf8))
    let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
    guard answer == "y" || answer == "yes" else { throw CLIError(.failure, "cancelled") }
}

/// Prints any Encodable as pretty, stable JSON.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// Prints rows as aligned columns.
func printTable(_ header: [String], _ rows: [[String]]) {
    var widths = header.map(\.count)
    for row in rows {
        for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) }
    }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { index, cell in
            index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
        }.joined(separator: "  ")
    }
    print(line(header))
    for row in rows { print(line(row)) }
}

/// Maps a finished request onto the process outcome.
func check(_ status: RequestStatus?, what: String) throws {
    switch status {
    case .succeeded: return
    case .failed(let error): throw CLIError(ExitStatus(error), "\(what): \(error.description)")
    case .pending, nil: throw CLIError(.unreachable, "\(what): no answer in time")
    }
}

/// A machine or template with its site and backend, flattened for JSON:
/// the record's own fields plus `site` and `backend`.
struct SiteRecordOutput<Record: Encodable>: Encodable {
    var site: String
    var backend: String
    var record: Record

    enum Keys: String, CodingKey { case site, backend }

    func encode(to encoder: Encoder) throws {
        try record.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(site, forKey: .site)
        try container.encode(backend, forKey: .backend)
    }
}

typealias MachineOutput = SiteRecordOutput<MachineRecord>
typealias TemplateOutput = SiteRecordOutput<TemplateRecord>

extension BackendError {
    /// The error as the CLI prints it after its own "vizor: ": without the
    /// backend name when the error is vizor's own.
    var operatorText: String {
        guard backend == "vizor" else { return description }
        var text = message
        if let code { text += " [\(code)]" }
        if let hint { text += " — \(hint)" }
        return text
    }
}
