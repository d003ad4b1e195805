import BackendKit
import Foundation
import Testing
@testable import VizorModel
import VizorLab
import LabCloudStack
import LabXAPI
import VizorStore

/// The lab simulator's fault switches against the orchestrator.
@Suite("Install orchestrator against lab faults", .serialized)
struct LabFaultTests {
    func withLab(_ faults: LabGuestFaults, stallTimeout: TimeInterval = 30, installTaking pace: Duration? = nil,
                 _ body: (LabInstallBackends, InstallJournal, InstallOrchestrator) async throws -> Void) async throws {
        var options = LabSimulationOptions.fastest
        if let pace { options.pace = .install(taking: pace) }
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

    /// The hypervisor's address refuses connections for a few seconds while the guest
    /// installs (a XenServer host reboots, a CloudStack management server restarts):
    /// the job says it waits for the backend, does not fail, and finishes once it is back.
    @Test(arguments: [HypervisorKind.xenserver, .cloudstack])
    func aHypervisorDownDuringBootAndFollowMakesTheJobWaitAndResume(kind: HypervisorKind) async throws {
        try await withLab(LabGuestFaults(), installTaking: .seconds(8)) { backends, journal, orchestrator in
            let switchable: any LabOutageSwitch = kind == .xenserver
                ? try #require(backends.suite.servers.lazy.compactMap { $0 as? XAPILabServer }.first)
                : try #require(backends.suite.servers.lazy.compactMap { $0 as? LabCloudStackServer }.first)
            let job = try await orchestrator.submit(LabInstallTests().request(kind))
            let driving = Task { try await drive(orchestrator, job.id) }
            // Once the guest tools ISO is in (the guest-tools step needs it, and only the hypervisor's API
            // can put it there), the guest runs its post-install steps while the hypervisor's API is away.
            try await until(60) {
                let current = try await journal.job(job.id)
                return current?.step == .bootAndFollow && current?.resources["cdSwapped"] != nil
            }
            await switchable.goDown()
            let downAt = Date()
            // While down the job waits and says for what; it neither fails nor moves on.
            try await until(30) { try await journal.job(job.id)?.subStage == "waiting for \(kind.rawValue)" }
            try await until(30) {
                try await journal.log(job.id).filter { $0.severity == "warn" && $0.message.contains("retrying in") }.count >= 2
            }
            let waiting = try #require(try await journal.job(job.id))
            #expect(waiting.status == .running && waiting.step == .bootAndFollow)
            // A host reboot takes a while: stay away for a few seconds in all.
            let held = 4 - Date().timeIntervalSince(downAt)
            if held > 0 { try await Task.sleep(nanoseconds: UInt64(held * 1_000_000_000)) }
            try await switchable.comeUp()
            let down = Date().timeIntervalSince(downAt)
            let done = try await driving.value
            let log = try await journal.log(job.id)
            #expect(done.status == .succeeded, "\(done.error ?? "")\n\(log.suffix(12).map(\.message).joined(separator: "\n"))")
            let warnings = log.filter { $0.severity == "warn" }.map(\.message)
            #expect(warnings.contains { $0.contains("boot and follow: \(kind.rawValue):") }, "\(warnings)")
            // What a client sees of a host that is down: its connections refused.
            #expect(warnings.contains { $0.localizedCaseInsensitiveContains("refused") }, "\(warnings)")
            #expect(try await journal.steps(job.id).filter { $0.step == .bootAndFollow }.count == 1, "one attempt: it waited, it did not fail")
            #expect(down >= 4, "the outage lasted \(down) s")
            try await expectNothingLeft(backends, journal, job: job.id, kind: kind, templates: 1)
        }
    }

    /// CloudStack's management server goes away while the template is being made (its async job
    /// polled): the step waits, finds the template the interrupted attempt made, and makes no second one.
    @Test func cloudStackDownDuringTheTemplateStepMakesOneTemplate() async throws {
        try await withLab(LabGuestFaults(), installTaking: .seconds(4)) { backends, journal, orchestrator in
            let cloud = try #require(backends.suite.servers.lazy.compactMap { $0 as? LabCloudStackServer }.first)
            let job = try await orchestrator.submit(LabInstallTests().request(.cloudstack))
            let driving = Task { try await drive(orchestrator, job.id) }
            // Down as soon as CloudStack has the template (its async job may still run), before the journal has it.
            try await until(60) { try await backends.cs.listTemplates().contains { $0.tags["vizor.job"] == job.id } }
            await cloud.goDown()
            let interrupted = try await journal.job(job.id)?.resources["templateID"] == nil
            try await until(30) { try await journal.job(job.id)?.subStage == "waiting for cloudstack" }
            try await Task.sleep(nanoseconds: 3_000_000_000)
            try await cloud.comeUp()
            let done = try await driving.value
            let log = try await journal.log(job.id)
            #expect(done.status == .succeeded, "\(done.error ?? "")\n\(log.suffix(12).map(\.message).joined(separator: "\n"))")
            #expect(log.contains { $0.severity == "warn" && $0.message.hasPrefix("template and publish: cloudstack:") })
            if interrupted {
                #expect(log.contains { $0.message.hasPrefix("found template") && $0.message.hasSuffix("made by an earlier attempt") })
            }
            try await expectNothingLeft(backends, journal, job: job.id, kind: .cloudstack, templates: 1)
        }
    }

    /// Past the configured outage tolerance the job fails, naming the backend that stayed away.
    @Test func aHypervisorDownLongerThanTheToleranceFailsTheJobNamingIt() async throws {
        try await withLab(LabGuestFaults(), installTaking: .seconds(8)) { backends, journal, _ in
            let xapi = try #require(backends.suite.servers.lazy.compactMap { $0 as? XAPILabServer }.first)
            let orchestrator = InstallOrchestrator(
                journal: journal, backends: backends,
                configuration: OrchestratorConfiguration(leaseTTL: 6, pollInterval: 0.05, stallTimeout: 30, outageLimit: 2))
            let job = try await orchestrator.submit(LabInstallTests().request(.xenserver))
            let driving = Task { try await drive(orchestrator, job.id) }
            try await until(60) { try await journal.job(job.id)?.resources["started"] != nil }
            await xapi.goDown()
            let failed = try await driving.value
            try await xapi.comeUp()
            #expect(failed.status == .failed && failed.step == .bootAndFollow)
            let error = failed.error ?? ""
            #expect(error.contains("xenserver") && error.contains("unreachable for"), "\(error)")
            let cleaned = try await orchestrator.cleanup(job.id)
            #expect(cleaned.resources["cleanedUp"] == "1")
            try await expectNothingLeft(backends, journal, job: job.id, kind: .xenserver, templates: 0)
        }
    }

    /// Polls `condition` every 20 ms for up to `limit` seconds; throws if it never holds.
    func until(_ limit: TimeInterval, _ condition: () async throws -> Bool) async throws {
        let end = Date().addingTimeInterval(limit)
        while Date() < end {
            if try await condition() { return }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        throw BackendError(.timeout, backend: "test", message: "condition not met within \(limit) s")
    }
}

/// The lab servers' outage switch, whichever hypervisor.
protocol LabOutageSwitch: Sendable {
    func goDown() async
    func comeUp() async throws
}

extension XAPILabServer: LabOutageSwitch {}
extension LabCloudStackServer: LabOutageSwitch {}
