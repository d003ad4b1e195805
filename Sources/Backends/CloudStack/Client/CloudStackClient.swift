import AsyncHTTPClient
import BackendKit
import Foundation
import NIOCore
import NIOHTTP1

/// The name this backend uses in its errors and logs.
public let cloudstackBackendName = "cloudstack"

/// A signed-request client for the CloudStack API: builds and signs each
/// call, sends it (GET, or a form POST when the parameters are large),
/// unwraps the `<command>response` envelope and turns every failure into a
/// `BackendError` an operator can act on. Paging and async jobs build on it.
public final class CloudStackClient: Sendable {
    public let configuration: CloudStackConfiguration
    private let signer: CloudStackSigner
    private let http: HTTPClient
    private let counter = RequestCounter()

    public init(configuration: CloudStackConfiguration, httpClient: HTTPClient? = nil) {
        self.configuration = configuration
        self.signer = CloudStackSigner(secretKey: configuration.secretKey)
        self.http = httpClient ?? (configuration.verifyTLS ? CloudStackHTTP.failFast : CloudStackHTTP.failFastUnverified)
    }

    /// HTTP requests sent so far by this client (for benchmarks and diagnostics).
    public var requestsSent: Int { counter.value }

    /// Calls `command` and returns the object inside `<command>response`.
    /// `forcePOST` sends a form body whatever the size.
    public func call(_ command: String, _ parameters: [String: String] = [:], forcePOST: Bool = false) async throws -> CSValue {
        var list: [(name: String, value: String)] = [("command", command), ("response", "json"), ("apikey", configuration.apiKey)]
        for (name, value) in parameters.sorted(by: { $0.key < $1.key }) { list.append((name, value)) }
        if configuration.useSignatureVersion3 {
            list.append(("signatureversion", "3"))
            list.append(("expires", CloudStackSigner.expiresString(Date().addingTimeInterval(configuration.expiresAfter.seconds))))
        }
        list.append(("signature", signer.signature(for: list)))
        // Names are signed as they are but percent-encoded on the wire: a raw
        // `[` makes the URL invalid and would get the whole query re-encoded.
        let encoded = list.map { "\(CloudStackSigner.wireEncode($0.name))=\(CloudStackSigner.wireEncode($0.value))" }
            .joined(separator: "&")
        let usePOST = forcePOST || encoded.utf8.count > configuration.postThresholdBytes

        var request: HTTPClientRequest
        if usePOST {
            request = HTTPClientRequest(url: configuration.endpoint.absoluteString)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: encoded))
        } else {
            request = HTTPClientRequest(url: configuration.endpoint.absoluteString + "?" + encoded)
            request.method = .GET
        }
        request.headers.add(name: "Accept", value: "application/json")

        counter.increment()
        let status: Int
        let contentType: String
        let body: ByteBuffer
        do {
            let timeout = TimeAmount.nanoseconds(Int64(configuration.requestTimeout.seconds * 1e9))
            let response = try await http.execute(request, timeout: timeout)
            status = Int(response.status.code)
            contentType = response.headers.first(name: "Content-Type") ?? ""
            body = try await response.body.collect(upTo: configuration.maxResponseBytes)
        } catch {
            throw transportError(error, command: command)
        }
        return try CloudStackEnvelope.unwrap(command: command, status: status, contentType: contentType,
                                             body: Data(body.readableBytesView), endpoint: configuration.endpoint)
    }

    private func transportError(_ error: any Error, command: String) -> BackendError {
        if error is CancellationError {
            return BackendError(.cancelled, backend: cloudstackBackendName, message: "\(command) was cancelled")
        }
        if let httpError = error as? HTTPClientError {
            switch httpError {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout:
                return BackendError(.timeout, backend: cloudstackBackendName,
                                    message: "\(command): no answer from \(host) within \(configuration.requestTimeout.seconds) s",
                                    hint: "check that the management server is up, or raise the request timeout")
            case .cancelled:
                return BackendError(.cancelled, backend: cloudstackBackendName, message: "\(command) was cancelled")
            default:
                break
            }
        }
        if error is NIOTooManyBytesError {
            return BackendError(.protocolViolation, backend: cloudstackBackendName,
                                message: "\(command): answer larger than \(configuration.maxResponseBytes) bytes",
                                hint: "lower the page size")
        }
        return BackendError(.unreachable, backend: cloudstackBackendName,
                            message: "\(command): cannot reach \(host): \(error)",
                            hint: "check the endpoint URL and the network path to the management server")
    }

    private var host: String { configuration.endpoint.host ?? configuration.endpoint.absoluteString }
}

/// Counts requests without an actor hop, so `call` stays cheap.
final class RequestCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
