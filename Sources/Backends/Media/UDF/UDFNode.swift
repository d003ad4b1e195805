import Foundation

/// A File Entry or Extended File Entry, resolved: size, time, and the file's
/// bytes as absolute extents of the image (continuations followed).
struct UDFNode: Sendable {
    var fileType: UInt8
    var size: UInt64
    var modified: Date
    var extents: [FileExtent]
    var embedded: [UInt8]?

    static let maxExtents = 1 << 20
    static let maxContinuations = 4096

    static func read(_ source: any ByteSource, volume: UDFVolume, block: UInt32, partition: UInt16) throws -> UDFNode {
        let blockSize = volume.info.blockSize == 0 ? volume.sectorSize : volume.info.blockSize
        let offset = try volume.offset(block: block, partition: partition)
        let bytes = try source.readExactly(at: offset, count: blockSize, what: "UDF file entry")
        let tag: UDFTag
        switch UDFTag.parse(bytes) {
        case .success(let parsed): tag = parsed
        case .failure(let problem):
            throw MediaError.corrupt("UDF file entry at block \(block) fails its \(problem) check")
        }
        guard tag.identifier == 261 || tag.identifier == 266 else {
            throw MediaError.corrupt("UDF block \(block) holds descriptor \(tag.identifier), not a file entry")
        }
        let extended = tag.identifier == 266
        let fileType = bytes.u8(16 + 11)
        let adType = Int(bytes.u16(16 + 18) & 7)
        let size = bytes.u64(56)
        let modified = timestamp(bytes.slice(extended ? 92 : 84, 12))
        let eaLength = Int(bytes.u32(extended ? 208 : 168))
        let adLength = Int(bytes.u32(extended ? 212 : 172))
        let adStart = (extended ? 216 : 176) + eaLength
        guard eaLength >= 0, adLength >= 0, adStart + adLength <= bytes.count, eaLength < blockSize else {
            throw MediaError.corrupt("UDF file entry at block \(block) has allocation data past its block")
        }
        if adType == 3 {
            let data = Array(bytes[adStart..<(adStart + min(adLength, Int(min(size, UInt64(adLength)))))])
            let extent = FileExtent(offset: offset + UInt64(adStart), length: UInt64(data.count))
            return UDFNode(fileType: fileType, size: UInt64(data.count), modified: modified,
                           extents: data.isEmpty ? [] : [extent], embedded: data)
        }
        guard adType <= 2 else { throw MediaError.corrupt("UDF allocation descriptor type \(adType)") }
        var extents: [FileExtent] = []
        var area = Array(bytes[adStart..<(adStart + adLength)])
        var continuations = 0
        var total: UInt64 = 0
        areas: while true {
            let step = adType == 0 ? 8 : (adType == 1 ? 16 : 20)
            var position = 0
            var next: (block: UInt32, partition: UInt16, length: Int)?
            while position + step <= area.count {
                let raw = area.u32(position)
                let length = UInt64(raw & 0x3FFF_FFFF)
                let kind = raw >> 30
                let lbn: UInt32
                var part = partition
                switch adType {
                case 0: lbn = area.u32(position + 4)
                case 1:
                    lbn = area.u32(position + 4)
                    part = area.u16(position + 8)
                default:
                    lbn = area.u32(position + 12)
                    part = area.u16(position + 16)
                }
                position += step
                if length == 0 { break }
                if kind == 3 {
                    next = (lbn, part, Int(length))
                    break
                }
                guard total < size else { continue }
                let take = min(length, size - total)
                if kind == 0 {
                    extents.append(FileExtent(offset: try volume.offset(block: lbn, partition: part), length: take))
                } else {
                    extents.append(FileExtent(offset: 0, length: take, isSparse: true))
                }
                total += take
                guard extents.count <= maxExtents else {
                    throw MediaError.corrupt("UDF file at block \(block) has more than \(maxExtents) extents")
                }
            }
            guard let continuation = next else { break areas }
            continuations += 1
            guard continuations <= maxContinuations else {
                throw MediaError.corrupt("UDF file at block \(block) has a loop of allocation extents")
            }
            let aedOffset = try volume.offset(block: continuation.block, partition: continuation.partition)
            let aed = try source.readExactly(at: aedOffset, count: blockSize, what: "UDF allocation extent")
            guard case .success(let aedTag) = UDFTag.parse(aed), aedTag.identifier == 258 else {
                throw MediaError.corrupt("UDF allocation extent descriptor at block \(continuation.block) is invalid")
            }
            let length = Int(aed.u32(20))
            guard 24 + length <= aed.count else { throw MediaError.corrupt("UDF allocation extent overflows") }
            area = Array(aed[24..<(24 + length)])
        }
        return UDFNode(fileType: fileType, size: size, modified: modified, extents: extents, embedded: nil)
    }

    /// ECMA-167 timestamp (12 bytes): type+timezone, year, month, day, h, m, s, ...
    static func timestamp(_ b: [UInt8]) -> Date {
        guard b.count == 12 else { return Date(timeIntervalSince1970: 0) }
        let typeAndZone = b.u16(0)
        var zoneMinutes = Int(typeAndZone & 0x0FFF)
        if zoneMinutes >= 0x800 { zoneMinutes -= 0x1000 }
        if zoneMinutes == -2047 || abs(zoneMinutes) > 1440 { zoneMinutes = 0 }
        let year = Int(Int16(bitPattern: b.u16(2)))
        guard (1...9999).contains(year), (1...12).contains(b[4]), (1...31).contains(b[5]) else {
            return Date(timeIntervalSince1970: 0)
        }
        var parts = DateComponents()
        parts.year = year
        parts.month = Int(b[4])
        parts.day = Int(b[5])
        parts.hour = Int(min(b[6], 23))
        parts.minute = Int(min(b[7], 59))
        parts.second = Int(min(b[8], 59))
        parts.nanosecond = Int(min(b[9], 99)) * 10_000_000
        parts.timeZone = TimeZone(secondsFromGMT: zoneMinutes * 60)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        return calendar.date(from: parts) ?? Date(timeIntervalSince1970: 0)
    }
}
