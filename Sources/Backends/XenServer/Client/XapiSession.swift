import AsyncHTTPClient
import BackendKit
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// One authenticated connection to a pool: logs in lazily, follows
/// `HOST_IS_SLAVE` to the master, logs in again and retries (bounded) on
/// `SESSION_INVALID`, and puts a deadline on every request. Counters let the
/// benchmark and the dashboard see traffic.
public actor XapiSession {
    public nonisolated let configuration: XenServerConfiguration
    private var http: HTTPClient
    /// Set once the pinned certificate has been checked for the current host.
    private var pinChecked = false
    /// Where calls go now; changes when a member redirects us to the master.
    public private(set) var baseURL: String
    private var sessionRef: String?
    private var loginTask: Task<String, Error>?
    private var nextID = 1
    public private(set) var requestCount = 0
    public private(set) var bytesReceived = 0
    public private(set) var bytesSent = 0
    public private(set) var loginCount = 0

    public init(configuration: XenServerConfiguration) throws {
        self.configuration = configuration
        guard let url = URL(string: configuration.url), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw BackendError(.invalidInput, backend: xenserverBackendName, message: "\"\(configuration.url)\" is not an http(s) URL",
                               hint: "use https://pool-master or http://host:port")
        }
        var trimmed = configuration.url
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        baseURL = trimmed
        var tls = TLSConfiguration.makeClientConfiguration()
        if let ca = configuration.caBundlePath {
            guard FileManager.default.isReadableFile(atPath: ca) else {
                throw BackendError(.invalidInput, backend: xenserverBackendName, message: "CA bundle \(ca) cannot be read")
            }
            tls.trustRoots = .file(ca)
        }
        if !configuration.verifyTLS { tls.certificateVerification = .none }
        http = Self.makeClient(tls)
    }

    static func makeClient(_ tls: TLSConfiguration) -> HTTPClient {
        var httpConfig = HTTPClient.Configuration()
        httpConfig.tlsConfiguration = tls
        httpConfig.redirectConfiguration = .disallow
        httpConfig.timeout = .init(connect: .seconds(10))
        // A refused connection is reported at once; callers (the event stream,
        // the dashboard's pollers) own the retry policy and its backoff.
        httpConfig.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfig)
    }

    /// With a pinned fingerprint: fetch the host's certificate, compare, then
    /// trust exactly it (hostname checks off: the pin is the identity).
    private func checkPin() async throws {
        guard let pin = configuration.pinnedCertificateSHA256, !pinChecked else { return }
        guard let url = URL(string: baseURL), url.scheme == "https", let host = url.host else {
            throw BackendError(.invalidInput, backend: xenserverBackendName, message: "a certificate fingerprint needs an https:// URL")
        }
        let certificate: NIOSSLCertificate
        do {
            certificate = try await CertificatePin.peerCertificate(host: host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")),
                                                                   port: url.port ?? 443, timeout: configuration.callTimeout)
        } catch let error as BackendError {
            throw error
        } catch {
            throw Self.transportError(error, method: "TLS handshake", url: baseURL, timeout: configuration.callTimeout)
        }
        let actual = try CertificatePin.fingerprint(certificate)
        guard actual == CertificatePin.normalise(pin) else {
            throw BackendError(.unauthorized, backend: xenserverBackendName,
                               message: "the certificate of \(host) has fingerprint \(CertificatePin.colonHex(actual)), not the pinned one",
                               code: "CERTIFICATE_MISMATCH",
                               hint: "if the pool's certificate was replaced on purpose, update the site's fingerprint; otherwise do not connect")
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates([certificate])
        tls.certificateVerification = .noHostnameVerification
        let old = http
        http = Self.makeClient(tls)
        old.shutdown { _ in }
        pinChecked = true
    }

    deinit {
        let client = http
        client.shutdown { _ in }
    }

    /// Calls `method` with the session ref prepended to `params`.
    public func call(_ method: String, _ params: [XapiValue] = [], timeout: Duration? = nil) async throws -> XapiValue {
        var attempts = 0
        while true {
            let ref = try await currentSession()
            let response = try await send(method, [.string(ref)] + params, timeout: timeout ?? configuration.callTimeout)
            switch response {
            case .success(let value): return value
            case .failure(let desc) where desc.first == "SESSION_INVALID":
                if sessionRef == ref { sessionRef = nil }
                attempts += 1
                if attempts > configuration.sessionRetries { throw XapiErrorMapper.map(desc, method: method) }
            case .failure(let desc) where desc.first == "HOST_IS_SLAVE" && desc.count > 1:
                // Rare after login (master changed): follow once per attempt.
                try redirect(to: desc[1])
                sessionRef = nil
                attempts += 1
                if attempts > configuration.maxRedirects { throw XapiErrorMapper.map(desc, method: method) }
            case .failure(let desc):
                throw XapiErrorMapper.map(desc, method: method)
            }
        }
    }

    /// The current session ref, logging in first when needed.
    public func currentSession() async throws -> String {
        if let ref = sessionRef { return ref }
        if let task = loginTask { return try await task.value }
        let task = Task { try await self.login() }
        loginTask = task
        defer { loginTask = nil }
        let ref = try await task.value
        sessionRef = ref
        return ref
    }

    /// Forgets the session so the next call logs in again (used after the
    /// event stream saw `SESSION_INVALID`).
    public func invalidate(_ ref: String) {
        if sessionRef == ref { sessionRef = nil }
    }

    private func login() async throws -> String {
        var redirects = 0
        while true {
            let params: [XapiValue] = [.string(configuration.username), .string(configuration.password), "1.0", .string(configuration.originator)]
            let response = try await send("session.login_with_password", params, timeout: configuration.callTimeout)
            switch response {
            case .success(let v):
                guard let ref = v.string, !ref.isEmpty else {
                    throw BackendError(.protocolViolation, backend: xenserverBackendName, message: "login returned no session reference")
                }
                loginCount += 1
                return ref
            case .failure(let desc) where desc.first == "HOST_IS_SLAVE" && desc.count > 1:
                redirects += 1
                if redirects > configuration.maxRedirects { throw XapiErrorMapper.map(desc, method: "session.login_with_password") }
                try redirect(to: desc[1])
            case .failure(let desc):
                throw XapiErrorMapper.map(desc, method: "session.login_with_password")
            }
        }
    }

    /// Logs out; the session is dropped even if the pool refuses (as the SDK does).
    public func logout() async {
        guard let ref = sessionRef else { return }
        sessionRef = nil
        _ = try? await send("session.logout", [.string(ref)], timeout: .seconds(10))
    }

    /// Reconnects to the master a member named, keeping scheme and port.
    private func redirect(to master: String) throws {
        guard let url = URL(string: baseURL), let scheme = url.scheme else { return }
        let host = master.contains(":") && !master.hasPrefix("[") ? "[\(master)]" : master
        let port = url.port.map { ":\($0)" } ?? ""
        let target = "\(scheme)://\(host)\(port)"
        guard URL(string: target) != nil else {
            throw BackendError(.protocolViolation, backend: xenserverBackendName, message: "the pool named an unusable master address \"\(master)\"")
        }
        baseURL = target
        pinChecked = false  // a new host must show the pinned certificate too
    }

    /// One HTTP round trip; transport failures become `BackendError`s.
    func send(_ method: String, _ params: [XapiValue], timeout: Duration) async throws -> XapiResponse {
        let kind = configuration.transport
        let body: [UInt8]
        if kind == .xmlrpc {
            body = XMLRPCCodec.encodeCall(method: method, params: params)
        } else {
            body = JSONRPCCodec.encodeCall(method: method, params: params, id: nextID)
            nextID += 1
        }
        var request = HTTPClientRequest(url: baseURL + kind.path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: kind == .xmlrpc ? "text/xml" : "application/json")
        request.headers.add(name: "User-Agent", value: "vizor")
        let bytes: [UInt8]
        do {
            let response = try await execute(request, body: body, timeout: timeout)
            var buffer = try await response.body.collect(upTo: 512 * 1024 * 1024)
            bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
            bytesReceived += bytes.count
            guard response.status == .ok else {
                throw BackendError(.protocolViolation, backend: xenserverBackendName,
                                   message: "\(method): the pool answered HTTP \(response.status.code)",
                                   hint: kind == .jsonrpc ? "the pool may be older than XenServer 7.3; use XML-RPC" : nil)
            }
        } catch let error as BackendError {
            throw error
        } catch {
            throw Self.transportError(error, method: method, url: baseURL, timeout: timeout)
        }
        do {
            return kind == .xmlrpc ? try XMLRPCCodec.decodeResponse(bytes) : try JSONRPCCodec.decodeResponse(bytes)
        } catch let error as XapiCodecError {
            throw BackendError(.protocolViolation, backend: xenserverBackendName, message: "\(method): unreadable answer (\(error.message))")
        }
    }

    /// Sends `request` with `body` under a deadline, after the certificate
    /// pin check, counting the traffic.
    private func execute(_ request: HTTPClientRequest, body: [UInt8], timeout: Duration) async throws -> HTTPClientResponse {
        var request = request
        request.body = .bytes(ByteBuffer(bytes: body))
        try await checkPin()
        requestCount += 1
        bytesSent += body.count
        let deadline = NIODeadline.now() + TimeAmount.nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000
            + timeout.components.attoseconds / 1_000_000_000)
        return try await http.execute(request, deadline: deadline)
    }

    /// An HTTP PUT to one of xapi's handlers (`/import_raw_vdi`), with this
    /// session's `session_id` added to `query`; HTTP 200 or an error.
    public func put(_ path: String, query: [(String, String)], body: [UInt8], timeout: Duration) async throws {
        let ref = try await currentSession()
        var components = URLComponents()
        components.queryItems = ([("session_id", ref)] + query).map { URLQueryItem(name: $0.0, value: $0.1) }
        var request = HTTPClientRequest(url: baseURL + path + "?" + (components.percentEncodedQuery ?? ""))
        request.method = .PUT
        request.headers.add(name: "User-Agent", value: "vizor")
        request.headers.add(name: "Content-Length", value: String(body.count))
        do {
            let response = try await execute(request, body: body, timeout: timeout)
            var buffer = try await response.body.collect(upTo: 64 * 1024)
            let text = buffer.readString(length: buffer.readableBytes) ?? ""
            guard response.status == .ok else {
                throw BackendError(.remoteFailure, backend: xenserverBackendName,
                                   message: "PUT \(path): the pool answered HTTP \(response.status.code)\(text.isEmpty ? "" : ": " + text)")
            }
        } catch let error as BackendError {
            throw error
        } catch {
            throw Self.transportError(error, method: "PUT " + path, url: baseURL, timeout: timeout)
        }
    }

    static func transportError(_ error: any Error, method: String, url: String, timeout: Duration) -> BackendError {
        if let e = error as? HTTPClientError {
            switch e {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .getConnectionFromPoolTimeout, .writeTimeout:
                return BackendError(.timeout, backend: xenserverBackendName, message: "\(method): no answer from \(url) within \(timeout)",
                                    hint: "check that the pool is up and reachable")
            case .remoteConnectionClosed, .cancelled:
                return BackendError(.unreachable, backend: xenserverBackendName, message: "\(method): the connection to \(url) was closed",
                                    hint: "the pool may be restarting; Vizor retries")
            default: break
            }
        }
        if error is CancellationError {
            return BackendError(.cancelled, backend: xenserverBackendName, message: "\(method) was cancelled")
        }
        let text = String(describing: error)
        if text.contains("TLS") || text.contains("SSL") || text.contains("certificate") {
            return BackendError(.unreachable, backend: xenserverBackendName, message: "\(method): TLS failed with \(url): \(text)",
                                hint: "install the pool's CA certificate as this site's CA bundle")
        }
        return BackendError(.unreachable, backend: xenserverBackendName, message: "\(method): cannot reach \(url) (\(text))",
                            hint: "check the address and that the pool is up")
    }
}
