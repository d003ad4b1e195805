import BackendKit
import Foundation
import LabXAPI
import VizorXenServer

/// First snapshot of a 2,000-VM lab pool over XML-RPC and JSON-RPC side by
/// side (time and bytes), then the idle request rate of the event stream,
/// which should be the `event.from` long-poll alone.
enum XenSnapshotBench {
    static let vmCount = 2_000
    static let idleSeconds = 30.0
    static let pollSeconds = 10.0

    static func run() async throws {
        var options = XAPILab.Options()
        options.extraVMs = vmCount
        let server = try await XAPILabServer.start(options: options)
        defer { Task { await server.stop() } }
        print("lab pool: \(vmCount) extra VMs at \(server.endpoint.url)")
        var figures: [XapiTransportKind: (seconds: Double, bytes: Int, machines: Int)] = [:]
        for transport in [XapiTransportKind.xmlrpc, .jsonrpc] {
            let xen = try client(server, transport)
            _ = try await xen.session.currentSession()  // login is not part of the snapshot
            let before = await xen.session.bytesReceived
            let clock = ContinuousClock()
            let start = clock.now
            var iterator = xen.changes().makeAsyncIterator()
            guard case .snapshot(let machines, _)? = try await iterator.next() else { throw BenchError.noSnapshot }
            let elapsed = clock.now - start
            let bytes = await xen.session.bytesReceived - before
            figures[transport] = (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, bytes, machines.count)
            await xen.close()
        }
        let x = figures[.xmlrpc]!, j = figures[.jsonrpc]!
        print("first snapshot (event.from, token \"\"):")
        print(String(format: "  XML-RPC   %8.3f s  %11d bytes  %d machines", x.seconds, x.bytes, x.machines))
        print(String(format: "  JSON-RPC  %8.3f s  %11d bytes  %d machines", j.seconds, j.bytes, j.machines))
        print(String(format: "  JSON-RPC / XML-RPC: time %.2f, bytes %.2f", j.seconds / x.seconds, Double(j.bytes) / Double(x.bytes)))

        let xen = try client(server, .jsonrpc, poll: pollSeconds)
        let watcher = Task {
            var iterator = xen.changes().makeAsyncIterator()
            while try await iterator.next() != nil {}
        }
        try await Task.sleep(for: .seconds(2))  // snapshot taken, stream now idle
        let callsBefore = await server.lab.callCount
        let requestsBefore = await xen.session.requestCount
        try await Task.sleep(for: .seconds(idleSeconds))
        let served = await server.lab.callCount - callsBefore
        let sent = await xen.session.requestCount - requestsBefore
        watcher.cancel()
        let perMinute = Double(sent) * 60 / idleSeconds
        print(String(format: "idle for %.0f s (event.from timeout %.0f s): %d requests sent, %d served = %.1f requests/minute (long-poll alone: %.1f)",
                     idleSeconds, pollSeconds, sent, served, perMinute, 60 / pollSeconds))
        await xen.close()
    }

    static func client(_ server: XAPILabServer, _ transport: XapiTransportKind, poll: Double = 30) throws -> XenServerHypervisor {
        try XenServerHypervisor(configuration: XenServerConfiguration(
            url: server.endpoint.url, username: server.endpoint.credentials["username"]!, password: server.endpoint.credentials["password"]!,
            transport: transport, callTimeout: .seconds(120), eventPollTimeout: poll))
    }

    enum BenchError: Error { case noSnapshot }
}
