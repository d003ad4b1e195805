import BackendKit
import Foundation

/// What is exposed, where and for which jobs: one record per image.
public struct ExposureRecord: Sendable, Equatable, Codable {
    public struct SMB: Sendable, Equatable, Codable {
        public var mountPoint: String
        public var shareName: String
        public init(mountPoint: String, shareName: String) {
            self.mountPoint = mountPoint
            self.shareName = shareName
        }
    }

    public var imageID: String
    public var isoPath: String
    /// Install jobs (or "manual") holding this exposure; it ends with the last.
    public var jobs: [String]
    /// Path prefix on the HTTP server: `/media/<id>/`.
    public var httpPath: String
    public var smb: SMB?
    /// The process that owns the FUSE mount; nil when nothing needs an owner.
    public var ownerPID: Int32?
    public var since: Date

    public init(imageID: String, isoPath: String, jobs: [String], httpPath: String, smb: SMB?, ownerPID: Int32?, since: Date) {
        self.imageID = imageID
        self.isoPath = isoPath
        self.jobs = jobs
        self.httpPath = httpPath
        self.smb = smb
        self.ownerPID = ownerPID
        self.since = since
    }
}

/// The exposure records on disk (`exposures.json` in the state directory),
/// shared by the `vizor` processes of one host: the dashboard, `media serve`
/// and `media expose`. Every change is a locked read-modify-write, so a
/// crash leaves a file that start-up recovery can act on.
public struct ExposureRegistry: Sendable {
    public let directory: String
    public var file: String { directory + "/exposures.json" }
    private var lockFile: String { directory + "/exposures.lock" }

    public init(directory: String) { self.directory = directory }

    public func load() -> [ExposureRecord] {
        guard let data = FileManager.default.contents(atPath: file) else { return [] }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return (try? decoder.decode([ExposureRecord].self, from: data)) ?? []
    }

    /// Applies `change` to the records under an exclusive lock and saves them.
    @discardableResult
    public func update<T>(_ change: (inout [ExposureRecord]) throws -> T) throws -> T {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        let fd = open(lockFile, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw BackendError(.invalidInput, backend: exposureBackendName, message: "cannot open \(lockFile)",
                               hint: "check the permissions of \(directory)")
        }
        defer { close(fd) }
        flock(fd, LOCK_EX)
        defer { flock(fd, LOCK_UN) }
        var records = load()
        let result = try change(&records)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(records)
        let temporary = file + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o644]),
              rename(temporary, file) == 0 else {
            unlink(temporary)
            throw BackendError(.invalidInput, backend: exposureBackendName, message: "cannot write \(file)")
        }
        return result
    }

    /// Whether a process with this pid is alive.
    public static func isAlive(_ pid: Int32?) -> Bool {
        guard let pid, pid > 0 else { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }
}

/// Image ids for ISOs named by path (before the catalog assigns ids): a
/// stable FNV-1a hash of the absolute path, so the same ISO keeps its URL.
public enum ExposureIDs {
    public static func stableID(forISOPath path: String) -> String {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in absolute.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return "iso-" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
