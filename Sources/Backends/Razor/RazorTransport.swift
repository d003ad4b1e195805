import AsyncHTTPClient
import BackendKit
import Foundation
import NIOCore
import NIOSSL

/// One HTTP exchange with Razor's `/api`, with Basic auth, a deadline, and
/// every failure turned into a `BackendError` an operator can act on.
struct RazorTransport: Sendable {
    let configuration: RazorConfiguration
    let http: HTTPClient

    struct Reply: Sendable {
        var status: Int
        var body: [UInt8]
    }

    func get(_ url: String) async throws -> RazorJSON {
        try await exchange("GET", url, body: nil)
    }

    func post(_ url: String, _ body: RazorJSON) async throws -> RazorJSON {
        try await exchange("POST", url, body: Array(body.encoded()))
    }

    private func exchange(_ method: String, _ url: String, body: [UInt8]?) async throws -> RazorJSON {
        let reply = try await send(method, url, body: body)
        guard (200..<300).contains(reply.status) else {
            throw RazorErrors.forStatus(reply.status, body: reply.body, method: method, url: url)
        }
        do {
            return try RazorJSON.decode(reply.body)
        } catch {
            throw BackendError(.protocolViolation, backend: razorBackendName,
                               message: "\(method) \(url) answered \(reply.status) with a body that is not JSON",
                               hint: "check that the URL points at a Razor server's /api")
        }
    }

    func send(_ method: String, _ url: String, body: [UInt8]?) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = method == "POST" ? .POST : .GET
        request.headers.add(name: "Accept", value: "application/json")
        if let authorization = configuration.authorization { request.headers.add(name: "Authorization", value: authorization) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let timeout = TimeAmount.milliseconds(Int64(configuration.requestTimeout.seconds * 1000))
        do {
            let response = try await http.execute(request, timeout: timeout)
            let buffer = try await response.body.collect(upTo: 64 << 20)
            return Reply(status: Int(response.status.code), body: Array(buffer.readableBytesView))
        } catch let error as BackendError {
            throw error
        } catch is CancellationError {
            throw BackendError(.cancelled, backend: razorBackendName, message: "\(method) \(url) was cancelled")
        } catch let error as HTTPClientError {
            throw RazorErrors.forTransport(error, method: method, url: url, timeout: configuration.requestTimeout)
        } catch {
            if let tlsError = RazorErrors.forTLS(error, url: url, trust: configuration.tls) { throw tlsError }
            throw BackendError(.unreachable, backend: razorBackendName,
                               message: "\(method) \(url) failed: \(error)",
                               hint: "check that the Razor server is running and reachable from this host")
        }
    }
}

/// Razor's error shapes, mapped to operator messages.
enum RazorErrors {
    static func forStatus(_ status: Int, body: [UInt8], method: String, url: String) -> BackendError {
        let json = try? RazorJSON.decode(body)
        var detail = json?["error"]?.text ?? String(decoding: body.prefix(300), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        if let more = json?["details"]?.text, !more.isEmpty { detail += " (\(more))" }
        let code = String(status)
        switch status {
        case 400:
            return BackendError(.invalidInput, backend: razorBackendName, message: "Razor rejected \(method) \(url): \(detail)",
                                code: code, hint: "the request is malformed or refers to something still in use")
        case 401:
            return BackendError(.unauthorized, backend: razorBackendName,
                                message: "Razor refused the credentials for \(url)", code: code,
                                hint: "set the Razor username and password of this site (razor auth.enabled uses its shiro.ini users)")
        case 403:
            return BackendError(.unauthorized, backend: razorBackendName, message: "Razor denied \(method) \(url): \(detail)",
                                code: code, hint: "give the Razor user the needed permission in shiro.ini")
        case 404:
            return BackendError(.notFound, backend: razorBackendName,
                                message: json?["error"] != nil ? "Razor: \(detail)" : "Razor has nothing at \(url)", code: code)
        case 406, 415:
            return BackendError(.protocolViolation, backend: razorBackendName,
                                message: "Razor refused the content type of \(method) \(url): \(detail)", code: code)
        case 409:
            return BackendError(.conflict, backend: razorBackendName, message: "Razor: \(detail)", code: code,
                                hint: "an object of that name exists with other settings; remove it or pick another name")
        case 422:
            return BackendError(.invalidInput, backend: razorBackendName, message: "Razor refused the values: \(detail)",
                                code: code)
        case 500..<600:
            return BackendError(.remoteFailure, backend: razorBackendName,
                                message: "Razor failed on \(method) \(url) with HTTP \(status): \(detail.isEmpty ? "no details" : detail)",
                                code: code, hint: "see the Razor server log (razor-server.log); retry when it is healthy")
        default:
            return BackendError(.protocolViolation, backend: razorBackendName,
                                message: "Razor answered \(method) \(url) with unexpected HTTP \(status): \(detail)", code: code)
        }
    }

    /// A failed TLS handshake, named as such: which URL, and how to make it trusted.
    static func forTLS(_ error: any Error, url: String, trust: RazorConfiguration.TLSTrust) -> BackendError? {
        let text = String(describing: error)
        guard error is NIOSSLError || error is BoringSSLError || text.contains("certificate") || text.contains("SSL") else { return nil }
        let hint: String
        switch trust {
        case .system: hint = "the server's certificate is not signed by a CA this host trusts; set the site's Razor CA bundle to the CA that signed it"
        case .caBundle(let path): hint = "the server's certificate is not signed by a CA in \(path), or its name does not match the URL"
        case .insecure: hint = "check that the server speaks TLS on this port"
        }
        return BackendError(.unreachable, backend: razorBackendName,
                            message: "TLS handshake with Razor at \(url) failed: the certificate was not accepted (\(text))",
                            hint: hint)
    }

    static func forTransport(_ error: HTTPClientError, method: String, url: String, timeout: Duration) -> BackendError {
        if error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            return BackendError(.timeout, backend: razorBackendName,
                                message: "Razor did not answer \(method) \(url) within \(timeout)",
                                hint: "the server may be overloaded; it is retried on the next poll")
        }
        if error == .cancelled {
            return BackendError(.cancelled, backend: razorBackendName, message: "\(method) \(url) was cancelled")
        }
        return BackendError(.unreachable, backend: razorBackendName, message: "cannot reach Razor at \(url): \(error)",
                            hint: "check the Razor URL, the network and TLS settings")
    }
}
