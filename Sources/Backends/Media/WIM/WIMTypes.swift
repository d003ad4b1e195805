import Foundation

/// Processor architecture of a Windows image (`WINDOWS/ARCH`), named the way
/// Vizor's JSON and unattend files need it.
public enum WindowsArchitecture: String, Sendable, Codable, CaseIterable {
    case x86, arm, ia64, x64, arm64

    /// PROCESSOR_ARCHITECTURE codes: 0 x86, 5 ARM, 6 IA64, 9 x64, 12 ARM64.
    public init?(code: Int) {
        switch code {
        case 0: self = .x86
        case 5: self = .arm
        case 6: self = .ia64
        case 9: self = .x64
        case 12: self = .arm64
        default: return nil
        }
    }

    /// `idwbinfo.txt` BuildArch, EFI boot file suffixes and labels.
    public init?(buildArch: String) {
        switch buildArch.lowercased() {
        case "x86", "i386", "ia32": self = .x86
        case "amd64", "x64", "x86_64": self = .x64
        case "arm64", "aa64": self = .arm64
        case "arm", "woa": self = .arm
        case "ia64": self = .ia64
        default: return nil
        }
    }

    /// `processorArchitecture` of unattend components.
    public var unattendName: String {
        switch self {
        case .x86: return "x86"
        case .x64: return "amd64"
        case .arm64: return "arm64"
        case .arm: return "arm"
        case .ia64: return "ia64"
        }
    }
}

/// `WINDOWS/VERSION`: MAJOR.MINOR.BUILD.SPBUILD.
public struct WindowsVersion: Sendable, Equatable, Hashable, Codable, CustomStringConvertible, Comparable {
    public var major: Int
    public var minor: Int
    public var build: Int
    public var spBuild: Int
    public init(major: Int, minor: Int, build: Int, spBuild: Int) {
        self.major = major
        self.minor = minor
        self.build = build
        self.spBuild = spBuild
    }
    public var description: String { "\(major).\(minor).\(build).\(spBuild)" }
    public static func < (a: WindowsVersion, b: WindowsVersion) -> Bool {
        (a.major, a.minor, a.build, a.spBuild) < (b.major, b.minor, b.build, b.spBuild)
    }
}

/// Compression of a WIM's non-solid resources, from the header flags.
public enum WIMCompression: String, Sendable, Codable {
    case none, xpress, lzx, lzms
}

/// A 24-byte resource header (size in WIM, flags, offset, original size).
public struct WIMResource: Sendable, Equatable, Codable {
    public var storedSize: UInt64
    public var flags: UInt8
    public var offset: UInt64
    public var originalSize: UInt64

    static let metadata: UInt8 = 0x02
    static let compressed: UInt8 = 0x04
    static let spanned: UInt8 = 0x08
    static let solid: UInt8 = 0x10

    init(_ bytes: [UInt8], at: Int) {
        storedSize = bytes.u64(at) & 0x00FF_FFFF_FFFF_FFFF
        flags = bytes.u8(at + 7)
        offset = bytes.u64(at + 8)
        originalSize = bytes.u64(at + 16)
    }

    var isPresent: Bool { storedSize != 0 || offset != 0 }
}

/// The fixed 208-byte WIM header.
public struct WIMHeader: Sendable, Equatable, Codable {
    public var version: UInt32
    public var flags: UInt32
    public var chunkSize: UInt32
    public var guid: String
    public var partNumber: UInt16
    public var totalParts: UInt16
    public var imageCount: UInt32
    public var bootIndex: UInt32
    public var blobTable: WIMResource
    public var xml: WIMResource
    public var bootMetadata: WIMResource
    public var integrity: WIMResource
    public var isPipable: Bool

    public var compression: WIMCompression {
        if flags & 0x0008_0000 != 0 { return .lzms }
        if flags & 0x0004_0000 != 0 { return .lzx }
        if flags & 0x0002_0000 != 0 || flags & 0x0020_0000 != 0 { return .xpress }
        return .none
    }
    /// Version 0x0E00: a solid ("ESD") WIM.
    public var isSolid: Bool { version == 0x0E00 }
    public var isSplit: Bool { totalParts > 1 }
    public var hasIntegrityTable: Bool { integrity.isPresent }
}

/// One image (edition) of a WIM, from its XML description.
public struct WIMImage: Sendable, Equatable, Codable {
    public var index: Int
    public var name: String
    public var description: String?
    public var displayName: String?
    public var displayDescription: String?
    /// `WINDOWS/EDITIONID`, else `FLAGS` (Vista-era images).
    public var editionID: String?
    public var flags: String?
    public var architecture: WindowsArchitecture?
    public var productName: String?
    public var productType: String?
    public var installationType: String?
    public var languages: [String]
    public var defaultLanguage: String?
    public var version: WindowsVersion?
    public var branch: String?
    public var totalBytes: UInt64?
    public var dirCount: UInt64?
    public var fileCount: UInt64?
    public var creationTime: Date?
    public var lastModificationTime: Date?
}

/// What a WIM or ESD says about itself: header facts and every image.
public struct WIMInfo: Sendable, Equatable, Codable {
    public var header: WIMHeader
    public var images: [WIMImage]
    /// An encrypted ESD (`<ESD><ENCRYPTED>`): editions are listed but the file cannot be applied.
    public var isEncrypted: Bool
    /// `<TOTALBYTES>` at the top level.
    public var totalBytes: UInt64?
}
