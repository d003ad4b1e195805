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
    /// The guests inside the lab's VMs (nil when started without simulation):
    /// pace and fault switches for installs driven against this lab.
    public let simulator: LabGuestSimulator?

    private init(servers: [any LabServer], simulator: LabGuestSimulator?) {
        self.servers = servers
        self.simulator = simulator
    }

    /// Starts every lab server on `host` with ports chosen by the kernel.
    /// Each product registers itself in `LabSuite.starters`. With `simulation`
    /// set, a `LabGuestSimulator` watches the hypervisors and plays the guests.
    public static func start(host: String = "127.0.0.1",
                             simulation: LabSimulationOptions? = LabSimulationOptions()) async throws -> LabSuite {
        var started: [any LabServer] = []
        do {
            for starter in starters {
                started.append(try await starter(host))
            }
        } catch {
            for server in started { await server.stop() }
            throw error
        }
        var simulator: LabGuestSimulator?
        if let simulation, let razor = started.lazy.compactMap({ $0 as? LabRazorServer }).first {
            let xen = started.lazy.compactMap { $0 as? XAPILabServer }.first?.lab
            let cloud = started.lazy.compactMap { $0 as? LabCloudStackServer }.first?.cloud
            let guests = LabGuestSimulator(razor: razor, xenserver: xen, cloudstack: cloud, options: simulation)
            await guests.start()
            simulator = guests
        }
        return LabSuite(servers: started, simulator: simulator)
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
        await simulator?.stop()
        for server in servers.reversed() { await server.stop() }
    }
}
