import BackendKit
import Foundation
import Hummingbird
import LabServing
import HummingbirdCore
import Logging
import HummingbirdTLS
import NIOCore
import NIOSSL
import ServiceLifecycle

/// The lab's Razor server name, as printed by `vizor lab serve`.
public let labRazorName = "razor"

/// A razor-server 1.9 look-alike on loopback: the `/api` collections and
/// commands, the `/svc` boot flow, and hooks that let the lab's install
/// simulation walk a node through a Windows install. It shares no code with
/// Vizor's Razor client, so the client is tested against an independent server.
public final class LabRazorServer: LabServer {
    public let endpoint: LabEndpoint
    /// Base URL (`http://127.0.0.1:<port>`); `/api` hangs below it.
    public let baseURL: String
    let state: LabRazorState
    /// HTTP requests answered (`/api` from clients, `/svc` from nodes), for benchmarks.
    public let requests: LabRequestCounter
    private let running: LabServing

    private init(endpoint: LabEndpoint, baseURL: String, state: LabRazorState, requests: LabRequestCounter, running: LabServing) {
        self.endpoint = endpoint
        self.baseURL = baseURL
        self.state = state
        self.requests = requests
        self.running = running
    }

    /// Starts the server on `host:port` (port 0: the kernel picks one).
    /// - Parameters:
    ///   - auth: when set, `/api` requires these Basic credentials (razor
    ///     `auth.enabled` with a Shiro user); `/svc` never does.
    ///   - backgroundDelay: how long create-repo stays pending/running before it finishes.
    ///   - tls: when set, the server speaks HTTPS only (razor-server behind
    ///     TorqueBox/Puma with `ssl` on port 8151), with this certificate.
    public static func start(host: String = "127.0.0.1", port: Int = 0, auth: LabRazorAuth? = nil,
                             backgroundDelay: TimeInterval = 0.2, tls: LabRazorTLS? = nil) async throws -> LabRazorServer {
        let state = LabRazorState(auth: auth, backgroundDelay: backgroundDelay)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let requests = LabRequestCounter()
        let responder = LabRazorResponder(state: state, requests: requests)
        var logger = Logger(label: "vizor.lab.razor")
        logger.logLevel = .critical
        let server: HTTPServerBuilder = try tls.map { try .tls(.http1(), tlsConfiguration: $0.serverConfiguration()) } ?? .http1()
        let app = Application(responder: responder, server: server,
                              configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: nil),
                              onServerRunning: { channel in
                                  continuation.yield(channel.localAddress?.port ?? 0)
                                  continuation.finish()
                              },
                              logger: logger)
        let running = LabServing(app, logger: logger, onExit: { continuation.finish() })
        var boundPort: Int?
        for await value in ports { boundPort = value }
        guard let boundPort, boundPort > 0 else {
            await running.stop()
            throw BackendError(.unreachable, backend: "lab-razor", message: "could not listen on \(host):\(port)")
        }
        let hostPart = host.contains(":") ? "[\(host)]" : host
        let base = "\(tls == nil ? "http" : "https")://\(hostPart):\(boundPort)"
        await state.setFallbackHost("\(hostPart):\(boundPort)")
        await state.setScheme(tls == nil ? "http" : "https")
        var credentials: [String: String] = [:]
        if let auth {
            credentials["username"] = auth.username
            credentials["password"] = auth.password
        }
        let endpoint = LabEndpoint(name: labRazorName, url: base + "/api", credentials: credentials)
        return LabRazorServer(endpoint: endpoint, baseURL: base, state: state, requests: requests, running: running)
    }

    /// The lab suite's starter: auth on, with a fresh random password.
    public static func startForSuite(host: String) async throws -> any LabServer {
        let password = (0..<20).map { _ in "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789".randomElement() ?? "x" }
        return try await start(host: host, auth: LabRazorAuth(username: "vizor", password: String(password)))
    }

    /// Graceful: see `LabServing` for why the server is never stopped by cancellation.
    public func stop() async {
        await running.stop()
    }

    // MARK: Simulation hooks (the lab's install simulation drives these)

    /// A VM with this MAC PXE-boots: `/svc/boot` (microkernel when unbound),
    /// a check-in with `facts` (tags evaluated, first matching policy bound),
    /// and the second `/svc/boot` that serves the policy task's boot template.
    public func simulateBoot(mac: String, facts: [String: String] = [:]) async throws -> LabRazorBoot {
        try await state.simulateBoot(mac: mac, facts: facts, base: baseURL)
    }

    /// Appends the node log entries one stage of a Windows install produces.
    public func advanceWindowsInstall(node: String, _ step: LabWindowsInstallStep) async throws {
        try await state.advanceWindowsInstall(node: node, step: step, base: baseURL)
    }

    /// A `/svc/log` call from the node: an entry with only `msg` (no `event`).
    public func appendLog(node: String, message: String, severity: String = "info") async throws {
        try await state.appendLog(node: node, severity: severity, message: message)
    }

    /// What exists now (repos, tags, policies, nodes, ...).
    public func inventory() async -> LabRazorInventory { await state.inventory() }

    /// A node's detail JSON as `GET /api/collections/nodes/<name>` shows it.
    public func nodeJSON(_ name: String) async -> String? { await state.nodeDetail(name, base: baseURL) }

    // MARK: Fault injection (for client fault tests)

    /// Injects `fault` on every request whose path starts with `pathPrefix`; nil removes it.
    public func setFault(_ fault: LabRazorFault?, pathPrefix: String) async {
        await state.setFault(fault, pathPrefix: pathPrefix)
    }

    /// Keeps background work (create-repo) from starting: its command stays `pending`.
    public func holdCommandsPending(_ hold: Bool) async { await state.setHoldBackgroundWork(hold) }

    public func setBackgroundDelay(_ seconds: TimeInterval) async { await state.setBackgroundDelay(seconds) }
}

/// Adapts Hummingbird requests to the transport-free state actor.
struct LabRazorResponder: HTTPResponder {
    typealias Context = BasicRequestContext
    let state: LabRazorState
    let requests: LabRequestCounter

    func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
        let path = request.uri.path
        requests.record(path: path)
        switch await state.fault(for: path) {
        case .serverError(let status)?:
            return Self.response(LabHTTPResponse.text(status, "Internal Server Error"))
        case .delay(let seconds)?:
            // Cut short when the server stops, so stopping is prompt.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(Int(seconds * 1000))) }
        case .malformedJSON?:
            return Self.response(LabHTTPResponse(status: 200, headers: [("Content-Type", "application/json")],
                                                 body: Array("{\"spec\":\"http://api.puppetlabs.com/razor/v1/coll".utf8)))
        case nil:
            break
        }
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        if let authority = request.head.authority { headers["host"] = authority }
        let buffer = try await request.body.collect(upTo: 16 << 20)
        // Sinatra answers HEAD for every GET route, without a body.
        let isHead = request.method == .head
        let labRequest = LabHTTPRequest(method: isHead ? "GET" : request.method.rawValue, path: path,
                                        query: Self.parseQuery(request.uri.query ?? ""), headers: headers,
                                        body: Array(buffer.readableBytesView))
        var reply = await state.handle(labRequest)
        if isHead { reply.body = [] }
        return Self.response(reply)
    }

    static func response(_ response: LabHTTPResponse) -> Response {
        var fields = HTTPFields()
        for (name, value) in response.headers {
            if let fieldName = HTTPFields.Element.Name(name) { fields.append(HTTPFields.Element(name: fieldName, value: value)) }
        }
        return Response(status: .init(code: response.status), headers: fields,
                        body: .init(byteBuffer: ByteBuffer(bytes: response.body)))
    }

    static func parseQuery(_ query: String) -> [(String, String)] {
        query.split(separator: "&").map { part in
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map { piece in
                String(piece).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(piece)
            }
            return (pieces[0], pieces.count > 1 ? pieces[1] : "")
        }
    }
}
