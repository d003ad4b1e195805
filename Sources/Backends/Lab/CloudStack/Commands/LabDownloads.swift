import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore

/// registerIso's download as secondary storage does it: it fetches the URL
/// and checks the bytes against `checksum` ("{<algorithm>}<hex>", plain hex
/// being MD5, as RegisterIsoCmd documents the parameter); the ISO becomes
/// ready only after that. The lab's secondary storage reaches loopback URLs
/// only: an ISO registered from another host is taken as downloaded.
extension LabCloudStack {
    func download(_ id: String, from url: URL, checksum: String?) async {
        let outcome: LabDownload
        // Through the HTTP client the rest of Vizor uses (Foundation's
        // URLSession would tie the static binary to libcurl), hashing as the
        // bytes arrive: an ISO is never held in memory whole. A refused
        // connection fails the download at once, as secondary storage's does,
        // instead of being tried again until the deadline.
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let response = try await client.execute(HTTPClientRequest(url: url.absoluteString), timeout: .seconds(600))
            let status = Int(response.status.code)
            if status != 200 {
                outcome = .failed("HTTP Server returned \(status) (expected 200 OK)")
            } else {
                var digest = DownloadDigest(expected: checksum)
                for try await chunk in response.body { digest.update(chunk.readableBytesView) }
                if let problem = digest.problem() { outcome = .failed(problem) } else { outcome = .done }
            }
        } catch {
            outcome = .failed("Unable to download \(url.host ?? ""): \(error)")
        }
        try? await client.shutdown()
        finishDownload(id, outcome)
    }

    private func finishDownload(_ id: String, _ outcome: LabDownload) {
        guard let index = images.firstIndex(where: { $0.id == id }) else { return }
        images[index].download = outcome
        if case .done = outcome { return }
        images[index].readyAt = nil
    }
}

/// The checksum registerIso was given ("{<algorithm>}<hex>", plain hex being
/// MD5), computed over the downloaded bytes as they arrive.
struct DownloadDigest {
    private var sha256: SHA256?
    private var md5: Insecure.MD5?
    private let wanted: String?

    init(expected: String?) {
        guard var wanted = expected?.lowercased() else {
            self.wanted = nil
            return
        }
        if wanted.hasPrefix("{sha-256}") {
            wanted.removeFirst("{sha-256}".count)
            sha256 = SHA256()
        } else {
            if wanted.hasPrefix("{md5}") { wanted.removeFirst("{md5}".count) }
            md5 = Insecure.MD5()
        }
        self.wanted = wanted
    }

    mutating func update(_ bytes: ByteBufferView) {
        bytes.withContiguousStorageIfAvailable { buffer in
            sha256?.update(bufferPointer: UnsafeRawBufferPointer(buffer))
            md5?.update(bufferPointer: UnsafeRawBufferPointer(buffer))
        } ?? {
            let copy = Array(bytes)
            sha256?.update(data: copy)
            md5?.update(data: copy)
        }()
    }

    /// Nil when no checksum was given or the bytes match it.
    func problem() -> String? {
        guard let wanted else { return nil }
        let actual: String
        if let sha256 { actual = sha256.finalize().map { String(format: "%02x", $0) }.joined() } else if let md5 {
            actual = md5.finalize().map { String(format: "%02x", $0) }.joined()
        } else { return nil }
        return actual == wanted ? nil : "checksum mismatch: expected \(wanted), downloaded \(actual)"
    }
}
