import ArgumentParser
import Foundation
import BackendKit
import VizorAgent
import VizorModel
import VizorStore
import VizorTUI

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

/// Runs `body` with a started runtime (configuration, or the lab the agent
/// runs, started when none answers); the process exits afterwards.
@MainActor
func withRuntime<T>(polling: Bool = true, _ body: (VizorRuntime) async throws -> T) async throws -> T {
    let runtime: VizorRuntime
    do {
        runtime = try await VizorRuntime.start(paths: XDGPaths(), resolver: SecretResolver(redactor: CLIEnvironment.redactor),
                                               settings: PollerSettings(requestTimeout: 15), startPolling: polling,
                                               sharedLab: agentLab)
    } catch let errors as ConfigErrors {
        throw CLIError(.failure, "the configuration is invalid:\n" + errors.description)
    } catch let error as BackendError {
        throw CLIError(ExitStatus(error), error.description)
    }
    if let journal = try? InstallJournal(url: InstallJournal.defaultURL(paths: runtime.paths)) {
        await AgentRevival.reviveIfNeeded(journal)
    }
    // The process ends right after the command: pollers and the in-process lab
    // end with it. Tearing the lab down first would only race in-flight requests.
    return try await body(runtime)
}

/// The lab's endpoints from the user's agent, which runs the one lab every
/// vizor process without a configuration shares (started now if needed).
@Sendable func agentLab() async throws -> [LabEndpoint] {
    let client = try await agentClient()
    return try await call { try await client.lab() }.endpoints
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

/// Prints rows as columns aligned by display width.
func printTable(_ header: [String], _ rows: [[String]]) {
    for line in PlainTable.lines(header, rows) { print(line) }
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

/// Any JSON value, to put a JSON document the store keeps as text back into
/// the output as the object it is (never a JSON string inside JSON).
enum JSONValue: Codable, Equatable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(parsing text: String) {
        self = (try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) ?? .string(text)
    }

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            // Whole numbers print as integers, as the journal wrote them.
            if value.rounded() == value, abs(value) < 1e15 { try container.encode(Int64(value)) } else { try container.encode(value) }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

/// A journaled job as the CLI prints it: the job's fields, with `request`
/// as the nested object it is.
struct JobOutput: Encodable {
    var job: JournalJob

    enum Keys: String, CodingKey { case request }

    func encode(to encoder: Encoder) throws {
        try job.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(JSONValue(parsing: job.request), forKey: .request)
    }
}

/// Prints one JSON object on one line (JSON Lines), flushed at once so a
/// reader of a followed stream sees each line when it happens.
func printJSONLine<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.dateEncodingStrategy = .iso8601
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    FileHandle.standardOutput.write(try encoder.encode(value) + Data("\n".utf8))
}

/// A command's help discussion: prose paragraphs, which ArgumentParser wraps
/// to the terminal's width (so they carry no hard line breaks), then the
/// examples, one command line each.
func helpText(_ paragraphs: String..., examples: [String]) -> String {
    var parts = paragraphs
    if !examples.isEmpty {
        parts.append((examples.count == 1 ? "Example:" : "Examples:") + examples.map { "\n  " + $0 }.joined())
    }
    return parts.joined(separator: "\n\n")
}
