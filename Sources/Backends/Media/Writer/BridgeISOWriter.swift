import BackendKit
import Foundation

/// A file to place in a sample ISO: its size and the runs of bytes that are
/// not zero. Everything else stays a hole in the output, so large files cost
/// no disk.
public struct SampleFile: Sendable {
    public var path: String
    public var size: UInt64
    public var runs: [(offset: UInt64, bytes: [UInt8])]
    public init(path: String, size: UInt64, runs: [(offset: UInt64, bytes: [UInt8])]) {
        self.path = path
        self.size = size
        self.runs = runs
    }
    public init(path: String, text: String) {
        self.init(path: path, bytes: Array(text.utf8))
    }
    public init(path: String, bytes: [UInt8]) {
        self.init(path: path, size: UInt64(bytes.count), runs: bytes.isEmpty ? [] : [(offset: UInt64(0), bytes: bytes)])
    }
}

/// El Torito entries to write: the file each boots from.
public struct SampleBoot: Sendable {
    public var biosImage: String?
    public var efiImage: String?
    /// 512-byte sectors the BIOS loads of `biosImage` (nil: the image's size,
    /// at most 8). ISOLINUX wants 4 (`-boot-load-size 4`).
    public var biosLoadSectors: UInt16?
    /// Patch a boot information table into `biosImage` at byte 8 (as
    /// `-boot-info-table` does): the primary descriptor's sector, the image's
    /// sector and length, and the 32-bit sum of its bytes from 64 on.
    /// ISOLINUX finds itself on the disc with it.
    public var biosInfoTable: Bool
    public init(biosImage: String? = nil, efiImage: String? = nil, biosLoadSectors: UInt16? = nil,
                biosInfoTable: Bool = false) {
        self.biosImage = biosImage
        self.efiImage = efiImage
        self.biosLoadSectors = biosLoadSectors
        self.biosInfoTable = biosInfoTable
    }
}

/// Writes an ISO 9660 + UDF 1.02 bridge the way oscdimg lays out Windows
/// media (one partition, short_ad extents under 1 GiB, both trees sharing the
/// same data blocks), plus El Torito. Output is sparse.
public struct BridgeISOWriter {
    static let block = 2048
    static let partitionStart = 257
    static let maxExtent: UInt64 = 0x3FFF_F800

    public var label: String
    public var files: [SampleFile]
    public var boot: SampleBoot
    public var date: Date
    /// The primary descriptor's volume set identifier (128 a-characters).
    public var volumeSetID: String
    /// The primary descriptor's application identifier.
    public var applicationID: String

    public init(label: String, files: [SampleFile], boot: SampleBoot = SampleBoot(),
                date: Date = Date(timeIntervalSince1970: 1_700_000_000), volumeSetID: String = "",
                applicationID: String = "VIZOR SAMPLE LIBRARY") {
        self.label = label
        self.files = files
        self.boot = boot
        self.date = date
        self.volumeSetID = volumeSetID
        self.applicationID = applicationID
    }

    final class Node {
        let name: String
        let path: String
        let file: SampleFile?
        var children: [Node] = []
        var udfEntry = 0          // lbn of the UDF file entry
        var udfDataBlock = 0      // lbn of directory data / file data
        var udfDataLength = 0
        var isoSector = 0         // absolute sector of the ISO 9660 directory extent
        var isoLength = 0
        var number = 0            // ISO path table number
        weak var parent: Node?
        init(name: String, path: String, file: SampleFile?) {
            self.name = name
            self.path = path
            self.file = file
        }
        var isDirectory: Bool { file == nil }
    }

    public func write(to url: URL) throws {
        let root = Node(name: "", path: "", file: nil)
        root.parent = root
        for file in files.sorted(by: { $0.path < $1.path }) {
            var node = root
            let parts = file.path.split(separator: "/").map(String.init)
            for (offset, part) in parts.enumerated() {
                let isLast = offset == parts.count - 1
                if let existing = node.children.first(where: { $0.name == part }) {
                    node = existing
                    continue
                }
                let child = Node(name: part, path: MediaPath.join(node.path, part), file: isLast ? file : nil)
                child.parent = node
                node.children.append(child)
                node = child
            }
        }
        var directories: [Node] = []
        var queue = [root]
        while !queue.isEmpty {
            let node = queue.removeFirst()
            directories.append(node)
            node.number = directories.count
            node.children.sort { $0.name < $1.name }
            queue += node.children.filter(\.isDirectory)
        }
        var all: [Node] = []
        func collect(_ node: Node) {
            all.append(node)
            node.children.forEach(collect)
        }
        collect(root)

        // Allocation inside the UDF partition (lbn 0 = absolute sector 257).
        var next = 2  // 0 FSD, 1 terminating descriptor
        func allocate(_ bytes: Int) -> Int {
            let start = next
            next += max(1, (bytes + Self.block - 1) / Self.block)
            return start
        }
        for node in all { node.udfEntry = allocate(Self.block) }
        for node in directories {
            node.udfDataLength = udfDirectory(node, placeholder: true).count
            node.udfDataBlock = allocate(node.udfDataLength)
            node.isoLength = isoDirectory(node, placeholder: true).count
            node.isoSector = Self.partitionStart + allocate(node.isoLength)
        }
        let pathTable = self.pathTable(directories, bigEndian: false)
        let lPathSector = Self.partitionStart + allocate(pathTable.count)
        let mPathSector = Self.partitionStart + allocate(pathTable.count)
        let catalogSector = boot.biosImage != nil || boot.efiImage != nil ? Self.partitionStart + allocate(Self.block) : 0
        for node in all where !node.isDirectory {
            let size = Int(min(node.file!.size, UInt64(Int.max)))
            node.udfDataBlock = allocate(size)
        }
        let totalSectors = Self.partitionStart + next + 1
        let partitionLength = next

        // Output.
        let fd = open(url.path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw MediaError.io(url.path, errno) }
        defer { close(fd) }
        guard ftruncate(fd, off_t(totalSectors * Self.block)) == 0 else { throw MediaError.io(url.path, errno) }
        func put(_ bytes: [UInt8], sector: Int, offset: UInt64 = 0) throws {
            let at = off_t(UInt64(sector) * UInt64(Self.block) + offset)
            let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, bytes.count, at) }
            guard written == bytes.count else { throw MediaError.io(url.path, errno) }
        }
        func absolute(_ lbn: Int) -> Int { Self.partitionStart + lbn }

        // ISO 9660 descriptors.
        try put(primaryDescriptor(root: root, totalSectors: totalSectors, pathTableSize: pathTable.count,
                                  lPath: lPathSector, mPath: mPathSector), sector: 16)
        var nextDescriptor = 17
        if catalogSector != 0 {
            var record = [UInt8](repeating: 0, count: Self.block)
            record[0] = 0
            record.put(Array("CD001".utf8), at: 1)
            record[6] = 1
            record.put(Array("EL TORITO SPECIFICATION".utf8), at: 7)
            record.put32(UInt32(catalogSector), at: 71)
            try put(record, sector: nextDescriptor)
            nextDescriptor += 1
        }
        var terminator = [UInt8](repeating: 0, count: Self.block)
        terminator[0] = 255
        terminator.put(Array("CD001".utf8), at: 1)
        terminator[6] = 1
        try put(terminator, sector: nextDescriptor)
        for (offset, ident) in ["BEA01", "NSR02", "TEA01"].enumerated() {
            var vrs = [UInt8](repeating: 0, count: Self.block)
            vrs.put(Array(ident.utf8), at: 1)
            vrs[6] = 1
            try put(vrs, sector: nextDescriptor + 1 + offset)
        }
        for directory in directories {
            try put(isoDirectory(directory, placeholder: false), sector: directory.isoSector)
            try put(udfDirectory(directory, placeholder: false), sector: absolute(directory.udfDataBlock))
        }
        try put(pathTable, sector: lPathSector)
        try put(self.pathTable(directories, bigEndian: true), sector: mPathSector)
        if catalogSector != 0 {
            try put(bootCatalog(all), sector: catalogSector)
        }
        for node in all {
            try put(fileEntry(node), sector: absolute(node.udfEntry))
            if let file = node.file {
                let patchTable = boot.biosInfoTable && node.path == boot.biosImage
                for run in file.runs where !run.bytes.isEmpty {
                    var bytes = run.bytes
                    if patchTable, run.offset == 0 {
                        try Self.patchBootInfoTable(&bytes, imageSector: absolute(node.udfDataBlock), size: file.size)
                    }
                    try put(bytes, sector: absolute(node.udfDataBlock), offset: run.offset)
                }
            }
        }
        // UDF volume structures.
        let sequence = volumeSequence(partitionLength: partitionLength, lvidSector: 64)
        for (offset, descriptor) in sequence.enumerated() {
            try put(descriptor(32 + offset), sector: 32 + offset)
            try put(descriptor(48 + offset), sector: 48 + offset)
        }
        try put(integrityDescriptor(files: all.filter { !$0.isDirectory }.count, directories: directories.count,
                                    partitionLength: partitionLength), sector: 64)
        try put(terminating(location: 65), sector: 65)
        try put(anchor(location: 256), sector: 256)
        try put(anchor(location: totalSectors - 1), sector: totalSectors - 1)
        try put(fileSetDescriptor(root: root), sector: absolute(0))
        try put(terminating(location: 1), sector: absolute(1))
    }
}

extension BridgeISOWriter {
    /// The boot information table of El Torito no-emulation images (the
    /// layout genisoimage documents for `-boot-info-table`): at byte 8 the
    /// primary volume descriptor's sector (16), at 12 the image's own sector,
    /// at 16 its length in bytes, at 20 the sum of its 32-bit little-endian
    /// words from byte 64 on; bytes 24-63 are zero.
    static func patchBootInfoTable(_ bytes: inout [UInt8], imageSector: Int, size: UInt64) throws {
        guard UInt64(bytes.count) == size, bytes.count >= 64 else {
            throw MediaError.corrupt("the BIOS boot image is \(bytes.count) bytes: too short for a boot information table")
        }
        var sum: UInt32 = 0
        var offset = 64
        while offset < bytes.count {
            var word: UInt32 = 0
            for i in 0..<4 where offset + i < bytes.count { word |= UInt32(bytes[offset + i]) << (8 * UInt32(i)) }
            sum &+= word
            offset += 4
        }
        bytes.put32(16, at: 8)
        bytes.put32(UInt32(imageSector), at: 12)
        bytes.put32(UInt32(truncatingIfNeeded: size), at: 16)
        bytes.put32(sum, at: 20)
        for i in 24..<64 { bytes[i] = 0 }
    }
}
