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
