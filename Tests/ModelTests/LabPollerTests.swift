import BackendKit
import Foundation
import LabCloudStack
import LabRazor
import LabXAPI
import Testing
import VizorCloudStack
import VizorRazor
import VizorXenServer
@testable import VizorModel

private let xen = BackendID(site: "lab", kind: .xenserver)
private let cs = BackendID(site: "lab", kind: .cloudstack)
private let razor = BackendID(site: "lab", kind: .razor)
private let site = Site(name: "lab", isLab: true, xenserverURL: "lab", cloudstackURL: "lab", razorURL: "lab")

/// The three lab servers reached through the real clients, polled on a test clock.
@MainActor
private final class LabRig {
    let clock = TestClock()
    let cloud = LabCloudStack(jobDuration: .milliseconds(20))
    var xenServer: XAPILabServer
    var csServer: LabCloudStackServer
    var razorServer: LabRazorServer
    let store: Store

    /// `requestTimeout` is in test-clock seconds; large by default so that moving the clock
    /// fast never times out a request that is merely slow on a loaded machine.
    init(requestTimeout: TimeInterval = 1_000_000) async throws {
        xenServer = try await XAPILabServer.start()
        csServer = try await LabCloudStackServer.start(cloud: cloud)
        razorServer = try await LabRazorServer.start()
        let xenCredentials = xenServer.endpoint.credentials
        let hypervisor = try XenServerHypervisor(configuration: XenServerConfiguration(
            url: xenServer.endpoint.url, username: xenCredentials["username"]!, password: xenCredentials["password"]!,
            callTimeout: .seconds(2), eventPollTimeout: 1, siteName: "lab"))
        // Short real deadlines in the clients, so a stopped server is noticed at once.
        let csHandle = BackendHandle.polling(CloudStackHypervisor(configuration: CloudStackConfiguration(
            endpoint: URL(string: csServer.endpoint.url)!, apiKey: cloud.admin.apiKey, secretKey: cloud.admin.secretKey,
            requestTimeout: .seconds(2))), interval: 10)
        let razorClient = RazorClient(configuration: RazorConfiguration(
            apiURL: URL(string: razorServer.endpoint.url)!, requestTimeout: .seconds(2)))
        let backends = BackendSet([
            xen: .streaming(hypervisor), cs: csHandle,
            razor: .provisioning(RazorInventory(client: razorClient), interval: 120),
        ])
        let settings = PollerSettings(requestTimeout: requestTimeout, backoff: Backoff(base: 1, maximum: 8, jitter: 0.5))
        store = Store(runner: EffectRunner(backends: backends, clock: clock, settings: settings, random: { 1 }))
        store.send(.sitesLoaded([site]))
        let settled = await until { state in [xen, cs, razor].allSatisfy { state.health[$0]?.isOK == true } }
        #expect(settled, "every lab server answers its first poll")
    }

    func until(_ predicate: @escaping (AppState) -> Bool) async -> Bool {
        await store.waitUntil(timeout: 20, predicate)
    }

    /// Advances the clock step by step until `predicate` holds, for at most `limit` real seconds.
    func advance(until predicate: @escaping (AppState) -> Bool, step: TimeInterval = 1, limit: TimeInterval = 20) async -> Bool {
        let deadline = Date().addingTimeInterval(limit)
        while Date() < deadline {
            if predicate(store.state) { return true }
            try? await Task.sleep(nanoseconds: 30_000_000)
            if predicate(store.state) { return true }
            clock.advance(by: step)
        }
        return predicate(store.state)
    }

    var state: AppState { store.state }

    func stop() async {
        store.shutdown()
        await xenServer.stop()
        await csServer.stop()
        await razorServer.stop()
    }

    /// Changes a lab XenServer VM and waits for the push to land, without moving the clock.
    func xenPushArrives() async -> Bool {
        guard let running = state.machines[xen]?.values.first(where: { $0.powerState == .running }) else {
            let halted = state.machines[xen]?.values.first { $0.powerState == .halted }
            guard let halted else { return false }
            _ = await store.perform(.machineCommand(site: "lab", machineID: halted.id, .start), timeout: 20)
            return await until { $0.machines[xen]?[halted.id]?.powerState == .running }
        }
        _ = await xenServer.lab.guestShutdown(vmUUID: running.id)
        return await until { $0.machines[xen]?[running.id]?.powerState == .halted }
    }
}

@Suite("pollers against the lab servers", .serialized, .timeLimit(.minutes(2)))
@MainActor
struct LabPollerTests {
    @Test func xenPushesAndCloudStackPollingBothReachTheState() async throws {
        let rig = try await LabRig()
        #expect(rig.state.machines[xen]?.isEmpty == false)
        #expect(rig.state.templates[xen]?.isEmpty == false)
        #expect(rig.state.provisioning[razor]?["tasks"] ?? 0 > 0)
        #expect(await rig.xenPushArrives(), "a XenServer change arrives by push, with the clock standing still")
        await rig.cloud.addVirtualMachines(count: 3)
        #expect(rig.state.machines[cs]?.count == 0, "CloudStack changes wait for the next poll")
        #expect(await rig.advance { $0.machines[cs]?.count == 3 })
        #expect(rig.state.locations[cs] == ["lab-zone-1", "lab-zone-2"], "the cloud's zones: \(rig.state.locations)")
        #expect(rig.state.locations[xen]?.count == 1, "one pool per XenServer connection")
        await rig.stop()
    }

    @Test func stoppingAndRestartingEachLabServerMovesHealthToFailingAndBack() async throws {
        let rig = try await LabRig()
        // CloudStack
        let csPort = URL(string: rig.csServer.endpoint.url)!.port!
        await rig.csServer.stop()
        #expect(await rig.advance { $0.health[cs]?.isFailing == true })
        #expect(rig.state.health[cs]?.error?.isTransient == true)
        #expect(await rig.xenPushArrives(), "XenServer keeps updating while CloudStack is down")
        rig.csServer = try await LabCloudStackServer.start(port: csPort, cloud: rig.cloud)
        #expect(await rig.advance { $0.health[cs]?.isOK == true })

        // XenServer: the event stream drops; a new pool answers on the same port.
        let xenPort = URL(string: rig.xenServer.endpoint.url)!.port!
        let oldIDs = Set(rig.state.machines[xen]?.keys ?? [:].keys)
        await rig.xenServer.stop()
        #expect(await rig.advance(until: { $0.health[xen]?.isFailing == true }, step: 0.5))
        await rig.cloud.addVirtualMachines(count: 2)
        #expect(await rig.advance { $0.machines[cs]?.count == 2 }, "CloudStack keeps updating while XenServer is down")
        rig.xenServer = try await XAPILabServer.start(port: xenPort)
        #expect(await rig.advance { $0.health[xen]?.isOK == true })
        #expect(await rig.until { Set($0.machines[xen]?.keys ?? [:].keys) != oldIDs }, "a fresh snapshot of the new pool")

        // Razor
        let razorPort = URL(string: rig.razorServer.endpoint.url)!.port!
        await rig.razorServer.stop()
        #expect(await rig.advance(until: { $0.health[razor]?.isFailing == true }, step: 10))
        #expect(rig.state.health[cs]?.isOK == true)
        rig.razorServer = try await LabRazorServer.start(port: razorPort)
        #expect(await rig.advance { $0.health[razor]?.isOK == true })
        await rig.stop()
    }

    @Test func serverErrorsAreReportedAndRecoveredFrom() async throws {
        let rig = try await LabRig()
        await rig.cloud.injectFaults(Array(repeating: .badGateway(), count: 4))
        #expect(await rig.advance { $0.health[cs]?.isFailing == true })
        #expect(rig.state.health[cs]?.error?.message.contains("502") == true, "\(String(describing: rig.state.health[cs]))")
        await rig.razorServer.setFault(.serverError(status: 503), pathPrefix: "/api")
        #expect(await rig.advance(until: { $0.health[razor]?.isFailing == true }, step: 10))
        #expect(rig.state.health[razor]?.error?.message.contains("503") == true,
                "\(String(describing: rig.state.health[razor]))")
        #expect(await rig.xenPushArrives())
        await rig.razorServer.setFault(nil, pathPrefix: "/api")
        #expect(await rig.advance { $0.health[cs]?.isOK == true && $0.health[razor]?.isOK == true })
        await rig.stop()
    }

    @Test func slowServersTimeOutAndRecover() async throws {
        let rig = try await LabRig(requestTimeout: 20)
        // XenServer answers slower than the client's deadline: the stream breaks with a timeout.
        await rig.xenServer.lab.setResponseDelay(.seconds(4))
        #expect(await rig.until { $0.health[xen]?.isFailing == true })
        #expect(rig.state.health[xen]?.error?.kind == .timeout, "\(String(describing: rig.state.health[xen]))")
        await rig.xenServer.lab.setResponseDelay(.zero)
        #expect(await rig.advance { $0.health[xen]?.isOK == true })

        // CloudStack stalls: the poller's own deadline (20 s of test time) fires.
        await rig.cloud.injectFaults([.stall(.seconds(60)), .stall(.seconds(60))])
        #expect(await rig.advance { $0.health[cs]?.error?.kind == .timeout })
        #expect(await rig.advance { $0.health[cs]?.isOK == true })
        await rig.stop()
    }
}
