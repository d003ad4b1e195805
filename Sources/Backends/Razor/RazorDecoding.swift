import BackendKit
import Foundation

/// What the client reads out of Razor's JSON bodies, apart from the HTTP
/// exchange, so that bytes a server sends can be checked (and fuzzed) on
/// their own: discovery, collection pages, command receipts and records,
/// node log entries. Each refusal is a `BackendError` naming what was wrong.
enum RazorDecoding {
    /// The body of a 2xx answer as JSON; other statuses become Razor's error.
    static func body(status: Int, bytes: [UInt8], method: String, url: String) throws -> RazorJSON {
        guard (200..<300).contains(status) else {
            throw RazorErrors.forStatus(status, body: bytes, method: method, url: url)
        }
        do {
            return try RazorJSON.decode(bytes)
        } catch {
            throw BackendError(.protocolViolation, backend: razorBackendName,
                               message: "\(method) \(url) answered \(status) with a body that is not JSON",
                               hint: "check that the URL points at a Razor server's /api")
        }
    }

    /// `GET /api`: the collections and commands, by name.
    static func api(_ document: RazorJSON, apiURL: URL) throws -> RazorAPI {
        guard let collectionList = document["collections"]?.array, let commandList = document["commands"]?.array else {
            throw BackendError(.protocolViolation, backend: razorBackendName,
                               message: "\(apiURL) is not a Razor API entry point (no collections or commands)",
                               hint: "the URL must end in /api")
        }
        var collections: [String: RazorAPI.Collection] = [:]
        for entry in collectionList {
            guard let name = entry["name"]?.string, let url = entry["id"]?.string else { continue }
            collections[name] = .init(name: name, url: url, params: entry["params"]?.object.map { Array($0.keys).sorted() } ?? [])
        }
        var commands: [String: String] = [:]
        for entry in commandList {
            guard let name = entry["name"]?.string, let url = entry["id"]?.string else { continue }
            commands[name] = url
        }
        return RazorAPI(collections: collections, commands: commands,
                        serverVersion: document["version"]?["server"]?.string ?? "unknown")
    }

    /// The `items` of a collection or log page; `what` names it in the error.
    static func items(_ document: RazorJSON, url: String, what: String) throws -> [RazorJSON] {
        guard let items = document["items"]?.array else {
            throw BackendError(.protocolViolation, backend: razorBackendName, message: "\(url) answered \(what) without items")
        }
        return items
    }

    static func page(_ document: RazorJSON, url: String) throws -> RazorPage {
        RazorPage(items: try items(document, url: url, what: "a list"), total: document["total"]?.int)
    }

    /// A command's 202 answer.
    static func receipt(_ response: RazorJSON, command: String) throws -> RazorCommandReceipt {
        guard let commandURL = response["command"]?.string else {
            throw BackendError(.protocolViolation, backend: razorBackendName,
                               message: "Razor accepted \(command) but gave no command URL to follow")
        }
        return RazorCommandReceipt(name: command, response: response, commandURL: commandURL)
    }

    /// A command record from `/api/collections/commands/<id>`.
    static func commandStatus(_ record: RazorJSON, commandURL: String) throws -> RazorCommandStatus {
        guard let status = record["status"]?.string else {
            throw BackendError(.protocolViolation, backend: razorBackendName, message: "\(commandURL) has no status")
        }
        let errors = (record["errors"]?.array ?? []).map { error in
            [error["exception"]?.string, error["message"]?.string].compactMap { $0 }.joined(separator: ": ")
        }
        return RazorCommandStatus(id: record["name"]?.text ?? commandURL, command: record["command"]?.string ?? "",
                                  status: status, errors: errors)
    }

    /// One wire entry as a `NodeLogEntry`: entries from `/svc/log` carry only
    /// `msg` (event "log"); check-in answers carry `action` (event "action").
    static func logEntry(_ item: RazorJSON) throws -> NodeLogEntry {
        guard let object = item.object, let stamp = object["timestamp"]?.string, let date = parseTime(stamp) else {
            throw BackendError(.protocolViolation, backend: razorBackendName, message: "a node log entry has no valid timestamp")
        }
        // An empty event names nothing: it is read as a missing one (a fuzz finding).
        let named = object["event"]?.string.flatMap { $0.isEmpty ? nil : $0 }
        let event = named ?? (object["action"] != nil ? "action" : "log")
        var fields: [String: String] = [:]
        for (key, value) in object where !["timestamp", "severity", "event", "msg"].contains(key) {
            fields[key] = value.text
        }
        return NodeLogEntry(timestamp: date, severity: object["severity"]?.string ?? "info", event: event,
                            message: object["msg"]?.text ?? "", fields: fields)
    }

    /// ISO 8601 as Ruby's `xmlschema` writes it (`+00:00` or `Z`).
    /// Fractional seconds are cut to 9 digits first: Foundation's ICU parser
    /// traps on very long fractions (found by the Razor fuzz target), and a
    /// timestamp longer than any real one is refused outright.
    static func parseTime(_ raw: String) -> Date? {
        guard raw.utf8.count <= 64 else { return nil }
        var text = raw
        if let dot = text.firstIndex(of: ".") {
            let digits = text[text.index(after: dot)...].prefix { $0.isASCII && $0.isNumber }
            if digits.count > 9 {
                text.replaceSubrange(digits.startIndex..<digits.endIndex, with: digits.prefix(9))
            }
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}
