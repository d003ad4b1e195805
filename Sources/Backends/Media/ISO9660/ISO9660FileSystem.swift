import Foundation

/// The ISO 9660 tree of an image: Rock Ridge names when the primary tree has
/// them, else the Joliet tree, else plain ISO 9660 names (";1" stripped).
/// Directories are read on demand, so a lookup costs only the directories on
/// its path.
public final class ISO9660FileSystem: MediaTree, @unchecked Sendable {
    public let imageURL: URL
    public let source: any ByteSource
    public let volume: ISOVolumeInfo
    /// Which tree this view reads.
    public enum Flavor: String, Sendable { case rockRidge, joliet, plain }
    public let flavor: Flavor

    static let maxDirectoryBytes = 64 << 20
    private let root: MediaFileEntry
    private let suspSkip: Int?
    private let lock = NSLock()
    private var cache: [String: [MediaFileEntry]] = [:]

    init(url: URL, source: any ByteSource, descriptors: ISODescriptorSet, prefer: Flavor? = nil) throws {
        guard let info = descriptors.info, let pvd = descriptors.primary ?? descriptors.joliet else {
            throw MediaError.corrupt("no ISO 9660 primary volume descriptor")
        }
        imageURL = url
        self.source = source
        volume = info
        let primaryRoot = Self.rootRecord(pvd)
        // Rock Ridge: an SP entry in the root "." record of the primary tree.
        var skip: Int?
        if descriptors.primary != nil, let rootRecord = primaryRoot {
            let dot = try source.read(at: UInt64(rootRecord.location) * 2048, count: 255)
            if dot.count > 33, dot[0] >= 34 {
                let length = Int(dot[0])
                let idLength = Int(dot[32])
                let suStart = 33 + idLength + (idLength % 2 == 0 ? 1 : 0)
                let su = dot.slice(suStart, length - suStart)
                if su.count >= 7, su[0] == 0x53, su[1] == 0x50, su[4] == 0xBE, su[5] == 0xEF {
                    skip = Int(su[6])
                }
            }
        }
        let chosen: (record: RootRecord, flavor: Flavor)
        if prefer == .plain, let rootRecord = primaryRoot {
            chosen = (rootRecord, .plain)
        } else if prefer == .joliet, let svd = descriptors.joliet, let rootRecord = Self.rootRecord(svd) {
            chosen = (rootRecord, .joliet)
        } else if skip != nil, let rootRecord = primaryRoot {
            chosen = (rootRecord, .rockRidge)
        } else if let svd = descriptors.joliet, let rootRecord = Self.rootRecord(svd) {
            chosen = (rootRecord, .joliet)
        } else if let rootRecord = primaryRoot {
            chosen = (rootRecord, .plain)
        } else {
            throw MediaError.corrupt("ISO 9660 root directory record is missing")
        }
        flavor = descriptors.primary == nil ? .joliet : chosen.flavor
        suspSkip = chosen.flavor == .rockRidge ? skip : nil
        root = MediaFileEntry(path: "", name: "", isDirectory: true, size: UInt64(chosen.record.length),
                              modified: chosen.record.date,
                              extents: [FileExtent(offset: UInt64(chosen.record.location) * 2048,
                                                   length: UInt64(chosen.record.length))])
    }

    struct RootRecord { var location: UInt32; var length: UInt32; var date: Date }

    static func rootRecord(_ descriptor: [UInt8]) -> RootRecord? {
        let record = descriptor.slice(156, 34)
        guard record.count == 34, record[0] >= 34, record[25] & 0x02 != 0 else { return nil }
        return RootRecord(location: record.u32(2), length: record.u32(10), date: ISOText.date7(record.slice(18, 7)))
    }

    // MARK: MediaFileSystem

    public func entry(at path: String) throws -> MediaFileEntry? { try entry(at: path, caseInsensitive: false) }

    public func children(of directoryPath: String) throws -> [MediaFileEntry] {
        guard let directory = try entry(at: directoryPath), directory.isDirectory else { return [] }
        return try list(directory)
    }

    public func entry(at path: String, caseInsensitive: Bool) throws -> MediaFileEntry? {
        var current = root
        for component in MediaPath.components(path) {
            guard current.isDirectory else { return nil }
            let listing = try list(current)
            guard let next = MediaPath.find(component, in: listing, caseInsensitive: caseInsensitive) else {
                return nil
            }
            current = next
        }
        return current
    }

    public func names(in directoryPath: String, caseInsensitive: Bool) throws -> [(name: String, isDirectory: Bool)]? {
        guard let directory = try entry(at: directoryPath, caseInsensitive: caseInsensitive),
              directory.isDirectory else { return nil }
        return try list(directory).map { ($0.name, $0.isDirectory) }
    }

    // MARK: Directory records

    private func list(_ directory: MediaFileEntry) throws -> [MediaFileEntry] {
        if let cached = lock.withLock({ cache[directory.path] }) { return cached }
        guard let extent = directory.extents.first else { return [] }
        guard directory.size <= UInt64(Self.maxDirectoryBytes) else {
            throw MediaError.corrupt("directory /\(directory.path) claims \(directory.size) bytes")
        }
        let data = try source.readExactly(at: extent.offset, count: Int(directory.size),
                                          what: "directory /\(directory.path)")
        let entries = parse(data, parent: directory.path)
        lock.withLock {
            if cache.count > 4096 { cache.removeAll() }
            cache[directory.path] = entries
        }
        return entries
    }

    private func parse(_ data: [UInt8], parent: String) -> [MediaFileEntry] {
        var entries: [MediaFileEntry] = []
        var position = 0
        var pending: MediaFileEntry?
        while position < data.count {
            let length = Int(data[position])
            if length == 0 {
                position = (position / 2048 + 1) * 2048
                continue
            }
            guard length >= 34, position + length <= data.count else { break }
            let record = Array(data[position..<(position + length)])
            position += length
            let idLength = Int(record[32])
            guard 33 + idLength <= record.count else { continue }
            let ident = Array(record[33..<(33 + idLength)])
            if idLength == 1, ident[0] == 0 || ident[0] == 1 { continue }
            let flags = record[25]
            let isDirectory = flags & 0x02 != 0
            var name = decodeName(ident)
            if let skip = suspSkip {
                let suStart = 33 + idLength + (idLength % 2 == 0 ? 1 : 0) + skip
                switch RockRidge.scan(record.slice(suStart, record.count - suStart)) {
                case .relocated: continue
                case .name(let alternate): name = alternate
                case .none: break
                }
            }
            guard !name.isEmpty, name != ".", name != "..", !name.contains("/") else { continue }
            let extent = FileExtent(offset: UInt64(record.u32(2)) * 2048, length: UInt64(record.u32(10)))
            let date = ISOText.date7(record.slice(18, 7))
            if var open = pending, open.name == name {
                open.extents.append(extent)
                open.size += extent.length
                pending = open
            } else {
                if let open = pending { entries.append(open) }
                pending = MediaFileEntry(path: MediaPath.join(parent, name), name: name, isDirectory: isDirectory,
                                         size: extent.length, modified: date,
                                         extents: extent.length > 0 ? [extent] : [])
            }
            if flags & 0x80 == 0, let open = pending {
                entries.append(open)
                pending = nil
            }
        }
        if let open = pending { entries.append(open) }
        return entries
    }

    private func decodeName(_ ident: [UInt8]) -> String {
        var name = flavor == .joliet ? ISOText.ucs2(ident) : String(decoding: ident, as: UTF8.self)
        if let semicolon = name.lastIndex(of: ";") { name = String(name[..<semicolon]) }
        if name.hasSuffix("."), flavor != .joliet { name.removeLast() }
        return name
    }
}

/// Just enough SUSP / Rock Ridge to get real names: NM (with continuation)
/// and RE (a relocated directory that must not be listed twice).
enum RockRidge {
    enum Finding { case none, name(String), relocated }

    static func scan(_ area: [UInt8]) -> Finding {
        var position = 0
        var name: [UInt8] = []
        var sawName = false
        while position + 4 <= area.count {
            let length = Int(area[position + 2])
            guard length >= 4, position + length <= area.count else { break }
            let signature = (area[position], area[position + 1])
            if signature == (0x52, 0x45) { return .relocated }
            if signature == (0x4E, 0x4D), length >= 5 {
                let flags = area[position + 4]
                if flags & 0x06 == 0 {
                    name += area[(position + 5)..<(position + length)]
                    sawName = true
                }
            }
            if signature == (0x53, 0x54) { break }
            position += length
        }
        return sawName ? .name(String(decoding: name, as: UTF8.self)) : .none
    }
}
