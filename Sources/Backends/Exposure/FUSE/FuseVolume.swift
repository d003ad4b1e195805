import BackendKit
import Foundation
import VizorMedia

/// The whole directory tree of one image, read once at mount time so FUSE
/// callbacks (which run on libfuse's worker threads) only do dictionary
/// lookups and `pread`s. Immutable after init, hence safely shared.
final class FuseVolume: @unchecked Sendable {
    struct Node {
        var entry: MediaFileEntry?
        var isDirectory: Bool
        var size: UInt64
        var modified: Date
        var children: [String]
    }

    static let maximumEntries = 500_000
    static let maximumDepth = 64

    let image: ExposedImage
    private(set) var nodes: [Node] = []
    private var index: [String: Int] = [:]
    let mountedAt = Date()

    init(image: ExposedImage) throws {
        self.image = image
        nodes.append(Node(entry: nil, isDirectory: true, size: 0, modified: mountedAt, children: []))
        index["/"] = 0
        try load(directory: "", node: 0, depth: 0)
    }

    private func load(directory: String, node: Int, depth: Int) throws {
        guard depth < Self.maximumDepth else {
            throw BackendError(.invalidInput, backend: exposureBackendName,
                               message: "image \(image.id) nests directories deeper than \(Self.maximumDepth)")
        }
        var names: [String] = []
        for child in try image.fileSystem.children(of: directory) {
            let fusePath = "/" + child.path
            if index[fusePath] != nil || child.name.isEmpty || child.name.contains("/") { continue }
            guard nodes.count < Self.maximumEntries else {
                throw BackendError(.invalidInput, backend: exposureBackendName,
                                   message: "image \(image.id) holds more than \(Self.maximumEntries) entries")
            }
            nodes.append(Node(entry: child, isDirectory: child.isDirectory, size: child.isDirectory ? 0 : child.size,
                              modified: child.modified, children: []))
            let childIndex = nodes.count - 1
            index[fusePath] = childIndex
            names.append(child.name)
            if child.isDirectory { try load(directory: child.path, node: childIndex, depth: depth + 1) }
        }
        nodes[node].children = names
    }

    func node(at path: String) -> Int? { index[path] }
}
