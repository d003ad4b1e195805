import Foundation
import Logging

/// Writes log lines to one file under `$XDG_STATE_HOME/vizor/` (never the
/// terminal, which the dashboard owns), with every known secret blanked out.
public struct FileLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String
    private let sink: LogSink

    public init(label: String, sink: LogSink, level: Logger.Level = .info) {
        self.label = label
        self.sink = sink
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let stamp = ISO8601DateFormatter().string(from: Date())
        sink.write("\(stamp) \(event.level) \(label): \(event.message)\(fields.isEmpty ? "" : " " + fields)")
    }
}

/// The open log file, shared by every handler; redacts before writing.
///
/// The file is capped: a line that would take `vizor.log` past
/// `maximumBytes` first moves it to `vizor.log.1` (`.1` to `.2`, and so on;
/// the oldest of `keptFiles` is dropped). Several vizor processes append to
/// the same file, so rotation is by rename under an exclusive `flock` on
/// `vizor.log.lock`, and every process re-opens `vizor.log` when the name no
/// longer leads to the file it holds. Each line goes out in one `write(2)`
/// on an `O_APPEND` descriptor, so lines of different processes never
/// interleave; a line a process writes while another rotates lands in
/// `vizor.log.1`, not nowhere.
public final class LogSink: @unchecked Sendable {
    /// The cap on `vizor.log` unless the initializer says otherwise: 10 MiB.
    public static let defaultMaximumBytes = 10 * 1024 * 1024
    /// Rotated files kept beside `vizor.log`.
    public static let defaultKeptFiles = 3

    public let redactor: Redactor
    public let path: String
    public let maximumBytes: Int
    public let keptFiles: Int
    private let lockPath: String
    private let lock = NSLock()
    /// The open `vizor.log`; -1 when it could not be opened. Guarded by `lock`.
    private var descriptor: Int32 = -1

    /// Opens (creating, mode 0600) `directory/vizor.log` for appending.
    public init(directory: URL, redactor: Redactor, maximumBytes: Int = LogSink.defaultMaximumBytes,
                keptFiles: Int = LogSink.defaultKeptFiles) {
        self.redactor = redactor
        self.maximumBytes = max(1, maximumBytes)
        self.keptFiles = max(0, keptFiles)
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o700])
        path = directory.appendingPathComponent("vizor.log").path
        lockPath = path + ".lock"
        descriptor = Self.openLog(path)
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    func write(_ line: String) {
        let bytes = Array((redactor.redact(line) + "\n").utf8)
        lock.withLock {
            followRotation()
            if size() > 0 && size() + bytes.count > maximumBytes { rotate(making: bytes.count) }
            append(bytes)
        }
    }

    private static func openLog(_ path: String) -> Int32 {
        open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
    }

    /// Size of the file this process appends to (other processes' lines included).
    private func size() -> Int {
        var info = stat()
        guard descriptor >= 0, fstat(descriptor, &info) == 0 else { return 0 }
        return Int(info.st_size)
    }

    /// Re-opens `vizor.log` when another process has rotated it away (or it
    /// was removed): the name then leads to another file, or to none.
    private func followRotation() {
        var named = stat(), held = stat()
        if descriptor >= 0, fstat(descriptor, &held) == 0, stat(path, &named) == 0,
           named.st_dev == held.st_dev, named.st_ino == held.st_ino {
            return
        }
        if descriptor >= 0 { close(descriptor) }
        descriptor = Self.openLog(path)
    }

    /// Moves the full file aside, under the lock every vizor process takes
    /// to rotate, unless another process did so while this one waited.
    private func rotate(making incoming: Int) {
        let lockDescriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lockDescriptor >= 0 else { return }
        defer { close(lockDescriptor) }
        while flock(lockDescriptor, LOCK_EX) != 0 {
            guard errno == EINTR else { return }
        }
        defer { _ = flock(lockDescriptor, LOCK_UN) }
        followRotation()
        guard size() > 0 && size() + incoming > maximumBytes else { return }
        if keptFiles == 0 {
            unlink(path)
        } else {
            for index in stride(from: keptFiles - 1, through: 1, by: -1) {
                rename("\(path).\(index)", "\(path).\(index + 1)")
            }
            rename(path, path + ".1")
        }
        if descriptor >= 0 { close(descriptor) }
        descriptor = Self.openLog(path)
    }

    /// One `write(2)` for the whole line; a short write (a full disk, a
    /// signal) is finished by more.
    private func append(_ bytes: [UInt8]) {
        guard descriptor >= 0 else { return }
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = writeBytes(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }
}

/// write(2), out of reach of `LogSink.write` inside the class.
private func writeBytes(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}

extension LogSink {
    /// Routes every swift-log logger of the process to this file. Call once, early.
    public func bootstrap(level: Logger.Level = .info) {
        LoggingSystem.bootstrap { label in FileLogHandler(label: label, sink: self, level: level) }
    }
}
