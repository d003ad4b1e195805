import Foundation

/// A run of bytes of a file inside an image, as an absolute byte range of the
/// image file. A file's bytes are its extents in order.
public struct FileExtent: Sendable, Equatable, Codable {
    public var offset: UInt64
    public var length: UInt64
    /// True for an extent recorded but not stored (reads as zeros).
    public var isSparse: Bool
    public init(offset: UInt64, length: UInt64, isSparse: Bool = false) {
        self.offset = offset
        self.length = length
        self.isSparse = isSparse
    }
}

/// One file or directory inside an image, as the disc describes it.
public struct MediaFileEntry: Sendable, Equatable {
    /// Path from the image root, components joined by "/", no leading slash.
    public var path: String
    public var name: String
    public var isDirectory: Bool
    public var size: UInt64
    public var modified: Date
    public var extents: [FileExtent]
    /// Bytes stored inside the descriptor itself (UDF embedded allocation).
    public var embeddedData: [UInt8]?

    public init(path: String, name: String, isDirectory: Bool, size: UInt64, modified: Date,
                extents: [FileExtent], embeddedData: [UInt8]? = nil) {
        self.path = path
        self.name = name
        self.isDirectory = isDirectory
        self.size = size
        self.modified = modified
        self.extents = extents
        self.embeddedData = embeddedData
    }
}

/// A read-only view of the file tree inside one ISO, built from its metadata
/// only. Media exposure (HTTP and FUSE) serves files through it without
/// copying or mounting the ISO.
public protocol MediaFileSystem: Sendable {
    /// The image file this tree lives in.
    var imageURL: URL { get }
    /// Exact-case lookup; `nil` when absent.
    func entry(at path: String) throws -> MediaFileEntry?
    /// The children of a directory, in disc order.
    func children(of directoryPath: String) throws -> [MediaFileEntry]
}
