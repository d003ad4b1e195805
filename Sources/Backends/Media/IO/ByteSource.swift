import BackendKit
import Foundation

/// Random access to the bytes of an image. Every reader goes through one, so
/// that a wrapper can count (and bound) what a catalogue pass costs.
public protocol ByteSource: Sendable {
    /// Total length in bytes.
    var size: UInt64 { get }
    /// Reads up to `count` bytes at `offset`; fewer only at the end of the source.
    func read(at offset: UInt64, count: Int) throws -> [UInt8]
}

extension ByteSource {
    /// Reads exactly `count` bytes or fails with a "truncated" error.
    func readExactly(at offset: UInt64, count: Int, what: String) throws -> [UInt8] {
        let bytes = try read(at: offset, count: count)
        guard bytes.count == count else {
            throw MediaError.truncated("\(what) at byte \(offset) lies past the end of the image (\(size) bytes)")
        }
        return bytes
    }
}

/// Errors of the media readers, as operator-facing `BackendError`s.
enum MediaError {
    static func truncated(_ message: String) -> BackendError {
        BackendError(.invalidInput, backend: "media", message: "truncated image: \(message)",
                     hint: "the file is incomplete; copy it again")
    }
    static func corrupt(_ message: String) -> BackendError {
        BackendError(.invalidInput, backend: "media", message: "corrupt image: \(message)")
    }
    static func unsupported(_ message: String) -> BackendError {
        BackendError(.invalidInput, backend: "media", message: "unsupported: \(message)")
    }
    static func io(_ path: String, _ errno: Int32) -> BackendError {
        BackendError(.invalidInput, backend: "media",
                     message: "cannot read \(path): \(String(cString: strerror(errno)))",
                     hint: "check that the file exists and is readable")
    }
}

/// A file read with `pread`, so concurrent readers need no shared position.
public final class FileByteSource: ByteSource {
    public let url: URL
    public let size: UInt64
    private let descriptor: Int32

    public init(url: URL) throws {
        self.url = url
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw MediaError.io(url.path, errno) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw MediaError.io(url.path, code)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw BackendError(.invalidInput, backend: "media", message: "\(url.path) is not a regular file")
        }
        descriptor = fd
        size = UInt64(info.st_size)
    }

    deinit { close(descriptor) }

    public func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        guard count > 0, offset < size else { return [] }
        let wanted = Int(min(UInt64(count), size - offset))
        var buffer = [UInt8](repeating: 0, count: wanted)
        var done = 0
        while done < wanted {
            let got = buffer.withUnsafeMutableBytes { raw in
                pread(descriptor, raw.baseAddress! + done, wanted - done, off_t(offset) + off_t(done))
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw MediaError.io(url.path, errno)
            }
            if got == 0 { break }
            done += got
        }
        if done < wanted { buffer.removeSubrange(done...) }
        return buffer
    }
}

/// Bytes held in memory: fixtures, fuzzing, and resources already read.
public struct MemoryByteSource: ByteSource {
    public let bytes: [UInt8]
    public var size: UInt64 { UInt64(bytes.count) }
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        guard count > 0, offset < size else { return [] }
        let start = Int(offset)
        let end = start + min(count, bytes.count - start)
        return Array(bytes[start..<end])
    }
}

/// Wraps a source and counts every byte and call that goes through it: the
/// catalogue's read budget is checked against these figures.
public final class CountingByteSource: ByteSource, @unchecked Sendable {
    public let base: any ByteSource
    private let lock = NSLock()
    private var bytes: UInt64 = 0
    private var calls: Int = 0

    public init(_ base: any ByteSource) { self.base = base }

    public var size: UInt64 { base.size }

    /// Bytes returned so far.
    public var bytesRead: UInt64 { lock.withLock { bytes } }
    /// Read calls so far.
    public var readCount: Int { lock.withLock { calls } }

    public func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        let result = try base.read(at: offset, count: count)
        lock.withLock {
            bytes += UInt64(result.count)
            calls += 1
        }
        return result
    }
}

/// Little-endian field access on byte arrays, bounds-checked (returns 0 out of range).
extension Array where Element == UInt8 {
    @inline(__always) func u8(_ at: Int) -> UInt8 { at >= 0 && at < count ? self[at] : 0 }
    func u16(_ at: Int) -> UInt16 { UInt16(u8(at)) | UInt16(u8(at + 1)) << 8 }
    func u16be(_ at: Int) -> UInt16 { UInt16(u8(at)) << 8 | UInt16(u8(at + 1)) }
    func u32(_ at: Int) -> UInt32 { UInt32(u16(at)) | UInt32(u16(at + 2)) << 16 }
    func u64(_ at: Int) -> UInt64 { UInt64(u32(at)) | UInt64(u32(at + 4)) << 32 }
    func slice(_ at: Int, _ length: Int) -> [UInt8] {
        guard at >= 0, length > 0, at < count else { return [] }
        return Array(self[at..<Swift.min(count, at + length)])
    }
}
