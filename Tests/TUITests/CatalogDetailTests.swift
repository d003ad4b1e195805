import BackendKit
import Foundation
import Testing
import VizorMedia
@testable import VizorModel
import VizorTUI

/// The catalog's own detail view (every field of an ISO or an edition) and
/// the rescan progress in the status line.
@Suite("Catalog detail and rescan progress")
@MainActor
struct CatalogDetailTests {
    nonisolated static let sizes = [Size(width: 80, height: 24), Size(width: 160, height: 48)]

    func select(_ id: String, in dashboard: DashboardProgram) throws {
        let rows = dashboard.shell.state.visibleRows(.catalog)
        let index = try #require(rows.firstIndex { $0.id == id })
        dashboard.type("1g")
        for _ in 0..<index { dashboard.type("j") }
    }

    @Test func enterOnAnImageShowsEveryCatalogFieldAndEscGoesBack() throws {
        let (dashboard, _) = ModelFixtures.dashboard(Size(width: 160, height: 48))
        try select("image:img-w11", in: dashboard)
        dashboard.press(.enter)
        guard case .catalogDetail(let detail) = dashboard.overlay else { Issue.record("no catalog detail"); return }
        let text = detail.lines.joined(separator: "\n")
        for expected in ["/srv/iso/Windows_11_22H2_x64.iso", "5.8 GiB (6200000000 bytes)", "windows", "uefi", "EDITIONS (1)",
                         "Professional", "10.0.22621", "en-US,de-DE", "LANGUAGE PACKS (1)", "fr-FR  x64  build 22621  x64/fr-FR.cab"] {
            #expect(text.contains(expected), "missing \(expected)")
        }
        #expect(dashboard.shell.state.mode == .normal)
        dashboard.press(.escape)
        #expect(dashboard.overlay == nil)
    }

    @Test func theUnreadableImageShowsItsError() throws {
        let detail = try #require(CatalogDetail.of(rowID: "image:img-bad", in: ModelFixtures.state))
        #expect(detail.lines.contains { $0.hasPrefix("Error") && $0.hasSuffix("not an ISO 9660 image: no primary volume descriptor") })
        #expect(detail.lines.contains { $0.hasPrefix("Status") && $0.hasSuffix("error") })
        #expect(CatalogDetail.of(rowID: "source:iso share", in: ModelFixtures.state) == nil)
        #expect(CatalogDetail.of(rowID: "edition:img-w11:9", in: ModelFixtures.state) == nil)
    }

    @Test func anEditionListsItsFieldsAndTheLanguagePacksThatFitIt() throws {
        let detail = try #require(CatalogDetail.of(rowID: "edition:img-w11:1", in: ModelFixtures.state))
        let text = detail.lines.joined(separator: "\n")
        for expected in ["Index            1", "Edition id       Professional", "Architecture     x64", "Build            10.0.22621",
                         "Languages        en-US, de-DE", "ISO              /srv/iso/Windows_11_22H2_x64.iso", "fr-FR  x64  build 22621"] {
            #expect(text.contains(expected), "missing \(expected)")
        }
    }

    @Test func longDetailsScrollWithinBounds() throws {
        var detail = try #require(CatalogDetail.of(rowID: "image:img-ws2022", in: ModelFixtures.state))
        let page = 5
        var handled = detail.scroll(.char("G"), page: page)
        #expect(handled && detail.top == detail.lines.count - page)
        handled = detail.scroll(.char("j"), page: page)
        #expect(handled && detail.top == detail.lines.count - page)
        handled = detail.scroll(.char("g"), page: page)
        #expect(handled && detail.top == 0)
        handled = detail.scroll(.char("k"), page: page)
        #expect(handled && detail.top == 0)
        handled = detail.scroll(.char("x"), page: page)
        #expect(!handled)
    }

    @Test(arguments: sizes) func snapshotOfTheImageAndEditionDetail(size: Size) throws {
        let (dashboard, _) = ModelFixtures.dashboard(size)
        try select("image:img-w11", in: dashboard)
        dashboard.press(.enter)
        assertSnapshot(dashboard.frame(), named: "dash-catalog-image-\(size)")
        dashboard.press(.escape)
        try select("edition:img-ws2022:2", in: dashboard)
        dashboard.press(.enter)
        assertSnapshot(dashboard.frame(), named: "dash-catalog-edition-\(size)")
    }

    // MARK: Rescan progress

    static func scanning(_ progress: MediaScanProgress?) -> AppState {
        var state = ModelFixtures.state
        state.scans[BackendID(site: "lab", kind: .media)] = progress
        return state
    }

    @Test(arguments: sizes) func rescanProgressShowsInTheStatusLine(size: Size) {
        let (dashboard, _) = ModelFixtures.dashboard(size, state: Self.scanning(MediaScanProgress(done: 1, total: 3, current: "/srv/iso/Windows_11_22H2_x64.iso")))
        #expect(dashboard.shell.state.activity == "rescanning 1/3 · Windows_11_22H2_x64.iso")
        assertSnapshot(dashboard.frame(), named: "dash-rescan-progress-\(size)")
    }

    @Test func theReducerKeepsProgressUntilTheScanEnds() {
        var state = ModelFixtures.state
        let media = BackendID(site: "lab", kind: .media)
        state.generations[media] = 3
        let tag = PollerTag(backend: media, generation: 3)
        _ = VizorModel.reduce(&state, .mediaScanProgress(tag, MediaScanProgress(done: 0, total: 2, current: "/srv/iso/a.iso")))
        #expect(state.scans[media]?.current == "/srv/iso/a.iso")
        #expect(ModelProjection.scanActivity(state) == "rescanning 0/2 · a.iso")
        // A report from an older poller generation is ignored.
        _ = VizorModel.reduce(&state, .mediaScanProgress(PollerTag(backend: media, generation: 2), MediaScanProgress(done: 1, total: 9, current: nil)))
        #expect(state.scans[media]?.total == 2)
        _ = VizorModel.reduce(&state, .mediaScanned(tag, [], at: Date()))
        #expect(state.scans[media] == nil)
        #expect(ModelProjection.scanActivity(state) == nil)
    }

    @Test func theDirectoryScannerReportsEachFileThenTheEnd() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("scan-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for name in ["a.iso", "b.iso", "notes.txt"] {
            try Data(repeating: 0, count: 4096).write(to: directory.appendingPathComponent(name))
        }
        final class Reports: @unchecked Sendable {
            let lock = NSLock()
            var all: [MediaScanProgress] = []
        }
        let reports = Reports()
        let scanner = DirectoryMediaScanner(sources: [MediaSourceInfo(name: "tmp", path: directory.path)])
        let images = try await scanner.scan { report in reports.lock.withLock { reports.all.append(report) } }
        #expect(images.count == 2)
        let seen = reports.lock.withLock { reports.all }
        #expect(seen.map(\.done) == [0, 1, 2] && seen.allSatisfy { $0.total == 2 })
        #expect(Set(seen.compactMap(\.current).map { ($0 as NSString).lastPathComponent }) == ["a.iso", "b.iso"])
        #expect(seen.last?.current == nil)
    }
}

/// The media poller forwards a scanner's progress to the store, all of it
/// before the scan's result.
@Suite("Media scan progress delivery")
struct MediaScanProgressDeliveryTests {
    actor Sent {
        var actions: [Action] = []
        func add(_ action: Action) { actions.append(action) }
    }

    struct SilentScanner: MediaScanner {
        func scan() async throws -> [MediaImage] { [] }
    }

    static func context(_ sent: Sent) -> PollerContext {
        PollerContext(tag: PollerTag(backend: BackendID(site: "lab", kind: .media), generation: 1), clock: SystemClock(),
                      settings: PollerSettings(), random: { 0.5 }, send: { await sent.add($0) })
    }

    @Test func everyReportReachesTheStoreBeforeTheScanReturns() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("scan-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for name in ["a.iso", "b.iso", "c.iso"] { try Data(repeating: 0, count: 2048).write(to: directory.appendingPathComponent(name)) }
        let sent = Sent()
        let scanner = DirectoryMediaScanner(sources: [MediaSourceInfo(name: "tmp", path: directory.path)])
        let images = try await scanWithProgress(scanner, context: Self.context(sent))
        #expect(images.count == 3)
        let reports = await sent.actions.compactMap { action -> MediaScanProgress? in
            if case .mediaScanProgress(_, let progress) = action { return progress } else { return nil }
        }
        #expect(!reports.isEmpty)
        #expect(reports.last == MediaScanProgress(done: 3, total: 3, current: nil))
        #expect(reports.map(\.done) == reports.map(\.done).sorted())
    }

    @Test func aScannerWithoutProgressSendsNothing() async throws {
        let sent = Sent()
        let images = try await scanWithProgress(SilentScanner(), context: Self.context(sent))
        #expect(images.isEmpty)
        #expect(await sent.actions.isEmpty)
    }
}
