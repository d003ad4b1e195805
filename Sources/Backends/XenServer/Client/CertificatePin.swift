import BackendKit
import Crypto
import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// Certificate pinning for pools that keep XenServer's self-signed
/// certificate: the operator records its SHA-256 fingerprint once (as shown
/// by `openssl x509 -fingerprint -sha256` or XenCenter), and Vizor then
/// trusts exactly that certificate and nothing else.
enum CertificatePin {
    /// `AB:CD:…` or `abcd…` → lowercase hex without separators.
    static func normalise(_ fingerprint: String) -> String {
        fingerprint.lowercased().filter { $0.isHexDigit }
    }

    static func fingerprint(_ certificate: NIOSSLCertificate) throws -> String {
        let der = try certificate.toDERBytes()
        return SHA256.hash(data: der).map { String(format: "%02x", $0) }.joined()
    }

    static func colonHex(_ hex: String) -> String {
        var parts: [String] = []
        var rest = Substring(hex.uppercased())
        while !rest.isEmpty { parts.append(String(rest.prefix(2))); rest = rest.dropFirst(2) }
        return parts.joined(separator: ":")
    }

    /// Connects, completes a TLS handshake without judging the certificate,
    /// and returns the server's leaf certificate.
    static func peerCertificate(host: String, port: Int, timeout: Duration) async throws -> NIOSSLCertificate {
        var config = TLSConfiguration.makeClientConfiguration()
        config.certificateVerification = .none
        let context = try NIOSSLContext(configuration: config)
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let captured = loop.makePromise(of: NIOSSLCertificate.self)
        let isIP = host.contains(":") || host.allSatisfy { $0.isNumber || $0 == "." }
        let sni = isIP ? nil : host
        let seconds = Int64(timeout.components.seconds) + 1
        let deadline = loop.scheduleTask(in: .seconds(seconds)) {
            captured.fail(BackendError(.timeout, backend: xenserverBackendName, message: "TLS handshake with \(host) timed out"))
        }
        let channel = try await ClientBootstrap(group: loop)
            .connectTimeout(.seconds(seconds))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = try NIOSSLClientHandler(context: context, serverHostname: sni) { chain, verdict in
                        if let leaf = chain.first { captured.succeed(leaf) }
                        verdict.succeed(.certificateVerified)
                    }
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .connect(host: host, port: port).get()
        defer { channel.close(promise: nil); deadline.cancel() }
        return try await captured.futureResult.get()
    }
}
