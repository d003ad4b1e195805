import BackendKit
import Foundation
import Testing
@testable import VizorModel
import VizorLab
import VizorStore

/// The lab simulator's fault switches against the orchestrator.
@Suite("Install orchestrator against lab faults", .serialized)
struct LabFaultTests {
    func withLab(_ faults: LabGuestFaults, stallTimeout: TimeInterval = 30,
                 _ body: (LabInstallBackends, InstallJournal, InstallOrchestrator) async throws -> Void) async throws {
        var options = LabSimulationOptions.fastest
        options.faults = faults
        let suite = try await LabSuite.start(simulation: options)
        do {
            let backends = try LabInstallBackends(suite: suite)
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-labfault-\(UUID().uuidString)")
            let journal = try InstallJournal(url: dir.appendingPathComponent("vizor.sqlite"))
            let orchestrator = InstallOrchestrator(
                journal: journal, backends: backends,
                configuration: OrchestratorConfiguration(leaseTTL: 6, pollInterval: 0.05, stallTimeout: stallTimeout, outageLimit: 20))
            try await body(backends, journal, orchestrator)
            await suite.stop()
        } catch {
            await suite.stop()
            throw error
        }
    }

    func drive(_ orchestrator: InstallOrchestrator, _ id: String) async throws -> JournalJob {
        let outcome = try await withTimeout(90, clock: SystemClock(), backend: "test") { try await orchestrator.drive(id) }
        return try #require(outcome.job)
    }

    func expectNothingLeft(_ backends: LabInstallBackends, _ journal: InstallJournal, job: String, kind: HypervisorKind,
                           templates expected: Int) async throws {
        let hypervisor = try await backends.hypervisor(site: "lab", kind: kind)
        #expect(try await hypervisor.findMachines(taggedWith: "vizor.job", value: job).isEmpty, "VM left")
        #expect(try await hypervisor.listTemplates().filter { $0.tags["vizor.job"] == job }.count == expected)
        for collection in ["policies", "tags", "repos"] {
            #expect(try await backends.razor.client.member(collection, name: "vizor-\(job)") == nil, "Razor \(collection) left")
        }
        #expect(backends.leftovers.exposures == 0 && backends.leftovers.served == 0)
    }

    @Test func aPostInstallStepThatFailsOnceFailsTheJobAndARetrySucceeds() async throws {
        let faults = LabGuestFaults(failingStep: LabGuestStepFailure(step: "regional-settings", mode: .once))
        try await withLab(faults) { backends, journal, orchestrator in
            let job = try await orchestrator.submit(LabInstallTests().request(.cloudstack))
            let failed = try await drive(orchestrator, job.id)
            #expect(failed.status == .failed && failed.step == .bootAndFollow)
            #expect(failed.error?.contains("regional-settings") == true, "\(failed.error ?? "")")
            _ = try await orchestrator.retry(job.id)
            let done = try await drive(orchestrator, job.id)
            let log = try await journal.log(job.id).suffix(12).map(\.message).joined(separator: "\n")
            #expect(done.status == .succeeded, "\(done.error ?? "")\n\(log)")
            try await expectNothingLeft(backends, journal, job: job.id, kind: .cloudstack, templates: 1)
        }
    }

    @Test func aHungGuestTimesOutWithAClearErrorAndCleanupLeavesNothing() async throws {
        let faults = LabGuestFaults(hang: .step("regional-settings"))
        try await withLab(faults, stallTimeout: 2) { backends, journal, orchestrator in
            let job = try await orchestrator.submit(LabInstallTests().request(.xenserver))
            let failed = try await drive(orchestrator, job.id)
            #expect(failed.status == .failed)
            #expect(failed.error?.contains("no install progress") == true && failed.error?.contains("regional-settings") == true,
                    "\(failed.error ?? "")")
            let cleaned = try await orchestrator.cleanup(job.id)
            #expect(cleaned.resources["cleanedUp"] == "1")
            try await expectNothingLeft(backends, journal, job: job.id, kind: .xenserver, templates: 0)
        }
    }
}
