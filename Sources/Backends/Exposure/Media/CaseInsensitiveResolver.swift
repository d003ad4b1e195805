import Foundation
import VizorMedia

/// Path lookup the way Windows clients expect it: exact case wins, otherwise
/// the first child (in disc order) whose name matches ignoring case.
enum CaseInsensitiveResolver {
    static func resolve(_ components: [String], in fileSystem: any MediaFileSystem) throws -> MediaFileEntry? {
        if components.isEmpty { return nil }
        let exactPath = components.joined(separator: "/")
        if let tree = fileSystem as? any MediaTree {
            return try tree.entry(at: exactPath, caseInsensitive: true)
        }
        if let exact = try fileSystem.entry(at: exactPath) { return exact }
        var directory = ""
        var found: MediaFileEntry?
        for (index, component) in components.enumerated() {
            let children = try fileSystem.children(of: directory)
            let folded = component.lowercased()
            guard let match = children.first(where: { $0.name == component })
                ?? children.first(where: { $0.name.lowercased() == folded }) else { return nil }
            if index < components.count - 1 && !match.isDirectory { return nil }
            directory = match.path
            found = match
        }
        return found
    }
}
