import Foundation
import VizorMedia

/// The JSON shape of `vizor catalog list` (and the core of `show`): stable
/// field names scripts rely on.
public struct CatalogListItem: Sendable, Codable, Equatable {
    public struct EditionItem: Sendable, Codable, Equatable {
        public var index: Int
        public var name: String
        /// Edition id, e.g. `Professional`.
        public var edition: String?
        /// `x86`, `x64`, `arm` or `arm64`.
        public var arch: String?
        /// `MAJOR.MINOR.BUILD.SPBUILD`.
        public var build: String?
        public var languages: [String]
    }

    public var id: String
    public var path: String
    public var size: UInt64
    public var kind: String
    public var label: String?
    public var bootable: [String]
    public var error: String?
    public var missing: Bool
    public var editions: [EditionItem]

    public init(_ entry: CatalogEntry) {
        let image = entry.image
        id = image.id
        path = image.path
        size = image.size
        kind = image.kind.rawValue
        label = image.volumeLabel
        bootable = image.bootable.map(\.rawValue)
        error = image.error
        missing = entry.missing
        editions = image.editions.map {
            EditionItem(index: $0.index, name: $0.name, edition: $0.editionID, arch: $0.architecture?.rawValue,
                        build: $0.version?.description, languages: $0.languages)
        }
    }

    /// Encodes with explicit nulls for `label` and `error`, as scripts expect the keys present.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(path, forKey: .path)
        try container.encode(size, forKey: .size)
        try container.encode(kind, forKey: .kind)
        try container.encode(label, forKey: .label)
        try container.encode(bootable, forKey: .bootable)
        try container.encode(error, forKey: .error)
        try container.encode(missing, forKey: .missing)
        try container.encode(editions, forKey: .editions)
    }
}

/// `vizor catalog show --json`: the list fields plus everything else known.
public struct CatalogDetail: Sendable, Codable {
    public var summary: CatalogListItem
    public var image: MediaImage
    public var source: String
    public var scannedAt: Date

    public init(_ entry: CatalogEntry) {
        summary = CatalogListItem(entry)
        image = entry.image
        source = entry.source
        scannedAt = entry.scannedAt
    }
}
