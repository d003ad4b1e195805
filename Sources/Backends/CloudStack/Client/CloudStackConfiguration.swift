import Foundation

/// How to reach one CloudStack management server and how patient to be with
/// it. Every limit is configurable because real zones differ by orders of
/// magnitude (a template copy can take an hour; a lab job a second).
public struct CloudStackConfiguration: Sendable {
    /// The API endpoint, e.g. `https://cloud.example.com/client/api`.
    public var endpoint: URL
    public var apiKey: String
    /// Never logged, never put in a URL: only used to key the HMAC.
    public var secretKey: String
    /// Add `signatureversion=3` and `expires` so a captured URL stops working.
    public var useSignatureVersion3: Bool
    /// How far ahead `expires` lies (servers enforcing timestamps refuse > 15 min).
    public var expiresAfter: Duration
    /// Limit for one HTTP exchange.
    public var requestTimeout: Duration
    /// Rows per page when listing; the server refuses more than its `default.page.size` (500).
    public var pageSize: Int
    /// Requests whose encoded parameters exceed this many bytes go as a form POST (userdata).
    public var postThresholdBytes: Int
    /// Largest response body accepted.
    public var maxResponseBytes: Int
    public var jobs: JobPolling

    /// How async jobs are awaited: exponential backoff between
    /// `queryAsyncJobResult` calls, and deadlines long enough for templates.
    public struct JobPolling: Sendable {
        public var initialInterval: Duration
        public var maxInterval: Duration
        /// Growth factor between two polls.
        public var multiplier: Double
        /// Deadline for ordinary jobs (deploy, start, stop, attach, tags).
        public var timeout: Duration
        /// Deadline for createTemplate and copyTemplate, which copy whole disks.
        public var templateTimeout: Duration
        /// Transport errors tolerated in a row while polling.
        public var maxConsecutiveErrors: Int

        public init(initialInterval: Duration = .milliseconds(500), maxInterval: Duration = .seconds(10),
                    multiplier: Double = 1.5, timeout: Duration = .seconds(1800),
                    templateTimeout: Duration = .seconds(4 * 3600), maxConsecutiveErrors: Int = 5) {
            self.initialInterval = initialInterval
            self.maxInterval = maxInterval
            self.multiplier = multiplier
            self.timeout = timeout
            self.templateTimeout = templateTimeout
            self.maxConsecutiveErrors = maxConsecutiveErrors
        }
    }

    /// Whether the management server's certificate is checked (`verify_tls`);
    /// off only for a lab or a self-signed test server.
    public var verifyTLS: Bool

    public init(endpoint: URL, apiKey: String, secretKey: String, useSignatureVersion3: Bool = true,
                expiresAfter: Duration = .seconds(600), requestTimeout: Duration = .seconds(60),
                pageSize: Int = 500, postThresholdBytes: Int = 2048, maxResponseBytes: Int = 256 << 20,
                jobs: JobPolling = JobPolling(), verifyTLS: Bool = true) {
        self.verifyTLS = verifyTLS
        self.endpoint = endpoint
        self.apiKey = apiKey
        self.secretKey = secretKey
        self.useSignatureVersion3 = useSignatureVersion3
        self.expiresAfter = expiresAfter
        self.requestTimeout = requestTimeout
        self.pageSize = pageSize
        self.postThresholdBytes = postThresholdBytes
        self.maxResponseBytes = maxResponseBytes
        self.jobs = jobs
    }
}

extension Duration {
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
