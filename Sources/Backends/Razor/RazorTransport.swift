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
        return try RazorDecoding.body(status: reply.status, bytes: reply.body, method: method, url: url)
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

/// Transport failures, mapped to operator messages (HTTP statuses: RazorErrors.swift).
extension RazorErrors {
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
