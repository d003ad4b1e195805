import Foundation

/// Identity fields of an ISO 9660 volume (primary descriptor, or Joliet when
/// that is all there is). Windows labels carry architecture and language hints.
public struct ISOVolumeInfo: Sendable, Equatable, Codable {
    public var volumeIdentifier: String
    public var systemIdentifier: String
    public var publisherIdentifier: String
    public var applicationIdentifier: String
    /// Volume space size in 2048-byte blocks.
    public var blockCount: UInt32
    public var hasJoliet: Bool
}

/// The ISO 9660 volume descriptor set, read from sector 16 up to its terminator.
struct ISODescriptorSet: Sendable {
    static let sectorSize = 2048
    /// Most descriptors a reader accepts before the terminator.
    static let maxDescriptors = 64

    var primary: [UInt8]?
    var joliet: [UInt8]?
    /// Absolute sector of the El Torito boot catalog, when a boot record names one.
    var bootCatalogSector: UInt32?
    /// First sector after the terminator (where a UDF recognition sequence may begin).
    var endSector: Int

    /// Nil when sector 16 holds no `CD001` descriptor (not ISO 9660, e.g. UDF-only).
    static func read(from source: any ByteSource) throws -> ISODescriptorSet? {
        var set = ISODescriptorSet(endSector: 16)
        var sector = 16
        while sector < 16 + maxDescriptors {
            let bytes = try source.read(at: UInt64(sector * sectorSize), count: sectorSize)
            guard bytes.count == sectorSize else {
                if sector == 16 { return nil }
                throw MediaError.truncated("ISO 9660 descriptor set ends at sector \(sector) without a terminator")
            }
            guard bytes[1...5].elementsEqual(Array("CD001".utf8)) else {
                if sector == 16 { return nil }
                throw MediaError.corrupt("ISO 9660 descriptor set has no terminator (sector \(sector))")
            }
            switch bytes[0] {
            case 0:
                let ident = String(decoding: bytes[7..<39].prefix { $0 != 0 }, as: UTF8.self)
                if ident == "EL TORITO SPECIFICATION" { set.bootCatalogSector = bytes.u32(71) }
            case 1:
                if set.primary == nil { set.primary = bytes }
            case 2:
                let escape = bytes.slice(88, 3)
                if bytes[6] == 1, escape.count == 3, escape[0] == 0x25, escape[1] == 0x2F,
                   [0x40, 0x43, 0x45].contains(escape[2]), set.joliet == nil {
                    set.joliet = bytes
                }
            case 255:
                set.endSector = sector + 1
                return set
            default:
                break
            }
            sector += 1
        }
        throw MediaError.corrupt("ISO 9660 descriptor set has more than \(maxDescriptors) descriptors")
    }

    var info: ISOVolumeInfo? {
        guard let pvd = primary ?? joliet else { return nil }
        let isJolietOnly = primary == nil
        func text(_ from: Int, _ length: Int) -> String {
            let raw = pvd.slice(from, length)
            if isJolietOnly { return ISOText.ucs2(raw).trimmingCharacters(in: .whitespaces) }
            return String(decoding: raw, as: UTF8.self).trimmingCharacters(in: .whitespaces.union(.controlCharacters))
        }
        return ISOVolumeInfo(volumeIdentifier: text(40, 32), systemIdentifier: text(8, 32),
                             publisherIdentifier: text(318, 128), applicationIdentifier: text(574, 128),
                             blockCount: pvd.u32(80), hasJoliet: joliet != nil)
    }
}

enum ISOText {
    /// UCS-2 big-endian (Joliet, UDF CS0 with compression id 16).
    static func ucs2(_ bytes: [UInt8]) -> String {
        var units: [UInt16] = []
        units.reserveCapacity(bytes.count / 2)
        var i = 0
        while i + 1 < bytes.count {
            units.append(UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]))
            i += 2
        }
        while units.last == 0 { units.removeLast() }
        return String(decoding: units, as: UTF16.self)
    }

    /// ISO 9660 7-byte recording date.
    static func date7(_ b: [UInt8]) -> Date {
        guard b.count >= 7, b[1] >= 1, b[1] <= 12, b[2] >= 1, b[2] <= 31 else { return Date(timeIntervalSince1970: 0) }
        var parts = DateComponents()
        parts.year = 1900 + Int(b[0])
        parts.month = Int(b[1])
        parts.day = Int(b[2])
        parts.hour = Int(min(b[3], 23))
        parts.minute = Int(min(b[4], 59))
        parts.second = Int(min(b[5], 59))
        let offset = Int(Int8(bitPattern: b[6])) * 15 * 60
        parts.timeZone = TimeZone(secondsFromGMT: max(-13 * 3600, min(14 * 3600, offset)))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        return calendar.date(from: parts) ?? Date(timeIntervalSince1970: 0)
    }
}
