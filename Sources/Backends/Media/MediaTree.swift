import BackendKit
import Foundation

/// A `MediaFileSystem` that can also look paths up case-insensitively and
/// list names without resolving every child: Windows paths are matched
/// without regard to case, and the catalogue must stay inside its read budget.
public protocol MediaTree: MediaFileSystem {
    /// The bytes of the image this tree was read from.
    var source: any ByteSource { get }
    func entry(at path: String, caseInsensitive: Bool) throws -> MediaFileEntry?
    /// Names of a directory's children; nil when the path is not a directory.
    func names(in directoryPath: String, caseInsensitive: Bool) throws -> [(name: String, isDirectory: Bool)]?
}

enum MediaPath {
    static func components(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init).filter { $0 != "." }
    }

    static func join(_ parent: String, _ name: String) -> String {
        parent.isEmpty ? name : parent + "/" + name
    }

    static func find(_ name: String, in entries: [MediaFileEntry], caseInsensitive: Bool) -> MediaFileEntry? {
        if let exact = entries.first(where: { $0.name == name }) { return exact }
        guard caseInsensitive else { return nil }
        let folded = name.lowercased()
        return entries.first { $0.name.lowercased() == folded }
    }
}

extension MediaFileEntry {
    /// Reads `count` bytes of this file from `offset` (file-relative), mapping
    /// them through its extents; sparse extents read as zeros.
    public func read(from source: any ByteSource, at offset: UInt64, count: Int) throws -> [UInt8] {
        guard offset < size, count > 0 else { return [] }
        let wanted = Int(min(UInt64(count), size - offset))
        if let embedded = embeddedData {
            return embedded.slice(Int(offset), wanted)
        }
        var result: [UInt8] = []
        result.reserveCapacity(wanted)
        var fileStart: UInt64 = 0
        var cursor = offset
        for extent in extents {
            let fileEnd = fileStart + extent.length
            if cursor < fileEnd, result.count < wanted {
                let within = cursor - fileStart
                let take = Int(min(UInt64(wanted - result.count), extent.length - within))
                if extent.isSparse {
                    result += [UInt8](repeating: 0, count: take)
                } else {
                    let bytes = try source.read(at: extent.offset + within, count: take)
                    guard bytes.count == take else {
                        throw MediaError.truncated("/\(path) extends past the end of the image")
                    }
                    result += bytes
                }
                cursor += UInt64(take)
            }
            fileStart = fileEnd
            if result.count >= wanted { break }
        }
        if result.count < wanted { result += [UInt8](repeating: 0, count: wanted - result.count) }
        return result
    }
}

extension MediaFileSystem {
    /// Every entry of the tree, depth first, without entering a directory
    /// twice (a directory loop ends there) and stopping at `limit` entries.
    public func walk(limit: Int = 1_000_000) throws -> [MediaFileEntry] {
        var result: [MediaFileEntry] = []
        var seen = Set<UInt64>()
        if let root = try entry(at: ""), let start = root.extents.first?.offset { seen.insert(start) }
        var stack = [""]
        while let directory = stack.popLast() {
            for child in try children(of: directory) {
                guard result.count < limit else { return result }
                result.append(child)
                if child.isDirectory {
                    let key = child.extents.first?.offset ?? UInt64.max
                    if key == UInt64.max || seen.insert(key).inserted { stack.append(child.path) }
                }
            }
        }
        return result
    }
}

/// Opens the file tree of an ISO: the UDF tree when the image has a valid
/// one (Windows media keep everything but a README there), else ISO 9660 with
/// Rock Ridge or Joliet names.
public func openMediaFileSystem(at url: URL) throws -> any MediaFileSystem {
    try openMediaTree(source: FileByteSource(url: url), url: url)
}

/// The same, over any byte source (a counting one, memory, ...).
public func openMediaTree(source: any ByteSource, url: URL) throws -> any MediaTree {
    try openMediaTree(source: source, url: url, descriptors: ISODescriptorSet.read(from: source))
}

func openMediaTree(source: any ByteSource, url: URL, descriptors: ISODescriptorSet?) throws -> any MediaTree {
    var udfError: Error?
    do {
        if let udf = try UDFFileSystem.open(source: source, url: url) { return udf }
    } catch {
        udfError = error
    }
    if let descriptors, descriptors.primary != nil || descriptors.joliet != nil {
        return try ISO9660FileSystem(url: url, source: source, descriptors: descriptors)
    }
    if let udfError { throw udfError }
    throw BackendError(.invalidInput, backend: "media",
                       message: "\(url.lastPathComponent) is neither an ISO 9660 nor a UDF image",
                       hint: "only .iso images are catalogued")
}
