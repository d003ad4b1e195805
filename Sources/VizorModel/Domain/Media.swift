import Foundation

/// One ISO of the catalog, as the Catalog pane lists it. The catalog store
/// (VizorStore) owns the full record; this is what the model shows.
public struct MediaImage: Sendable, Equatable, Codable, Identifiable {
    public var id: String
    public var path: String
    public var volumeID: String
    public var sizeBytes: Int64
    /// "windows", "linux", "unknown".
    public var family: String
    public var editions: [Edition]

    public init(id: String, path: String, volumeID: String = "", sizeBytes: Int64 = 0, family: String = "unknown",
                editions: [Edition] = []) {
        self.id = id
        self.path = path
        self.volumeID = volumeID
        self.sizeBytes = sizeBytes
        self.family = family
        self.editions = editions
    }
}

/// One installable edition inside an image (a WIM index, or the Linux
/// distribution itself): what an install job names.
public struct Edition: Sendable, Equatable, Codable, Identifiable {
    /// WIM image index (1-based) or 1 for single-edition media.
    public var index: Int
    public var name: String
    public var architecture: String
    public var version: String
    public var languages: [String]

    public var id: Int { index }

    public init(index: Int, name: String, architecture: String = "", version: String = "", languages: [String] = []) {
        self.index = index
        self.name = name
        self.architecture = architecture
        self.version = version
        self.languages = languages
    }
}
