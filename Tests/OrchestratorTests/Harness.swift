import BackendKit
import Foundation
import Testing
@testable import VizorModel
import VizorStore

/// A journal in a fresh temporary directory, a fake world and a test clock
/// that a pump moves forward (half a second of test time per ~0.3 ms).
struct Harness {
    let directory: URL
    let journal: InstallJournal
    let world: FakeWorld
    let clock: TestClock
    var configuration = OrchestratorConfiguration(leaseTTL: 30, pollInterval: 1, stallTimeout: 120, outageLimit: 600,
                                                  defaultSiteLimit: 4)
    /// Test seconds per pump tick; smaller keeps lease renewals far ahead of expiry on a loaded machine.
    var pumpStep: TimeInterval = 0.1

    init(kind: HypervisorKind = .cloudstack, pumpStep: TimeInterval = 0.1) throws {
        self.pumpStep = pumpStep
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-orch-\(UUID().uuidString)")
        journal = try InstallJournal(url: directory.appendingPathComponent("vizor.sqlite"))
        world = FakeWorld(kind: kind)
        clock = TestClock()
    }

    func orchestrator(_ owner: String) -> InstallOrchestrator {
        InstallOrchestrator(journal: journal, backends: world, clock: clock, configuration: configuration, owner: owner)
    }

    func request(image: String = "win11", edition: Int = 6, site: String = "lab") -> InstallRequest {
        InstallRequest(site: site, hypervisor: world.kind, location: "zone1", network: "guestnet", serviceOffering: "Medium",
                       osTemplate: "Windows Server 2022 (64-bit)", bootISO: "vizor-ipxe.iso", guestToolsISO: "guest-tools.iso",
                       imageID: image, imagePath: "/srv/iso/\(image).iso", editionIndex: edition, editionName: "Windows 11 Pro",
                       machineName: "W11 Pro build", templateName: "w11-pro", makePublic: true, featured: true,
                       options: ["locale": "en-US"])
    }

    /// Moves the clock forward while `body` runs; fails the test if it takes more than `limit` real seconds.
    func pumping<T: Sendable>(limit: TimeInterval = 20, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let clock = self.clock
        let step = pumpStep
        let pump = Task {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 300_000)
                clock.advance(by: step)
            }
        }
        defer { pump.cancel() }
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(nanoseconds: UInt64(limit * 1_000_000_000))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw BackendError(.timeout, backend: "test", message: "did not finish within \(limit) s")
            }
            return value
        }
    }

    /// Waits in real time for a condition (no test hangs).
    func until(_ limit: TimeInterval = 10, _ condition: @escaping @Sendable () async throws -> Bool) async throws {
        let end = Date().addingTimeInterval(limit)
        while Date() < end {
            if try await condition() { return }
            try await Task.sleep(nanoseconds: 1_000_000)
        }
        throw BackendError(.timeout, backend: "test", message: "condition not met within \(limit) s")
    }

    /// Nothing the job created is left but (optionally) its template.
    func expectOnlyTemplateLeft(templates: Int = 1, sourceLocation: SourceLocation = #_sourceLocation) {
        world.with { w in
            #expect(w.machines.isEmpty, "VMs left: \(w.machines.keys.sorted())", sourceLocation: sourceLocation)
            #expect(w.templates.count == templates, sourceLocation: sourceLocation)
            #expect(w.policies.isEmpty && w.tags.isEmpty && w.repos.isEmpty && w.nodesByMAC.isEmpty,
                    "Razor leftovers", sourceLocation: sourceLocation)
            #expect(w.exposures.isEmpty, "exposures left", sourceLocation: sourceLocation)
            #expect(w.servedJobs.isEmpty, "artefacts still served", sourceLocation: sourceLocation)
        }
    }
}

extension InstallOrchestrator.DriveOutcome {
    var job: JournalJob? {
        if case .finished(let job) = self { return job }
        return nil
    }
}
