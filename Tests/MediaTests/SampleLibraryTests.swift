import Foundation
import Testing
@testable import VizorLab
@testable import VizorMedia

@Suite(.serialized) struct SampleLibraryTests {
    /// Small sizes so 7z can extract each install image for wiminfo.
    @Test func sampleISOsAreJudgedByUdfinfo7zIsoinfoAndWiminfo() throws {
        let scratch = try Scratch()
        let urls = try SampleLibrary.ensure(in: scratch.path("lib"), realisticSizes: false)
        #expect(urls.count == 7)
        for url in urls {
            let image = MediaAnalyzer().analyze(url)
            #expect(image.error == nil, "\(url.lastPathComponent): \(image.error ?? "")")
            let udfinfo = try Tool.run("udfinfo", [url.path])
            #expect(udfinfo.contains("udfrev=1.02"))
            #expect(udfinfo.contains("lvid=\(image.volumeLabel ?? "?")") || image.kind == .linux)
            let tree = try openMediaFileSystem(at: url)
            let oracle = SevenZip.files(try Tool.run("7z", ["l", "-slt", "-tudf", url.path]))
            let ours = try tree.walk().filter { !$0.isDirectory }
            #expect(Dictionary(uniqueKeysWithValues: ours.map { ($0.path, $0.size) }) == oracle)
            let isoinfo = try Tool.run("isoinfo", ["-d", "-i", url.path])
            #expect(isoinfo.contains("Volume id: \(image.volumeLabel?.uppercased() ?? "?")"))
            let listing = try Tool.run("isoinfo", ["-f", "-i", url.path])
            #expect(listing.split(separator: "\n").count == (try tree.walk()).count)
            if let install = image.installImagePath {
                let extracted = scratch.path("x/\(url.lastPathComponent)/\(URL(fileURLWithPath: install).lastPathComponent)")
                try Tool.run("7z", ["e", "-tudf", "-y", "-o\(extracted.deletingLastPathComponent().path)", url.path, install])
                let wiminfo = try WimInfoOracle.images(extracted)
                #expect(wiminfo.map { $0["Name"] } == image.editions.map { $0.name })
                #expect(wiminfo.map { $0["Architecture"] } == image.editions.map { WimInfoOracle.architecture($0.architecture) })
                #expect(wiminfo.map { $0["Build"] } == image.editions.map { $0.version.map { String($0.build) } })
                #expect(wiminfo.map { $0["Languages"] } == image.editions.map { $0.languages.joined(separator: " ") })
            }
        }
        let kinds = urls.map { MediaAnalyzer().analyze($0).kind }
        #expect(kinds.filter { $0 == .windows }.count == 5)
        #expect(kinds.contains(.languagePack))
        #expect(kinds.contains(.linux))
    }

    @Test func realisticSizedLibraryIsSparseAndCataloguedWithinBudget() throws {
        let scratch = try Scratch()
        let urls = try SampleLibrary.ensure(in: scratch.path("lib"))
        var apparent: UInt64 = 0
        var allocated: UInt64 = 0
        for url in urls {
            var info = stat()
            #expect(stat(url.path, &info) == 0)
            apparent += UInt64(info.st_size)
            allocated += UInt64(info.st_blocks) * 512
            let image = MediaAnalyzer().analyze(url)
            #expect(image.error == nil)
            #expect(image.bytesRead <= 256 * 1024)
        }
        #expect(apparent > 20 * (1 << 30))
        #expect(allocated < 64 << 20)
        let server = MediaAnalyzer().analyze(try #require(urls.first { $0.lastPathComponent.contains("Server") }))
        #expect(server.editions.count == 4)
        #expect(server.bootable == [.bios, .uefi])
        let tree = try openMediaFileSystem(at: server.path.isEmpty ? urls[0] : URL(fileURLWithPath: server.path))
        let install = try #require(try tree.entry(at: "sources/install.wim"))
        #expect(install.extents.count >= 5)
        // Built once: a second call reuses the files.
        let before = try FileManager.default.attributesOfItem(atPath: urls[0].path)[.modificationDate] as? Date
        _ = try SampleLibrary.ensure(in: scratch.path("lib"))
        #expect(try FileManager.default.attributesOfItem(atPath: urls[0].path)[.modificationDate] as? Date == before)
    }
}
