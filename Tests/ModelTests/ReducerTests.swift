import BackendKit
import Foundation
import Testing
import VizorMedia
@testable import VizorModel

private let t0 = Date(timeIntervalSince1970: 1_800_000_000)
private let site = Site(name: "dc1", xenserverURL: "https://xs", cloudstackURL: "https://cs", razorURL: "http://razor")
private let xen = BackendID(site: "dc1", kind: .xenserver)
private let cs = BackendID(site: "dc1", kind: .cloudstack)
private let razor = BackendID(site: "dc1", kind: .razor)

private func loaded() -> AppState {
    var state = AppState(now: t0)
    _ = reduce(&state, .sitesLoaded([site]))
    return state
}

private func tag(_ id: BackendID, _ state: AppState) -> PollerTag {
    PollerTag(backend: id, generation: state.generations[id]!)
}

@Suite("reduce")
struct ReducerTests {
    @Test func sitesLoadedStartsOnePollerPerBackendAndMarksThemConnecting() {
        let (state, effects) = reduce(AppState(now: t0), .sitesLoaded([site]))
        #expect(effects == [
            .startPoller(PollerTag(backend: xen, generation: 1)),
            .startPoller(PollerTag(backend: cs, generation: 1)),
            .startPoller(PollerTag(backend: razor, generation: 1)),
        ])
        #expect(state.health[xen] == .connecting)
        #expect(state.currentSite == "dc1")
    }

    @Test func reloadingSitesBumpsGenerationsAndStopsRemovedBackends() {
        var state = loaded()
        let other = Site(name: "dc1", xenserverURL: "https://xs")
        let effects = reduce(&state, .sitesLoaded([other]))
        #expect(effects.contains(.stopPoller(cs)))
        #expect(effects.contains(.stopPoller(razor)))
        #expect(effects.contains(.startPoller(PollerTag(backend: xen, generation: 2))))
        #expect(state.health[cs] == nil)
    }

    @Test func resultsFromAStaleGenerationAreDropped() {
        var state = loaded()
        let old = tag(xen, state)
        _ = reduce(&state, .sitesLoaded([site]))
        _ = reduce(&state, .hypervisorChanged(old, .snapshot(machines: [machine("a", "alpha")], templates: []), at: t0))
        _ = reduce(&state, .backendFailed(old, BackendError(.timeout, backend: "xenserver", message: "slow"), at: t0,
                                          retryIn: 1, attempt: 1))
        #expect(state.machines[xen] == nil)
        #expect(state.health[xen] == .connecting)
    }

    @Test func snapshotReplacesAndDeltasPatchTheMachines() {
        var state = loaded()
        let current = tag(xen, state)
        _ = reduce(&state, .hypervisorChanged(current, .snapshot(machines: [machine("a", "alpha"), machine("b", "beta")],
                                                                 templates: [TemplateRecord(id: "t", name: "w2022")]),
                                              at: t0))
        _ = reduce(&state, .hypervisorChanged(current, .machineUpdated(machine("a", "alpha", .running)), at: t0))
        _ = reduce(&state, .hypervisorChanged(current, .machineRemoved(id: "b"), at: t0))
        _ = reduce(&state, .hypervisorChanged(current, .templateUpdated(TemplateRecord(id: "u", name: "deb12")), at: t0))
        _ = reduce(&state, .hypervisorChanged(current, .templateRemoved(id: "t"), at: t0))
        #expect(state.machines(site: "dc1").map(\.record) == [machine("a", "alpha", .running)])
        #expect(state.templates(site: "dc1").map(\.record.id) == ["u"])
    }

    @Test func healthGoesOkThenStaleOnTickThenFailingThenRecovers() {
        var state = loaded()
        let current = tag(cs, state)
        _ = reduce(&state, .backendReached(current, at: t0, staleAfter: 30))
        #expect(state.health[cs] == .ok(since: t0, staleAfter: 30))
        _ = reduce(&state, .tick(t0.addingTimeInterval(10)))
        #expect(state.health[cs]?.isOK == true)
        _ = reduce(&state, .tick(t0.addingTimeInterval(31)))
        #expect(state.health[cs] == .stale(since: t0))
        #expect(state.health[cs]?.summary(now: t0) == "stale since 08:00:00")
        let error = BackendError(.unreachable, backend: "cloudstack", message: "connection refused")
        _ = reduce(&state, .backendFailed(current, error, at: t0.addingTimeInterval(40), retryIn: 8, attempt: 1))
        _ = reduce(&state, .backendFailed(current, error, at: t0.addingTimeInterval(48), retryIn: 16, attempt: 2))
        #expect(state.health[cs] == .failing(error: error, since: t0.addingTimeInterval(40),
                                             retryAt: t0.addingTimeInterval(64), attempt: 2))
        #expect(state.health[cs]?.summary(now: t0.addingTimeInterval(50)) ==
                "failing: connection refused — retrying in 14 s")
        #expect(state.notifications.count == 1, "one notification per outage, not per attempt")
        _ = reduce(&state, .backendReached(current, at: t0.addingTimeInterval(64), staleAfter: 30))
        #expect(state.health[cs]?.isOK == true)
        #expect(state.notifications.last?.text == "dc1/cloudstack is reachable again")
    }

    @Test func pushStreamsNeverTurnStale() {
        var state = loaded()
        _ = reduce(&state, .backendReached(tag(xen, state), at: t0, staleAfter: nil))
        _ = reduce(&state, .tick(t0.addingTimeInterval(3600)))
        #expect(state.health[xen]?.isOK == true)
    }

    @Test func refreshPokesOnlyKnownBackends() {
        var state = loaded()
        #expect(reduce(&state, .refresh(cs)) == [.pollNow(cs)])
        #expect(reduce(&state, .refresh(BackendID(site: "nowhere", kind: .cloudstack))) == [])
    }

    @Test func machineCommandRunsOnTheBackendHoldingTheMachineAndMarksItTransitioning() {
        var state = loaded()
        _ = reduce(&state, .hypervisorChanged(tag(cs, state), .snapshot(machines: [machine("m1", "web")], templates: []),
                                              at: t0))
        let effects = reduce(&state, .machineCommand(site: "dc1", machineID: "m1", .start))
        #expect(effects == [.runMachineCommand(requestID: 1, backend: cs, machineID: "m1", .start)])
        #expect(state.requests[1] == .pending)
        #expect(state.machines[cs]?["m1"]?.powerState == .starting)
    }

    @Test func machineCommandOnAnUnknownMachineFailsWithNotFound() {
        var state = loaded()
        let effects = reduce(&state, .machineCommand(site: "dc1", machineID: "ghost", .delete))
        #expect(effects.isEmpty)
        guard case .failed(let error) = state.requests[1] else {
            Issue.record("expected a failed request")
            return
        }
        #expect(error.kind == .notFound)
    }

    @Test func templateCommandRunsOnTheBackendHoldingTheTemplate() {
        var state = loaded()
        _ = reduce(&state, .hypervisorChanged(tag(xen, state),
                                              .snapshot(machines: [], templates: [TemplateRecord(id: "t1", name: "w")]),
                                              at: t0))
        let effects = reduce(&state, .templateCommand(site: "dc1", templateID: "t1", .publish(featured: true)))
        #expect(effects == [.runTemplateCommand(requestID: 1, backend: xen, templateID: "t1", .publish(featured: true))])
        let missing = reduce(&state, .templateCommand(site: "dc1", templateID: "nope", .delete))
        #expect(missing.isEmpty)
        #expect(state.requests[2]?.isFinished == true)
    }

    @Test func commandFinishedRecordsOutcomeAndRepollsTheBackendOnce() {
        var state = loaded()
        _ = reduce(&state, .hypervisorChanged(tag(cs, state), .snapshot(machines: [machine("m1", "web")], templates: []),
                                              at: t0))
        _ = reduce(&state, .machineCommand(site: "dc1", machineID: "m1", .stop))
        let error = BackendError(.conflict, backend: "cloudstack", message: "VM is busy")
        #expect(reduce(&state, .commandFinished(requestID: 1, backend: cs, error: error, at: t0)) == [.pollNow(cs)])
        #expect(state.requests[1] == .failed(error))
        #expect(state.notifications.last?.level == .error)
        #expect(reduce(&state, .commandFinished(requestID: 1, backend: cs, error: nil, at: t0)) == [],
                "a late duplicate does not overwrite the outcome")
    }

    @Test func shutdownStopsEveryPollerAndInvalidatesTheirResults() {
        var state = loaded()
        let old = tag(razor, state)
        let effects = reduce(&state, .shutdown)
        #expect(Set(effects.map { "\($0)" }) == Set([Effect.stopPoller(xen), .stopPoller(cs), .stopPoller(razor)].map { "\($0)" }))
        _ = reduce(&state, .provisioningRefreshed(old, ["nodes": 1], at: t0))
        #expect(state.provisioning[razor] == nil)
    }

    @Test func provisioningAndMediaResultsLand() {
        var state = AppState(now: t0)
        let withMedia = Site(name: "dc1", razorURL: "http://r", mediaSources: [MediaSourceInfo(name: "isos", path: "/srv")])
        _ = reduce(&state, .sitesLoaded([withMedia]))
        let media = BackendID(site: "dc1", kind: .media)
        _ = reduce(&state, .provisioningRefreshed(tag(razor, state), ["nodes": 3], at: t0))
        _ = reduce(&state, .mediaScanned(tag(media, state), [MediaImage(id: "a.iso", path: "/srv/a.iso", size: 1, modified: t0, inode: 1)], at: t0))
        #expect(state.provisioning[razor] == ["nodes": 3])
        #expect(state.catalog.map(\.id) == ["a.iso"])
        _ = reduce(&state, .catalogLoaded([]))
        #expect(state.catalog.isEmpty)
    }

    @Test func selectSiteIgnoresUnknownNames() {
        var state = AppState(now: t0)
        _ = reduce(&state, .sitesLoaded([site, Site(name: "dc2", razorURL: "http://r")]))
        _ = reduce(&state, .selectSite("dc2"))
        #expect(state.currentSite == "dc2")
        _ = reduce(&state, .selectSite("mars"))
        #expect(state.currentSite == "dc2")
    }

    @Test func notificationsAreDismissedAndCapped() {
        var state = loaded()
        for index in 0..<(AppState.notificationLimit + 5) {
            _ = reduce(&state, .machineCommand(site: "dc1", machineID: "ghost\(index)", .start))
        }
        #expect(state.notifications.count == AppState.notificationLimit)
        let first = state.notifications[0].id
        _ = reduce(&state, .dismissNotification(first))
        #expect(!state.notifications.contains { $0.id == first })
    }

    @Test func installUpdatesAndEventsAreKeptWithABound() {
        var state = loaded()
        let job = InstallJob(id: "j1", site: "dc1", machineName: "w1", imageID: "img", editionIndex: 1)
        _ = reduce(&state, .installUpdated(job))
        for index in 0..<(AppState.eventLimit + 3) {
            _ = reduce(&state, .installEvent(jobID: "j1", InstallEvent(time: t0, source: "razor", message: "e\(index)")))
        }
        _ = reduce(&state, .installEvent(jobID: "other", InstallEvent(time: t0, source: "razor", message: "lost")))
        #expect(state.installs["j1"]?.events.count == AppState.eventLimit)
        #expect(state.installs["j1"]?.events.first?.message == "e3")
        #expect(state.installs["other"] == nil)
    }

    @Test func backoffGrowsExponentiallyWithBoundedJitter() {
        let backoff = Backoff(base: 1, maximum: 60, jitter: 0.5)
        #expect(backoff.delay(attempt: 1, random: 0) == 0.5)
        #expect(backoff.delay(attempt: 1, random: 1) == 1)
        #expect(backoff.delay(attempt: 4, random: 0.5) == 6)
        #expect(backoff.delay(attempt: 50, random: 1) == 60)
    }
}
