import Foundation
import Testing

/// A user's clone has the repository and nothing else: no document, source
/// comment or script may send the reader to a file outside it.
@Suite struct RepositoryDocsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func files(under directories: [String], extensions: Set<String>) -> [URL] {
        var found: [URL] = []
        for directory in directories {
            let base = root.appendingPathComponent(directory)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: base.path, isDirectory: &isDirectory) else { continue }
            if !isDirectory.boolValue { found.append(base); continue }
            let walker = FileManager.default.enumerator(atPath: base.path)
            while let relative = walker?.nextObject() as? String {
                if extensions.contains((relative as NSString).pathExtension) { found.append(base.appendingPathComponent(relative)) }
            }
        }
        return found
    }

    @Test func nothingPointsOutsideTheRepository() throws {
        let files = Self.files(under: ["README.md", "CONTRIBUTING.md", "CHANGELOG.md", "docs", "Sources", "Tests", "Benchmarks",
                                       "Fuzz", "scripts", ".ci"],
                               extensions: ["md", "swift", "sh", "yaml", "py", ""])
        #expect(files.count > 100)
        let outside = ["../shared", "shared/research", "ARCHITECTURE.md", "research note", "/work/"]
        for file in files where file.lastPathComponent != "RepositoryDocsTests.swift" {
            guard let text = try? String(contentsOf: file, encoding: .utf8) else { continue }
            for marker in outside {
                #expect(!text.contains(marker), "\(file.path) mentions \(marker)")
            }
        }
    }

    @Test func everyRelativeLinkOfTheDocumentsResolvesInsideTheRepository() throws {
        let documents = Self.files(under: ["README.md", "CONTRIBUTING.md", "CHANGELOG.md", "docs"], extensions: ["md"])
        #expect(documents.count >= 6, "README, CONTRIBUTING, CHANGELOG and docs/*.md")
        let link = try NSRegularExpression(pattern: "\\]\\(([^)#]+)(#[^)]*)?\\)")
        let repository = Self.root.standardizedFileURL.path
        for document in documents {
            let text = try String(contentsOf: document, encoding: .utf8)
            for match in link.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                guard let range = Range(match.range(at: 1), in: text) else { continue }
                let target = String(text[range])
                if target.hasPrefix("http://") || target.hasPrefix("https://") || target.hasPrefix("mailto:") { continue }
                let resolved = document.deletingLastPathComponent().appendingPathComponent(target).standardizedFileURL.path
                #expect(resolved.hasPrefix(repository + "/"), "\(document.lastPathComponent): \(target) leaves the repository")
                #expect(FileManager.default.fileExists(atPath: resolved), "\(document.lastPathComponent): \(target) does not exist")
            }
        }
    }
}
