import Crypto
import Foundation
import VizorExposure

/// Runs a tool with arguments (no shell) and returns its status and output.
@discardableResult
func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

struct FixtureError: Error, CustomStringConvertible {
    var description: String
}

func sha256(_ data: Data) -> String {
    SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
}

/// Deterministic bytes, different per file, so misplaced extents show.
func pseudoRandomBytes(count: Int, seed: UInt64) -> Data {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    var data = Data(count: count)
    data.withUnsafeMutableBytes { raw in
        let bytes = raw.bindMemory(to: UInt8.self)
        for index in 0..<count {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            bytes[index] = UInt8(truncatingIfNeeded: state)
        }
    }
    return data
}

/// The test ISOs, built once per test process by independent tools, and
/// their 7z extractions (the oracle).
struct Fixtures: Sendable {
    let root: URL
    /// genisoimage -udf: ISO 9660 + Joliet + Rock Ridge + UDF 1.02 bridge.
    let bridgeISO: URL
    /// pycdlib UDF 2.60 with every file only in the UDF tree, as on Microsoft media.
    let udfOnlyISO: URL
    /// Paths (relative, "/"-joined) of the source tree, files with their bytes.
    let files: [String: Data]
    let directories: Set<String>

    static let shared: Result<Fixtures, FixtureError> = {
        do { return .success(try build()) } catch let error as FixtureError { return .failure(error) } catch {
            return .failure(FixtureError(description: "\(error)"))
        }
    }()

    static func get() throws -> Fixtures { try shared.get() }

    static let tree: [(String, Int)] = [
        ("bootmgr", 40_123),
        ("boot/bcd", 16_384),
        ("boot/boot.sdi", 1_048_576),
        ("sources/boot.wim", 2_000_001),
        ("sources/install.wim", 5_242_880 + 123),
        ("sources/empty.dat", 0),
        ("sources/lang.ini", 61),
        ("efi/boot/bootx64.efi", 70_000),
        ("Docs/Read Me.txt", 300),
        ("Mixed/CaseName.TXT", 1_000),
        ("deep/a/b/c/d/leaf.txt", 17),
    ]

    static func build() throws -> Fixtures {
        // Fixtures of earlier test processes that have ended.
        let temporary = FileManager.default.temporaryDirectory
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []
        where name.hasPrefix("vizor-exposure-fixtures-") {
            if let pid = Int32(name.dropFirst("vizor-exposure-fixtures-".count)), kill(pid, 0) != 0 {
                try? FileManager.default.removeItem(at: temporary.appendingPathComponent(name))
            }
        }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-exposure-fixtures-\(getpid())")
        try? FileManager.default.removeItem(at: root)
        let source = root.appendingPathComponent("tree")
        var files: [String: Data] = [:]
        var directories: Set<String> = []
        for (index, (path, size)) in tree.enumerated() {
            let url = source.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let data = pseudoRandomBytes(count: size, seed: UInt64(index + 1))
            try data.write(to: url)
            files[path] = data
            var parts = path.split(separator: "/").dropLast()
            while !parts.isEmpty {
                directories.insert(parts.joined(separator: "/"))
                parts = parts.dropLast()
            }
        }
        let bridge = root.appendingPathComponent("bridge.iso")
        let genisoimage = try run("/usr/bin/genisoimage", ["-quiet", "-udf", "-R", "-J", "-V", "VIZOR_TEST",
                                                          "-o", bridge.path, source.path])
        guard genisoimage.status == 0 else { throw FixtureError(description: "genisoimage: \(genisoimage.output)") }

        let udfOnly = root.appendingPathComponent("udf-only.iso")
        let script = """
            import io, os, sys, pycdlib
            src, out = sys.argv[1], sys.argv[2]
            iso = pycdlib.PyCdlib()
            iso.new(udf='2.60', interchange_level=3, vol_ident='VIZOR_UDF')
            note = b'This disc contains a "UDF" file system and requires an operating system that supports it.\\r\\n'
            iso.add_fp(io.BytesIO(note), len(note), '/README.TXT;1')
            keep = []
            for dirpath, dirnames, filenames in os.walk(src):
                dirnames.sort(); filenames.sort()
                rel = os.path.relpath(dirpath, src)
                base = '' if rel == '.' else '/' + rel.replace(os.sep, '/')
                for d in dirnames:
                    iso.add_directory(udf_path=base + '/' + d)
                for f in filenames:
                    fh = open(os.path.join(dirpath, f), 'rb'); keep.append(fh)
                    iso.add_fp(fh, os.path.getsize(os.path.join(dirpath, f)), udf_path=base + '/' + f)
            iso.write(out)
            iso.close()
            """
        let pycdlib = try run("/usr/bin/env", ["python3", "-c", script, source.path, udfOnly.path])
        guard pycdlib.status == 0 else { throw FixtureError(description: "pycdlib: \(pycdlib.output)") }
        return Fixtures(root: root, bridgeISO: bridge, udfOnlyISO: udfOnly, files: files, directories: directories)
    }
}

/// What `7z x -tudf` extracts from an ISO: the oracle for every file's bytes.
struct Extraction {
    var files: [String: Data] = [:]
    var directories: Set<String> = []

    init(of iso: URL, into directory: URL) throws {
        try? FileManager.default.removeItem(at: directory)
        let result = try run("/usr/bin/7z", ["x", "-tudf", "-y", "-o\(directory.path)", iso.path])
        guard result.status == 0 else { throw FixtureError(description: "7z: \(result.output)") }
        (files, directories) = try walkTree(directory)
    }
}

/// Every file (with bytes) and directory under `root`, as relative paths.
func walkTree(_ root: URL) throws -> (files: [String: Data], directories: Set<String>) {
    var files: [String: Data] = [:]
    var directories: Set<String> = []
    func visit(_ url: URL, _ relative: String) throws {
        for name in try FileManager.default.contentsOfDirectory(atPath: url.path) {
            let child = url.appendingPathComponent(name)
            let path = relative.isEmpty ? name : relative + "/" + name
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: child.path, isDirectory: &isDirectory)
            if isDirectory.boolValue {
                directories.insert(path)
                try visit(child, path)
            } else {
                files[path] = try Data(contentsOf: child)
            }
        }
    }
    try visit(root, "")
    return (files, directories)
}

/// A fresh temporary directory removed by `remove()`.
struct TemporaryDirectory {
    let url: URL
    init(_ label: String) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// Runs `body`, then unmounts `mount` whether `body` threw or not (unmount
/// is async, so it cannot sit in a `defer`; a second unmount is a no-op).
func whileMounted<T>(_ mount: FuseMount, _ body: () async throws -> T) async throws -> T {
    let result: T
    do {
        result = try await body()
    } catch {
        try? await mount.unmount()
        throw error
    }
    try? await mount.unmount()
    return result
}
