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

    /// The agent publishes what its drivers journal the moment they do: each
    /// committed write ticks, bursts merge into one tick, reads never tick.
    @Test func everyCommittedWriteTicksAndReadsDoNot() async throws {
        let journal = try journal()
        var ticks = journal.writes().makeAsyncIterator()
        _ = try await journal.createJob(id: "j1", site: "lab", hypervisor: "xenserver", imageKey: "i#1", request: "{}", now: start)
        #expect(await ticks.next() != nil, "a write ticks")
        _ = try await journal.jobs()
        _ = try await journal.job("j1")
        try await journal.appendLog("j1", time: start, source: "test", message: "one")
        try await journal.appendLog("j1", time: start, source: "test", message: "two")
        // The two log writes merged into one tick; the reads added none.
        #expect(await ticks.next() != nil)
        let extra = Task { () -> Bool in
            var more = ticks
            return await more.next() != nil
        }
        try await Task.sleep(for: .milliseconds(300))
        extra.cancel()
        #expect(await extra.value == false, "no tick without a write")
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

    /// The pid of a process that has ended and been reaped: provably gone.
    static func deadPID() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        let pid = process.processIdentifier
        // Foundation reaps its children; wait until the kernel forgot the pid too.
        let end = Date().addingTimeInterval(10)
        while kill(pid, 0) == 0, Date() < end { usleep(10_000) }
        return pid
    }

    @Test func aLiveLeaseOfAProcessGoneFromThisHostIsTakenAtOnce() async throws {
        let journal = try journal()
        _ = try await journal.createJob(id: "j1", site: "lab", hypervisor: "xenserver", imageKey: "i#1", request: "{}", now: start)
        let dead = LeaseHolder.owner(pid: try Self.deadPID())
        #expect(LeaseHolder.isProvablyDead(dead))
        _ = try await journal.claim("j1", owner: dead, now: start, ttl: 30, siteLimit: 4)
        // One second into a 30-second lease: without the check the lease holds...
        #expect(try await journal.claim("j1", owner: "B", now: start.addingTimeInterval(1), ttl: 30, siteLimit: 4)
                == .heldBy(owner: dead, until: start.addingTimeInterval(30)))
        // ...with it, the dead holder's lease is taken, and it no longer counts against the site limit.
        _ = try await journal.createJob(id: "j2", site: "lab", hypervisor: "xenserver", imageKey: "i#1", request: "{}", now: start)
        guard case .claimed = try await journal.claim("j2", owner: "C", now: start.addingTimeInterval(1), ttl: 30, siteLimit: 1,
                                                      holderIsGone: LeaseHolder.isProvablyDead) else {
            Issue.record("a dead holder's lease filled the site"); return
        }
        guard case .claimed(let taken) = try await journal.claim("j1", owner: "B", now: start.addingTimeInterval(1), ttl: 30,
                                                                 siteLimit: nil, holderIsGone: LeaseHolder.isProvablyDead) else {
            Issue.record("the lease of a dead process was not taken"); return
        }
        #expect(taken.leaseOwner == "B")
        #expect(try await journal.renew("j1", owner: dead, now: start.addingTimeInterval(2), ttl: 30) == false)
    }

    @Test func aLiveProcessOrAnotherHostKeepsItsLeaseUntilItLapses() async throws {
        let journal = try journal()
        _ = try await journal.createJob(id: "j1", site: "lab", hypervisor: "cloudstack", imageKey: "i#1", request: "{}", now: start)
        // This very process's pid, under another owner string (another orchestrator in this process, say).
        let alive = LeaseHolder.owner(pid: getpid(), random: "other")
        let elsewhere = LeaseHolder.owner(host: LeaseHolder.localHost() + "-elsewhere", pid: try Self.deadPID())
        for holder in [alive, elsewhere, "A", "host/notapid/x"] {
            #expect(!LeaseHolder.isProvablyDead(holder), "\(holder)")
            try await journal.setStatus("j1", owner: nil, status: .queued, now: start)
            if let previous = try await journal.job("j1")?.leaseOwner { try await journal.release("j1", owner: previous) }
            _ = try await journal.claim("j1", owner: holder, now: start, ttl: 30, siteLimit: nil)
            #expect(try await journal.claim("j1", owner: "B", now: start.addingTimeInterval(1), ttl: 30, siteLimit: nil,
                                            holderIsGone: LeaseHolder.isProvablyDead)
                    == .heldBy(owner: holder, until: start.addingTimeInterval(30)), "\(holder)")
        }
        #expect(LeaseHolder.parse(alive)?.pid == getpid() && LeaseHolder.parse(alive)?.host == LeaseHolder.localHost())
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
