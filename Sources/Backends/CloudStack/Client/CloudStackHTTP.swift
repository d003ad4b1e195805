import AsyncHTTPClient
import NIOCore
import NIOSSL

/// The HTTP client CloudStack clients use unless given another.
///
/// Why not `HTTPClient.shared`: its pool retries a refused connection with
/// backoff until the request deadline, so a management server whose port is
/// closed took the whole request timeout (15 s and more) to be reported. Here
/// a refused connection fails the request at once (reported `.unreachable`),
/// while a server that accepts and answers slowly still gets the full request
/// timeout. Pollers own the retry policy and its backoff.
public enum CloudStackHTTP {
    /// Process-wide, never shut down (like `HTTPClient.shared`).
    public static let failFast: HTTPClient = makeClient()

    /// The same, for `verify_tls: false`: the certificate is not checked.
    public static let failFastUnverified: HTTPClient = makeClient(verifyTLS: false)

    /// A client with no connection-establishment retries and a bounded connect timeout.
    public static func makeClient(connectTimeout: TimeAmount = .seconds(10), verifyTLS: Bool = true) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        if !verifyTLS {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .none
            configuration.tlsConfiguration = tls
        }
        configuration.timeout = .init(connect: connectTimeout)
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}
