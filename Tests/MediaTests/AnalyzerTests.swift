import Foundation
import Testing
@testable import VizorMedia

@Suite struct AnalyzerTests {
    @Test func windowsBridgeISOIsCataloguedWithinTheReadBudget() throws {
        let scratch = try Scratch()
        let wim = scratch.path("install.wim")
        try WindowsFixture.captureWIM(scratch, editions: WIMReaderTests.editions, output: wim)
        let iso = try WindowsFixture.iso(scratch, name: "win11", wim: wim, languages: ["en-US", "de-DE"])
        let image = MediaAnalyzer().analyze(iso)
        #expect(image.error == nil)
        #expect(image.kind == .windows)
        #expect(image.fileSystem == "udf")
        #expect(image.volumeLabel == "CCCOMA_X64FRE_EN-US_DV9")
        #expect(image.bootable == [.bios])
        #expect(image.hasBootWIM)
        #expect(image.installImagePath == "sources/install.wim")
        #expect(image.mediaLanguages == ["en-US", "de-DE"])
        #expect(image.buildLab == "22621.ni_release.220506-1250")
        #expect(image.buildArchitecture == .x64)
        let oracle = try WimInfoOracle.images(wim)
        #expect(image.editions.map(\.name) == oracle.map { $0["Name"] ?? "" })
        #expect(image.editions.map { WimInfoOracle.architecture($0.architecture) } == oracle.map { $0["Architecture"] })
        #expect(image.editions.map { $0.editionID } == oracle.map { $0["Edition ID"] })
        #expect(image.bytesRead > 0)
        #expect(image.bytesRead <= 256 * 1024)
        // isoinfo agrees on the label; the ISO 9660 side shows the same volume.
        let pvd = try Tool.run("isoinfo", ["-d", "-i", iso.path])
        #expect(pvd.contains("Volume id: \(image.volumeLabel ?? "?")"))
        #expect(pvd.contains("El Torito"))
    }

    @Test func esdBasedISOReportsSolidInstallImage() throws {
        let scratch = try Scratch()
        let esd = scratch.path("install.esd")
        try WindowsFixture.captureWIM(scratch, editions: Array(WIMReaderTests.editions.prefix(2)), output: esd,
                                      extra: ["--solid"])
        let iso = try WindowsFixture.iso(scratch, name: "esd", installName: "install.esd", wim: esd)
        let image = MediaAnalyzer().analyze(iso)
        #expect(image.error == nil)
        #expect(image.installImagePath == "sources/install.esd")
        #expect(image.installImageSolid)
        #expect(image.editions.count == 2)
    }

    @Test func truncatedISOGetsAnErrorAndTheScanGoesOn() throws {
        let scratch = try Scratch()
        let wim = scratch.path("install.wim")
        try WindowsFixture.captureWIM(scratch, editions: Array(WIMReaderTests.editions.prefix(1)), output: wim)
        let iso = try WindowsFixture.iso(scratch, name: "cut", wim: wim)
        let handle = try FileHandle(forWritingTo: iso)
        try handle.truncate(atOffset: 600 * 1024)
        try handle.close()
        let image = MediaAnalyzer().analyze(iso)
        #expect(image.error?.contains("truncated") == true)
        let tiny = scratch.path("tiny.iso")
        try Data(try Data(contentsOf: iso).prefix(40_000)).write(to: tiny)
        #expect(MediaAnalyzer().analyze(tiny).error != nil)
    }

    @Test func zeroLengthAndRandomFilesNamedISOAreReportedNotFatal() throws {
        let scratch = try Scratch()
        try scratch.write("empty.iso", Data())
        var generator = SystemRandomNumberGenerator()
        try scratch.write("random.iso", Data((0..<(700 * 1024)).map { _ in UInt8.random(in: 0...255, using: &generator) }))
        let empty = MediaAnalyzer().analyze(scratch.path("empty.iso"))
        #expect(empty.error?.contains("empty") == true)
        let random = MediaAnalyzer().analyze(scratch.path("random.iso"))
        #expect(random.error?.contains("neither") == true)
        #expect(random.kind == .other)
        #expect(random.bytesRead < 64 * 1024)
    }

    @Test func languagePackMediaListsItsPacks() throws {
        let scratch = try Scratch()
        for language in ["fr-fr", "de-de", "sr-latn-rs"] {
            try scratch.write("lp/x64/langpacks/Microsoft-Windows-Client-Language-Pack_x64_\(language).cab", "MSCF")
        }
        try scratch.write("lp/x64/langpacks/Microsoft-Windows-LanguageFeatures-Basic-fr-fr-Package~31bf3856ad364e35~amd64~~.cab", "MSCF")
        let iso = scratch.path("22621.1.220506-1250.ni_release_amd64fre_CLIENT_LOF_PACKAGES_OEM.iso")
        try Tool.run("genisoimage", ["-quiet", "-udf", "-J", "-joliet-long", "-iso-level", "3", "-V", "LP_DVD",
                                     "-o", iso.path, scratch.path("lp").path])
        let image = MediaAnalyzer().analyze(iso)
        #expect(image.error == nil)
        #expect(image.kind == .languagePack)
        #expect(Set(image.languagePacks.map(\.language)) == ["fr-FR", "de-DE", "sr-Latn-RS"])
        #expect(image.languagePacks.allSatisfy { $0.architecture == .x64 && $0.build == 22621 })
    }

    @Test func debianLikeISOWithRockRidgeIsIdentifiedFromDiskInfo() throws {
        let scratch = try Scratch()
        try scratch.write("deb/.disk/info", "Debian GNU/Linux 12.5.0 \"Bookworm\" - Official amd64 NETINST with firmware 20240210-11:27")
        try scratch.write("deb/isolinux/isolinux.cfg", "default vesamenu.c32\n")
        try scratch.write("deb/isolinux/isolinux.bin", Data(repeating: 0xFA, count: 2048))
        try scratch.write("deb/install.amd/vmlinuz", "kernel")
        let iso = scratch.path("debian.iso")
        try Tool.run("genisoimage", ["-quiet", "-R", "-J", "-V", "Debian 12.5.0 amd64 n", "-b", "isolinux/isolinux.bin",
                                     "-c", "isolinux/boot.cat", "-no-emul-boot", "-boot-load-size", "4",
                                     "-boot-info-table", "-o", iso.path, scratch.path("deb").path])
        let image = MediaAnalyzer().analyze(iso)
        #expect(image.error == nil)
        #expect(image.kind == .linux)
        #expect(image.fileSystem == "rockRidge")
        #expect(image.linux?.distribution == "Debian GNU/Linux")
        #expect(image.linux?.version == "12.5.0")
        #expect(image.linux?.architecture == "amd64")
        #expect(image.bootable == [.bios])
        #expect(image.volumeLabel == "Debian 12.5.0 amd64 n")
    }
}

@Suite struct LargeInstallImageTests {
    /// A >1 GiB install.wim: genisoimage splits it into short_ad extents of at
    /// most 0x3FFFF800 bytes, and the XML (at the end) lies in the last one.
    @Test func xmlBeyondTheFirstUDFExtentIsReadThroughTheExtentMap() throws {
        let scratch = try Scratch()
        let payload = scratch.path("payload/huge.bin")
        try FileManager.default.createDirectory(at: payload.deletingLastPathComponent(), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: payload.path, contents: nil)
        let handle = try FileHandle(forWritingTo: payload)
        try handle.truncate(atOffset: 0x3FFF_F800 + (3 << 20))
        try handle.close()
        let wim = scratch.path("install.wim")
        try WindowsFixture.captureWIM(scratch, editions: Array(WIMReaderTests.editions.prefix(2)), output: wim,
                                      extra: ["--compress=none"], content: scratch.path("payload"))
        try FileManager.default.removeItem(at: payload)
        let iso = try WindowsFixture.iso(scratch, name: "large", wim: wim, extraArguments: ["-allow-limited-size"])
        try FileManager.default.removeItem(at: wim.deletingLastPathComponent().appendingPathComponent("iso-large"))
        let tree = try #require(try openMediaFileSystem(at: iso) as? UDFFileSystem)
        let entry = try #require(try tree.entry(at: "sources/install.wim"))
        #expect(entry.extents.count >= 2)
        #expect(entry.extents.allSatisfy { $0.length <= 0x3FFF_F800 })
        #expect(entry.extents.reduce(0) { $0 + $1.length } == entry.size)
        let source = try FileByteSource(url: iso)
        let header = try WIMReader.readHeader(EntryByteSource(entry: entry, image: source))
        #expect(header.xml.offset > entry.extents[0].length)
        let xml = try entry.read(from: source, at: header.xml.offset, count: Int(header.xml.storedSize))
        let oracleFile = scratch.path("xml.bin")
        try Tool.run("wiminfo", [wim.path, "--extract-xml=\(oracleFile.path)"])
        #expect(xml == [UInt8](try Data(contentsOf: oracleFile)))
        // The bridge's ISO 9660 record points at the same data blocks as the UDF extents.
        let descriptors = try #require(try ISODescriptorSet.read(from: source))
        let plain = try ISO9660FileSystem(url: iso, source: source, descriptors: descriptors, prefer: .plain)
        #expect(try plain.entry(at: "SOURCES/INSTALL.WIM")?.extents.first?.offset == entry.extents.first?.offset)
        let image = MediaAnalyzer().analyze(iso)
        #expect(image.error == nil)
        #expect(image.editions.map(\.name) == (try WimInfoOracle.images(wim)).map { $0["Name"] ?? "" })
        #expect(image.bytesRead <= 256 * 1024)
        try FileManager.default.removeItem(at: wim)
        try FileManager.default.removeItem(at: iso)
    }
}
