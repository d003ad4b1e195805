import BackendKit
import Foundation
import Testing
@testable import VizorModel
import VizorStore

@Suite("Install orchestrator against in-memory backends")
struct OrchestratorTests {
    @Test(arguments: [HypervisorKind.xenserver, .cloudstack])
    func anInstallRunsTheSevenStepsAndLeavesOnlyThePublishedTemplate(kind: HypervisorKind) async throws {
        let h = try Harness(kind: kind)
        let orchestrator = h.orchestrator("A")
        let job = try await orchestrator.submit(h.request())
        let done = try await h.pumping { try await orchestrator.drive(job.id) }.job
        #expect(done?.status == .succeeded, "\(String(describing: done?.error))")
        h.expectOnlyTemplateLeft()
        let template = try #require(h.world.with { $0.templates.values.first })
        #expect(template.isPublic && template.isFeatured && template.name == "w11-pro")
        #expect(template.tags["vizor.job"] == job.id)
        #expect(h.world.count("createContainer") == 1 && h.world.count("convert") == 1)
        #expect(h.world.count("insertCD") == 1, "guest tools ISO swapped in once after the first boot")
        let steps = try await h.journal.steps(job.id)
        #expect(steps.map(\.step) == InstallStep.allCases)
        #expect(steps.allSatisfy { $0.outcome == .succeeded && $0.finishedAt != nil && $0.owner == "A" })
        #expect(steps.first { $0.step == .createContainer }?.created["machineID"] != nil)
        #expect(steps.first { $0.step == .template }?.created["templateID"] == template.id)
        let log = try await h.journal.log(job.id).map(\.message)
        #expect(log.contains("stage_done postinstall_finished"))
        #expect(log.contains { $0.contains("WinPE is running: CD swapped to guest-tools.iso") })
        let progress = try await orchestrator.progress(of: job.id)
        #expect(progress.fraction == 1 && progress.status == .succeeded)
    }

    /// A crash right after each backend operation (the effect happened, the journal does
    /// not know yet): a new process resumes and creates no second VM or template.
    @Test(arguments: ["expose", "publish", "createContainer", "provision", "start", "insertCD", "convert"])
    func aDriverKilledAfterAnyOperationIsResumedWithoutDuplicates(point: String) async throws {
        for kind in [HypervisorKind.xenserver, .cloudstack] {
            let h = try Harness(kind: kind)
            let first = h.orchestrator("A")
            let job = try await first.submit(h.request())
            h.world.set { $0.crashAfter = point }
            let doomed = Task { try await first.drive(job.id) }
            try await h.pumping { try await h.until { h.world.isCrashed } }
            doomed.cancel()
            _ = await doomed.result
            let interrupted = try #require(try await h.journal.job(job.id))
            #expect(interrupted.status == .running && interrupted.leaseOwner == "A", "a killed driver leaves its lease to lapse")
            let second = h.orchestrator("B")
            let done = try await h.pumping { try await second.follow(job.id) }
            #expect(done.status == .succeeded, "\(kind) \(point): \(String(describing: done.error))")
            #expect(h.world.count("createContainer") == 1, "\(kind) \(point): one VM container")
            #expect(h.world.count("convert") == 1, "\(kind) \(point): one template")
            h.expectOnlyTemplateLeft()
            let steps = try await h.journal.steps(job.id)
            #expect(steps.contains { $0.owner == "B" && $0.step == .cleanup && $0.outcome == .succeeded })
        }
    }

    @Test func aWatcherDoesNotDriveWhileTheDriverLivesAndTakesOverWhenItDies() async throws {
        let h = try Harness(kind: .xenserver, pumpStep: 0.05)
        let driver = h.orchestrator("driver")
        let watcher = h.orchestrator("watcher")
        let job = try await driver.submit(h.request())
        h.world.set { $0.crashAfter = "insertCD" }  // the driver stalls mid-install but keeps renewing its lease
        let driving = Task { try await driver.drive(job.id) }
        let watching = Task { try await watcher.follow(job.id) }
        try await h.pumping {
            try await h.until { h.world.isCrashed }
            // Several lease lifetimes pass: the live driver keeps the watcher out.
            let until = h.clock.now().addingTimeInterval(100)
            try await h.until { h.clock.now() > until }
        }
        #expect(try await h.journal.steps(job.id).allSatisfy { $0.owner == "driver" })
        #expect(try await h.journal.job(job.id)?.leaseOwner == "driver")
        driving.cancel()  // the driver dies
        _ = await driving.result
        let done = try await h.pumping { try await watching.value }
        #expect(done.status == .succeeded)
        #expect(try await h.journal.steps(job.id).contains { $0.owner == "watcher" })
        #expect(h.world.count("createContainer") == 1)
        h.expectOnlyTemplateLeft()
    }

    @Test func theSiteLimitBoundsHowManyJobsRunAtOnce() async throws {
        var h = try Harness(kind: .cloudstack)
        h.configuration.siteLimits = ["lab": 2]
        let orchestrator = h.orchestrator("A")
        var ids: [String] = []
        for index in 0..<5 { ids.append(try await orchestrator.submit(h.request(image: "img\(index)")).id) }
        let journal = h.journal
        let peak = PeakCounter()
        let watcher = Task {
            while !Task.isCancelled {
                let live = try await journal.jobs(unfinishedOnly: true).filter { $0.status == .running && $0.leaseOwner != nil }.count
                peak.observe(live)
                try await Task.sleep(nanoseconds: 200_000)
            }
        }
        let all = ids
        let jobs = try await h.pumping(limit: 40) { try await orchestrator.runAll(all) }
        watcher.cancel()
        #expect(jobs.count == 5 && jobs.allSatisfy { $0.status == .succeeded })
        #expect(peak.value == 2, "peak live jobs \(peak.value)")
        h.expectOnlyTemplateLeft(templates: 5)
    }

    @Test func cancellingARunningJobStopsItAndRemovesEverythingItCreated() async throws {
        let h = try Harness(kind: .cloudstack)
        let driver = h.orchestrator("A")
        let job = try await driver.submit(h.request())
        let driving = Task { try await driver.drive(job.id) }
        try await h.pumping {
            try await h.until { try await h.journal.job(job.id)?.resources["boots"] != nil }
        }
        let answer = try await h.orchestrator("operator").cancel(job.id)
        #expect(answer.status == .cancelling && answer.cancelRequested)
        let done = try await h.pumping { try await driving.value }.job
        #expect(done?.status == .cancelled)
        h.expectOnlyTemplateLeft(templates: 0)
        #expect(h.world.count("convert") == 0)
    }

    @Test func aFailingPostInstallStepFailsTheJobAndRetrySucceeds() async throws {
        let h = try Harness(kind: .xenserver)
        h.world.set { $0.failStep = "apply_updates" }
        let orchestrator = h.orchestrator("A")
        let job = try await orchestrator.submit(h.request())
        let failed = try await h.pumping { try await orchestrator.drive(job.id) }.job
        #expect(failed?.status == .failed)
        #expect(failed?.step == .bootAndFollow)
        #expect(failed?.error?.contains("post-install step apply_updates failed") == true)
        let retried = try await orchestrator.retry(job.id)
        #expect(retried.status == .queued && retried.step == .bootAndFollow)
        let done = try await h.pumping { try await orchestrator.drive(job.id) }.job
        #expect(done?.status == .succeeded, "\(String(describing: done?.error))")
        #expect(h.world.count("createContainer") == 1 && h.world.count("convert") == 1)
        let attempts = try await h.journal.steps(job.id).filter { $0.step == .bootAndFollow }
        #expect(attempts.map(\.outcome) == [.failed, .succeeded])
        h.expectOnlyTemplateLeft()
    }

    @Test func aHungGuestTimesOutWithAClearErrorAndCleanupRemovesTheLeftovers() async throws {
        let h = try Harness(kind: .cloudstack)
        h.world.set { $0.hangAtPosition = 6 }
        let orchestrator = h.orchestrator("A")
        let job = try await orchestrator.submit(h.request())
        let failed = try await h.pumping { try await orchestrator.drive(job.id) }.job
        #expect(failed?.status == .failed)
        let error = failed?.error ?? ""
        #expect(error.contains("no install progress") && error.contains("install_guest_tools_begins"), "\(error)")
        #expect(h.world.with { !$0.machines.isEmpty && !$0.policies.isEmpty }, "leftovers are kept for inspection until cleanup")
        let cleaned = try await h.pumping { try await orchestrator.cleanup(job.id) }
        #expect(cleaned.status == .failed && cleaned.resources["cleanedUp"] == "1")
        h.expectOnlyTemplateLeft(templates: 0)
        await #expect(throws: BackendError.self) { _ = try await orchestrator.retry(job.id) }
    }

    @Test func aBackendDownDuringAStepMakesTheJobWaitAndResume() async throws {
        let h = try Harness(kind: .cloudstack)
        h.world.set { $0.hypervisorDown = true }
        let orchestrator = h.orchestrator("A")
        let job = try await orchestrator.submit(h.request())
        let driving = Task { try await orchestrator.drive(job.id) }
        try await h.pumping {
            try await h.until { try await h.journal.log(job.id).filter { $0.severity == "warn" }.count >= 3 }
        }
        #expect(try await h.journal.job(job.id)?.subStage == "waiting for cloudstack")
        h.world.set { $0.hypervisorDown = false }
        let done = try await h.pumping { try await driving.value }.job
        #expect(done?.status == .succeeded)
        #expect(h.world.count("createContainer") == 1)
        h.expectOnlyTemplateLeft()
    }

    @Test func theETAComesFromEarlierInstallsOfTheSameImageAndEdition() async throws {
        let h = try Harness(kind: .xenserver)
        let orchestrator = h.orchestrator("A")
        let first = try await orchestrator.submit(h.request())
        _ = try await h.pumping { try await orchestrator.drive(first.id) }
        let history = try await h.journal.durations(imageKey: h.request().imageKey)
        #expect(history.count == 1 && history[0] > 0)
        let same = try await orchestrator.submit(h.request())
        let other = try await orchestrator.submit(h.request(edition: 2))
        #expect(try await orchestrator.progress(of: same.id).eta == nil, "no ETA before it starts")
        _ = try await h.journal.claim(same.id, owner: "A", now: h.clock.now(), ttl: 30, siteLimit: nil)
        _ = try await h.journal.claim(other.id, owner: "A", now: h.clock.now(), ttl: 30, siteLimit: nil)
        let sameETA = try #require(try await orchestrator.progress(of: same.id).eta)
        #expect(abs(sameETA - history[0]) < 1)
        #expect(try await orchestrator.progress(of: other.id).eta == nil, "another edition has no history")
    }

    @Test func progressIsWeightedByStepAndThePostInstallStages() {
        let base = JournalJob(id: "j", site: "lab", hypervisor: "xenserver", imageKey: "k", request: "{}", status: .running,
                              step: .bootAndFollow, error: nil, createdAt: Date(timeIntervalSince1970: 0),
                              updatedAt: Date(timeIntervalSince1970: 0), startedAt: Date(timeIntervalSince1970: 0),
                              finishedAt: nil, leaseOwner: "A", leaseExpiresAt: nil, cancelRequested: false, resources: [:],
                              progress: 0.5, subStage: "install_guest_tools_begins")
        let progress = InstallProgress(job: base, history: [600, 900, 1200], now: Date(timeIntervalSince1970: 300))
        #expect(abs((progress.fraction ?? 0) - 0.50) < 0.001)
        #expect(progress.eta == 600 && progress.stepNumber == 5)
        #expect(progress.line == "[5/7] boot and follow · install_guest_tools_begins · 50% · ETA 10m00s")
    }
}

final class PeakCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var peak = 0
    func observe(_ value: Int) { lock.withLock { peak = max(peak, value) } }
    var value: Int { lock.withLock { peak } }
}
