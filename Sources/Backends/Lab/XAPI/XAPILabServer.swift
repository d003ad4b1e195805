import BackendKit
import Foundation
import Hummingbird
import LabServing
import Logging
import NIOCore
import ServiceLifecycle

/// The lab XAPI server on loopback: both wire protocols over the stateful
/// `XAPILab` pool. `POST /` and `/RPC2` (and any other path, as xapi's
/// longest-prefix routing does) speak XML-RPC, `POST /jsonrpc` JSON-RPC v1/v2.
public final class XAPILabServer: LabServer {
    public let endpoint: LabEndpoint
    /// The pool behind the server: state, and the hooks the install simulation drives.
    public let lab: XAPILab
    public let port: Int
    /// HTTP requests answered, for benchmarks.
    public let requests: LabRequestCounter
    private let listener: LabListener

    private init(endpoint: LabEndpoint, lab: XAPILab, port: Int, requests: LabRequestCounter, listener: LabListener) {
        self.endpoint = endpoint
        self.lab = lab
        self.port = port
        self.requests = requests
        self.listener = listener
    }

    /// Starts a lab pool on `host:port` (port 0 = chosen by the kernel).
    public static func start(host: String = "127.0.0.1", port: Int = 0, options: XAPILab.Options = XAPILab.Options()) async throws -> XAPILabServer {
        let lab = XAPILab(options: options)
        await lab.populate()
        let requests = LabRequestCounter()
        let listener = try await LabListener.open(port: port) { port in try await serve(lab, host: host, port: port, requests: requests) }
        let endpoint = LabEndpoint(name: "xenserver", url: "http://\(host):\(listener.port)",
                                   credentials: ["username": options.username, "password": options.password])
        return XAPILabServer(endpoint: endpoint, lab: lab, port: listener.port, requests: requests, listener: listener)
    }

    /// The HTTP server in front of `lab` on `host:port`; answers it and the bound port.
    static func serve(_ lab: XAPILab, host: String, port: Int, requests: LabRequestCounter) async throws -> (serving: LabServing, port: Int) {
        let router = Router()
        router.add(middleware: LabRequestCounting(requests))
        let xml: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            try await Self.serveXML(request, lab)
        }
        router.post("/jsonrpc") { request, _ in try await Self.serveJSON(request, lab) }
        router.post("/", use: xml)
        router.post("/**", use: xml)
        router.on("/**", method: .options) { _, _ in Response(status: .ok, headers: Self.cors) }
        router.put("/import_raw_vdi") { request, _ in
            let buffer = try await request.body.collect(upTo: 1 << 30)
            var query: [String: String] = [:]
            for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
            let answer = await lab.importRaw(query: query, body: Data(buffer.readableBytesView))
            return Response(status: .init(code: answer.status), headers: [.contentType: "text/plain"],
                            body: .init(byteBuffer: ByteBuffer(string: answer.message)))
        }
        let (ports, portSink) = AsyncStream<Int>.makeStream()
        let logger = Self.quietLogger()
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: nil),
                              onServerRunning: { channel in
                                  portSink.yield(channel.localAddress?.port ?? 0)
                                  portSink.finish()
                              }, logger: logger)
        let running = LabServing(app, logger: logger, onExit: { portSink.finish() })
        var bound: Int?
        for await p in ports { bound = p; break }
        guard let bound, bound > 0 else {
            await running.stop()
            throw BackendError(.unreachable, backend: "lab", message: "the lab XAPI server could not listen on \(host):\(port)")
        }
        return (running, bound)
    }

    /// Outage switch: the pool's address refuses connections for `duration`, as a
    /// rebooting host does, then listens again on the same port; the pool's state
    /// (VMs, sessions) lives on. Returns when it listens again.
    public func outage(for duration: Duration) async throws {
        try await listener.outage(for: duration)
    }

    /// Outage switch, by hand: refuse connections until `comeUp()`.
    public func goDown() async { await listener.goDown() }
    public func comeUp() async throws { try await listener.comeUp() }

    /// Ends blocked `event.from` calls first (the pool is stopped), then shuts
    /// the HTTP server down gracefully; see `LabServing` for why never by cancellation.
    public func stop() async {
        await lab.shutdown()
        await listener.stop()
    }

    /// The lab is quiet: shutdown noise would drown test output and `vizor lab serve`'s JSON line.
    static func quietLogger() -> Logger {
        var logger = Logger(label: "vizor.lab.xapi")
        logger.logLevel = .critical
        return logger
    }

    static let cors: HTTPFields = [.accessControlAllowOrigin: "*", .accessControlAllowHeaders: "X-Requested-With, Content-Type"]

    static func body(_ request: Request) async throws -> Data {
        let buffer = try await request.body.collect(upTo: 64 << 20)
        return Data(buffer.readableBytesView)
    }

    static func malformed(_ what: String) -> Response {
        var headers: HTTPFields = [.contentType: "text/html"]
        headers.append(contentsOf: cors)
        return Response(status: .internalServerError, headers: headers,
                        body: .init(byteBuffer: ByteBuffer(string: "<html><body><h1>HTTP 500 internal server error</h1>\(what)</body></html>")))
    }

    /// One call; on server stop its simulated delays are cut short (they sleep cancellably).
    static func call(_ lab: XAPILab, _ method: String, _ params: [LabValue]) async -> Result<LabValue, LabFault> {
        await cancelWhenGracefulShutdown { await lab.handle(method: method, params: params) }
    }

    static func serveXML(_ request: Request, _ lab: XAPILab) async throws -> Response {
        let data = try await body(request)
        guard let (method, params) = LabXMLCallParser.parse(data) else { return malformed("Xmlrpc.Parse_error") }
        let result = await Self.call(lab, method, params)
        var out = "<?xml version=\"1.0\"?><methodResponse><params><param><value><struct>"
        switch result {
        case .success(let v):
            out += "<member><name>Status</name><value>Success</value></member><member><name>Value</name>"
            v.xml(into: &out)
            out += "</member>"
        case .failure(let f):
            out += "<member><name>Status</name><value>Failure</value></member><member><name>ErrorDescription</name>"
            LabValue.strList(f.desc).xml(into: &out)
            out += "</member>"
        }
        out += "</struct></value></param></params></methodResponse>"
        var headers: HTTPFields = [.contentType: "text/xml"]
        headers.append(contentsOf: cors)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: out)))
    }

    static func serveJSON(_ request: Request, _ lab: XAPILab) async throws -> Response {
        let data = try await body(request)
        guard let object = try? JSONDecoder().decode([String: LabJSON].self, from: data),
              case .str(let method)? = object["method"]?.value, let id = object["id"], !id.isNull else {
            return malformed("Jsonrpc.Malformed_method_request")
        }
        let v2 = object["jsonrpc"]?.value == .str("2.0")
        let params: [LabValue]
        switch object["params"] {
        case let p? where !p.isNull:
            guard case .list(let list) = p.value else { return malformed("Jsonrpc.Malformed_method_request") }
            params = list
        default:
            guard v2 else { return malformed("Jsonrpc.Malformed_method_request") }
            params = []
        }
        let result = await Self.call(lab, method, params)
        var out = "{"
        if v2 { out += "\"jsonrpc\":\"2.0\"," }
        switch result {
        case .success(let v):
            out += "\"result\":"; v.json(into: &out)
            if !v2 { out += ",\"error\":null" }
        case .failure(let f):
            if v2 {
                out += "\"error\":{\"code\":1,\"message\":"; LabJSONText.appendString(f.desc[0], to: &out)
                out += ",\"data\":"; LabValue.strList(Array(f.desc.dropFirst())).json(into: &out); out += "}"
            } else {
                out += "\"result\":null,\"error\":"; LabValue.strList(f.desc).json(into: &out)
            }
        }
        out += ",\"id\":"
        id.value.json(into: &out)
        out += "}"
        var headers: HTTPFields = [.contentType: "application/json"]
        headers.append(contentsOf: cors)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: out)))
    }
}
