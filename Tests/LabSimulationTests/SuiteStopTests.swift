import BackendKit
import Foundation
import LabCloudStack
import LabRazor
import Testing
import VizorCloudStack
import VizorLab
import VizorRazor
import VizorXenServer

/// Stopping the lab while clients still talk to it (the dashboard's quit,
/// `VizorRuntime.stop()`): `event.from` long-polls, stalled CloudStack and
/// Razor requests, and a storm of new connections. Before the lab servers
/// stopped gracefully, cancelling them dropped accepted connections and NIO
/// killed the process ("Deinited NIOAsyncWriter without calling finish()").
@Suite(.serialized) struct SuiteStopTests {
    static let rounds = 6
    static let stopBound: Duration = .seconds(3)

    @Test func stoppingTheSuiteWithRequestsInFlightIsCleanAndPromptEveryTime() async throws {
        for round in 0..<Self.rounds {
            let suite = try await LabSuite.start(simulation: nil)
            let xen = try #require(suite.endpoint(named: "xenserver"))
            let csServer = try #require(suite.servers.lazy.compactMap { $0 as? LabCloudStackServer }.first)
            let razorServer = try #require(suite.servers.lazy.compactMap { $0 as? LabRazorServer }.first)

            // Requests that stay open until the servers go: long-polls and stalls.
            await csServer.cloud.injectFaults(Array(repeating: .stall(.seconds(30)), count: 3))
            await razorServer.setFault(.delay(seconds: 30), pathPrefix: "/api")
            let started = Started()
            var clients: [Task<Void, Never>] = []
            for _ in 0..<3 {
                clients.append(Task { await Self.longPoll(xen, started: started) })
                clients.append(Task { await Self.stalledCloudStackCall(csServer, started: started) })
                clients.append(Task { await Self.stalledRazorCall(razorServer, started: started) })
            }
            let opened = await started.wait(for: 9, timeout: .seconds(10))
            #expect(opened, "round \(round): every client had its request in flight")
            try await Task.sleep(for: .milliseconds(100))

            // And new connections arriving while the stop runs.
            let deadline = Date().addingTimeInterval(6)
            let storms = suite.servers.compactMap { URL(string: $0.endpoint.url)?.port }.map { ConnectionStorm(port: $0, deadline: deadline) }

            let stopStarted = ContinuousClock.now
            await suite.stop()
            let took = ContinuousClock.now - stopStarted
            #expect(took < Self.stopBound, "round \(round): stop took \(took)")

            for storm in storms { #expect(storm.wait(timeout: 8), "the ports refuse once the lab is stopped") }
            let ended = await Self.allEnd(clients, within: .seconds(5))
            #expect(ended, "round \(round): every client saw the lab go away")
        }
    }

    // MARK: Clients

    static func longPoll(_ endpoint: LabEndpoint, started: Started) async {
        guard let session = try? XapiSession(configuration: XenServerConfiguration(
            url: endpoint.url, username: endpoint.credentials["username"] ?? "", password: endpoint.credentials["password"] ?? "",
            callTimeout: .seconds(40))) else { return }
        var first = true
        while !Task.isCancelled {
            do {
                if first { _ = try await session.currentSession(); await started.one(); first = false }
                _ = try await session.call("event.from", [.array([.string("*")]), .string(""), .double(30)], timeout: .seconds(40))
            } catch {
                if first { await started.one() }
                return
            }
        }
    }

    static func stalledCloudStackCall(_ server: LabCloudStackServer, started: Started) async {
        let admin = server.cloud.admin
        let client = CloudStackClient(configuration: CloudStackConfiguration(
            endpoint: URL(string: server.endpoint.url)!, apiKey: admin.apiKey, secretKey: admin.secretKey, requestTimeout: .seconds(40)))
        await started.one()
        _ = try? await client.listZones()
    }

    static func stalledRazorCall(_ server: LabRazorServer, started: Started) async {
        let client = RazorClient(configuration: RazorConfiguration(
            apiURL: URL(string: server.endpoint.url)!, username: server.endpoint.credentials["username"],
            password: server.endpoint.credentials["password"], requestTimeout: .seconds(40)))
        await started.one()
        _ = try? await client.discover()
    }

    /// Awaits `tasks`, cancelling them if they outlive `bound`; true when all ended by themselves.
    static func allEnd(_ tasks: [Task<Void, Never>], within bound: Duration) async -> Bool {
        let finished = Started()
        let watch = Task {
            for task in tasks { await task.value }
            await finished.one()
        }
        let inTime = await finished.wait(for: 1, timeout: bound)
        if !inTime { tasks.forEach { $0.cancel() } }
        await watch.value
        return inTime
    }
}

/// Counts clients that got going; a bounded wait for a number of them.
actor Started {
    private var count = 0
    func one() { count += 1 }
    func wait(for target: Int, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while count < target {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }
}
