import BackendKit
import Foundation
import GRDB
import Testing
import VizorStore

@Suite("Install journal")
struct JournalTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    func journal() throws -> InstallJournal {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-journal-\(UUID().uuidString)")
        return try InstallJournal(url: dir.appendingPathComponent("vizor.sqlite"))
    }

    @Test func journalMigrationRunsAfterTheCatalogsInOneFile() throws {
        let journal = try journal()
        let applied = try journal.database.read { db in try VizorMigrations.migrator.appliedMigrations(db) }
        #expect(applied == ["v1-media-catalog", "v1-install-journal"])
        let tables = try journal.database.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        }
        #expect(tables.contains("media_image") && tables.contains("install_job") && tables.contains("install_step"))
    }

    @Test func aLiveLeaseKeepsOtherProcessesOutAndALapsedOneIsTakenOver() async throws {
        let journal = try journal()
        _ = try await journal.createJob(id: "j1", site: "lab", hypervisor: "xenserver", imageKey: "i#1", request: "{}", now: start)
        guard case .claimed(let job) = try await journal.claim("j1", owner: "A", now: start, ttl: 30, siteLimit: 4) else {
            Issue.record("A could not claim"); return
        }
        #expect(job.status == .running && job.leaseOwner == "A")
        #expect(try await journal.claim("j1", owner: "B", now: start.addingTimeInterval(10), ttl: 30, siteLimit: 4)
                == .heldBy(owner: "A", until: start.addingTimeInterval(30)))
        #expect(try await journal.renew("j1", owner: "A", now: start.addingTimeInterval(20), ttl: 30))
        #expect(try await journal.claim("j1", owner: "B", now: start.addingTimeInterval(45), ttl: 30, siteLimit: 4)
                == .heldBy(owner: "A", until: start.addingTimeInterval(50)))
        guard case .claimed(let taken) = try await journal.claim("j1", owner: "B", now: start.addingTimeInterval(51), ttl: 30, siteLimit: 4) else {
            Issue.record("B could not take over a lapsed lease"); return
        }
        #expect(taken.leaseOwner == "B")
        #expect(try await journal.renew("j1", owner: "A", now: start.addingTimeInterval(52), ttl: 30) == false)
    }

    @Test func aProcessThatLostItsLeaseCannotWriteSteps() async throws {
        let journal = try journal()
        _ = try await journal.createJob(id: "j1", site: "lab", hypervisor: "cloudstack", imageKey: "i#1", request: "{}", now: start)
        _ = try await journal.claim("j1", owner: "A", now: start, ttl: 30, siteLimit: nil)
        _ = try await journal.claim("j1", owner: "B", now: start.addingTimeInterval(31), ttl: 30, siteLimit: nil)
        await #expect(throws: JournalLeaseLost.self) {
            _ = try await journal.beginStep("j1", step: .exposeMedia, owner: "A", now: start.addingTimeInterval(32))
        }
        await #expect(throws: JournalLeaseLost.self) {
            try await journal.recordResources("j1", step: .createContainer, owner: "A", ["machineID": "vm-9"], now: start)
        }
        let attempt = try await journal.beginStep("j1", step: .exposeMedia, owner: "B", now: start.addingTimeInterval(33))
        try await journal.recordResources("j1", step: .exposeMedia, owner: "B", ["exposureID": "e1"], now: start)
        try await journal.finishStep("j1", step: .exposeMedia, attempt: attempt, owner: "B", outcome: .succeeded,
                                     nextStep: .renderArtefacts, now: start.addingTimeInterval(34))
        let job = try #require(try await journal.job("j1"))
        #expect(job.step == .renderArtefacts && job.resources == ["exposureID": "e1"])
        let steps = try await journal.steps("j1")
        #expect(steps.count == 1 && steps[0].owner == "B" && steps[0].outcome == .succeeded && steps[0].created == ["exposureID": "e1"])
    }

    @Test func theSiteLimitCountsOnlyLiveLeases() async throws {
        let journal = try journal()
        for id in ["a", "b", "c"] {
            _ = try await journal.createJob(id: id, site: "lab", hypervisor: "cloudstack", imageKey: "k", request: "{}", now: start)
        }
        _ = try await journal.createJob(id: "other", site: "prod", hypervisor: "cloudstack", imageKey: "k", request: "{}", now: start)
        guard case .claimed = try await journal.claim("a", owner: "P", now: start, ttl: 30, siteLimit: 2),
              case .claimed = try await journal.claim("b", owner: "Q", now: start, ttl: 30, siteLimit: 2) else {
            Issue.record("first two claims refused"); return
        }
        #expect(try await journal.claim("c", owner: "P", now: start, ttl: 30, siteLimit: 2) == .siteFull(limit: 2))
        guard case .claimed = try await journal.claim("other", owner: "P", now: start, ttl: 30, siteLimit: 2) else {
            Issue.record("another site was limited"); return
        }
        guard case .claimed = try await journal.claim("c", owner: "P", now: start.addingTimeInterval(31), ttl: 30, siteLimit: 2) else {
            Issue.record("lapsed leases still counted"); return
        }
    }

    @Test func prefixesResolveAndDurationsFeedTheETA() async throws {
        let journal = try journal()
        _ = try await journal.createJob(id: "jabc123", site: "lab", hypervisor: "xenserver", imageKey: "win#6", request: "{}", now: start)
        _ = try await journal.createJob(id: "jabd999", site: "lab", hypervisor: "xenserver", imageKey: "win#6", request: "{}", now: start)
        #expect(try await journal.resolve("jabc").id == "jabc123")
        await #expect(throws: BackendError.self) { _ = try await journal.resolve("jab") }
        await #expect(throws: BackendError.self) { _ = try await journal.resolve("nope") }
        _ = try await journal.claim("jabc123", owner: "A", now: start, ttl: 30, siteLimit: nil)
        try await journal.setStatus("jabc123", owner: "A", status: .succeeded, now: start.addingTimeInterval(1200))
        #expect(try await journal.durations(imageKey: "win#6") == [1200])
        #expect(try await journal.durations(imageKey: "win#7").isEmpty)
        let finished = try #require(try await journal.job("jabc123"))
        #expect(finished.leaseOwner == nil && finished.finishedAt == start.addingTimeInterval(1200))
        #expect(journal.writeCount >= 4)
    }
}
