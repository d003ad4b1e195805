import Crypto
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// registerIso's download as secondary storage does it: it fetches the URL
/// and checks the bytes against `checksum` ("{<algorithm>}<hex>", plain hex
/// being MD5, as RegisterIsoCmd documents the parameter); the ISO becomes
/// ready only after that. The lab's secondary storage reaches loopback URLs
/// only: an ISO registered from another host is taken as downloaded.
extension LabCloudStack {
    func download(_ id: String, from url: URL, checksum: String?) async {
        let outcome: LabDownload
        do {
            let (data, response) = try await URLSession.shared.data(from: url)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            if status != 200 {
                outcome = .failed("HTTP Server returned \(status) (expected 200 OK)")
            } else if let expected = checksum, let problem = Self.checksumProblem(data, expected) {
                outcome = .failed(problem)
            } else {
                outcome = .done
            }
        } catch {
            outcome = .failed("Unable to download \(url.host ?? ""): \(error.localizedDescription)")
        }
        finishDownload(id, outcome)
    }

    private func finishDownload(_ id: String, _ outcome: LabDownload) {
        guard let index = images.firstIndex(where: { $0.id == id }) else { return }
        images[index].download = outcome
        if case .done = outcome { return }
        images[index].readyAt = nil
    }

    static func checksumProblem(_ data: Data, _ expected: String) -> String? {
        let actual: String
        var wanted = expected.lowercased()
        if wanted.hasPrefix("{sha-256}") {
            wanted.removeFirst("{sha-256}".count)
            actual = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        } else {
            if wanted.hasPrefix("{md5}") { wanted.removeFirst("{md5}".count) }
            actual = Insecure.MD5.hash(data: data).map { String(format: "%02x", $0) }.joined()
        }
        return actual == wanted ? nil : "checksum mismatch: expected \(wanted), downloaded \(actual)"
    }
}
