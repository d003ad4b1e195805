import BackendKit
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import VizorStore

/// What the agent does for its clients; `AgentServer` only carries it over
/// the socket, so the operations are tested without a socket too.
public protocol AgentService: Sendable {
    func hello() async -> AgentHello
    func status() async -> AgentStatus
    func lab() async throws -> AgentLab
    func jobs() async throws -> [JournalJob]
    func submit(_ submission: AgentSubmission) async throws -> JournalJob
    func cancel(job: String) async throws -> JournalJob
    func retry(job: String) async throws -> JournalJob
    /// Every job as it stands, then each change, until the stream is dropped.
    func jobUpdates() async -> AsyncStream<JournalJob>
    /// A client opened (true) or closed (false) a subscription: the agent is not idle while one is open.
    func client(_ info: AgentClientInfo, connected: Bool) async
    /// Any request: the agent is not idle.
    func touch() async
    /// `POST /v1/shutdown`: stop driving, stop servers, exit.
    func shutdown() async
}

/// Who may talk to the agent: its own uid, root, and the members of a group
/// named in the configuration (a shared appliance).
public struct AgentPeerPolicy: Sendable, Equatable {
    public var ownerUID: UInt32
    public var groupID: UInt32?

    public init(ownerUID: UInt32 = getuid(), groupID: UInt32? = nil) {
        self.ownerUID = ownerUID
        self.groupID = groupID
    }

    public func admits(uid: UInt32, gid: UInt32) -> Bool {
        if uid == ownerUID { return true }
        if let groupID, gid == groupID { return true }
        return false
    }
}

/// The agent's HTTP/1.1 server on its Unix socket (no TCP listener): mode
/// 0600 (0660 with a group), and every request's peer credentials
/// (SO_PEERCRED) checked against the owner, since root passes file modes.
public final class AgentServer: Sendable {
    private let group: ServiceGroup
    private let task: Task<Void, Never>
    public let socketPath: String

    private init(group: ServiceGroup, task: Task<Void, Never>, socketPath: String) {
        self.group = group
        self.task = task
        self.socketPath = socketPath
    }

    /// Binds `paths.socket` (replacing a stale socket no agent answers on)
    /// and serves `service` until `stop`.
    public static func start(service: any AgentService, paths: AgentPaths, policy: AgentPeerPolicy,
                             logger: Logger) async throws -> AgentServer {
        try paths.prepareDirectory()
        let path = try paths.checkedSocketPath()
        if FileManager.default.fileExists(atPath: path) {
            if await AgentClient.answers(socketPath: path) {
                throw BackendError(.conflict, backend: "agent", message: "an agent already answers on \(path)",
                                   hint: "`vizor agent status` shows it; `vizor agent stop` stops it")
            }
            // A socket file nobody listens on: left by an agent that died.
            unlink(path)
        }
        let responder = AgentResponder(service: service, policy: policy)
        let (bound, continuation) = AsyncStream<Bool>.makeStream()
        // The socket is created by bind(2) with the process umask: make it private from its first moment.
        let previousMask = umask(policy.groupID == nil ? 0o177 : 0o117)
        let app = Application(responder: responder, server: .http1(),
                              configuration: ApplicationConfiguration(address: .unixDomainSocket(path: path), serverName: nil),
                              onServerRunning: { _ in
                                  continuation.yield(true)
                                  continuation.finish()
                              },
                              logger: logger)
        var configuration = ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [], cancellationSignals: [],
                                                      logger: logger)
        configuration.maximumGracefulShutdownDuration = .seconds(5)
        let group = ServiceGroup(configuration: configuration)
        let task = Task {
            do { try await group.run() } catch { logger.error("agent server stopped: \(error)") }
            continuation.finish()
        }
        var running = false
        for await value in bound { running = value }
        umask(previousMask)
        guard running else {
            throw BackendError(.unreachable, backend: "agent", message: "could not listen on \(path)")
        }
        if let groupID = policy.groupID {
            chown(path, policy.ownerUID, groupID)
            chmod(path, 0o660)
        } else {
            chmod(path, 0o600)
        }
        return AgentServer(group: group, task: task, socketPath: path)
    }

    /// Stops accepting, lets in-flight answers finish, removes the socket.
    public func stop() async {
        await group.triggerGracefulShutdown()
        await task.value
        unlink(socketPath)
    }
}

/// The request context: Hummingbird's core storage plus the connection, to
/// read the peer's credentials.
struct AgentRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        channel = source.channel
    }
}

/// glibc's `struct ucred` (pid_t, uid_t, gid_t), which Swift does not see
/// without _GNU_SOURCE; SO_PEERCRED fills it.
struct UCred: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}

/// The peer of a Unix socket connection, from SO_PEERCRED.
struct PeerCredentials: Sendable {
    var pid: Int32
    var uid: UInt32
    var gid: UInt32

    static func of(_ channel: any Channel) async -> PeerCredentials? {
        guard let provider = channel as? any SocketOptionProvider else { return nil }
        let future: EventLoopFuture<UCred> = provider.unsafeGetSocketOption(level: SocketOptionLevel(SOL_SOCKET),
                                                                            name: SocketOptionName(SO_PEERCRED))
        guard let credentials = try? await future.get() else { return nil }
        return PeerCredentials(pid: credentials.pid, uid: credentials.uid, gid: credentials.gid)
    }
}

/// Routes `/v1/...` to the service; every answer names the protocol version.
struct AgentResponder: HTTPResponder {
    typealias Context = AgentRequestContext
    let service: any AgentService
    let policy: AgentPeerPolicy
    private let clientIDs = ClientCounter()

    func respond(to request: Request, context: AgentRequestContext) async throws -> Response {
        guard let peer = await PeerCredentials.of(context.channel) else {
            return Self.problem(.forbidden, AgentProblem(error: "the agent cannot read this connection's credentials",
                                                         kind: BackendError.Kind.unauthorized.rawValue))
        }
        guard policy.admits(uid: peer.uid, gid: peer.gid) else {
            return Self.problem(.forbidden, AgentProblem(error: "uid \(peer.uid) may not use this agent (owner uid \(policy.ownerUID))",
                                                         kind: BackendError.Kind.unauthorized.rawValue,
                                                         hint: "each user has an agent of their own; a shared appliance names a group with `vizor agent run --group`"))
        }
        await service.touch()
        let path = request.uri.path
        guard path.hasPrefix(AgentAPI.prefix + "/") else {
            return Self.problem(.notFound, AgentProblem(
                error: "this agent speaks protocol \(AgentAPI.protocolVersion) under \(AgentAPI.prefix)/, not \(path)",
                hint: "`vizor agent restart` starts an agent of this vizor's version"))
        }
        let route = String(path.dropFirst(AgentAPI.prefix.count + 1)).split(separator: "/").map(String.init)
        do {
            switch (request.method, route) {
            case (.get, ["hello"]):
                return try Self.json(await service.hello())
            case (.get, ["status"]):
                return try Self.json(await service.status())
            case (.get, ["lab"]):
                return try Self.json(await service.lab())
            case (.get, ["jobs"]):
                return try Self.json(await service.jobs())
            case (.post, ["jobs"]):
                let body = try await request.body.collect(upTo: 4 << 20)
                let submission = try AgentJSON.decoder().decode(AgentSubmission.self, from: Data(buffer: body))
                return try Self.json(await service.submit(submission), status: .created)
            case (.post, _) where route.count == 3 && route[0] == "jobs" && route[2] == "cancel":
                return try Self.json(await service.cancel(job: route[1]))
            case (.post, _) where route.count == 3 && route[0] == "jobs" && route[2] == "retry":
                return try Self.json(await service.retry(job: route[1]))
            case (.get, ["events"]):
                let purpose = Self.query(request, "purpose") ?? "cli"
                return await events(purpose: purpose, peer: peer)
            case (.post, ["shutdown"]):
                Task { await service.shutdown() }
                return Response(status: .accepted, headers: Self.headers(), body: .init())
            default:
                return Self.problem(.notFound, AgentProblem(error: "no such request: \(request.method.rawValue) \(path)"))
            }
        } catch let error as BackendError {
            let status: HTTPResponse.Status = switch error.kind {
            case .notFound: .notFound
            case .invalidInput: .badRequest
            case .conflict: .conflict
            default: .internalServerError
            }
            return Self.problem(status, AgentProblem(error: error.message, kind: error.kind.rawValue, hint: error.hint))
        } catch is DecodingError {
            return Self.problem(.badRequest, AgentProblem(error: "the request body is not a valid \(route.joined(separator: "/")) request"))
        }
    }

    /// JSON Lines: hello, every job, then each change and a heartbeat every 5 s.
    private func events(purpose: String, peer: PeerCredentials) async -> Response {
        let service = self.service
        let info = AgentClientInfo(id: clientIDs.next(), purpose: purpose, pid: peer.pid, uid: peer.uid, connectedAt: Date())
        let body = ResponseBody { writer in
            await service.client(info, connected: true)
            defer { Task { await service.client(info, connected: false) } }
            @Sendable func line(_ event: AgentEvent) throws -> ByteBuffer {
                var data = try AgentJSON.encoder().encode(event)
                data.append(0x0A)
                return ByteBuffer(bytes: data)
            }
            try await writer.write(line(AgentEvent(kind: .hello, hello: await service.hello())))
            let updates = await service.jobUpdates()
            let (merged, continuation) = AsyncStream<AgentEvent>.makeStream()
            let pump = Task {
                for await job in updates { continuation.yield(AgentEvent(kind: .job, job: job)) }
                continuation.finish()
            }
            let beat = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(5))
                    continuation.yield(AgentEvent(kind: .heartbeat))
                }
            }
            defer {
                pump.cancel()
                beat.cancel()
            }
            // Ends when the agent ends the updates (it is stopping) or the client goes.
            for await event in merged { try await writer.write(line(event)) }
            try await writer.finish(nil)
        }
        var headers = Self.headers()
        headers[.contentType] = "application/jsonl"
        return Response(status: .ok, headers: headers, body: body)
    }

    static func query(_ request: Request, _ name: String) -> String? {
        for part in (request.uri.query ?? "").split(separator: "&") {
            let pieces = part.split(separator: "=", maxSplits: 1).map(String.init)
            if pieces.first == name { return pieces.count > 1 ? pieces[1].removingPercentEncoding : "" }
        }
        return nil
    }

    static func headers() -> HTTPFields {
        var fields = HTTPFields()
        if let name = HTTPFields.Element.Name(AgentAPI.versionHeader) { fields[name] = String(AgentAPI.protocolVersion) }
        return fields
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        var headers = headers()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try AgentJSON.encoder().encode(value))))
    }

    static func problem(_ status: HTTPResponse.Status, _ problem: AgentProblem) -> Response {
        (try? json(problem, status: status)) ?? Response(status: status)
    }
}

/// Numbers subscriptions for `vizor agent status`.
final class ClientCounter: Sendable {
    private let value = Mutex(0)
    func next() -> Int { value.withLock { $0 += 1; return $0 } }
}
