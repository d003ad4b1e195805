import BackendKit
import Foundation
import LabCloudStack
import LabRazor
import LabXAPI

/// The lab: every loopback server Vizor ships, started together. It is the
/// embedded default when nothing is configured, and `vizor lab serve` runs
/// it alone for other tools to talk to.
public final class LabSuite: Sendable {
    public let servers: [any LabServer]

    private init(servers: [any LabServer]) {
        self.servers = servers
    }

    /// Starts every lab server on `host` with ports chosen by the kernel.
    /// Each product registers itself in `LabSuite.starters`.
    public static func start(host: String = "127.0.0.1") async throws -> LabSuite {
        var started: [any LabServer] = []
        do {
            for starter in starters {
                started.append(try await starter(host))
            }
        } catch {
            for server in started { await server.stop() }
            throw error
        }
        return LabSuite(servers: started)
    }

    /// One entry per lab product, in start order.
    static let starters: [@Sendable (String) async throws -> any LabServer] = [
        { host in try await XAPILabServer.start(host: host) },
        { host in try await LabCloudStackServer.start(host: host) },
        { host in try await LabRazorServer.startForSuite(host: host) },
    ]

    public func endpoint(named name: String) -> LabEndpoint? {
        servers.first { $0.endpoint.name == name }?.endpoint
    }

    /// The single JSON line `vizor lab serve` prints on start: an object with
    /// one member per server, each `{"url": ..., <credentials>}`.
    public func announcementLine() -> String {
        var object: [String: [String: String]] = [:]
        for server in servers {
            var entry = server.endpoint.credentials
            entry["url"] = server.endpoint.url
            object[server.endpoint.name] = entry
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(object)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    public func stop() async {
        for server in servers.reversed() { await server.stop() }
    }
}
