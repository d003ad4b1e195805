import BackendKit
import Foundation

/// Facts about a file on disk that decide whether a rescan must read it.
public struct FileStamp: Sendable, Equatable, Codable, Hashable {
    public var size: UInt64
    public var modified: Date
    public var inode: UInt64
    public init(size: UInt64, modified: Date, inode: UInt64) {
        self.size = size
        self.modified = modified
        self.inode = inode
    }

    /// Reads size, modification time and inode with `stat` (following symlinks).
    public static func of(_ url: URL) throws -> FileStamp {
        var info = stat()
        guard stat(url.path, &info) == 0 else { throw MediaError.io(url.path, errno) }
        let seconds = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
        return FileStamp(size: UInt64(info.st_size), modified: Date(timeIntervalSince1970: seconds),
                         inode: UInt64(info.st_ino))
    }
}

/// Turns one ISO into a `MediaImage` by reading only metadata: volume
/// descriptors, boot catalog, a few directories, the WIM header and XML, and
/// small text files. Failures become the image's `error`; it never throws.
public struct MediaAnalyzer: Sendable {
    /// Largest small text file (lang.ini, .disk/info, ...) read.
    public static let maxTextFile = 64 << 10

    public init() {}

    public func analyze(_ url: URL) -> MediaImage {
        let path = url.standardizedFileURL.path
        let id = MediaImage.identifier(forPath: path)
        let stamp: FileStamp
        do {
            stamp = try FileStamp.of(url)
        } catch {
            return MediaImage(id: id, path: path, size: 0, modified: Date(timeIntervalSince1970: 0), inode: 0,
                              error: Self.message(error))
        }
        var image = MediaImage(id: id, path: path, size: stamp.size, modified: stamp.modified, inode: stamp.inode)
        guard stamp.size > 0 else {
            image.error = "empty file: not an ISO image"
            return image
        }
        do {
            let counter = CountingByteSource(try FileByteSource(url: url))
            defer { image.bytesRead = counter.bytesRead }
            try analyze(source: counter, url: url, into: &image)
            image.bytesRead = counter.bytesRead
        } catch {
            image.error = Self.message(error)
            image.kind = .other
        }
        return image
    }

    /// The same over any byte source (fuzzing, memory fixtures).
    public func analyze(source: any ByteSource, url: URL, into image: inout MediaImage) throws {
        let descriptors = try ISODescriptorSet.read(from: source)
        if let info = descriptors?.info {
            image.volumeLabel = info.volumeIdentifier.isEmpty ? nil : info.volumeIdentifier
            let claimed = UInt64(info.blockCount) * 2048
            if claimed > source.size {
                throw MediaError.truncated("the volume claims \(claimed) bytes but the file has \(source.size)")
            }
        }
        if let catalog = descriptors?.bootCatalogSector {
            let entries = try ElTorito.read(from: source, catalogSector: catalog)
            var firmware: [Firmware] = []
            if entries.contains(where: { $0.platform == .bios }) { firmware.append(.bios) }
            if entries.contains(where: { $0.platform == .uefi }) { firmware.append(.uefi) }
            image.bootable = firmware
        }
        let tree = try openMediaTree(source: source, url: url, descriptors: descriptors)
        if let udf = tree as? UDFFileSystem {
            image.fileSystem = "udf"
            if image.volumeLabel == nil {
                let label = udf.volume.logicalVolumeIdentifier.isEmpty ? udf.volume.volumeIdentifier
                    : udf.volume.logicalVolumeIdentifier
                image.volumeLabel = label.isEmpty ? nil : label
            }
        } else if let iso = tree as? ISO9660FileSystem {
            image.fileSystem = iso.flavor == .plain ? "iso9660" : iso.flavor.rawValue
        }
        try WindowsMediaProbe(tree: tree).probe(into: &image)
        if image.kind == .other {
            try LinuxMediaProbe(tree: tree).probe(into: &image)
        }
    }

    static func message(_ error: Error) -> String {
        if let backend = error as? BackendError { return backend.message }
        return String(describing: error)
    }
}

/// Small helpers shared by the probes.
extension MediaTree {
    func text(at path: String, limit: Int = MediaAnalyzer.maxTextFile) throws -> String? {
        guard let entry = try entry(at: path, caseInsensitive: true), !entry.isDirectory else { return nil }
        let bytes = try entry.read(from: source, at: 0, count: min(Int(min(entry.size, UInt64(Int.max))), limit))
        if bytes.count >= 2, bytes[0] == 0xFF, bytes[1] == 0xFE {
            return WIMReader.decodeUTF16LE(bytes)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    func has(_ path: String) throws -> Bool {
        let parts = MediaPath.components(path)
        guard let last = parts.last,
              let names = try names(in: parts.dropLast().joined(separator: "/"), caseInsensitive: true) else {
            return false
        }
        return names.contains { $0.name.lowercased() == last.lowercased() }
    }
}

/// INI files as Windows media write them (CRLF, blank lines, `key = value`).
enum INI {
    static func sections(_ text: String) -> [(name: String, entries: [(key: String, value: String)])] {
        var result: [(String, [(String, String)])] = []
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix(";") || line.hasPrefix("#") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                result.append((String(line.dropFirst().dropLast()), []))
                continue
            }
            guard !result.isEmpty else { continue }
            let pieces = line.split(separator: "=", maxSplits: 1)
            let key = pieces[0].trimmingCharacters(in: .whitespaces)
            let value = pieces.count > 1 ? pieces[1].trimmingCharacters(in: .whitespaces) : ""
            result[result.count - 1].1.append((key, value))
        }
        return result
    }

    static func value(_ text: String, section: String, key: String) -> String? {
        sections(text).first { $0.name.caseInsensitiveCompare(section) == .orderedSame }?
            .entries.first { $0.key.caseInsensitiveCompare(key) == .orderedSame }?.value
    }
}
