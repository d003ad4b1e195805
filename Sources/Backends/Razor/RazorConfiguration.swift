import Foundation

/// Where Vizor's Razor server is and how to talk to it.
public struct RazorConfiguration: Sendable, Equatable {
    /// How to trust the server's certificate when `apiURL` is `https`.
    public enum TLSTrust: Sendable, Equatable {
        /// The system trust store.
        case system
        /// No verification at all (razor-client `-k`); for lab or self-signed setups only.
        case insecure
        /// Only the CA certificates in this PEM file (a site's private CA),
        /// with host name verification, instead of the system store.
        case caBundle(path: String)
    }

    /// The entry point, e.g. `https://razor.example.com:8151/api`: the only
    /// URL a Razor client may hard-code; everything else comes from discovery.
    public var apiURL: URL
    /// HTTP Basic credentials for `/api` (razor `auth.enabled`); nil sends none.
    public var username: String?
    public var password: String?
    public var tls: TLSTrust
    /// Longest wait for one HTTP exchange.
    public var requestTimeout: Duration
    /// Longest wait for a command to reach `finished` or `failed`.
    public var commandTimeout: Duration
    /// First delay between command status polls; doubles up to `maxPollInterval`.
    public var pollInterval: Duration
    public var maxPollInterval: Duration
    /// Page size for collections that take `start`/`limit`.
    public var pageSize: Int

    public init(apiURL: URL, username: String? = nil, password: String? = nil, tls: TLSTrust = .system,
                requestTimeout: Duration = .seconds(30), commandTimeout: Duration = .seconds(900),
                pollInterval: Duration = .milliseconds(100), maxPollInterval: Duration = .seconds(5), pageSize: Int = 100) {
        self.apiURL = apiURL
        self.username = username
        self.password = password
        self.tls = tls
        self.requestTimeout = requestTimeout
        self.commandTimeout = commandTimeout
        self.pollInterval = pollInterval
        self.maxPollInterval = maxPollInterval
        self.pageSize = max(1, pageSize)
    }

    /// The `Authorization` header value, when credentials are set. Never logged.
    var authorization: String? {
        guard let username, let password else { return nil }
        return "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
    }
}

extension Duration {
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}

extension RazorConfiguration: CustomStringConvertible {
    /// Never shows the password: configurations end up in logs and error reports.
    public var description: String {
        "RazorConfiguration(\(apiURL.absoluteString), user: \(username ?? "none"), password: \(password == nil ? "none" : "<redacted>"), tls: \(tls))"
    }
}
