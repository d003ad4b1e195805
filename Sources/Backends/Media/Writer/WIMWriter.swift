import Crypto
import Foundation

/// One image to describe in a sample WIM's XML.
public struct SampleWIMImage: Sendable, Equatable {
    public var name: String
    public var description: String
    public var editionID: String
    public var architecture: WindowsArchitecture
    public var languages: [String]
    public var version: WindowsVersion
    public var installationType: String
    public var totalBytes: UInt64

    public init(name: String, description: String? = nil, editionID: String, architecture: WindowsArchitecture,
                languages: [String], version: WindowsVersion, installationType: String = "Client",
                totalBytes: UInt64 = 15 << 30) {
        self.name = name
        self.description = description ?? name
        self.editionID = editionID
        self.architecture = architecture
        self.languages = languages
        self.version = version
        self.installationType = installationType
        self.totalBytes = totalBytes
    }
}

/// Writes structurally real WIMs for the lab's sample library: a valid
/// header, one (empty-root) metadata resource per image named in the blob
/// table by its SHA-1, and the UTF-16LE XML at the end. The space between is
/// a hole, so a "4 GiB" install.wim costs a few KiB on disk.
public enum SampleWIMWriter {
    /// The WIM as pieces: (offset, bytes) runs, everything else zeros, and its total size.
    public static func layout(images: [SampleWIMImage], size: UInt64, solid: Bool = false,
                              created: Date = Date(timeIntervalSince1970: 1_700_000_000)) -> (size: UInt64, runs: [(UInt64, [UInt8])]) {
        var runs: [(UInt64, [UInt8])] = []
        var metadata: [(offset: UInt64, bytes: [UInt8])] = []
        var cursor: UInt64 = 208
        for _ in images {
            var resource = [UInt8](repeating: 0, count: 8 + 104 + 8)
            resource.put32(8, at: 0)  // security data: total length 8, no entries
            let root = 8
            resource.put64(104, at: root)  // dentry length
            resource.put32(0x10, at: root + 8)  // FILE_ATTRIBUTE_DIRECTORY
            resource.put32(0xFFFF_FFFF, at: root + 12)  // no security descriptor
            let time = filetime(created)
            for field in [40, 48, 56] { resource.put64(time, at: root + field) }
            metadata.append((cursor, resource))
            cursor += UInt64(resource.count)
        }
        var blobTable: [UInt8] = []
        for entry in metadata {
            var row = [UInt8](repeating: 0, count: 50)
            row.put64(UInt64(entry.bytes.count) | UInt64(0x02) << 56, at: 0)
            row.put64(entry.offset, at: 8)
            row.put64(UInt64(entry.bytes.count), at: 16)
            row.put16(1, at: 24)
            row.put32(1, at: 26)
            row.put(Array(Insecure.SHA1.hash(data: entry.bytes)), at: 30)
            blobTable += row
        }
        let blobOffset = cursor
        cursor += UInt64(blobTable.count)
        let xmlText = xml(images, created: created)
        var xmlBytes: [UInt8] = [0xFF, 0xFE]
        // TOTALBYTES (the XML offset) is filled after placing; its digits count, so iterate once.
        var xmlOffset = max(cursor, size)
        var encoded: [UInt8] = []
        for _ in 0..<2 {
            let text = xmlText.replacingOccurrences(of: "@TOTALBYTES@", with: String(xmlOffset))
            encoded = xmlBytes + text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
            xmlOffset = max(cursor, size > UInt64(encoded.count) ? size - UInt64(encoded.count) : cursor)
        }
        xmlBytes = encoded
        var header = [UInt8](repeating: 0, count: 208)
        header.put(Array("MSWIM".utf8), at: 0)
        header.put32(208, at: 8)
        header.put32(solid ? 0x0E00 : 0x10D00, at: 12)
        header.put32(solid ? 0x0008_0002 : 0, at: 16)
        header.put32(solid ? 1 << 17 : 0, at: 20)
        header.put(Array(Insecure.SHA1.hash(data: Array(xmlText.utf8)).prefix(16)), at: 0x18)
        header.put16(1, at: 0x28)
        header.put16(1, at: 0x2A)
        header.put32(UInt32(images.count), at: 0x2C)
        header.put64(UInt64(blobTable.count) | UInt64(0x02) << 56, at: 0x30)
        header.put64(blobOffset, at: 0x38)
        header.put64(UInt64(blobTable.count), at: 0x40)
        header.put64(UInt64(xmlBytes.count) | UInt64(0x02) << 56, at: 0x48)
        header.put64(xmlOffset, at: 0x50)
        header.put64(UInt64(xmlBytes.count), at: 0x58)
        runs.append((0, header))
        for entry in metadata { runs.append((entry.offset, entry.bytes)) }
        runs.append((blobOffset, blobTable))
        runs.append((xmlOffset, xmlBytes))
        return (xmlOffset + UInt64(xmlBytes.count), runs)
    }

    static func filetime(_ date: Date) -> UInt64 {
        UInt64(max(0, (date.timeIntervalSince1970 + 11_644_473_600) * 10_000_000))
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    static func xml(_ images: [SampleWIMImage], created: Date) -> String {
        let time = filetime(created)
        let stamp = "<HIGHPART>0x\(String(format: "%08X", UInt32(time >> 32)))</HIGHPART>"
            + "<LOWPART>0x\(String(format: "%08X", UInt32(time & 0xFFFF_FFFF)))</LOWPART>"
        var text = "<WIM><TOTALBYTES>@TOTALBYTES@</TOTALBYTES>"
        for (offset, image) in images.enumerated() {
            let code: Int
            switch image.architecture {
            case .x86: code = 0
            case .arm: code = 5
            case .ia64: code = 6
            case .x64: code = 9
            case .arm64: code = 12
            }
            text += "<IMAGE INDEX=\"\(offset + 1)\"><DIRCOUNT>1</DIRCOUNT><FILECOUNT>0</FILECOUNT>"
            text += "<TOTALBYTES>\(image.totalBytes)</TOTALBYTES><HARDLINKBYTES>0</HARDLINKBYTES>"
            text += "<CREATIONTIME>\(stamp)</CREATIONTIME><LASTMODIFICATIONTIME>\(stamp)</LASTMODIFICATIONTIME>"
            text += "<WINDOWS><ARCH>\(code)</ARCH><PRODUCTNAME>Microsoft® Windows® Operating System</PRODUCTNAME>"
            text += "<EDITIONID>\(escape(image.editionID))</EDITIONID>"
            text += "<INSTALLATIONTYPE>\(escape(image.installationType))</INSTALLATIONTYPE><LANGUAGES>"
            for language in image.languages { text += "<LANGUAGE>\(escape(language))</LANGUAGE>" }
            text += "<DEFAULT>\(escape(image.languages.first ?? "en-US"))</DEFAULT></LANGUAGES>"
            text += "<VERSION><MAJOR>\(image.version.major)</MAJOR><MINOR>\(image.version.minor)</MINOR>"
            text += "<BUILD>\(image.version.build)</BUILD><SPBUILD>\(image.version.spBuild)</SPBUILD><SPLEVEL>0</SPLEVEL></VERSION>"
            text += "<SYSTEMROOT>WINDOWS</SYSTEMROOT></WINDOWS>"
            text += "<NAME>\(escape(image.name))</NAME><DESCRIPTION>\(escape(image.description))</DESCRIPTION>"
            text += "<FLAGS>\(escape(image.editionID))</FLAGS><DISPLAYNAME>\(escape(image.name))</DISPLAYNAME>"
            text += "<DISPLAYDESCRIPTION>\(escape(image.description))</DISPLAYDESCRIPTION></IMAGE>"
        }
        return text + "</WIM>"
    }
}
