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
public final class LogSink: @unchecked Sendable {
    private let lock = NSLock()
    private let handle: FileHandle?
    public let redactor: Redactor
    public let path: String

    /// Opens (creating, mode 0600) `directory/vizor.log` for appending.
    public init(directory: URL, redactor: Redactor) {
        self.redactor = redactor
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o700])
        let file = directory.appendingPathComponent("vizor.log")
        path = file.path
        let descriptor = open(file.path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        handle = descriptor >= 0 ? FileHandle(fileDescriptor: descriptor, closeOnDealloc: true) : nil
    }

    func write(_ line: String) {
        let clean = redactor.redact(line) + "\n"
        lock.withLock { handle?.write(Data(clean.utf8)) }
    }
}

extension LogSink {
    /// Routes every swift-log logger of the process to this file. Call once, early.
    public func bootstrap(level: Logger.Level = .info) {
        LoggingSystem.bootstrap { label in FileLogHandler(label: label, sink: self, level: level) }
    }
}
