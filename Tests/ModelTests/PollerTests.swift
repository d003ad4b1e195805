import BackendKit
import Foundation
import Testing
@testable import VizorModel

private let site = Site(name: "dc1", xenserverURL: "fake://xs", cloudstackURL: "fake://cs", razorURL: "fake://razor")
private let xen = BackendID(site: "dc1", kind: .xenserver)
private let cs = BackendID(site: "dc1", kind: .cloudstack)
private let razor = BackendID(site: "dc1", kind: .razor)

@MainActor
private final class Rig {
    let clock = TestClock()
    let xenFake = FakeHypervisor(kind: .xenserver, machines: [machine("x1", "xen-one")],
                                 templates: [TemplateRecord(id: "xt", name: "Windows Server 2022", kind: .install)])
    let csFake = FakeHypervisor(kind: .cloudstack, machines: [machine("c1", "cs-one")],
                                templates: [TemplateRecord(id: "ct", name: "w2022-gold")])
    let inventory = FakeInventory()
    let store: Store

    init(timeout: TimeInterval = 20) {
        let backends = BackendSet([
            xen: .streaming(xenFake),
            cs: .polling(csFake, interval: 10),
            razor: .provisioning(inventory, interval: 120),
        ])
        let settings = PollerSettings(requestTimeout: timeout, backoff: Backoff(base: 1, maximum: 8, jitter: 0.5))
        let runner = EffectRunner(backends: backends, clock: clock, settings: settings, random: { 1 })
        store = Store(runner: runner)
    }

    func start() async {
        store.send(.sitesLoaded([site]))
        let settled = await until { $0.health.values.allSatisfy(\.isOK) && $0.provisioning[razor] != nil }
        #expect(settled, "every backend answers its first poll")
    }

    func until(_ predicate: @escaping (AppState) -> Bool) async -> Bool {
        await store.waitUntil(timeout: 10, predicate)
    }

    /// Moves the clock a second at a time until `predicate` holds (at most 10 real seconds).
    func advance(until predicate: @escaping (AppState) -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if predicate(store.state) { return true }
            try? await Task.sleep(nanoseconds: 20_000_000)
            clock.advance(by: 1)
        }
        return predicate(store.state)
    }

    var state: AppState { store.state }
}

@Suite("pollers", .serialized)
@MainActor
struct PollerTests {
    @Test func streamDeliversSnapshotThenPushedDeltas() async {
        let rig = Rig()
        await rig.start()
        #expect(rig.state.machines[xen]?["x1"]?.name == "xen-one")
        #expect(rig.state.templates[xen]?["xt"]?.kind == .install)
        rig.xenFake.update(machine("x1", "xen-one", .running))
        #expect(await rig.until { $0.machines[xen]?["x1"]?.powerState == .running })
        #expect(rig.xenFake.subscriptionCount == 1, "no re-subscription while the stream is up")
        rig.store.shutdown()
    }

    @Test func zonesOfStreamingAndPollingHypervisorsReachTheState() async {
        let rig = Rig()
        rig.csFake.locations = ["lab-zone-1", "lab-zone-2"]
        rig.xenFake.locations = ["pool-a"]
        await rig.start()
        #expect(await rig.until { $0.locations[cs] == ["lab-zone-1", "lab-zone-2"] && $0.locations[xen] == ["pool-a"] },
                "zones of the polled cloud and the pool of the streamed XenServer: \(rig.state.locations)")
        rig.store.shutdown()
    }

    @Test func droppedStreamTurnsFailingThenResubscribesWithAFreshSnapshot() async {
        let rig = Rig()
        await rig.start()
        let generation = rig.state.generations[xen]!
        rig.xenFake.dropStreams()
        #expect(await rig.until { $0.health[xen]?.isFailing == true })
        #expect(rig.state.health[xen]?.error?.message == "connection reset")
        #expect(rig.state.machines[xen]?["x1"] != nil, "the last known machines stay visible")
        rig.xenFake.update(machine("x2", "made-while-down"))
        // asleep: cs and razor intervals, and xen's backoff
        await rig.clock.waitForSleepers(3)
        rig.clock.advance(by: 1)
        #expect(await rig.until { $0.health[xen]?.isOK == true && $0.machines[xen]?["x2"] != nil })
        #expect(rig.xenFake.subscriptionCount == 2)
        #expect(rig.state.generations[xen] == generation)
        rig.store.shutdown()
    }

    @Test func streamBacksOffExponentiallyWhileTheServerKeepsFailing() async {
        let rig = Rig()
        await rig.start()
        rig.xenFake.setMode(.failing(BackendError(.unreachable, backend: "xenserver", message: "connection refused")))
        rig.xenFake.dropStreams()
        var retries: [TimeInterval] = []
        for attempt in 1...5 {
            #expect(await rig.until {
                if case .failing(_, _, _, attempt) = $0.health[xen] ?? .connecting { return true }
                return false
            })
            if case .failing(_, _, let retryAt, _) = rig.state.health[xen] {
                retries.append(retryAt.timeIntervalSince(rig.clock.now()))
            }
            // asleep: cs and razor intervals, and xen's backoff
            await rig.clock.waitForSleepers(3)
            rig.clock.advance(by: retries.last ?? 0)
        }
        #expect(retries == [1, 2, 4, 8, 8], "doubling from 1 s, capped at 8 s")
        rig.xenFake.setMode(.normal)
        #expect(await rig.advance { $0.health[xen]?.isOK == true })
        rig.store.shutdown()
    }

    @Test func intervalPollerPicksUpChangesAtTheNextInterval() async {
        let rig = Rig()
        await rig.start()
        let calls = rig.csFake.listCount
        rig.csFake.update(machine("c1", "cs-one", .running))
        #expect(rig.state.machines[cs]?["c1"]?.powerState == .halted)
        await rig.clock.waitForSleepers(3)
        rig.clock.advance(by: 10)
        #expect(await rig.until { $0.machines[cs]?["c1"]?.powerState == .running })
        #expect(rig.csFake.listCount == calls + 1)
        rig.store.shutdown()
    }

    @Test func refreshPollsAtOnceInsteadOfWaitingForTheInterval() async {
        let rig = Rig()
        await rig.start()
        rig.csFake.update(machine("c9", "new"))
        rig.store.send(.refresh(cs))
        #expect(await rig.until { $0.machines[cs]?["c9"] != nil })
        rig.store.shutdown()
    }

    @Test func eachBackendFailingInTurnLeavesTheOthersUpdating() async {
        let rig = Rig()
        await rig.start()
        let refused = BackendError(.unreachable, backend: "cloudstack", message: "connection refused")
        rig.csFake.setMode(.failing(refused))
        rig.inventory.setError(BackendError(.remoteFailure, backend: "razor", message: "HTTP 500", code: "500"))
        await rig.clock.waitForSleepers(3)
        rig.clock.advance(by: 120)
        #expect(await rig.until { $0.health[cs]?.error == refused && $0.health[razor]?.isFailing == true })
        rig.xenFake.update(machine("x1", "xen-one", .running))
        #expect(await rig.until { $0.machines[xen]?["x1"]?.powerState == .running }, "xen keeps updating")
        #expect(rig.state.health[xen]?.isOK == true)

        rig.csFake.setMode(.normal)
        rig.inventory.setError(nil)
        rig.inventory.setCounts(["nodes": 7])
        await rig.clock.waitForSleepers(2)
        rig.clock.advance(by: 8)
        #expect(await rig.until { $0.health[cs]?.isOK == true && $0.provisioning[razor] == ["nodes": 7] },
                "recovery is automatic")
        rig.store.shutdown()
    }

    @Test func aHangingBackendTimesOutWithoutDelayingTheOthers() async {
        let rig = Rig(timeout: 20)
        await rig.start()
        rig.csFake.setMode(.hanging)
        await rig.clock.waitForSleepers(3)
        rig.clock.advance(by: 10)
        rig.xenFake.update(machine("x1", "xen-one", .paused))
        #expect(await rig.until { $0.machines[xen]?["x1"]?.powerState == .paused })
        // asleep: the xen watchdog, razor's interval and cs's request timeout
        await rig.clock.waitForSleepers(3)
        rig.clock.advance(by: 20)
        #expect(await rig.until { $0.health[cs]?.error?.kind == .timeout })
        rig.csFake.setMode(.normal)
        // asleep: razor's interval and cs's backoff
        await rig.clock.waitForSleepers(2)
        rig.clock.advance(by: 1)
        #expect(await rig.until { $0.health[cs]?.isOK == true })
        rig.store.shutdown()
    }

    @Test func aStreamWithoutSnapshotTimesOut() async {
        let rig = Rig(timeout: 5)
        rig.xenFake.setMode(.hanging)
        rig.store.send(.sitesLoaded([site]))
        #expect(await rig.until { $0.health[cs]?.isOK == true })
        await rig.clock.waitForSleepers(3)
        rig.clock.advance(by: 5)
        #expect(await rig.until { $0.health[xen]?.error?.kind == .timeout })
        rig.store.shutdown()
    }

    @Test func machineAndTemplateCommandsRunThroughTheStore() async {
        let rig = Rig()
        await rig.start()
        let started = await rig.store.perform(.machineCommand(site: "dc1", machineID: "c1", .start), timeout: 10)
        #expect(started == .succeeded)
        #expect(rig.csFake.commandLog == ["start c1"])
        #expect(await rig.until { $0.machines[cs]?["c1"]?.powerState == .running })
        let published = await rig.store.perform(.templateCommand(site: "dc1", templateID: "xt", .publish(featured: false)),
                                                timeout: 10)
        #expect(published == .succeeded)
        let deleted = await rig.store.perform(.machineCommand(site: "dc1", machineID: "x1", .delete), timeout: 10)
        #expect(deleted == .succeeded)
        #expect(await rig.until { $0.machines[xen]?["x1"] == nil })
        rig.csFake.setMode(.failing(BackendError(.conflict, backend: "cloudstack", message: "VM is busy", code: "431")))
        let refused = await rig.store.perform(.machineCommand(site: "dc1", machineID: "c1", .stop), timeout: 10)
        #expect(refused == .failed(BackendError(.conflict, backend: "cloudstack", message: "VM is busy", code: "431")))
        rig.store.shutdown()
    }

    @Test func tickingAgesAnIntervalBackendIntoStale() async {
        let rig = Rig()
        await rig.start()
        rig.csFake.setMode(.hanging)
        rig.store.startTicking(every: 1)
        // cs stale after 3 intervals + timeout = 50 s; it hangs, so no new answer arrives.
        for _ in 0..<52 {
            await rig.clock.waitForSleepers(1)
            rig.clock.advance(by: 1)
            try? await Task.sleep(nanoseconds: 1_000_000)
        }
        #expect(await rig.until {
            if case .stale = $0.health[cs] ?? .connecting { return true }
            return $0.health[cs]?.isFailing == true
        })
        rig.store.shutdown()
    }
}
