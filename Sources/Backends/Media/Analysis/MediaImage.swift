import BackendKit
import Foundation

/// One Windows edition inside an install image: what unattend's
/// `/IMAGE/INDEX` and `/IMAGE/NAME` select, with the facts an operator picks by.
public struct Edition: Sendable, Codable, Equatable, Hashable {
    public var index: Int
    public var name: String
    public var description: String?
    public var displayName: String?
    /// e.g. Professional, ServerDatacenter (EDITIONID, else FLAGS).
    public var editionID: String?
    public var architecture: WindowsArchitecture?
    public var productName: String?
    public var installationType: String?
    public var languages: [String]
    public var defaultLanguage: String?
    public var version: WindowsVersion?
    public var totalBytes: UInt64?
    public var created: Date?

    public init(index: Int, name: String, description: String? = nil, displayName: String? = nil,
                editionID: String? = nil, architecture: WindowsArchitecture? = nil, productName: String? = nil,
                installationType: String? = nil, languages: [String] = [], defaultLanguage: String? = nil,
                version: WindowsVersion? = nil, totalBytes: UInt64? = nil, created: Date? = nil) {
        self.index = index
        self.name = name
        self.description = description
        self.displayName = displayName
        self.editionID = editionID
        self.architecture = architecture
        self.productName = productName
        self.installationType = installationType
        self.languages = languages
        self.defaultLanguage = defaultLanguage
        self.version = version
        self.totalBytes = totalBytes
        self.created = created
    }

    init(_ image: WIMImage) {
        self.init(index: image.index, name: image.name, description: image.description,
                  displayName: image.displayName, editionID: image.editionID, architecture: image.architecture,
                  productName: image.productName, installationType: image.installationType,
                  languages: image.languages, defaultLanguage: image.defaultLanguage, version: image.version,
                  totalBytes: image.totalBytes, created: image.creationTime)
    }
}

/// A language pack carried by language-pack media; its build must match the image it is added to.
public struct LanguagePack: Sendable, Codable, Equatable, Hashable {
    public var language: String
    public var architecture: WindowsArchitecture?
    public var build: Int?
    /// Path of the CAB inside the ISO.
    public var path: String
    public init(language: String, architecture: WindowsArchitecture?, build: Int?, path: String) {
        self.language = language
        self.architecture = architecture
        self.build = build
        self.path = path
    }
}

/// What a Linux disc says about itself.
public struct LinuxIdentity: Sendable, Codable, Equatable, Hashable {
    public var distribution: String?
    public var version: String?
    public var architecture: String?
    /// Where the identity came from (`.disk/info`, `.treeinfo`, volume id, ...).
    public var evidence: String
    public init(distribution: String?, version: String?, architecture: String?, evidence: String) {
        self.distribution = distribution
        self.version = version
        self.architecture = architecture
        self.evidence = evidence
    }
}

/// The catalogue's record of one ISO: everything Vizor knows about it from
/// its metadata, or the reason it could not be read. The model layer and the
/// CLI consume it as is.
public struct MediaImage: Sendable, Codable, Equatable, Identifiable {
    /// Stable across rescans: derived from the canonical path.
    public var id: String
    public var path: String
    public var size: UInt64
    public var modified: Date
    public var inode: UInt64
    public var volumeLabel: String?
    public var kind: MediaKind
    public var bootable: [Firmware]
    /// Which tree was read: "udf", "iso9660", "joliet", "rockridge".
    public var fileSystem: String?
    public var editions: [Edition]
    /// e.g. `sources/install.wim`, `sources/install.esd`, `sources/install.swm`.
    public var installImagePath: String?
    public var installImageSolid: Bool
    public var installImageEncrypted: Bool
    public var installImageParts: Int
    public var hasBootWIM: Bool
    /// Keys of lang.ini `[Available UI Languages]`.
    public var mediaLanguages: [String]
    /// idwbinfo.txt BuildLab (e.g. `22621.ni_release.220506-1250`).
    public var buildLab: String?
    public var buildArchitecture: WindowsArchitecture?
    public var languagePacks: [LanguagePack]
    public var linux: LinuxIdentity?
    /// Nil when the image was read; else what went wrong, for the operator.
    public var error: String?
    /// Bytes of the image this analysis read.
    public var bytesRead: UInt64

    public init(id: String, path: String, size: UInt64, modified: Date, inode: UInt64, volumeLabel: String? = nil,
                kind: MediaKind = .other, bootable: [Firmware] = [], fileSystem: String? = nil,
                editions: [Edition] = [], installImagePath: String? = nil, installImageSolid: Bool = false,
                installImageEncrypted: Bool = false, installImageParts: Int = 0, hasBootWIM: Bool = false,
                mediaLanguages: [String] = [], buildLab: String? = nil, buildArchitecture: WindowsArchitecture? = nil,
                languagePacks: [LanguagePack] = [], linux: LinuxIdentity? = nil, error: String? = nil,
                bytesRead: UInt64 = 0) {
        self.id = id
        self.path = path
        self.size = size
        self.modified = modified
        self.inode = inode
        self.volumeLabel = volumeLabel
        self.kind = kind
        self.bootable = bootable
        self.fileSystem = fileSystem
        self.editions = editions
        self.installImagePath = installImagePath
        self.installImageSolid = installImageSolid
        self.installImageEncrypted = installImageEncrypted
        self.installImageParts = installImageParts
        self.hasBootWIM = hasBootWIM
        self.mediaLanguages = mediaLanguages
        self.buildLab = buildLab
        self.buildArchitecture = buildArchitecture
        self.languagePacks = languagePacks
        self.linux = linux
        self.error = error
        self.bytesRead = bytesRead
    }

    /// The id for a path: FNV-1a 64 of the standardized absolute path, in hex.
    public static func identifier(forPath path: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in URL(fileURLWithPath: path).standardizedFileURL.path.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return String(format: "%016llx", hash)
    }
}
