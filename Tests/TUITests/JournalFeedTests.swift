import BackendKit
import Foundation
import Testing
import VizorModel
import VizorStore
import VizorTUI

/// Jobs in the install journal reach the installs pane: history survives a
/// restart (a new feed over the same file), new log lines arrive incrementally.
@Suite("Journal feed")
@MainActor
struct JournalFeedTests {
    @Test func journalJobsAndTheirLogsBecomeInstallRowsAcrossRestarts() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID()).sqlite")
        defer { try? FileManager.default.removeItem(at: file) }
        let journal = try InstallJournal(url: file)
        let request = InstallRequest(site: "lab", hypervisor: .xenserver, osTemplate: "Windows Server 2022 (64-bit)", bootISO: "vizor-ipxe.iso",
                                     imageID: "img-ws2022", imagePath: "/srv/iso/ws2022.iso", editionIndex: 2, editionName: "ServerDatacenter",
                                     machineName: "srv-01")
        let now = Date(timeIntervalSince1970: 1_790_000_000)
        _ = try await journal.createJob(id: "job-1", site: "lab", hypervisor: "xenserver", imageKey: request.imageKey, request: try request.encoded(), now: now)
        try await journal.appendLog("job-1", time: now, source: "vizor", message: "exposed media")
        try await journal.setStatus("job-1", owner: nil, status: .failed, error: "Razor: no node checked in", now: now)

        let store = Store(runner: EffectRunner(backends: BackendSet()))
        let feed = JournalFeed(journal: journal, store: store)
        await feed.poll()
        let job = try #require(store.state.installs["job-1"])
        #expect(job.machineName == "srv-01" && job.editionIndex == 2 && job.phase == .failed)
        #expect(job.error == "Razor: no node checked in")
        #expect(job.events.map(\.message) == ["exposed media"])

        try await journal.appendLog("job-1", time: now.addingTimeInterval(5), severity: "error", source: "razor", message: "stage failed")
        await feed.poll()
        #expect(store.state.installs["job-1"]?.events.map(\.message) == ["exposed media", "stage failed"])

        // A restart: a new store and feed over the same journal find the job and its whole log.
        let again = Store(runner: EffectRunner(backends: BackendSet()))
        await JournalFeed(journal: try InstallJournal(url: file), store: again).poll()
        #expect(again.state.installs["job-1"]?.events.count == 2)
        let rows = ModelProjection.panes(again.state)[.installs]?.rows ?? []
        #expect(rows.map(\.id) == ["job-1"])
        #expect(rows.first?.cells[2] == "failed")
    }
}
