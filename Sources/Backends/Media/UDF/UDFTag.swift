/// The 16-byte descriptor tag that starts every UDF (ECMA-167) descriptor,
/// validated the way 7-Zip and libudfread do: checksum, reserved byte,
/// version 2 or 3, and the CRC over the descriptor body.
struct UDFTag: Sendable, Equatable {
    var identifier: UInt16
    var version: UInt16
    var location: UInt32

    enum Problem: Error, Equatable { case tooShort, checksum, reserved, version, crc }

    static func parse(_ bytes: [UInt8], at offset: Int = 0) -> Result<UDFTag, Problem> {
        guard offset >= 0, offset + 16 <= bytes.count else { return .failure(.tooShort) }
        var sum: UInt8 = 0
        for i in 0..<16 where i != 4 { sum &+= bytes[offset + i] }
        guard sum == bytes[offset + 4] else { return .failure(.checksum) }
        guard bytes[offset + 5] == 0 else { return .failure(.reserved) }
        let version = bytes.u16(offset + 2)
        guard version == 2 || version == 3 else { return .failure(.version) }
        let crcLength = Int(bytes.u16(offset + 10))
        let start = offset + 16
        guard start + crcLength <= bytes.count else { return .failure(.tooShort) }
        guard crc16(bytes, start, crcLength) == bytes.u16(offset + 8) else { return .failure(.crc) }
        return .success(UDFTag(identifier: bytes.u16(offset), version: version, location: bytes.u32(offset + 12)))
    }

    /// CRC-16/CCITT as ECMA-167 specifies it: polynomial 0x1021, initial 0, MSB first.
    static func crc16(_ bytes: [UInt8], _ start: Int, _ length: Int) -> UInt16 {
        var crc: UInt16 = 0
        var i = start
        let end = start + length
        while i < end {
            crc = (crc << 8) ^ crcTable[Int((crc >> 8) ^ UInt16(bytes[i]))]
            i += 1
        }
        return crc
    }

    static let crcTable: [UInt16] = (0..<256).map { byte -> UInt16 in
        var value = UInt16(byte) << 8
        for _ in 0..<8 { value = value & 0x8000 != 0 ? (value << 1) ^ 0x1021 : value << 1 }
        return value
    }

    /// Fills in checksum and CRC of a descriptor being written (the sample library's writer).
    static func seal(_ bytes: inout [UInt8], at offset: Int = 0, crcLength: Int) {
        bytes[offset + 10] = UInt8(crcLength & 0xFF)
        bytes[offset + 11] = UInt8(crcLength >> 8)
        let crc = crc16(bytes, offset + 16, crcLength)
        bytes[offset + 8] = UInt8(crc & 0xFF)
        bytes[offset + 9] = UInt8(crc >> 8)
        var sum: UInt8 = 0
        for i in 0..<16 where i != 4 { sum &+= bytes[offset + i] }
        bytes[offset + 4] = sum
    }
}

/// Public hook for tests and tools that patch descriptors: recompute a tag.
public enum UDFDescriptorTag {
    /// Recomputes the CRC (over `crcLength` body bytes) and the checksum of the tag at `offset`.
    public static func seal(_ bytes: inout [UInt8], at offset: Int = 0, crcLength: Int) {
        UDFTag.seal(&bytes, at: offset, crcLength: crcLength)
    }
}

enum UDFText {
    /// OSTA CS0: compression id 8 (one byte per character) or 16 (UCS-2 big-endian).
    static func cs0(_ bytes: [UInt8]) -> String {
        guard let kind = bytes.first else { return "" }
        let body = Array(bytes.dropFirst())
        switch kind {
        case 16, 255: return ISOText.ucs2(body)
        default: return String(String.UnicodeScalarView(body.map { Unicode.Scalar($0) }))
        }
    }

    /// A fixed-size dstring: the last byte is the used length.
    static func dstring(_ field: [UInt8]) -> String {
        guard let used = field.last, used > 0, Int(used) <= field.count - 1 else { return "" }
        return cs0(Array(field[0..<Int(used)])).trimmingCharacters(in: .whitespaces)
    }
}
import Foundation
