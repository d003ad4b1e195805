import Foundation
import Testing
import VizorExposure
import VizorMedia

@Suite("FUSE view of an ISO", .serialized)
struct FuseMountTests {
    @Test("the mounted tree and every file's SHA-256 equal 7z extraction; writes are refused; unmount leaves nothing",
          arguments: ["bridge", "udf-only"])
    func mountMatchesSevenZip(kind: String) async throws {
        let fixtures = try Fixtures.get()
        let iso = kind == "bridge" ? fixtures.bridgeISO : fixtures.udfOnlyISO
        let scratch = try TemporaryDirectory("fuse")
        defer { scratch.remove() }
        let oracle = try Extraction(of: iso, into: scratch.url.appendingPathComponent("oracle"))
        let image = try ExposedImage(id: "fuse-\(kind)", fileSystem: try openMediaFileSystem(at: iso))
        let mountPoint = scratch.url.appendingPathComponent("mnt").path
        let mount = try FuseMount.mount(image, at: mountPoint)
        try await whileMounted(mount) {
            #expect(FuseMount.isMounted(mountPoint))
            #expect(FuseMount.vizorMounts().contains { $0.mountPoint == mountPoint && $0.imageID == "fuse-\(kind)" })

            let seen = try walkTree(URL(fileURLWithPath: mountPoint))
            #expect(seen.directories == oracle.directories)
            #expect(Set(seen.files.keys) == Set(oracle.files.keys))
            for (path, data) in oracle.files {
                #expect(seen.files[path].map(sha256) == sha256(data), "\(path)")
            }
            let attributes = try FileManager.default.attributesOfItem(atPath: mountPoint + "/sources/install.wim")
            #expect((attributes[.size] as? NSNumber)?.intValue == fixtures.files["sources/install.wim"]!.count)
            let entry = try #require(try image.fileSystem.entry(at: "sources/install.wim"))
            let mtime = try #require(attributes[.modificationDate] as? Date)
            #expect(abs(mtime.timeIntervalSince1970 - entry.modified.timeIntervalSince1970) < 1)

            // Writes of every kind are refused with EROFS.
            #expect(open(mountPoint + "/bootmgr", O_WRONLY) == -1 && errno == EROFS)
            #expect(open(mountPoint + "/new.txt", O_WRONLY | O_CREAT, 0o644) == -1 && errno == EROFS)
            #expect(mkdir(mountPoint + "/newdir", 0o755) == -1 && errno == EROFS)
            #expect(unlink(mountPoint + "/bootmgr") == -1 && errno == EROFS)
            #expect(rename(mountPoint + "/bootmgr", mountPoint + "/x") == -1 && errno == EROFS)
            #expect(truncate(mountPoint + "/bootmgr", 0) == -1 && errno == EROFS)
            #expect(seen.files["bootmgr"] == fixtures.files["bootmgr"], "the file is intact after the attempts")

            try await mount.unmount()
            #expect(!FuseMount.isMounted(mountPoint))
            #expect(try FileManager.default.contentsOfDirectory(atPath: mountPoint).isEmpty)
            #expect(!FuseMount.vizorMounts().contains { $0.mountPoint == mountPoint })
        }
    }

    @Test("reads at any offset and size through the mount stitch extents correctly")
    func randomReads() async throws {
        let fixtures = try Fixtures.get()
        let scratch = try TemporaryDirectory("fuse-reads")
        defer { scratch.remove() }
        let image = try ExposedImage(id: "reads", fileSystem: try openMediaFileSystem(at: fixtures.bridgeISO))
        let mountPoint = scratch.url.appendingPathComponent("mnt").path
        let mount = try FuseMount.mount(image, at: mountPoint)
        try await whileMounted(mount) {
            let expected = fixtures.files["sources/install.wim"]!
            let fd = open(mountPoint + "/sources/install.wim", O_RDONLY)
            #expect(fd >= 0)
            var generator = SystemRandomNumberGenerator()
            for _ in 0..<200 {
                let offset = Int.random(in: 0..<expected.count, using: &generator)
                let count = Int.random(in: 1...200_000, using: &generator)
                var buffer = [UInt8](repeating: 0, count: count)
                let got = pread(fd, &buffer, count, off_t(offset))
                let want = min(count, expected.count - offset)
                #expect(got == want)
                #expect(Data(buffer[0..<max(0, got)]) == expected.subdata(in: offset..<(offset + want)))
            }
            var tail = [UInt8](repeating: 0, count: 10)
            #expect(pread(fd, &tail, 10, off_t(expected.count)) == 0)
            close(fd)
            try await mount.unmount()
            #expect(!FuseMount.isMounted(mountPoint))
        }
    }
}
