import Foundation

/// Identity of a UDF volume: labels and the UDF revision from the domain id.
public struct UDFVolumeInfo: Sendable, Equatable, Codable {
    public var volumeIdentifier: String
    public var logicalVolumeIdentifier: String
    /// e.g. 0x0102, 0x0201, 0x0260.
    public var revision: UInt16
    public var blockSize: Int
    /// 2 (NSR02) or 3 (NSR03).
    public var descriptorVersion: UInt16
}

/// The anchor, volume descriptor sequence and partition layout of a UDF
/// volume: everything needed to turn a (logical block, partition reference)
/// address into an absolute byte offset of the image.
struct UDFVolume: Sendable {
    enum PartitionMap: Sendable {
        case physical(start: UInt64)
        /// UDF 2.50+: blocks of the metadata partition live in the metadata file.
        case metadata(extents: [FileExtent])
    }

    var info: UDFVolumeInfo
    var sectorSize: Int
    var maps: [PartitionMap]
    var fileSetLocation: (block: UInt32, partition: UInt16)

    static let maxSequenceSectors = 512

    /// Nil when the image has no UDF anchor at all; throws when it has one but
    /// its descriptors are unusable.
    static func read(from source: any ByteSource) throws -> UDFVolume? {
        var anchorProblem: String?
        for sectorSize in [2048, 512] {
            let sectors = source.size / UInt64(sectorSize)
            var candidates: [UInt64] = [256]
            if sectors > 257 { candidates += [sectors - 1, sectors - 257, sectors] }
            for sector in candidates {
                let bytes = try source.read(at: sector * UInt64(sectorSize), count: sectorSize)
                guard bytes.count >= 32 else { continue }
                switch UDFTag.parse(bytes) {
                case .success(let tag) where tag.identifier == 2 && UInt64(tag.location) == sector:
                    let main = (length: bytes.u32(16), location: bytes.u32(20))
                    let reserve = (length: bytes.u32(24), location: bytes.u32(28))
                    var lastError: Error?
                    for extent in [main, reserve] where extent.length > 0 {
                        do {
                            return try readSequence(source, sectorSize: sectorSize, start: extent.location,
                                                    length: extent.length)
                        } catch {
                            lastError = error
                        }
                    }
                    if let lastError { throw lastError }
                case .failure(let problem) where bytes.u16(0) == 2 && problem != .tooShort:
                    anchorProblem = "UDF anchor at sector \(sector) fails its \(problem) check"
                default:
                    continue
                }
            }
        }
        if let anchorProblem { throw MediaError.corrupt(anchorProblem) }
        return nil
    }

    private static func readSequence(_ source: any ByteSource, sectorSize: Int, start: UInt32,
                                     length: UInt32) throws -> UDFVolume {
        var primary: (number: UInt32, bytes: [UInt8])?
        var logical: (number: UInt32, bytes: [UInt8])?
        var partitions: [UInt16: (number: UInt32, start: UInt32)] = [:]
        var sector = UInt64(start)
        var remaining = max(1, Int(length) / sectorSize)
        var hops = 0
        var visited = 0
        scan: while remaining > 0 {
            visited += 1
            guard visited <= maxSequenceSectors else { break }
            let bytes = try source.readExactly(at: sector * UInt64(sectorSize), count: sectorSize,
                                               what: "UDF volume descriptor")
            let tag: UDFTag
            switch UDFTag.parse(bytes) {
            case .success(let parsed): tag = parsed
            case .failure(let problem):
                throw MediaError.corrupt("UDF volume descriptor at sector \(sector) fails its \(problem) check")
            }
            let number = bytes.u32(16)
            switch tag.identifier {
            case 1:
                if primary == nil || number >= primary!.number { primary = (number, bytes) }
            case 3:
                hops += 1
                guard hops <= 8 else { break scan }
                sector = UInt64(bytes.u32(24))
                remaining = max(1, Int(bytes.u32(20)) / sectorSize)
                continue scan
            case 5:
                let partition = bytes.u16(22)
                if partitions[partition] == nil || number >= partitions[partition]!.number {
                    partitions[partition] = (number, bytes.u32(188))
                }
            case 6:
                if logical == nil || number >= logical!.number { logical = (number, bytes) }
            case 8:
                break scan
            default:
                break
            }
            sector += 1
            remaining -= 1
        }
        guard let lvd = logical?.bytes else { throw MediaError.corrupt("UDF volume has no logical volume descriptor") }
        let blockSize = Int(lvd.u32(212))
        guard blockSize == sectorSize else {
            throw MediaError.unsupported("UDF logical block size \(blockSize) differs from sector size \(sectorSize)")
        }
        let mapCount = Int(lvd.u32(268))
        let mapTableLength = Int(lvd.u32(264))
        guard mapCount >= 1, mapCount <= 64, 440 + mapTableLength <= lvd.count else {
            throw MediaError.corrupt("UDF logical volume has \(mapCount) partition maps")
        }
        var rawMaps: [(type: UInt8, partition: UInt16, metadataFile: UInt32, mirrorFile: UInt32)] = []
        var position = 440
        for _ in 0..<mapCount {
            let type = lvd.u8(position)
            let mapLength = Int(lvd.u8(position + 1))
            guard mapLength >= 6, position + mapLength <= 440 + mapTableLength else {
                throw MediaError.corrupt("UDF partition map table is malformed")
            }
            if type == 1 {
                rawMaps.append((1, lvd.u16(position + 4), 0, 0))
            } else if type == 2 {
                let ident = String(decoding: lvd.slice(position + 5, 23).prefix { $0 != 0 }, as: UTF8.self)
                switch ident {
                case "*UDF Metadata Partition":
                    rawMaps.append((3, lvd.u16(position + 38), lvd.u32(position + 40), lvd.u32(position + 44)))
                case "*UDF Sparable Partition":
                    rawMaps.append((1, lvd.u16(position + 38), 0, 0))
                default:
                    throw MediaError.unsupported("UDF partition type \(ident.isEmpty ? "?" : ident)")
                }
            } else {
                throw MediaError.corrupt("UDF partition map of type \(type)")
            }
            position += mapLength
        }
        func physicalStart(_ number: UInt16) throws -> UInt64 {
            guard let found = partitions[number] else {
                throw MediaError.corrupt("UDF partition \(number) has no partition descriptor")
            }
            return UInt64(found.start) * UInt64(sectorSize)
        }
        var maps: [PartitionMap] = []
        for raw in rawMaps {
            let start = try physicalStart(raw.partition)
            if raw.type == 1 {
                maps.append(.physical(start: start))
            } else {
                let physical = UDFVolume(info: placeholderInfo, sectorSize: sectorSize,
                                         maps: [.physical(start: start)], fileSetLocation: (0, 0))
                var metadata: [FileExtent]?
                var failure: Error?
                for location in [raw.metadataFile, raw.mirrorFile] {
                    do {
                        let node = try UDFNode.read(source, volume: physical, block: location, partition: 0)
                        metadata = node.extents
                        break
                    } catch {
                        failure = error
                    }
                }
                guard let metadata else { throw failure ?? MediaError.corrupt("UDF metadata file unreadable") }
                maps.append(.metadata(extents: metadata))
            }
        }
        let domain = lvd.slice(216, 32)
        let pvd = primary?.bytes ?? []
        let info = UDFVolumeInfo(volumeIdentifier: UDFText.dstring(pvd.slice(24, 32)),
                                 logicalVolumeIdentifier: UDFText.dstring(lvd.slice(84, 128)),
                                 revision: domain.u16(24), blockSize: blockSize,
                                 descriptorVersion: lvd.u16(2))
        return UDFVolume(info: info, sectorSize: sectorSize, maps: maps,
                         fileSetLocation: (lvd.u32(252), lvd.u16(256)))
    }

    private static let placeholderInfo = UDFVolumeInfo(volumeIdentifier: "", logicalVolumeIdentifier: "",
                                                       revision: 0, blockSize: 0, descriptorVersion: 0)

    /// Absolute byte offset of a logical block in a partition (by reference number).
    func offset(block: UInt32, partition: UInt16) throws -> UInt64 {
        guard Int(partition) < maps.count else {
            throw MediaError.corrupt("UDF address names partition reference \(partition) of \(maps.count)")
        }
        let byte = UInt64(block) * UInt64(info.blockSize == 0 ? sectorSize : info.blockSize)
        switch maps[Int(partition)] {
        case .physical(let start):
            return start + byte
        case .metadata(let extents):
            var base: UInt64 = 0
            for extent in extents {
                if byte < base + extent.length, !extent.isSparse { return extent.offset + (byte - base) }
                base += extent.length
            }
            throw MediaError.corrupt("UDF metadata block \(block) lies outside the metadata file")
        }
    }
}
