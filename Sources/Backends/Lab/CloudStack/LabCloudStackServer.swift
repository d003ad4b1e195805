import BackendKit
import Foundation
import Hummingbird
import LabServing
import Logging
import NIOCore
import ServiceLifecycle

/// The lab's CloudStack server name, as printed by `vizor lab serve`.
public let labCloudStackName = "cloudstack"

/// The lab CloudStack on loopback: `/client/api` over HTTP (GET and form
/// POST) in front of a `LabCloudStack`. Reach `cloud` for the simulation
/// hooks and the fault knobs.
public final class LabCloudStackServer: LabServer {
    public let endpoint: LabEndpoint
    /// The cloud behind the endpoint.
    public let cloud: LabCloudStack
    /// HTTP requests answered, for benchmarks.
    public let requests: LabRequestCounter
    private let listener: LabListener

    private init(endpoint: LabEndpoint, cloud: LabCloudStack, requests: LabRequestCounter, listener: LabListener) {
        self.endpoint = endpoint
        self.cloud = cloud
        self.requests = requests
        self.listener = listener
    }

    /// Starts a server on `host`; `port` 0 lets the kernel choose.
    public static func start(host: String = "127.0.0.1", port: Int = 0,
                             cloud: LabCloudStack = LabCloudStack()) async throws -> LabCloudStackServer {
        let requests = LabRequestCounter()
        let listener = try await LabListener.open(port: port) { port in try await serve(cloud, host: host, port: port, requests: requests) }
        let admin = cloud.admin, user = cloud.user
        let endpoint = LabEndpoint(name: labCloudStackName, url: "http://\(host):\(listener.port)/client/api", credentials: [
            "adminApiKey": admin.apiKey, "adminSecretKey": admin.secretKey,
            "userApiKey": user.apiKey, "userSecretKey": user.secretKey,
        ])
        return LabCloudStackServer(endpoint: endpoint, cloud: cloud, requests: requests, listener: listener)
    }

    /// The HTTP server in front of `cloud` on `host:port`; answers it and the bound port.
    static func serve(_ cloud: LabCloudStack, host: String, port: Int, requests: LabRequestCounter) async throws -> (serving: LabServing, port: Int) {
        let router = Router()
        router.add(middleware: LabRequestCounting(requests))
        let respond: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            var body: String?
            if request.method == .post {
                let buffer = try await request.body.collect(upTo: 8 << 20)
                body = String(buffer: buffer)
            }
            let answer = await cloud.handle(query: request.uri.query, formBody: body)
            if answer.delay > .zero {
                // A stall ends early when the server stops, so stopping is prompt.
                let delay = answer.delay
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: delay) }
            }
            var headers = HTTPFields()
            headers[.contentType] = answer.contentType
            return Response(status: .init(code: answer.status), headers: headers,
                            body: .init(byteBuffer: ByteBuffer(string: answer.body)))
        }
        router.get("/client/api", use: respond)
        router.post("/client/api", use: respond)

        let (portStream, portContinuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "lab.cloudstack")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "Apache-Coyote/1.1"),
                              onServerRunning: { channel in
                                  portContinuation.yield(channel.localAddress?.port ?? 0)
                                  portContinuation.finish()
                              }, logger: logger)
        let running = LabServing(app, logger: logger, onExit: { portContinuation.finish() })
        var boundPort: Int?
        for await value in portStream { boundPort = value; break }
        guard let boundPort, boundPort > 0 else {
            await running.stop()
            throw BackendError(.unreachable, backend: labCloudStackName, message: "the lab CloudStack could not listen on \(host):\(port)")
        }
        return (running, boundPort)
    }

    /// Outage switch: the management server refuses connections for `duration`, as a
    /// restarting one does, then listens again on the same port; the cloud's state
    /// (VMs, async jobs, keys) lives on. Returns when it listens again.
    public func outage(for duration: Duration) async throws {
        try await listener.outage(for: duration)
    }

    /// Outage switch, by hand: refuse connections until `comeUp()`.
    public func goDown() async { await listener.goDown() }
    public func comeUp() async throws { try await listener.comeUp() }

    /// Graceful: see `LabServing` for why the server is never stopped by cancellation.
    public func stop() async {
        await listener.stop()
    }
}
