import BackendKit
import Foundation
import VizorMedia

/// One ISO made reachable by the HTTP server and the FUSE view: its file
/// tree (metadata only) plus an open descriptor on the image, so every read
/// goes straight to the ISO's bytes and nothing is copied or mounted.
public final class ExposedImage: Sendable {
    public let id: String
    public let fileSystem: any MediaFileSystem
    /// Open read-only for the life of the exposure; reads use `pread`, and
    /// HTTP responses `dup` it so each response owns its own descriptor.
    public let descriptor: Int32
    /// Identifies this version of the ISO in ETags (size, mtime, inode).
    public let fingerprint: String
    public let imageSize: UInt64

    public init(id: String, fileSystem: any MediaFileSystem) throws {
        self.id = id
        self.fileSystem = fileSystem
        let path = fileSystem.imageURL.path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw BackendError(.notFound, backend: exposureBackendName,
                               message: "cannot open image \(path): \(String(cString: strerror(errno)))",
                               hint: "check that the ISO still exists and is readable")
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            close(fd)
            throw BackendError(.invalidInput, backend: exposureBackendName, message: "cannot stat image \(path)")
        }
        descriptor = fd
        imageSize = UInt64(info.st_size)
        fingerprint = String(UInt64(info.st_ino), radix: 36) + "."
            + String(UInt64(info.st_size), radix: 36) + "."
            + String(Int64(info.st_mtim.tv_sec), radix: 36)
    }

    deinit { close(descriptor) }

    /// The entry at `path`, exact case first, then case-insensitively as
    /// Windows clients expect. `components` must already be sanitised.
    public func resolve(_ components: [String]) throws -> MediaFileEntry? {
        try CaseInsensitiveResolver.resolve(components, in: fileSystem)
    }

    /// Reads `count` bytes at file offset `offset` of `entry` into `buffer`;
    /// returns the number read (short only at end of file).
    public func read(_ entry: MediaFileEntry, offset: UInt64, count: Int,
                     into buffer: UnsafeMutableRawPointer) throws -> Int {
        guard offset < entry.size, count > 0 else { return 0 }
        let end = min(entry.size, offset + UInt64(count))
        var written = 0
        for segment in ExtentMap.segments(of: entry, from: offset, to: end) {
            let target = buffer + written
            switch segment {
            case .zeros(let length):
                memset(target, 0, Int(length))
                written += Int(length)
            case .bytes(let bytes):
                bytes.withUnsafeBytes { raw in
                    if let base = raw.baseAddress { memcpy(target, base, raw.count) }
                }
                written += bytes.count
            case .image(let imageOffset, let length):
                var done = 0
                while done < Int(length) {
                    let got = pread(descriptor, target + done, Int(length) - done, off_t(imageOffset) + off_t(done))
                    if got < 0 && errno == EINTR { continue }
                    guard got > 0 else {
                        throw BackendError(.protocolViolation, backend: exposureBackendName,
                                           message: "image \(id) is shorter than its extents say (\(entry.path))",
                                           hint: "the ISO may be truncated; re-copy it")
                    }
                    done += got
                }
                written += done
            }
        }
        return written
    }
}

/// Where a run of a file's bytes comes from.
public enum ByteOrigin: Sendable, Equatable {
    /// Bytes of the image file at an absolute offset.
    case image(offset: UInt64, length: UInt64)
    /// An extent recorded but not stored: reads as zeros.
    case zeros(length: UInt64)
    /// Bytes embedded in the file's descriptor.
    case bytes([UInt8])

    public var length: UInt64 {
        switch self {
        case .image(_, let length), .zeros(let length): return length
        case .bytes(let bytes): return UInt64(bytes.count)
        }
    }
}

/// Maps file byte ranges onto the image, stitching extents in order.
public enum ExtentMap {
    /// The sources of file bytes [from, to) of `entry`. Bytes past the last
    /// extent but inside the file size read as zeros, as 7z does.
    public static func segments(of entry: MediaFileEntry, from: UInt64, to: UInt64) -> [ByteOrigin] {
        let end = min(to, entry.size)
        guard from < end else { return [] }
        if let embedded = entry.embeddedData {
            let lower = Int(min(from, UInt64(embedded.count)))
            let upper = Int(min(end, UInt64(embedded.count)))
            var out: [ByteOrigin] = lower < upper ? [.bytes(Array(embedded[lower..<upper]))] : []
            if end > UInt64(upper) { out.append(.zeros(length: end - max(from, UInt64(upper)))) }
            return out
        }
        var out: [ByteOrigin] = []
        var fileOffset: UInt64 = 0
        var cursor = from
        for extent in entry.extents {
            let extentEnd = fileOffset + extent.length
            if extentEnd > cursor && fileOffset < end {
                let lower = max(cursor, fileOffset)
                let upper = min(end, extentEnd)
                let length = upper - lower
                if extent.isSparse {
                    out.append(.zeros(length: length))
                } else {
                    out.append(.image(offset: extent.offset + (lower - fileOffset), length: length))
                }
                cursor = upper
            }
            fileOffset = extentEnd
            if cursor >= end { break }
        }
        if cursor < end { out.append(.zeros(length: end - cursor)) }
        return out
    }
}
