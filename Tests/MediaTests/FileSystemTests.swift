import Foundation
import Testing
@testable import VizorMedia

@Suite struct UDFBridgeTests {
    /// genisoimage -udf writes the ISO 9660 + Joliet + UDF 1.02 bridge Microsoft media use.
    @Test func genisoimageBridgeIsReadThroughUDFAndMatches7z() throws {
        let scratch = try Scratch()
        try scratch.write("tree/sources/lang.ini", "\r\n[Available UI Languages]\r\nen-US = 3\r\n")
        try scratch.write("tree/setup.exe", String(repeating: "MZ", count: 3000))
        try scratch.write("tree/Boot/Fonts/a.ttf", "font")
        try scratch.write("tree/empty.txt", "")
        let iso = scratch.path("bridge.iso")
        try Tool.run("genisoimage", ["-quiet", "-udf", "-J", "-joliet-long", "-iso-level", "3",
                                     "-V", "CCCOMA_X64FRE_EN-US_DV9", "-o", iso.path, scratch.path("tree").path])
        let tree = try openMediaFileSystem(at: iso)
        #expect(tree is UDFFileSystem)
        let udf = try #require(tree as? UDFFileSystem)
        #expect(udf.volume.revision == 0x0102)
        let lang = try #require(try tree.entry(at: "sources/lang.ini"))
        let source = try FileByteSource(url: iso)
        let text = String(decoding: try lang.read(from: source, at: 0, count: Int(lang.size)), as: UTF8.self)
        #expect(text.contains("en-US = 3"))
        let empty = try #require(try tree.entry(at: "empty.txt"))
        #expect(empty.size == 0)
        #expect(try tree.entry(at: "SOURCES/LANG.INI") == nil)
        #expect(try udf.entry(at: "SOURCES/LANG.INI", caseInsensitive: true)?.path == "sources/lang.ini")
        // 7-Zip's UDF view is the oracle for names and sizes.
        let listing = try Tool.run("7z", ["l", "-slt", "-tudf", iso.path])
        let oracle = SevenZip.files(listing)
        let ours = try tree.walk().filter { !$0.isDirectory }
        #expect(Dictionary(uniqueKeysWithValues: ours.map { ($0.path, $0.size) }) == oracle)
    }
}

enum SevenZip {
    /// Path -> size of the files (not folders) in `7z l -slt` output.
    static func files(_ listing: String) -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        var path: String?
        var size: UInt64?
        var folder = false
        func flush() {
            if let path, let size, !folder { result[path] = size }
            path = nil; size = nil; folder = false
        }
        var started = false
        for line in listing.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("----------") { started = true; continue }
            guard started else { continue }
            if line.hasPrefix("Path = ") { flush(); path = String(line.dropFirst(7)) }
            if line.hasPrefix("Size = ") { size = UInt64(line.dropFirst(7)) }
            if line.hasPrefix("Folder = +") { folder = true }
        }
        flush()
        return result
    }
}

@Suite struct UDFVariantsTests {
    /// mkudffs writes UDF-only images (no ISO 9660) of every revision it supports, in 512 and 2048-byte blocks.
    @Test(arguments: [("1.02", 2048, "short"), ("1.50", 512, "long"), ("2.00", 2048, "inicb"), ("2.01", 512, "inicb"),
                      ("2.01", 2048, "long")])
    func mkudffsImagesMatchUdfinfo(revision: String, blockSize: Int, ad: String) throws {
        let scratch = try Scratch()
        let image = scratch.path("udf.img")
        _ = FileManager.default.createFile(atPath: image.path, contents: nil)
        let handle = try FileHandle(forWritingTo: image)
        try handle.truncate(atOffset: 16 << 20)
        try handle.close()
        try Tool.run("mkudffs", ["--media-type=hd", "--blocksize=\(blockSize)", "--udfrev=\(revision)",
                                 "--ad=\(ad)", "--label=VIZOR_\(revision)", image.path])
        let info = try Tool.run("udfinfo", [image.path])
        var fields: [String: String] = [:]
        for line in info.split(separator: "\n") {
            let pair = line.split(separator: "=", maxSplits: 1).map(String.init)
            if pair.count == 2 { fields[pair[0]] = pair[1] }
        }
        let tree = try #require(try openMediaFileSystem(at: image) as? UDFFileSystem)
        #expect(tree.volume.logicalVolumeIdentifier == fields["lvid"])
        #expect(tree.volume.volumeIdentifier == fields["vid"])
        #expect(String(tree.volume.blockSize) == fields["blocksize"])
        let rev = tree.volume.revision
        #expect("\(rev >> 8).\(String(format: "%02x", rev & 0xFF))" == fields["udfrev"])
        let walked = try tree.walk()
        #expect(walked.filter { !$0.isDirectory }.count == Int(fields["numfiles"] ?? "-1"))
        #expect(walked.filter(\.isDirectory).count + 1 == Int(fields["numdirs"] ?? "-1"))
    }

    /// pycdlib (asked for UDF 2.60; the installed version records 1.02, which udfinfo confirms) with an El Torito EFI entry.
    @Test func pycdlibBridgeWithEFIBootEntryMatchesUdfinfo7zAndIsoinfo() throws {
        let scratch = try Scratch()
        let iso = scratch.path("pycd.iso")
        _ = try Tool.python("""
        import pycdlib, io
        iso = pycdlib.PyCdlib()
        iso.new(udf='2.60', joliet=3, rock_ridge='1.09', vol_ident='PYCD_UDF260')
        def add(path, data, udf):
            iso.add_fp(io.BytesIO(data), len(data), path, rr_name=path.split('/')[-1].split(';')[0].lower(),
                       joliet_path=udf, udf_path=udf)
        iso.add_directory('/EFI', rr_name='efi', joliet_path='/efi', udf_path='/efi')
        iso.add_directory('/SOURCES', rr_name='sources', joliet_path='/sources', udf_path='/sources')
        add('/BOOT.IMG;1', b'\\xeb' * 2048, '/boot.img')
        add('/EFI/EFISYS.BIN;1', b'\\x00' * 4096, '/efi/efisys.bin')
        add('/SOURCES/LANG.INI;1', b'[Available UI Languages]\\r\\nfr-FR = 3\\r\\n', '/sources/lang.ini')
        iso.add_eltorito('/BOOT.IMG;1', bootcatfile='/BOOT.CAT;1', udf_bootcatfile='/boot.cat', boot_load_size=4)
        iso.add_eltorito('/EFI/EFISYS.BIN;1', efi=True, platform_id=0xef, boot_load_size=8)
        iso.write('\(iso.path)')
        iso.close()
        """)
        let tree = try #require(try openMediaFileSystem(at: iso) as? UDFFileSystem)
        // The installed pycdlib records the revision it actually writes; udfinfo is the judge.
        let udfinfo = try Tool.run("udfinfo", [iso.path])
        let rev = tree.volume.revision
        #expect(udfinfo.contains("udfrev=\(rev >> 8).\(String(format: "%02x", rev & 0xFF))\n"))
        #expect(tree.volume.descriptorVersion == (rev >= 0x0200 ? 3 : 2))
        let oracle = SevenZip.files(try Tool.run("7z", ["l", "-slt", "-tudf", iso.path]))
        let ours = try tree.walk().filter { !$0.isDirectory }
        #expect(Dictionary(uniqueKeysWithValues: ours.map { ($0.path, $0.size) }) == oracle)
        let image = MediaAnalyzer().analyze(iso)
        #expect(image.bootable == [.bios, .uefi])
        #expect(image.volumeLabel == "PYCD_UDF260")
        let source = try FileByteSource(url: iso)
        let descriptors = try #require(try ISODescriptorSet.read(from: source))
        let entries = try ElTorito.read(from: source, catalogSector: try #require(descriptors.bootCatalogSector))
        #expect(entries.map(\.platform) == [.bios, .uefi])
        #expect(entries.map(\.sectorCount) == [4, 8])
        // isoinfo resolves the same boot image sectors.
        let listing = try Tool.run("isoinfo", ["-l", "-i", iso.path])
        let bootLine = try #require(listing.split(separator: "\n").first { $0.contains("BOOT.IMG;1") })
        let bracket = bootLine.split(separator: "[").last?.split(separator: " ").first.map(String.init)
        #expect(bracket == String(entries[0].loadBlock))
    }
}

@Suite struct ISO9660Tests {
    /// Each ISO 9660 view (Rock Ridge, Joliet, plain) lists what isoinfo lists.
    @Test(arguments: [ISO9660FileSystem.Flavor.rockRidge, .joliet, .plain])
    func viewsMatchIsoinfo(flavor: ISO9660FileSystem.Flavor) throws {
        let scratch = try Scratch()
        try scratch.write("tree/Mixed Case Name.txt", "hello")
        try scratch.write("tree/dir/sub/deep.bin", Data(repeating: 1, count: 5000))
        try scratch.write("tree/dir/zero", "")
        let iso = scratch.path("r.iso")
        try Tool.run("genisoimage", ["-quiet", "-R", "-J", "-o", iso.path, scratch.path("tree").path])
        let source = try FileByteSource(url: iso)
        let descriptors = try #require(try ISODescriptorSet.read(from: source))
        let tree = try ISO9660FileSystem(url: iso, source: source, descriptors: descriptors, prefer: flavor)
        #expect(tree.flavor == flavor)
        let option = flavor == .rockRidge ? ["-R"] : flavor == .joliet ? ["-J"] : []
        let oracle = try Tool.run("isoinfo", option + ["-f", "-i", iso.path])
            .split(separator: "\n").map { line -> String in
                var path = String(line.dropFirst())
                if flavor == .plain, let semicolon = path.lastIndex(of: ";") { path = String(path[..<semicolon]) }
                if flavor == .plain, path.hasSuffix(".") { path.removeLast() }
                return path
            }
        #expect(Set(try tree.walk().map(\.path)) == Set(oracle))
        let deep = try #require(try tree.entry(at: flavor == .plain ? "DIR/SUB/DEEP.BIN" : "dir/sub/deep.bin"))
        #expect(deep.size == 5000)
        #expect(try deep.read(from: source, at: 4990, count: 100) == [UInt8](repeating: 1, count: 10))
    }
}
