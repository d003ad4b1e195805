import AsyncHTTPClient
import NIOCore
import NIOSSL

/// The HTTP clients Razor clients use.
///
/// Why not `HTTPClient.shared`: its pool retries a refused connection with
/// backoff until the request deadline, so a Razor server whose port is closed
/// took the whole request timeout to be reported. Here a refused connection
/// fails the request at once (`.unreachable`), while a server that accepts and
/// answers slowly still gets the full request timeout; pollers own the retries.
enum RazorHTTP {
    /// System trust store; process-wide and never shut down (like `HTTPClient.shared`).
    static let system: HTTPClient = makeClient(tls: TLSConfiguration.makeClientConfiguration())

    static func makeClient(tls: TLSConfiguration) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.tlsConfiguration = tls
        configuration.redirectConfiguration = .follow(max: 5, allowCycles: false)
        configuration.timeout = .init(connect: .seconds(10))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}
