import BackendKit
import Foundation
import VizorMedia

/// Walks media sources (local directories or mounted SMB/NFS shares) and
/// brings the catalogue up to date: new and changed files are analysed, a
/// few at a time; unchanged ones (same size, mtime and inode) are not read
/// at all; files that vanished are marked missing.
public struct CatalogScanner: Sendable {
    public struct Options: Sendable {
        public var sources: [URL]
        /// Globs on the file name (case-insensitive); a file must match one.
        public var include: [String]
        /// Globs on the file name or the path below the source; a match is skipped.
        public var exclude: [String]
        /// Files analysed at once.
        public var concurrency: Int

        public init(sources: [URL], include: [String] = ["*.iso"], exclude: [String] = [], concurrency: Int = 4) {
            self.sources = sources
            self.include = include
            self.exclude = exclude
            self.concurrency = max(1, concurrency)
        }
    }

    public struct Progress: Sendable {
        public var done: Int
        public var total: Int
        public var current: String?
        public var bytesRead: UInt64
        public var elapsed: TimeInterval
    }

    public struct Summary: Sendable, Codable, Equatable {
        public var files: Int = 0
        public var analysed: Int = 0
        public var unchanged: Int = 0
        public var failed: Int = 0
        public var missing: Int = 0
        public var bytesRead: UInt64 = 0

        public init() {}
    }

    public let store: MediaCatalogStore
    public let analyzer: MediaAnalyzer

    public init(store: MediaCatalogStore, analyzer: MediaAnalyzer = MediaAnalyzer()) {
        self.store = store
        self.analyzer = analyzer
    }

    public func scan(_ options: Options, progress: @escaping @Sendable (Progress) -> Void = { _ in }) async throws -> Summary {
        var summary = Summary()
        let started = Date()
        var work: [(source: String, file: URL, stamp: FileStamp)] = []
        var present: [String: Set<String>] = [:]
        for sourceURL in options.sources {
            let root = sourceURL.standardizedFileURL
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw BackendError(.notFound, backend: "media", message: "media source \(root.path) is not a directory",
                                   hint: "mount the share or fix the --source path")
            }
            let source = root.path
            let known = try await store.stamps(source: source)
            var seen = Set<String>()
            for (file, stamp) in SourceWalker(root: root, include: options.include, exclude: options.exclude).files() {
                summary.files += 1
                seen.insert(file.path)
                if known[file.path] == stamp {
                    summary.unchanged += 1
                } else {
                    work.append((source, file, stamp))
                }
            }
            present[source] = seen
        }
        let total = work.count
        var done = 0
        progress(Progress(done: 0, total: total, current: nil, bytesRead: 0, elapsed: 0))
        try await withThrowingTaskGroup(of: MediaImage.self) { group in
            var pending = work.makeIterator()
            var sourceOf: [String: String] = [:]
            func launch() {
                guard let next = pending.next() else { return }
                sourceOf[next.file.path] = next.source
                let analyzer = self.analyzer
                group.addTask { analyzer.analyze(next.file) }
            }
            for _ in 0..<options.concurrency { launch() }
            while let image = try await group.next() {
                try await store.save(image, source: sourceOf[image.path] ?? "")
                done += 1
                summary.analysed += 1
                summary.bytesRead += image.bytesRead
                if image.error != nil { summary.failed += 1 }
                progress(Progress(done: done, total: total, current: image.path, bytesRead: summary.bytesRead,
                                  elapsed: Date().timeIntervalSince(started)))
                launch()
            }
        }
        for (source, paths) in present {
            summary.missing += try await store.markMissing(source: source, except: paths)
        }
        return summary
    }
}

/// Recursive directory walk that follows symlinks but never enters a
/// directory twice (by device and inode), so symlink loops end.
struct SourceWalker {
    let root: URL
    let include: [String]
    let exclude: [String]

    func files() -> [(URL, FileStamp)] {
        var result: [(URL, FileStamp)] = []
        var visited = Set<[UInt64]>()
        var stack: [(URL, String)] = [(root, "")]
        while let (directory, relative) = stack.popLast() {
            var info = stat()
            guard stat(directory.path, &info) == 0 else { continue }
            guard visited.insert([UInt64(info.st_dev), UInt64(info.st_ino)]).inserted else { continue }
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { continue }
            for name in names.sorted() {
                let url = directory.appendingPathComponent(name)
                let below = relative.isEmpty ? name : relative + "/" + name
                if matches(exclude, name: name, path: below) { continue }
                var entry = stat()
                guard stat(url.path, &entry) == 0 else { continue }
                switch entry.st_mode & S_IFMT {
                case S_IFDIR:
                    stack.append((url, below))
                case S_IFREG:
                    guard matches(include, name: name, path: below) else { continue }
                    let seconds = Double(entry.st_mtim.tv_sec) + Double(entry.st_mtim.tv_nsec) / 1e9
                    result.append((url, FileStamp(size: UInt64(entry.st_size),
                                                  modified: Date(timeIntervalSince1970: seconds),
                                                  inode: UInt64(entry.st_ino))))
                default:
                    continue
                }
            }
        }
        return result.sorted { $0.0.path < $1.0.path }
    }

    private func matches(_ globs: [String], name: String, path: String) -> Bool {
        globs.contains { glob in
            let pattern = glob.lowercased()
            let subject = (glob.contains("/") ? path : name).lowercased()
            return fnmatch(pattern, subject, 0) == 0
        }
    }
}
