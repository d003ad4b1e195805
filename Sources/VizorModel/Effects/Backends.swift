import BackendKit
import Foundation
import VizorMedia

/// A provisioning server that can also say what it holds, so the Razor
/// poller can refresh its collections and `doctor` can reach it.
public protocol ProvisioningInventory: Sendable {
    /// Size of each collection ("nodes", "repos", "tasks", "tags", "policies").
    func collectionSizes() async throws -> [String: Int]
}

/// Finds the images of a site's media sources.
public protocol MediaScanner: Sendable {
    func scan() async throws -> [MediaImage]
}

/// How one backend is reached and polled.
public enum BackendHandle: Sendable {
    /// A hypervisor that pushes changes (XenServer `event.from`).
    case streaming(any Hypervisor)
    /// A hypervisor listed at an interval (CloudStack), in seconds.
    case polling(any Hypervisor, interval: TimeInterval)
    /// A provisioning server refreshed at a slow interval and on demand.
    case provisioning(any ProvisioningInventory, interval: TimeInterval)
    /// Media sources rescanned at an interval.
    case media(any MediaScanner, interval: TimeInterval)

    public var hypervisor: (any Hypervisor)? {
        switch self {
        case .streaming(let hypervisor), .polling(let hypervisor, _): return hypervisor
        case .provisioning, .media: return nil
        }
    }
}

/// Every backend the running Vizor knows, by id. Built once from the
/// configuration (or the lab) and handed to the effect runner.
public struct BackendSet: Sendable {
    public var handles: [BackendID: BackendHandle]
    public init(_ handles: [BackendID: BackendHandle] = [:]) {
        self.handles = handles
    }

    public subscript(id: BackendID) -> BackendHandle? {
        get { handles[id] }
        set { handles[id] = newValue }
    }
}

/// Scans directories for `.iso` files and reads each one's metadata
/// (editions, boot, identity) with `MediaAnalyzer`, without copying it.
public struct DirectoryMediaScanner: MediaScanner {
    public var sources: [MediaSourceInfo]
    public init(sources: [MediaSourceInfo]) {
        self.sources = sources
    }

    public func scan() async throws -> [MediaImage] {
        try await scan(progress: { _ in })
    }

    /// Lists every source's `.iso` files first (so the total is known), then
    /// analyses them one by one, reporting before each file and at the end.
    public func scan(progress: @escaping @Sendable (MediaScanProgress) -> Void) async throws -> [MediaImage] {
        var paths: [String] = []
        let manager = FileManager.default
        for source in sources {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: source.path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw BackendError(.notFound, backend: "media", message: "media source \(source.name): no directory at \(source.path)",
                                   hint: "mount the share or fix the path in the configuration")
            }
            guard let walker = manager.enumerator(atPath: source.path) else {
                throw BackendError(.unauthorized, backend: "media", message: "media source \(source.name): cannot read \(source.path)")
            }
            while let relative = walker.nextObject() as? String {
                guard relative.lowercased().hasSuffix(".iso") else { continue }
                paths.append((source.path as NSString).appendingPathComponent(relative))
            }
        }
        var images: [MediaImage] = []
        for (done, path) in paths.enumerated() {
            progress(MediaScanProgress(done: done, total: paths.count, current: path))
            images.append(MediaAnalyzer().analyze(URL(fileURLWithPath: path)))
        }
        progress(MediaScanProgress(done: paths.count, total: paths.count, current: nil))
        return images.sorted { $0.path < $1.path }
    }
}
