import AsyncHTTPClient
import BackendKit
import Foundation
import LabRazor
import VizorRazor

/// How Vizor follows a Razor node log: the incremental reader (a probe per
/// poll, then exactly the new entries) beside the reference a naive client
/// uses, a full `GET .../log` each poll, on the same lab server and node.
enum RazorLogBenchmark {
    static func run() async throws {
        let lab = try await LabRazorServer.start(backgroundDelay: 0)
        let client = RazorClient(configuration: RazorConfiguration(apiURL: URL(string: lab.endpoint.url)!))
        do {
            let node = try await client.registerNode(mac: "52:54:00:be:4c:01")
            let logURL = lab.baseURL + "/api/collections/nodes/\(node)/log"
            for size in [200, 2000] {
                let present = try await fullRead(logURL)
                for _ in present..<max(present, size) { try await lab.appendLog(node: node, message: "seed entry") }
                var cursor = try await client.readLog(node: node, after: NodeLogCursor()).cursor
                let clock = ContinuousClock()
                var incremental = Duration.zero, reference = Duration.zero
                var idleIncremental = Duration.zero, idleReference = Duration.zero
                let rounds = 30
                for round in 0..<rounds {
                    for step in 0..<3 { try await lab.appendLog(node: node, message: "round \(round) step \(step)") }
                    var start = clock.now
                    let read = try await client.readLog(node: node, after: cursor)
                    incremental += clock.now - start
                    start = clock.now
                    let all = try await fullRead(logURL)
                    reference += clock.now - start
                    guard read.entries.count == 3, all >= read.cursor.seen else {
                        throw BackendError(.protocolViolation, backend: "bench", message: "reader and reference disagree")
                    }
                    cursor = read.cursor
                    // A poll with nothing new, the common case during an install.
                    start = clock.now
                    _ = try await client.readLog(node: node, after: cursor)
                    idleIncremental += clock.now - start
                    start = clock.now
                    _ = try await fullRead(logURL)
                    idleReference += clock.now - start
                }
                func ms(_ duration: Duration) -> String { String(format: "%.2f ms", duration.seconds * 1000 / Double(rounds)) }
                func ratio(_ a: Duration, _ b: Duration) -> String { String(format: "%.1fx", b.seconds / max(a.seconds, 1e-9)) }
                print("log of \(cursor.seen) entries, 3 new per poll: incremental \(ms(incremental)), full read \(ms(reference)), "
                      + "full/incremental \(ratio(incremental, reference))")
                print("log of \(cursor.seen) entries, nothing new:    incremental \(ms(idleIncremental)), full read \(ms(idleReference)), "
                      + "full/incremental \(ratio(idleIncremental, idleReference))")
            }
        } catch {
            await lab.stop()
            throw error
        }
        await lab.stop()
    }

    private static func fullRead(_ url: String) async throws -> Int {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 256 << 20)
        let object = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
        return (object?["items"] as? [Any])?.count ?? 0
    }
}

extension Duration {
    fileprivate var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
