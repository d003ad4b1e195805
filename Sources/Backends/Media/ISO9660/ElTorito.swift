import Foundation

/// One bootable image named by an El Torito boot catalog.
public struct BootEntry: Sendable, Equatable, Codable {
    public enum Platform: String, Sendable, Codable {
        case bios, uefi, powerPC = "powerpc", mac, other
        init(id: UInt8) {
            switch id {
            case 0x00: self = .bios
            case 0xEF: self = .uefi
            case 0x01: self = .powerPC
            case 0x02: self = .mac
            default: self = .other
            }
        }
    }
    public var platform: Platform
    public var bootable: Bool
    /// 0 no emulation, 1-3 floppy, 4 hard disk.
    public var mediaType: UInt8
    /// Start of the boot image (2048-byte block).
    public var loadBlock: UInt32
    /// Virtual 512-byte sectors loaded by BIOS firmware.
    public var sectorCount: UInt16
}

/// The El Torito boot catalog: a validation entry, the default entry, then
/// section headers (0x90 more follow, 0x91 last) each with their entries.
enum ElTorito {
    static let maxSections = 64

    static func read(from source: any ByteSource, catalogSector: UInt32) throws -> [BootEntry] {
        let catalog = try source.readExactly(at: UInt64(catalogSector) * 2048, count: 2048, what: "El Torito boot catalog")
        return try parse(catalog)
    }

    static func parse(_ catalog: [UInt8]) throws -> [BootEntry] {
        guard catalog.count >= 64, catalog[0] == 0x01, catalog[30] == 0x55, catalog[31] == 0xAA else {
            throw MediaError.corrupt("El Torito validation entry is missing")
        }
        var sum: UInt16 = 0
        for i in stride(from: 0, to: 32, by: 2) { sum &+= catalog.u16(i) }
        guard sum == 0 else { throw MediaError.corrupt("El Torito validation entry checksum is wrong") }
        var entries = [entry(catalog, at: 32, platform: catalog[1])]
        var position = 64
        var sections = 0
        while position + 32 <= catalog.count, sections < maxSections {
            let indicator = catalog[position]
            guard indicator == 0x90 || indicator == 0x91 else { break }
            sections += 1
            let platform = catalog[position + 1]
            let count = Int(catalog.u16(position + 2))
            position += 32
            var taken = 0
            while taken < count, position + 32 <= catalog.count {
                let kind = catalog[position]
                if kind == 0x44 { position += 32; continue }
                entries.append(entry(catalog, at: position, platform: platform))
                taken += 1
                position += 32
            }
            if indicator == 0x91 { break }
        }
        return entries
    }

    private static func entry(_ bytes: [UInt8], at offset: Int, platform: UInt8) -> BootEntry {
        BootEntry(platform: .init(id: platform), bootable: bytes[offset] == 0x88, mediaType: bytes[offset + 1] & 0x0F,
                  loadBlock: bytes.u32(offset + 8), sectorCount: bytes.u16(offset + 6))
    }
}
