import Foundation

/// The UDF tree of an image (UDF 1.02 to 2.60). Directories are read on
/// demand and a child's File Entry only when the child itself is wanted, so a
/// catalogue lookup reads a handful of blocks.
public final class UDFFileSystem: MediaTree, @unchecked Sendable {
    public let imageURL: URL
    public let source: any ByteSource
    public var volume: UDFVolumeInfo { layout.info }

    struct Identifier: Sendable {
        var name: String
        var isDirectory: Bool
        var block: UInt32
        var partition: UInt16
    }

    static let maxDirectoryBytes: UInt64 = 256 << 20
    let layout: UDFVolume
    let rootAddress: (block: UInt32, partition: UInt16)
    private let lock = NSLock()
    private var directories: [String: [Identifier]] = [:]

    private init(url: URL, source: any ByteSource, layout: UDFVolume, root: (UInt32, UInt16)) {
        imageURL = url
        self.source = source
        self.layout = layout
        rootAddress = root
    }

    /// Nil when the image carries no UDF anchor.
    static func open(source: any ByteSource, url: URL) throws -> UDFFileSystem? {
        guard let layout = try UDFVolume.read(from: source) else { return nil }
        let fsdOffset = try layout.offset(block: layout.fileSetLocation.block, partition: layout.fileSetLocation.partition)
        let fsd = try source.readExactly(at: fsdOffset, count: layout.info.blockSize, what: "UDF file set descriptor")
        switch UDFTag.parse(fsd) {
        case .success(let tag) where tag.identifier == 256:
            break
        case .success(let tag):
            throw MediaError.corrupt("UDF file set descriptor slot holds descriptor \(tag.identifier)")
        case .failure(let problem):
            throw MediaError.corrupt("UDF file set descriptor fails its \(problem) check")
        }
        return UDFFileSystem(url: url, source: source, layout: layout, root: (fsd.u32(404), fsd.u16(408)))
    }

    // MARK: MediaFileSystem

    public func entry(at path: String) throws -> MediaFileEntry? { try entry(at: path, caseInsensitive: false) }

    public func children(of directoryPath: String) throws -> [MediaFileEntry] {
        guard let (directoryPath, identifiers) = try resolveDirectory(directoryPath, caseInsensitive: false) else {
            return []
        }
        return try identifiers.map { try makeEntry($0, path: MediaPath.join(directoryPath, $0.name)) }
    }

    public func entry(at path: String, caseInsensitive: Bool) throws -> MediaFileEntry? {
        let parts = MediaPath.components(path)
        guard let last = parts.last else {
            let node = try UDFNode.read(source, volume: layout, block: rootAddress.block, partition: rootAddress.partition)
            return entry(node, path: "", name: "", isDirectory: true)
        }
        guard let (parent, identifiers) = try resolveDirectory(parts.dropLast().joined(separator: "/"),
                                                               caseInsensitive: caseInsensitive),
              let found = Self.find(last, in: identifiers, caseInsensitive: caseInsensitive) else { return nil }
        return try makeEntry(found, path: MediaPath.join(parent, found.name))
    }

    public func names(in directoryPath: String, caseInsensitive: Bool) throws -> [(name: String, isDirectory: Bool)]? {
        try resolveDirectory(directoryPath, caseInsensitive: caseInsensitive)?.1.map { ($0.name, $0.isDirectory) }
    }

    // MARK: Directories

    private static func find(_ name: String, in identifiers: [Identifier], caseInsensitive: Bool) -> Identifier? {
        if let exact = identifiers.first(where: { $0.name == name }) { return exact }
        guard caseInsensitive else { return nil }
        let folded = name.lowercased()
        return identifiers.first { $0.name.lowercased() == folded }
    }

    /// The disc's spelling of a directory path and its identifiers; nil when absent.
    private func resolveDirectory(_ path: String, caseInsensitive: Bool) throws -> (String, [Identifier])? {
        var current = (block: rootAddress.block, partition: rootAddress.partition)
        var resolved = ""
        var identifiers = try listing(resolved, at: current)
        for component in MediaPath.components(path) {
            guard let next = Self.find(component, in: identifiers, caseInsensitive: caseInsensitive),
                  next.isDirectory else { return nil }
            resolved = MediaPath.join(resolved, next.name)
            current = (next.block, next.partition)
            identifiers = try listing(resolved, at: current)
        }
        return (resolved, identifiers)
    }

    private func listing(_ path: String, at address: (block: UInt32, partition: UInt16)) throws -> [Identifier] {
        if let cached = lock.withLock({ directories[path] }) { return cached }
        let node = try UDFNode.read(source, volume: layout, block: address.block, partition: address.partition)
        guard node.size <= Self.maxDirectoryBytes else {
            throw MediaError.corrupt("UDF directory /\(path) claims \(node.size) bytes")
        }
        let entry = entry(node, path: path, name: "", isDirectory: true)
        let data = try entry.read(from: source, at: 0, count: Int(node.size))
        let identifiers = try Self.parseIdentifiers(data, directory: path)
        lock.withLock {
            if directories.count > 4096 { directories.removeAll() }
            directories[path] = identifiers
        }
        return identifiers
    }

    static func parseIdentifiers(_ data: [UInt8], directory: String) throws -> [Identifier] {
        var result: [Identifier] = []
        var position = 0
        while position + 38 <= data.count {
            switch UDFTag.parse(data, at: position) {
            case .success(let tag) where tag.identifier == 257:
                break
            case .success(let tag):
                throw MediaError.corrupt("UDF directory /\(directory) holds descriptor \(tag.identifier)")
            case .failure(let problem):
                throw MediaError.corrupt("UDF file identifier in /\(directory) fails its \(problem) check")
            }
            let characteristics = data[position + 18]
            let nameLength = Int(data[position + 19])
            let useLength = Int(data.u16(position + 36))
            let total = (38 + useLength + nameLength + 3) & ~3
            guard position + 38 + useLength + nameLength <= data.count else {
                throw MediaError.corrupt("UDF file identifier in /\(directory) overflows its directory")
            }
            let nameStart = position + 38 + useLength
            let name = UDFText.cs0(Array(data[nameStart..<(nameStart + nameLength)]))
            if characteristics & 0x0C == 0, !name.isEmpty, name != ".", name != "..", !name.contains("/") {
                result.append(Identifier(name: name, isDirectory: characteristics & 0x02 != 0,
                                         block: data.u32(position + 24), partition: data.u16(position + 28)))
            }
            position += total
        }
        return result
    }

    /// Absolute byte offset of the File Entry of `path` (tests patch descriptors through it).
    func fileEntryOffset(of path: String) throws -> UInt64? {
        let parts = MediaPath.components(path)
        guard let last = parts.last else {
            return try layout.offset(block: rootAddress.block, partition: rootAddress.partition)
        }
        guard let (_, identifiers) = try resolveDirectory(parts.dropLast().joined(separator: "/"), caseInsensitive: false),
              let found = Self.find(last, in: identifiers, caseInsensitive: false) else { return nil }
        return try layout.offset(block: found.block, partition: found.partition)
    }

    private func makeEntry(_ identifier: Identifier, path: String) throws -> MediaFileEntry {
        let node = try UDFNode.read(source, volume: layout, block: identifier.block, partition: identifier.partition)
        return entry(node, path: path, name: identifier.name, isDirectory: identifier.isDirectory)
    }

    private func entry(_ node: UDFNode, path: String, name: String, isDirectory: Bool) -> MediaFileEntry {
        MediaFileEntry(path: path, name: name, isDirectory: isDirectory, size: node.size, modified: node.modified,
                       extents: node.extents, embeddedData: node.embedded)
    }
}
