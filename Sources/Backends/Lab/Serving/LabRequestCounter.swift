import Hummingbird
import Synchronization

/// Counts the HTTP requests a lab server answered, by the first component of
/// their path (`/api`, `/svc`, `/client`, `/jsonrpc`, `/`), so benchmarks can
/// report what went over the wire rather than how often a client was called.
/// Survives the outage switch: one counter per server, not per listener.
public final class LabRequestCounter: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    public init() {}

    public func record(path: String) {
        let first = path.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: true).first.map { "/" + $0 } ?? "/"
        counts.withLock { $0[first, default: 0] += 1 }
    }

    /// Requests so far, by first path component.
    public var byPrefix: [String: Int] { counts.withLock { $0 } }
    public var total: Int { counts.withLock { $0.values.reduce(0, +) } }
    public func reset() { counts.withLock { $0 = [:] } }
}

/// Router middleware feeding a `LabRequestCounter`.
public struct LabRequestCounting<Context: RequestContext>: RouterMiddleware {
    let counter: LabRequestCounter

    public init(_ counter: LabRequestCounter) {
        self.counter = counter
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        counter.record(path: request.uri.path)
        return try await next(request, context)
    }
}
