import BackendKit
import NIOSSL

/// The certificate a lab Razor server presents when it speaks HTTPS: PEM
/// files, as razor-server's TorqueBox/Puma `ssl` settings take them. Lets the
/// Razor client's trust modes (system store, CA bundle, insecure) be tested
/// against a real TLS handshake.
public struct LabRazorTLS: Sendable {
    /// Server certificate first, then any intermediates.
    public var certificateChainPath: String
    public var privateKeyPath: String

    public init(certificateChainPath: String, privateKeyPath: String) {
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
    }

    func serverConfiguration() throws -> TLSConfiguration {
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificateChainPath).map { NIOSSLCertificateSource.certificate($0) }
            let key = try NIOSSLPrivateKey(file: privateKeyPath, format: .pem)
            return TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        } catch {
            throw BackendError(.invalidInput, backend: "lab-razor",
                               message: "cannot load the TLS certificate \(certificateChainPath) or key \(privateKeyPath): \(error)")
        }
    }
}
