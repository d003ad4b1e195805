import BackendKit
import Foundation

/// Reads a WIM's (or ESD's, or split part's) header and XML description
/// directly through the XML resource header: 208 bytes plus the XML itself,
/// wherever in the file it lies.
public enum WIMReader {
    public static let headerSize = 208
    /// Largest XML accepted (VirtualBox uses the same bound).
    public static let maxXMLBytes: UInt64 = 32 << 20

    /// Reads a WIM file's metadata; `source` covers exactly the WIM file.
    public static func read(_ source: any ByteSource) throws -> WIMInfo {
        let header = try readHeader(source)
        let xml = header.xml
        guard xml.flags & (WIMResource.compressed | WIMResource.spanned | WIMResource.solid) == 0 else {
            throw MediaError.unsupported("the WIM XML resource is compressed (flags 0x\(String(xml.flags, radix: 16)))")
        }
        guard xml.storedSize == xml.originalSize, xml.storedSize >= 2, xml.storedSize % 2 == 0 else {
            throw MediaError.corrupt("the WIM XML resource has sizes \(xml.storedSize)/\(xml.originalSize)")
        }
        guard xml.storedSize <= maxXMLBytes else {
            throw MediaError.corrupt("the WIM XML resource claims \(xml.storedSize) bytes")
        }
        guard xml.offset >= UInt64(headerSize), xml.offset + xml.storedSize <= source.size else {
            throw MediaError.truncated("the WIM XML resource at \(xml.offset) (+\(xml.storedSize)) is past the end")
        }
        let bytes = try source.readExactly(at: xml.offset, count: Int(xml.storedSize), what: "WIM XML")
        let text = decodeUTF16LE(bytes)
        let root: XMLElement
        do {
            root = try MiniXML.parse(text)
        } catch let failure as MiniXML.Failure {
            throw MediaError.corrupt("the WIM XML is not well-formed: \(failure.message)")
        }
        guard root.name.uppercased() == "WIM" else { throw MediaError.corrupt("the WIM XML root is <\(root.name)>") }
        let images = try root.all("IMAGE").map(image)
        let indices = images.map(\.index).sorted()
        guard indices == Array(1..<(images.count + 1)),
              images.count == Int(header.imageCount) else {
            throw MediaError.corrupt("the WIM header counts \(header.imageCount) images, its XML lists \(images.count)")
        }
        let encrypted = root.child("ESD")?.child("ENCRYPTED") != nil
        return WIMInfo(header: header, images: images.sorted { $0.index < $1.index }, isEncrypted: encrypted,
                       totalBytes: root.value("TOTALBYTES").flatMap(number))
    }

    public static func readHeader(_ source: any ByteSource) throws -> WIMHeader {
        let bytes = try source.read(at: 0, count: headerSize)
        let magic = bytes.slice(0, 8)
        let normal = Array("MSWIM".utf8) + [0, 0, 0]
        let pipable = Array("WLPWM".utf8) + [0, 0, 0]
        guard magic == normal || magic == pipable else {
            throw MediaError.corrupt("not a WIM file (no MSWIM magic)")
        }
        guard bytes.count == headerSize else { throw MediaError.truncated("the WIM header is cut short") }
        guard bytes.u32(8) == UInt32(headerSize) else {
            throw MediaError.corrupt("the WIM header size is \(bytes.u32(8)), not 208")
        }
        let version = bytes.u32(12)
        guard version == 0x10D00 || version == 0x0E00 else {
            throw MediaError.unsupported("WIM version 0x\(String(version, radix: 16))")
        }
        let part = bytes.u16(0x28)
        let total = bytes.u16(0x2A)
        let count = bytes.u32(0x2C)
        guard part >= 1, part <= total else { throw MediaError.corrupt("WIM part \(part) of \(total)") }
        guard count <= 65535 else { throw MediaError.corrupt("the WIM header counts \(count) images") }
        let guid = bytes.slice(0x18, 16).map { String(format: "%02x", $0) }.joined()
        return WIMHeader(version: version, flags: bytes.u32(0x10), chunkSize: bytes.u32(0x14), guid: guid,
                         partNumber: part, totalParts: total, imageCount: count, bootIndex: bytes.u32(0x78),
                         blobTable: WIMResource(bytes, at: 0x30), xml: WIMResource(bytes, at: 0x48),
                         bootMetadata: WIMResource(bytes, at: 0x60), integrity: WIMResource(bytes, at: 0x7C),
                         isPipable: magic == pipable)
    }

    static func decodeUTF16LE(_ bytes: [UInt8]) -> String {
        var units: [UInt16] = []
        units.reserveCapacity(bytes.count / 2)
        var i = 0
        while i + 1 < bytes.count {
            units.append(UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8)
            i += 2
        }
        if units.first == 0xFEFF { units.removeFirst() }
        return String(decoding: units, as: UTF16.self)
    }

    private static func number(_ text: String) -> UInt64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.lowercased().hasPrefix("0x") { return UInt64(trimmed.dropFirst(2), radix: 16) }
        return UInt64(trimmed)
    }

    /// FILETIME (100 ns since 1601-01-01) from HIGHPART/LOWPART hex strings.
    static func filetime(_ element: XMLElement?) -> Date? {
        guard let element, let high = element.value("HIGHPART").flatMap(number),
              let low = element.value("LOWPART").flatMap(number), high <= 0xFFFF_FFFF, low <= 0xFFFF_FFFF else {
            return nil
        }
        let ticks = high << 32 | low
        let seconds = Double(ticks / 10_000_000) + Double(ticks % 10_000_000) / 10_000_000
        return Date(timeIntervalSince1970: seconds - 11_644_473_600)
    }

    private static func image(_ element: XMLElement) throws -> WIMImage {
        guard let indexText = element.attribute("INDEX"), let index = Int(indexText), index >= 1 else {
            throw MediaError.corrupt("a WIM image has no valid INDEX attribute")
        }
        let windows = element.child("WINDOWS")
        var version: WindowsVersion?
        if let v = windows?.child("VERSION"), let major = v.value("MAJOR").flatMap({ Int($0) }) {
            version = WindowsVersion(major: major, minor: v.value("MINOR").flatMap { Int($0) } ?? 0,
                                     build: v.value("BUILD").flatMap { Int($0) } ?? 0,
                                     spBuild: v.value("SPBUILD").flatMap { Int($0) } ?? 0)
        }
        let languages = windows?.child("LANGUAGES")
        let flags = element.value("FLAGS")
        let name = element.value("NAME") ?? element.value("DISPLAYNAME") ?? "Image \(index)"
        return WIMImage(
            index: index, name: name, description: element.value("DESCRIPTION"),
            displayName: element.value("DISPLAYNAME"), displayDescription: element.value("DISPLAYDESCRIPTION"),
            editionID: windows?.value("EDITIONID") ?? flags, flags: flags,
            architecture: windows?.value("ARCH").flatMap { Int($0) }.flatMap(WindowsArchitecture.init(code:)),
            productName: windows?.value("PRODUCTNAME"), productType: windows?.value("PRODUCTTYPE"),
            installationType: windows?.value("INSTALLATIONTYPE"),
            languages: languages?.all("LANGUAGE").compactMap { $0.value("") } ?? [],
            defaultLanguage: languages?.value("DEFAULT"), version: version,
            branch: windows?.value("VERSION/BRANCH"),
            totalBytes: element.value("TOTALBYTES").flatMap(number),
            dirCount: element.value("DIRCOUNT").flatMap(number), fileCount: element.value("FILECOUNT").flatMap(number),
            creationTime: filetime(element.child("CREATIONTIME")),
            lastModificationTime: filetime(element.child("LASTMODIFICATIONTIME")))
    }
}

/// The bytes of one file inside an image, as a byte source of its own.
public struct EntryByteSource: ByteSource {
    public let entry: MediaFileEntry
    public let image: any ByteSource
    public init(entry: MediaFileEntry, image: any ByteSource) {
        self.entry = entry
        self.image = image
    }
    public var size: UInt64 { entry.size }
    public func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        try entry.read(from: image, at: offset, count: count)
    }
}
