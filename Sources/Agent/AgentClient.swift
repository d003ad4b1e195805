import AsyncHTTPClient
import BackendKit
import Foundation
import NIOCore
import NIOHTTP1
import VizorStore

/// Talks to the agent over its Unix socket: HTTP/1.1 and JSON, through the
/// same HTTP client the backends use.
public struct AgentClient: Sendable {
    public let socketPath: String

    public init(socketPath: String) {
        self.socketPath = socketPath
    }

    /// True when an agent answers `hello` on the socket within a second.
    public static func answers(socketPath: String) async -> Bool {
        (try? await AgentClient(socketPath: socketPath).hello(timeout: .seconds(1))) != nil
    }

    public func hello(timeout: TimeAmount = .seconds(5)) async throws -> AgentHello {
        try await get("hello", timeout: timeout)
    }

    /// The hello, refused with a message naming the fix when the agent speaks another protocol.
    public func handshake() async throws -> AgentHello {
        let hello = try await hello()
        guard hello.protocolVersion == AgentAPI.protocolVersion else {
            throw BackendError(.protocolViolation, backend: "agent",
                               message: "the running agent (pid \(hello.pid), vizor \(hello.vizorVersion)) speaks protocol \(hello.protocolVersion); this vizor speaks \(AgentAPI.protocolVersion)",
                               hint: "run `vizor agent restart` to start an agent of this version")
        }
        return hello
    }

    public func status() async throws -> AgentStatus { try await get("status") }
    public func lab() async throws -> AgentLab { try await get("lab", timeout: .seconds(120)) }
    public func jobs() async throws -> [JournalJob] { try await get("jobs") }

    public func submit(_ submission: AgentSubmission) async throws -> JournalJob {
        try await send(.POST, "jobs", body: try AgentJSON.encoder().encode(submission), timeout: .seconds(60))
    }

    public func cancel(job: String) async throws -> JournalJob { try await send(.POST, "jobs/\(job)/cancel") }
    public func retry(job: String) async throws -> JournalJob { try await send(.POST, "jobs/\(job)/retry") }

    /// Asks the agent to stop; it answers before it goes.
    public func shutdown() async throws {
        let request = try makeRequest(.POST, "shutdown")
        let response = try await execute(request, timeout: .seconds(10))
        guard response.status == .accepted else { throw try await problem(response) }
    }

    /// The subscription: hello, every job, then changes and heartbeats, as
    /// they happen; ends when the agent goes away.
    public func events(purpose: String) -> AsyncThrowingStream<AgentEvent, any Error> {
        let socketPath = self.socketPath
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let client = AgentClient(socketPath: socketPath)
                    let request = try client.makeRequest(.GET, "events?purpose=\(purpose)")
                    let response = try await client.execute(request, timeout: .hours(24 * 365))
                    guard response.status == .ok else { throw try await client.problem(response) }
                    let decoder = AgentJSON.decoder()
                    var pending = Data()
                    for try await chunk in response.body {
                        pending.append(contentsOf: chunk.readableBytesView)
                        while let newline = pending.firstIndex(of: 0x0A) {
                            let line = pending[pending.startIndex..<newline]
                            pending = Data(pending[pending.index(after: newline)...])
                            guard !line.isEmpty else { continue }
                            continuation.yield(try decoder.decode(AgentEvent.self, from: Data(line)))
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: Self.mapped(error, socketPath: socketPath))
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    // MARK: plumbing

    private func get<T: Decodable>(_ path: String, timeout: TimeAmount = .seconds(30)) async throws -> T {
        try await send(.GET, path, timeout: timeout)
    }

    private func send<T: Decodable>(_ method: HTTPMethod, _ path: String, body: Data? = nil,
                                    timeout: TimeAmount = .seconds(30)) async throws -> T {
        var request = try makeRequest(method, path)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await execute(request, timeout: timeout)
        guard (200..<300).contains(Int(response.status.code)) else { throw try await problem(response) }
        let bytes = try await response.body.collect(upTo: 64 << 20)
        do {
            return try AgentJSON.decoder().decode(T.self, from: Data(buffer: bytes))
        } catch {
            throw BackendError(.protocolViolation, backend: "agent", message: "the agent's answer to \(path) is not what this vizor reads: \(error)",
                               hint: "run `vizor agent restart` if the agent is of another version")
        }
    }

    func makeRequest(_ method: HTTPMethod, _ path: String) throws -> HTTPClientRequest {
        guard let url = URL(httpURLWithSocketPath: socketPath, uri: AgentAPI.prefix + "/" + path) else {
            throw BackendError(.invalidInput, backend: "agent", message: "cannot address the agent's socket \(socketPath)")
        }
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = method
        return request
    }

    func execute(_ request: HTTPClientRequest, timeout: TimeAmount) async throws -> HTTPClientResponse {
        do {
            return try await HTTPClient.shared.execute(request, timeout: timeout)
        } catch {
            throw Self.mapped(error, socketPath: socketPath)
        }
    }

    func problem(_ response: HTTPClientResponse) async throws -> BackendError {
        let bytes = try await response.body.collect(upTo: 1 << 20)
        let problem = try? AgentJSON.decoder().decode(AgentProblem.self, from: Data(buffer: bytes))
        let byStatus: BackendError.Kind = switch response.status.code {
        case 404: .notFound
        case 401, 403: .unauthorized
        case 409: .conflict
        default: .protocolViolation
        }
        let kind = problem?.kind.flatMap(BackendError.Kind.init(rawValue:)) ?? byStatus
        return BackendError(kind, backend: "agent", message: problem?.error ?? "the agent answered \(response.status.code)",
                            code: String(response.status.code), hint: problem?.hint)
    }

    static func mapped(_ error: any Error, socketPath: String) -> any Error {
        if error is BackendError || error is CancellationError { return error }
        if let client = error as? HTTPClientError, client == .deadlineExceeded || client == .readTimeout {
            return BackendError(.timeout, backend: "agent", message: "the agent on \(socketPath) did not answer in time")
        }
        return BackendError(.unreachable, backend: "agent", message: "no agent answers on \(socketPath) (\(error))",
                            hint: "`vizor agent start` starts one")
    }
}
