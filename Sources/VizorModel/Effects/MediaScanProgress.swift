import Foundation
import VizorMedia

/// How far a media scan is: files analysed of the files found, and the one
/// being read now. The dashboard shows it in the status line while a rescan
/// runs (an analysis reads each ISO's directory and WIM metadata, which on a
/// share full of images takes long enough to need a sign of life).
public struct MediaScanProgress: Sendable, Hashable {
    public var done: Int
    public var total: Int
    /// Path of the file being analysed (nil once done).
    public var current: String?
    public init(done: Int, total: Int, current: String?) {
        self.done = done
        self.total = total
        self.current = current
    }
}

/// A scanner that says how far it is. Scanners that do not conform are
/// still polled; they just show no progress.
public protocol ProgressReportingMediaScanner: MediaScanner {
    func scan(progress: @escaping @Sendable (MediaScanProgress) -> Void) async throws -> [MediaImage]
}

/// Runs a scan, delivering its progress reports to the store in order and
/// all of them before the scan's result (so the last report cannot land
/// after the catalog and leave a stale progress line).
func scanWithProgress(_ scanner: any MediaScanner, context: PollerContext) async throws -> [MediaImage] {
    guard let reporting = scanner as? any ProgressReportingMediaScanner else { return try await scanner.scan() }
    let (reports, continuation) = AsyncStream<MediaScanProgress>.makeStream(bufferingPolicy: .bufferingNewest(1))
    let tag = context.tag
    let send = context.send
    let forwarder = Task {
        for await report in reports { await send(.mediaScanProgress(tag, report)) }
    }
    defer { continuation.finish() }
    do {
        let images = try await reporting.scan { continuation.yield($0) }
        continuation.finish()
        await forwarder.value
        return images
    } catch {
        continuation.finish()
        await forwarder.value
        throw error
    }
}

extension DirectoryMediaScanner: ProgressReportingMediaScanner {}
