import Foundation
import Testing
@testable import VizorMedia
@testable import VizorStore

@Suite struct CatalogStoreTests {
    struct Library {
        let scratch: Scratch
        let root: URL
        let store: MediaCatalogStore
    }

    static func library() throws -> Library {
        let scratch = try Scratch()
        let root = scratch.path("library")
        let editions = WIMReaderTests.editions
        try WindowsFixture.captureWIM(scratch, editions: editions, output: scratch.path("w11.wim"))
        try WindowsFixture.captureWIM(scratch, editions: [editions[3]], output: scratch.path("w10.wim"))
        let w11 = try WindowsFixture.iso(scratch, name: "w11", wim: scratch.path("w11.wim"), languages: ["en-US", "de-DE"])
        let w10 = try WindowsFixture.iso(scratch, name: "w10", wim: scratch.path("w10.wim"), label: "CCCOMA_X86FRE_JA-JP_DV9")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("share/windows"), withIntermediateDirectories: true)
        try FileManager.default.moveItem(at: w11, to: root.appendingPathComponent("share/windows/Win11.ISO"))
        try FileManager.default.moveItem(at: w10, to: root.appendingPathComponent("win10.iso"))
        try scratch.write("library/notes.txt", "not media")
        try scratch.write("library/broken.iso", "garbage")
        try scratch.write("library/skip/ignored.iso", "ignored by --exclude")
        // A symlink loop back to the library root.
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("share/loop").path,
                                                   withDestinationPath: root.path)
        let store = try MediaCatalogStore(url: scratch.path("data/vizor/vizor.sqlite"))
        return Library(scratch: scratch, root: root, store: store)
    }

    @Test func scanCataloguesEveryISOAndRescanReadsNothingUnchanged() async throws {
        let lib = try Self.library()
        let scanner = CatalogScanner(store: lib.store)
        let options = CatalogScanner.Options(sources: [lib.root], exclude: ["skip/*"], concurrency: 2)
        let first = try await scanner.scan(options)
        #expect(first.files == 3)
        #expect(first.analysed == 3)
        #expect(first.failed == 1)
        let entries = try await lib.store.entries()
        #expect(entries.count == 3)
        #expect(entries.filter { $0.image.kind == .windows }.count == 2)
        #expect(entries.first { $0.image.path.hasSuffix("broken.iso") }?.image.error != nil)
        // Rescan: nothing changed, so nothing is analysed and no byte of any ISO is read.
        let second = try await scanner.scan(options)
        #expect(second.unchanged == 3)
        #expect(second.analysed == 0)
        #expect(second.bytesRead == 0)
        // A touched file is read again; a vanished one is marked missing, not dropped.
        let win10 = lib.root.appendingPathComponent("win10.iso")
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: win10.path)
        try FileManager.default.removeItem(at: lib.root.appendingPathComponent("broken.iso"))
        let third = try await scanner.scan(options)
        #expect(third.analysed == 1)
        #expect(third.missing == 1)
        let after = try await lib.store.entries()
        #expect(after.count == 3)
        #expect(after.first { $0.image.path.hasSuffix("broken.iso") }?.missing == true)
        #expect(after.filter { !$0.missing }.count == 2)
        // Stable ids across rescans.
        #expect(Set(after.map(\.id)) == Set(entries.map(\.id)))
    }

    @Test func searchByNameEditionLanguageBuildAndArchitecture() async throws {
        let lib = try Self.library()
        _ = try await CatalogScanner(store: lib.store).scan(.init(sources: [lib.root], exclude: ["skip"]))
        let store = lib.store
        #expect(try await store.entries(CatalogQuery(text: "Win11")).count == 1)
        // Win11.ISO carries all four editions, win10.iso only the x86 Education one.
        #expect(try await store.entries(CatalogQuery(edition: "Education")).count == 2)
        #expect(try await store.entries(CatalogQuery(edition: "Windows 11 Home")).map { $0.image.volumeLabel }
                == ["CCCOMA_X64FRE_EN-US_DV9"])
        #expect(try await store.entries(CatalogQuery(edition: "Professional")).count == 1)
        #expect(try await store.entries(CatalogQuery(language: "ja-JP")).count == 2)
        #expect(try await store.entries(CatalogQuery(language: "de-DE")).count == 1)
        #expect(try await store.entries(CatalogQuery(language: "xx-XX")).isEmpty)
        #expect(try await store.entries(CatalogQuery(build: "22631")).count == 1)
        #expect(try await store.entries(CatalogQuery(build: "10.0.19045")).count == 2)
        #expect(try await store.entries(CatalogQuery(architecture: .x86)).count == 2)
        #expect(try await store.entries(CatalogQuery(architecture: .arm64)).count == 1)
        #expect(try await store.entries(CatalogQuery(edition: "Core", architecture: .x86)).isEmpty)
    }

    @Test func listJSONHasTheDocumentedFields() async throws {
        let lib = try Self.library()
        _ = try await CatalogScanner(store: lib.store).scan(.init(sources: [lib.root], exclude: ["skip"]))
        let items = try await lib.store.entries().map(CatalogListItem.init)
        let data = try JSONEncoder().encode(items)
        let array = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        #expect(array.count == 3)
        for object in array {
            for key in ["id", "path", "size", "kind", "label", "bootable", "error", "editions"] {
                #expect(object.keys.contains(key), "missing \(key)")
            }
        }
        let windows = try #require(array.first { ($0["path"] as? String)?.hasSuffix("Win11.ISO") == true })
        #expect(windows["bootable"] as? [String] == ["bios"])
        #expect(windows["error"] is NSNull)
        let editions = try #require(windows["editions"] as? [[String: Any]])
        #expect(editions.map { $0["arch"] as? String } == ["x64", "x64", "arm64", "x86"])
        #expect(editions.first?["build"] as? String == "10.0.22621.2283")
        #expect(editions.first?["languages"] as? [String] == ["en-US", "de-DE"])
        #expect(editions.first?["edition"] as? String == "Core")
        #expect(editions.first?["index"] as? Int == 1)
    }

    @Test func storeReopensWithMigrationsAppliedOnce() async throws {
        let scratch = try Scratch()
        let url = scratch.path("db/vizor.sqlite")
        let image = MediaImage(id: "abc", path: "/x.iso", size: 1, modified: Date(timeIntervalSince1970: 5), inode: 7,
                               editions: [Edition(index: 1, name: "N", languages: ["en-US"])])
        try await MediaCatalogStore(url: url).save(image, source: "/")
        let reopened = try MediaCatalogStore(url: url)
        #expect(try await reopened.entry(id: "abc")?.image == image)
        let journal = try await reopened.database.read { db in
            try String.fetchOne(db, sql: "PRAGMA journal_mode")
        }
        #expect(journal == "wal")
    }
}
