import BackendKit
import Foundation
import LabXAPI
import NIOSSL
import Testing
@testable import VizorXenServer

/// TLS towards the pool: verified by default, a CA bundle or a pinned
/// fingerprint for XenServer's self-signed certificate. The lab sits behind
/// a TLS-terminating relay with a certificate made by openssl, which is also
/// the oracle for the fingerprint.
@Suite(.timeLimit(.minutes(1))) struct TLSTests {
    struct SelfSigned {
        let directory: URL
        var certificate: String { directory.appendingPathComponent("cert.pem").path }
        var key: String { directory.appendingPathComponent("key.pem").path }
        let fingerprint: String
    }

    static func openssl(_ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw TimedOut(what: "openssl \(args.first ?? "") failed") }
        return String(decoding: data, as: UTF8.self)
    }

    static func makeCertificate() throws -> SelfSigned {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        _ = try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=xcp-lab-01",
                         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", dir.appendingPathComponent("key.pem").path,
                         "-out", dir.appendingPathComponent("cert.pem").path])
        let line = try openssl(["x509", "-noout", "-fingerprint", "-sha256", "-in", dir.appendingPathComponent("cert.pem").path])
        let fingerprint = String(line.split(separator: "=").last ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        return SelfSigned(directory: dir, fingerprint: fingerprint)
    }

    func withTLSLab(_ body: (XAPILabServer, SelfSigned, String) async throws -> Void) async throws {
        let cert = try Self.makeCertificate()
        defer { try? FileManager.default.removeItem(at: cert.directory) }
        let config = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(cert.certificate).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: cert.key, format: .pem)))
        try await withLab { server in
            let relay = try await FaultProxy(targetPort: server.port, tls: try NIOSSLContext(configuration: config))
            do {
                try await body(server, cert, "https://127.0.0.1:\(relay.port)")
                await relay.shutdown()
            } catch {
                await relay.shutdown()
                throw error
            }
        }
    }

    func client(_ url: String, ca: String? = nil, pin: String? = nil) throws -> XenServerHypervisor {
        try XenServerHypervisor(configuration: XenServerConfiguration(url: url, username: "root", password: "lab-password",
                                                                        callTimeout: .seconds(5), caBundlePath: ca, pinnedCertificateSHA256: pin))
    }

    @Test func aSelfSignedPoolIsRefusedByDefault() async throws {
        try await withTLSLab { _, _, url in
            await #expect { try await client(url).listMachines() } throws: {
                let e = $0 as? BackendError
                return e?.kind == .unreachable && e?.hint?.contains("CA") == true
            }
        }
    }

    @Test func theCABundleMakesThePoolTrusted() async throws {
        try await withTLSLab { _, cert, url in
            let machines = try await client(url, ca: cert.certificate).listMachines()
            #expect(machines.count == 2)
        }
    }

    @Test func thePinnedFingerprintIsTrustedAndAnyOtherRefused() async throws {
        try await withTLSLab { _, cert, url in
            let machines = try await client(url, pin: cert.fingerprint).listMachines()
            #expect(machines.count == 2)
            let wrong = String(repeating: "AB:", count: 31) + "AB"
            await #expect { try await client(url, pin: wrong).listMachines() } throws: {
                let e = $0 as? BackendError
                return e?.code == "CERTIFICATE_MISMATCH" && e?.message.contains(cert.fingerprint) == true
            }
        }
    }
}
