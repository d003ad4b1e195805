import AsyncHTTPClient
import BackendKit
import Foundation
import NIOSSL

/// Client for Razor's `/api`: discovery, collections with paging, commands
/// followed to `finished` or `failed`. An actor so the discovery document is
/// fetched once and shared.
public actor RazorClient {
    public nonisolated let configuration: RazorConfiguration
    let transport: RazorTransport
    private let ownsHTTPClient: Bool
    private var api: RazorAPI?
    /// Per node: entries read and the fingerprint of the newest one read.
    var logMarks: [String: (seen: Int, fingerprint: Data)] = [:]

    public init(configuration: RazorConfiguration) {
        self.configuration = configuration
        let http: HTTPClient
        switch configuration.tls {
        case .system:
            http = RazorHTTP.system
            ownsHTTPClient = false
        case .insecure:
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .none
            http = RazorHTTP.makeClient(tls: tls)
            ownsHTTPClient = true
        case .caBundle(let path):
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(path)
            http = RazorHTTP.makeClient(tls: tls)
            ownsHTTPClient = true
        }
        transport = RazorTransport(configuration: configuration, http: http)
    }

    /// Releases the HTTP client when this client made its own (insecure TLS or a CA bundle).
    public func shutdown() async {
        if ownsHTTPClient { try? await transport.http.shutdown() }
    }

    /// A client dropped without `shutdown()` still releases its own HTTP client.
    deinit {
        guard ownsHTTPClient else { return }
        let http = transport.http
        http.shutdown { _ in }
    }

    // MARK: Discovery

    /// `GET /api`, cached; `refresh` fetches it again.
    public func discover(refresh: Bool = false) async throws -> RazorAPI {
        if let api, !refresh { return api }
        let document = try await transport.get(configuration.apiURL.absoluteString)
        let discovered = try RazorDecoding.api(document, apiURL: configuration.apiURL)
        api = discovered
        return discovered
    }

    func collectionURL(_ name: String) async throws -> RazorAPI.Collection {
        guard let collection = try await discover().collections[name] else {
            throw BackendError(.protocolViolation, backend: razorBackendName,
                               message: "this Razor server does not advertise the \(name) collection",
                               hint: "Vizor needs razor-server 1.9 or later")
        }
        return collection
    }

    static func escape(_ name: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        if !name.contains("/") { allowed.remove(charactersIn: "/") }
        return name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name
    }

    // MARK: Collections

    /// One page; `start`/`limit` are sent only where the server advertises them.
    public func page(_ collection: String, start: Int = 0, limit: Int? = nil, depth: Int = 0) async throws -> RazorPage {
        let info = try await collectionURL(collection)
        var query: [String] = []
        if depth != 0, info.params.contains("depth") { query.append("depth=\(depth)") }
        if info.params.contains("start"), start > 0 { query.append("start=\(start)") }
        if info.params.contains("limit"), let limit { query.append("limit=\(limit)") }
        let url = info.url + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        let document = try await transport.get(url)
        return try RazorDecoding.page(document, url: url)
    }

    /// Every item, following `start`/`limit` pages where the server pages.
    /// `depth: 1` returns full members instead of references.
    public func list(_ collection: String, depth: Int = 0) async throws -> [RazorJSON] {
        let info = try await collectionURL(collection)
        guard info.params.contains("limit") else { return try await page(collection, depth: depth).items }
        var items: [RazorJSON] = []
        while true {
            let page = try await page(collection, start: items.count, limit: configuration.pageSize, depth: depth)
            items += page.items
            if page.items.count < configuration.pageSize { break }
            if let total = page.total, items.count >= total { break }
        }
        return items
    }

    /// A member by name, or nil when Razor answers 404.
    public func member(_ collection: String, name: String) async throws -> RazorJSON? {
        let info = try await collectionURL(collection)
        do {
            return try await transport.get(info.url + "/" + Self.escape(name))
        } catch let error as BackendError where error.kind == .notFound {
            return nil
        }
    }

    // MARK: Commands

    /// POSTs a command and returns its 202 receipt without waiting.
    public func submit(_ command: String, _ body: RazorJSON) async throws -> RazorCommandReceipt {
        guard let url = try await discover().commands[command] else {
            throw BackendError(.protocolViolation, backend: razorBackendName,
                               message: "this Razor server does not offer the \(command) command",
                               hint: "Vizor needs razor-server 1.9 or later")
        }
        let response = try await transport.post(url, body)
        return try RazorDecoding.receipt(response, command: command)
    }

    /// Reads a command record.
    public func status(of commandURL: String) async throws -> RazorCommandStatus {
        let record = try await transport.get(commandURL)
        return try RazorDecoding.commandStatus(record, commandURL: commandURL)
    }

    /// Polls the command until `finished` (returned) or `failed` (thrown),
    /// backing off, and gives up after `commandTimeout`.
    public func follow(_ receipt: RazorCommandReceipt) async throws -> RazorCommandStatus {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: configuration.commandTimeout)
        var delay = configuration.pollInterval
        var last: RazorCommandStatus?
        while true {
            let status = try await status(of: receipt.commandURL)
            last = status
            switch status.status {
            case "finished":
                return status
            case "failed":
                throw BackendError(.remoteFailure, backend: razorBackendName,
                                   message: "Razor command \(status.id) (\(receipt.name)) failed: "
                                       + (status.errors.isEmpty ? "no error recorded" : status.errors.joined(separator: "; ")),
                                   code: "failed", hint: "fix the cause and run the job again; see the command at \(receipt.commandURL)")
            default:
                break
            }
            if clock.now.advanced(by: delay) > deadline {
                throw BackendError(.timeout, backend: razorBackendName,
                                   message: "Razor command \(last?.id ?? "?") (\(receipt.name)) is still \(last?.status ?? "pending") "
                                       + "after \(configuration.commandTimeout)",
                                   hint: "Razor's background queue may be stuck; check razor-server's log and its message queue")
            }
            try await Task.sleep(for: delay)
            delay = min(delay * 2, configuration.maxPollInterval)
        }
    }

    /// Submits a command and follows it to `finished`.
    @discardableResult
    public func run(_ command: String, _ body: RazorJSON) async throws -> RazorCommandReceipt {
        let receipt = try await submit(command, body)
        _ = try await follow(receipt)
        return receipt
    }
}
