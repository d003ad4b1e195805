import BackendKit
import Foundation
import LabRazor
import Testing
import VizorRazor

/// The Razor client over HTTPS against the lab Razor serving certificates
/// made by `openssl` here: a self-signed one is refused by default with a
/// TLS error, a private CA is trusted through a CA bundle, insecure mode
/// accepts anything; Basic auth rides inside the TLS connection.
@Suite(.serialized) struct TLSTests {
    @Test func selfSignedCertificateIsRefusedByDefaultWithAClearTLSError() async throws {
        let pki = try TestPKI.make()
        defer { pki.remove() }
        try await withTLSLab(certificate: pki.selfSignedCert, key: pki.selfSignedKey) { lab in
            let client = RazorClient(configuration: lab.configuration(tls: .system))
            let error = await backendError { _ = try await client.discover() }
            #expect(error?.kind == .unreachable)
            #expect(error?.message.contains("TLS handshake") == true, "\(String(describing: error))")
            #expect(error?.message.contains(lab.endpoint.url) == true)
            #expect(error?.hint?.contains("CA bundle") == true)
            await client.shutdown()
        }
    }

    @Test func privateCAIsTrustedThroughACABundleWithBasicAuth() async throws {
        let pki = try TestPKI.make()
        defer { pki.remove() }
        try await withTLSLab(certificate: pki.serverCert, key: pki.serverKey) { lab in
            #expect(lab.endpoint.url.hasPrefix("https://"))
            let client = RazorClient(configuration: lab.configuration(tls: .caBundle(path: pki.caCert)))
            let api = try await client.discover()
            #expect(api.commands.count == 36)
            #expect(api.collections["nodes"]?.url.hasPrefix("https://") == true, "discovered URLs keep the https scheme")
            await client.shutdown()

            let wrongPassword = RazorClient(configuration: lab.configuration(tls: .caBundle(path: pki.caCert), password: "wrong"))
            let refused = await backendError { _ = try await wrongPassword.discover() }
            #expect(refused?.kind == .unauthorized, "Basic auth is checked over TLS: \(String(describing: refused))")
            await wrongPassword.shutdown()
        }
    }

    @Test func aCABundleOfAnotherCAIsRefused() async throws {
        let pki = try TestPKI.make()
        defer { pki.remove() }
        try await withTLSLab(certificate: pki.serverCert, key: pki.serverKey) { lab in
            let client = RazorClient(configuration: lab.configuration(tls: .caBundle(path: pki.selfSignedCert)))
            let error = await backendError { _ = try await client.discover() }
            #expect(error?.kind == .unreachable)
            #expect(error?.message.contains("TLS handshake") == true, "\(String(describing: error))")
            #expect(error?.hint?.contains(pki.selfSignedCert) == true)
            await client.shutdown()
        }
    }

    @Test func insecureModeAcceptsASelfSignedCertificate() async throws {
        let pki = try TestPKI.make()
        defer { pki.remove() }
        try await withTLSLab(certificate: pki.selfSignedCert, key: pki.selfSignedKey) { lab in
            let client = RazorClient(configuration: lab.configuration(tls: .insecure))
            let api = try await client.discover()
            #expect(api.commands.count == 36)
            let repos = try await client.list("repos")
            #expect(repos.isEmpty)
            await client.shutdown()
        }
    }

    @Test func plainHTTPToTheTLSPortFailsWithoutHanging() async throws {
        let pki = try TestPKI.make()
        defer { pki.remove() }
        try await withTLSLab(certificate: pki.serverCert, key: pki.serverKey) { lab in
            let plain = lab.endpoint.url.replacingOccurrences(of: "https://", with: "http://")
            let client = RazorClient(configuration: RazorConfiguration(apiURL: URL(string: plain)!, username: "vizor", password: TLSLab.password,
                                                                       requestTimeout: .seconds(5)))
            let started = ContinuousClock.now
            let error = await backendError { _ = try await client.discover() }
            #expect(error != nil)
            #expect(ContinuousClock.now - started < .seconds(5))
        }
    }
}

// MARK: Support

struct TLSLab {
    static let password = "tls-s3cret"
    let server: LabRazorServer
    var endpoint: LabEndpoint { server.endpoint }

    func configuration(tls: RazorConfiguration.TLSTrust, password: String = TLSLab.password) -> RazorConfiguration {
        RazorConfiguration(apiURL: URL(string: endpoint.url)!, username: "vizor", password: password, tls: tls,
                           requestTimeout: .seconds(10))
    }
}

func withTLSLab(certificate: String, key: String, _ body: (TLSLab) async throws -> Void) async throws {
    let server = try await LabRazorServer.start(auth: LabRazorAuth(username: "vizor", password: TLSLab.password),
                                                tls: LabRazorTLS(certificateChainPath: certificate, privateKeyPath: key))
    do {
        try await body(TLSLab(server: server))
    } catch {
        await server.stop()
        throw error
    }
    await server.stop()
}

/// Certificates made by `openssl` in a private temporary directory: a CA and
/// a server certificate it signed for 127.0.0.1, and a self-signed one.
struct TestPKI {
    let directory: URL
    var caCert: String { path("ca.pem") }
    var serverCert: String { path("server.pem") }
    var serverKey: String { path("server.key") }
    var selfSignedCert: String { path("self.pem") }
    var selfSignedKey: String { path("self.key") }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    static func make() throws -> TestPKI {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-razor-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let pki = TestPKI(directory: directory)
        try """
        basicConstraints = CA:FALSE
        keyUsage = critical, digitalSignature, keyEncipherment
        extendedKeyUsage = serverAuth
        subjectAltName = IP:127.0.0.1, DNS:localhost
        """.write(toFile: pki.path("server.ext"), atomically: true, encoding: .utf8)
        try pki.openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Vizor Test CA",
                         "-keyout", pki.path("ca.key"), "-out", pki.caCert,
                         "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        try pki.openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
                         "-keyout", pki.serverKey, "-out", pki.path("server.csr")])
        try pki.openssl(["x509", "-req", "-in", pki.path("server.csr"), "-CA", pki.caCert, "-CAkey", pki.path("ca.key"),
                         "-CAcreateserial", "-days", "2", "-extfile", pki.path("server.ext"), "-out", pki.serverCert])
        try pki.openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", pki.selfSignedKey, "-out", pki.selfSignedCert])
        return pki
    }

    func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BackendError(.invalidInput, backend: "test", message: "openssl \(arguments[0]) failed: \(String(decoding: message, as: UTF8.self))")
        }
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}
