import BackendKit
import Foundation
import Testing
import VizorModel
import VizorStore
import VizorTUI

/// The installs pane's retry, cancel and clean-up keys: they write the same
/// journal requests as `vizor install retry|cancel`, run off the UI loop,
/// and report their outcome as a notification.
@Suite("Installs pane job control")
@MainActor
struct InstallControlTests {
    /// Records which jobs the clean-up was asked for (the orchestrator's
    /// clean-up needs hypervisors; its own tests cover the teardown).
    final class CleanupLog: @unchecked Sendable {
        private let lock = NSLock()
        private var ids: [String] = []
        func add(_ id: String) { lock.withLock { ids.append(id) } }
        var all: [String] { lock.withLock { ids } }
    }

    struct World {
        let journal: InstallJournal
        let store: Store
        let dashboard: DashboardProgram
        let cleaned: CleanupLog
        let file: URL
    }

    func world() async throws -> World {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("control-\(UUID()).sqlite")
        let journal = try InstallJournal(url: file)
        let now = Date(timeIntervalSince1970: 1_790_000_000)
        for (id, name, status) in [("job-f", "srv-01", JournalJobStatus.failed), ("job-r", "win-02", .running), ("job-g", "old-03", .failed)] {
            let request = InstallRequest(site: "lab", hypervisor: .xenserver, osTemplate: "Windows Server 2022 (64-bit)", bootISO: "vizor-ipxe.iso",
                                         imageID: "img-ws2022", imagePath: "/srv/iso/ws2022.iso", editionIndex: 2, editionName: "ServerDatacenter",
                                         machineName: name)
            _ = try await journal.createJob(id: id, site: "lab", hypervisor: "xenserver", imageKey: request.imageKey, request: try request.encoded(), now: now)
            try await journal.setStatus(id, owner: nil, status: status, error: status == .failed ? "Razor: no node checked in" : nil, now: now)
        }
        let store = Store(runner: EffectRunner(backends: BackendSet()))
        await JournalFeed(journal: journal, store: store).poll()
        let cleaned = CleanupLog()
        let dashboard = DashboardProgram(shell: ShellStore(state: DashboardProgram.initialShellState(size: Size(width: 120, height: 30))),
                                         source: { store.state }, dispatch: { store.send($0) })
        dashboard.installControl = JournalInstallControl(journal: journal, cleanup: { id in
            cleaned.add(id)
            return try await journal.resolve(id)
        })
        dashboard.type("4")
        return World(journal: journal, store: store, dashboard: dashboard, cleaned: cleaned, file: file)
    }

    func select(_ id: String, in dashboard: DashboardProgram) throws {
        let rows = dashboard.shell.state.visibleRows(.installs)
        let index = try #require(rows.firstIndex { $0.id == id })
        dashboard.type("g")
        for _ in 0..<index { dashboard.type("j") }
        #expect(dashboard.shell.state.table(.installs).selectedID == id)
    }

    func settle(_ dashboard: DashboardProgram) async {
        for task in dashboard.effects { await task.value }
    }

    @Test func retryQueuesTheFailedJobAgainAndSaysSo() async throws {
        let w = try await world()
        defer { try? FileManager.default.removeItem(at: w.file) }
        try select("job-f", in: w.dashboard)
        w.dashboard.type("R")
        #expect(w.dashboard.overlay == nil)
        await settle(w.dashboard)
        #expect(try await w.journal.job("job-f")?.status == .queued)
        #expect(try await w.journal.log("job-f").last?.message == "retry from \(InstallStep.allCases[0].title) (dashboard)")
        #expect(w.dashboard.shell.state.flash == "job job-f queued again at step 1/7 (\(InstallStep.allCases[0].title))")
    }

    @Test func theJobViewTakesTheSameKeys() async throws {
        let w = try await world()
        defer { try? FileManager.default.removeItem(at: w.file) }
        try select("job-f", in: w.dashboard)
        w.dashboard.press(.enter)
        #expect(w.dashboard.overlay == .job("job-f"))
        // While a log search is typed, R is text, not a retry.
        w.dashboard.type("/R")
        #expect(w.dashboard.effects.isEmpty)
        w.dashboard.press(.escape)
        #expect(w.dashboard.overlay == .job("job-f"))
        w.dashboard.type("R")
        await settle(w.dashboard)
        #expect(try await w.journal.job("job-f")?.status == .queued)
    }

    @Test func retryOfARunningJobIsRefusedWithoutTouchingTheJournal() async throws {
        let w = try await world()
        defer { try? FileManager.default.removeItem(at: w.file) }
        try select("job-r", in: w.dashboard)
        w.dashboard.type("R")
        await settle(w.dashboard)
        #expect(w.dashboard.effects.isEmpty)
        #expect(w.dashboard.shell.state.flash?.hasPrefix("only a failed job can be retried") == true)
        #expect(try await w.journal.job("job-r")?.status == .running)
    }

    @Test func cancelNeedsF10AndWritesTheCancelRequest() async throws {
        let w = try await world()
        defer { try? FileManager.default.removeItem(at: w.file) }
        try select("job-r", in: w.dashboard)
        w.dashboard.type("X")
        w.dashboard.press(.enter, .enter)
        await settle(w.dashboard)
        #expect(try await w.journal.job("job-r")?.cancelRequested == false)
        w.dashboard.press(.escape)
        #expect(w.dashboard.overlay == nil && w.dashboard.shell.state.flash == "cancelled")
        w.dashboard.type("X")
        w.dashboard.press(.function(10))
        #expect(w.dashboard.overlay == nil)
        await settle(w.dashboard)
        #expect(try await w.journal.job("job-r")?.cancelRequested == true)
        #expect(try await w.journal.log("job-r").last?.message == "cancel requested from the dashboard")
        #expect(w.dashboard.shell.state.flash?.hasPrefix("cancel requested for job job-r") == true)
    }

    @Test func cleanUpNeedsTheMachineNameTypedAndRunsTheCleanup() async throws {
        let w = try await world()
        defer { try? FileManager.default.removeItem(at: w.file) }
        try select("job-g", in: w.dashboard)
        w.dashboard.type("C")
        w.dashboard.press(.enter)
        w.dashboard.type("old-0")
        w.dashboard.press(.enter)
        await settle(w.dashboard)
        #expect(w.cleaned.all.isEmpty)
        w.dashboard.type("3")
        w.dashboard.press(.enter)
        await settle(w.dashboard)
        #expect(w.cleaned.all == ["job-g"])
        #expect(w.dashboard.shell.state.flash == "job job-g: leftovers removed")
        // A running job is not cleaned up: it must be cancelled.
        try select("job-r", in: w.dashboard)
        w.dashboard.type("C")
        #expect(w.dashboard.overlay == nil)
        #expect(w.dashboard.shell.state.flash?.hasPrefix("clean up only failed or cancelled jobs") == true)
    }

    @Test func theFooterAndHelpListTheJobKeys() async throws {
        let w = try await world()
        defer { try? FileManager.default.removeItem(at: w.file) }
        let hints = w.dashboard.shell.keymap.hints(for: w.dashboard.shell.state)
        for (keys, text) in [("R", "retry"), ("X", "cancel"), ("C", "clean up")] {
            #expect(hints.contains { $0.keys == keys && $0.text == text })
        }
        let help = w.dashboard.shell.keymap.help(for: .installs, hasTable: true).first?.bindings.map(\.keyLabel) ?? []
        #expect(help.contains("R") && help.contains("X") && help.contains("C"))
    }
}
