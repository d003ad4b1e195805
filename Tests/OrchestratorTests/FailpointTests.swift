import BackendKit
import Foundation
import Testing
@testable import VizorModel
import VizorStore

/// `VIZOR_FAILPOINTS` and the points in the steps, with the `error` action
/// (the `kill` action is exercised across processes in EndToEndTests).
@Suite("Failpoints")
struct FailpointTests {
    @Test func theVariableIsParsedIntoNamedPointsAndActions() throws {
        let points = try Failpoints(environment: ["VIZOR_FAILPOINTS": "after:create-container=kill; end:clean-up=error"])
        #expect(points == Failpoints(["after:create-container": .kill, "end:clean-up": .error]))
        #expect(try Failpoints(environment: [:]).isEmpty)
        #expect(try Failpoints(environment: ["VIZOR_FAILPOINTS": ""]) == .none)
    }

    @Test(arguments: ["after:create-container", "after:no-such-step=kill", "later:clean-up=kill", "after:clean-up=explode"])
    func aMistypedPointIsRefusedWithTheVariableNamed(text: String) {
        #expect {
            _ = try Failpoints(parsing: text)
        } throws: { error in
            (error as? BackendError)?.message.contains("VIZOR_FAILPOINTS") == true
        }
    }

    /// `after:` points sit after the step's side effect and before the journal records it, `end:` points
    /// after the step and before its outcome is journaled: the job fails there, and a retry finds what
    /// the failed attempt made instead of making it again.
    @Test(arguments: InstallStep.allCases, Failpoints.Place.allCases)
    func aFailureAtEachPointIsRetriedWithoutASecondVMOrTemplate(step: InstallStep, place: Failpoints.Place) async throws {
        var h = try Harness(kind: .xenserver)
        h.configuration.failpoints = Failpoints([Failpoints.name(place, step): .error])
        let failing = h.orchestrator("A")
        let job = try await failing.submit(h.request())
        let failed = try await h.pumping { try await failing.drive(job.id) }.job
        #expect(failed?.status == .failed && failed?.step == step, "\(String(describing: failed))")
        #expect(failed?.error?.contains("failpoint \(place.rawValue):\(step.rawValue) hit") == true, "\(failed?.error ?? "")")
        if step == .createContainer, place == .after {
            #expect(h.world.count("createContainer") == 1 && failed?.resources["machineID"] == nil,
                    "the VM exists, the journal does not know it")
        }
        h.configuration.failpoints = .none
        let healthy = h.orchestrator("B")
        _ = try await healthy.retry(job.id)
        let done = try await h.pumping { try await healthy.drive(job.id) }.job
        #expect(done?.status == .succeeded, "\(step): \(String(describing: done?.error))")
        #expect(h.world.count("createContainer") == 1 && h.world.count("convert") == 1, "\(step)")
        h.expectOnlyTemplateLeft()
    }

    @Test func aFollowerTakesTheLeaseOfADeadProcessWithoutWaitingForItToLapse() async throws {
        let h = try Harness(kind: .cloudstack)
        let job = try await h.orchestrator("A").submit(h.request())
        let dead = LeaseHolder.owner(pid: try JournalTests.deadPID())
        let claimedAt = h.clock.now()
        _ = try await h.journal.claim(job.id, owner: dead, now: claimedAt, ttl: h.configuration.leaseTTL, siteLimit: nil)
        let done = try await h.pumping { try await h.orchestrator("B").follow(job.id) }
        #expect(done.status == .succeeded)
        let first = try #require(try await h.journal.steps(job.id).first)
        #expect(first.owner == "B" && first.startedAt < claimedAt.addingTimeInterval(h.configuration.leaseTTL),
                "taken at \(first.startedAt.timeIntervalSince(claimedAt)) s into a \(h.configuration.leaseTTL) s lease")
        let log = try await h.journal.log(job.id).map(\.message)
        #expect(log.contains("taking the job over from \(dead): its process is gone"))
    }
}
