import Foundation
import Testing
@testable import VizorMedia

@Suite struct CorruptionTests {
    static func bridge(_ scratch: Scratch) throws -> URL {
        try scratch.write("tree/a/b/inner.txt", "inner")
        try scratch.write("tree/sources/lang.ini", "[Available UI Languages]\r\nen-US = 3\r\n")
        try scratch.write("tree/sources/boot.wim", "boot")
        let iso = scratch.path("bridge.iso")
        try Tool.run("genisoimage", ["-quiet", "-udf", "-J", "-iso-level", "3", "-V", "BRIDGE", "-o", iso.path,
                                     scratch.path("tree").path])
        return iso
    }

    static func patch(_ url: URL, at offset: UInt64, _ change: (inout [UInt8]) -> Void, length: Int = 2048) throws {
        let handle = try FileHandle(forUpdating: url)
        try handle.seek(toOffset: offset)
        var bytes = [UInt8](try handle.read(upToCount: length) ?? Data())
        change(&bytes)
        try handle.seek(toOffset: offset)
        try handle.write(contentsOf: Data(bytes))
        try handle.close()
    }

    @Test func fileEntryWithBadChecksumIsAnErrorNotACrash() throws {
        let scratch = try Scratch()
        let iso = try Self.bridge(scratch)
        let tree = try #require(try openMediaFileSystem(at: iso) as? UDFFileSystem)
        let offset = try #require(try tree.fileEntryOffset(of: "sources/lang.ini"))
        try Self.patch(iso, at: offset) { $0[4] &+= 1 }
        let fresh = try openMediaFileSystem(at: iso)
        #expect { try fresh.entry(at: "sources/lang.ini") } throws: { error in
            String(describing: error).contains("checksum")
        }
        let image = MediaAnalyzer().analyze(iso)
        #expect(image.error?.contains("checksum") == true)
        // The neighbour is still readable.
        #expect(try fresh.entry(at: "sources/boot.wim")?.size == 4)
    }

    @Test func badDescriptorCRCInMainSequenceFallsBackToReserveSequence() throws {
        let scratch = try Scratch()
        let iso = try Self.bridge(scratch)
        let source = try FileByteSource(url: iso)
        let anchor = try source.read(at: 256 * 2048, count: 32)
        let mainStart = UInt64(anchor.u32(20))
        try Self.patch(iso, at: mainStart * 2048) { $0[100] ^= 0xFF }  // body byte: CRC no longer matches
        let tree = try openMediaFileSystem(at: iso)
        #expect(tree is UDFFileSystem)
        #expect(try tree.entry(at: "a/b/inner.txt")?.size == 5)
    }

    @Test func damagedAnchorAtSector256FallsBackToTheLastSectorAnchor() throws {
        let scratch = try Scratch()
        let iso = try Self.bridge(scratch)
        try Self.patch(iso, at: 256 * 2048) { $0[4] &+= 7 }
        let tree = try openMediaFileSystem(at: iso)
        #expect(tree is UDFFileSystem)
        #expect(try tree.entry(at: "sources/lang.ini") != nil)
    }

    @Test func udfDirectoryLoopEndsTheWalk() throws {
        let scratch = try Scratch()
        let iso = try Self.bridge(scratch)
        let tree = try #require(try openMediaFileSystem(at: iso) as? UDFFileSystem)
        let directoryA = try #require(try tree.entry(at: "a"))
        let source = try FileByteSource(url: iso)
        let data = try directoryA.read(from: source, at: 0, count: Int(directoryA.size))
        // Find the FID naming "b" and point it back at the root directory.
        var position = 0
        var found: Int?
        while position + 38 <= data.count {
            let nameLength = Int(data[position + 19])
            let useLength = Int(data.u16(position + 36))
            let name = UDFText.cs0(Array(data[(position + 38 + useLength)..<(position + 38 + useLength + nameLength)]))
            if name == "b" { found = position; break }
            position += (38 + useLength + nameLength + 3) & ~3
        }
        let fid = try #require(found)
        let extent = try #require(directoryA.extents.first)
        try Self.patch(iso, at: extent.offset) { bytes in
            let root = tree.rootAddress
            for i in 0..<4 { bytes[fid + 24 + i] = UInt8(truncatingIfNeeded: root.block >> (8 * UInt32(i))) }
            bytes[fid + 28] = UInt8(root.partition & 0xFF)
            bytes[fid + 29] = UInt8(root.partition >> 8)
            UDFDescriptorTag.seal(&bytes, at: fid, crcLength: Int(bytes.u16(fid + 10)))
        }
        let looped = try openMediaFileSystem(at: iso)
        #expect(try looped.children(of: "a/b").map(\.name).sorted() == (try looped.children(of: "").map(\.name).sorted()))
        let all = try looped.walk()
        #expect(all.count < 50)
        #expect(all.contains { $0.path == "a/b" })
        #expect(!all.contains { $0.path.hasPrefix("a/b/") })
    }

    @Test func iso9660DirectoryLoopEndsTheWalk() throws {
        let scratch = try Scratch()
        try scratch.write("tree/a/b/inner.txt", "inner")
        let iso = scratch.path("plain.iso")
        try Tool.run("genisoimage", ["-quiet", "-o", iso.path, scratch.path("tree").path])
        let source = try FileByteSource(url: iso)
        let descriptors = try #require(try ISODescriptorSet.read(from: source))
        let primary = try #require(descriptors.primary)
        let root = try #require(ISO9660FileSystem.rootRecord(primary))
        let plain = try ISO9660FileSystem(url: iso, source: source, descriptors: descriptors)
        let directoryA = try #require(try plain.entry(at: "A"))
        let extent = try #require(directoryA.extents.first)
        try Self.patch(iso, at: extent.offset) { bytes in
            var position = 0
            while position < bytes.count, bytes[position] != 0 {
                let length = Int(bytes[position])
                if bytes[position + 32] == 1, bytes[position + 33] == UInt8(ascii: "B") {
                    let location = root.location
                    for i in 0..<4 {
                        bytes[position + 2 + i] = UInt8(truncatingIfNeeded: location >> (8 * UInt32(i)))
                        bytes[position + 9 - i] = UInt8(truncatingIfNeeded: location >> (8 * UInt32(i)))
                    }
                }
                position += length
            }
        }
        let looped = try openMediaFileSystem(at: iso)
        let all = try looped.walk()
        #expect(all.count < 20)
        #expect(try looped.children(of: "A/B").map(\.name) == ["A"])
        #expect(all.contains { $0.path == "A/B" })
        #expect(!all.contains { $0.path.hasPrefix("A/B/") })
    }

    @Test func corruptBytesNeverCrashTheReaders() throws {
        let scratch = try Scratch()
        let iso = try Self.bridge(scratch)
        let original = try [UInt8](Data(contentsOf: iso))
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<40 {
            var bytes = original
            for _ in 0..<64 {
                let at = Int.random(in: (16 * 2048)..<min(bytes.count, 400 * 2048), using: &generator)
                bytes[at] = UInt8.random(in: 0...255, using: &generator)
            }
            let source = MemoryByteSource(bytes)
            var image = MediaImage(id: "x", path: "/x.iso", size: source.size, modified: Date(), inode: 0)
            do {
                try MediaAnalyzer().analyze(source: source, url: iso, into: &image)
                _ = try openMediaTree(source: source, url: iso).walk(limit: 10_000)
            } catch {
                #expect(!String(describing: error).isEmpty)
            }
        }
    }
}
