/// Which XAPI wire protocol a site uses. XML-RPC works on every release;
/// JSON-RPC needs API 2.8 (XenServer 7.3) or later but is smaller and faster.
public enum XapiTransportKind: String, Sendable, Codable, CaseIterable {
    case xmlrpc, jsonrpc

    /// The HTTP path XAPI serves this protocol on.
    public var path: String { self == .xmlrpc ? "/" : "/jsonrpc" }
}

/// How to reach one pool; chosen per site. The password is never printed
/// (`description` redacts it) and never put in URLs or process arguments.
public struct XenServerConfiguration: Sendable, CustomStringConvertible {
    /// `https://pool-master` (TLS verified) or `http://host:port` for the lab.
    public var url: String
    public var username: String
    public var password: String
    public var transport: XapiTransportKind
    /// Per-call limit; every request carries a deadline.
    public var callTimeout: Duration
    /// `event.from` server-side wait in seconds; the HTTP deadline is this plus `callTimeout`.
    public var eventPollTimeout: Double
    /// PEM file of CA certificates to trust instead of the system store.
    public var caBundlePath: String?
    /// SHA-256 fingerprint of the pool's certificate (`AB:CD:…` or plain hex):
    /// when set, exactly that certificate is trusted (XenServer's default
    /// self-signed one included) and any other is refused.
    public var pinnedCertificateSHA256: String?
    /// Off only when the operator explicitly accepts an unverified pool.
    public var verifyTLS: Bool
    /// Sent as `originator` at login so pool admins can tell Vizor's sessions apart.
    public var originator: String
    /// How often a call is retried after `SESSION_INVALID` (the SDK's default is 3).
    public var sessionRetries: Int
    /// How many `HOST_IS_SLAVE` redirects one login may follow.
    public var maxRedirects: Int
    /// Name shown in `MachineRecord.location`.
    public var siteName: String

    public init(url: String, username: String, password: String, transport: XapiTransportKind = .xmlrpc,
                callTimeout: Duration = .seconds(60), eventPollTimeout: Double = 30, caBundlePath: String? = nil,
                pinnedCertificateSHA256: String? = nil, verifyTLS: Bool = true, originator: String = "vizor", sessionRetries: Int = 3, maxRedirects: Int = 3,
                siteName: String = "") {
        self.url = url
        self.username = username
        self.password = password
        self.transport = transport
        self.callTimeout = callTimeout
        self.eventPollTimeout = eventPollTimeout
        self.caBundlePath = caBundlePath
        self.pinnedCertificateSHA256 = pinnedCertificateSHA256
        self.verifyTLS = verifyTLS
        self.originator = originator
        self.sessionRetries = sessionRetries
        self.maxRedirects = maxRedirects
        self.siteName = siteName
    }

    public var description: String {
        "XenServerConfiguration(url: \(url), username: \(username), password: <redacted>, transport: \(transport.rawValue))"
    }
}
