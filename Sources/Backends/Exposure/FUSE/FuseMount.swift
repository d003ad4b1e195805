import BackendKit
import CFuse
import Foundation

/// One image presented read-only at a mount point through libfuse3, for
/// Samba to share. No kernel ISO driver and no loop device are involved:
/// every read is a `pread` on the ISO at the file's extents.
public final class FuseMount: @unchecked Sendable {
    public let mountPoint: String
    public let imageID: String
    private let handle: OpaquePointer
    private let volume: Unmanaged<FuseVolume>
    private let lock = NSLock()
    /// Guarded by `lock`.
    private var loopEnded = false
    private var state = State.mounted

    private enum State { case mounted, unmounting, unmounted }

    /// The fsname every Vizor mount carries, so stale ones can be found in
    /// /proc/self/mounts after a crash.
    public static let fsnamePrefix = "vizor:"

    /// Mounts `image` at `mountPoint` (created if missing) and starts
    /// serving it on libfuse worker threads.
    public static func mount(_ image: ExposedImage, at mountPoint: String, maxThreads: UInt32 = 8) throws -> FuseMount {
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let volume = Unmanaged.passRetained(try FuseVolume(image: image))
        var ops = FuseCallbacks.operations()
        let arguments = ["vizor", "-o", "ro,allow_other,default_permissions,fsname=\(fsnamePrefix)\(image.id),subtype=vizor"]
        var cArguments = arguments.map { strdup($0) }
        defer { cArguments.forEach { free($0) } }
        guard let handle = cArguments.withUnsafeMutableBufferPointer({ buffer in
            vizor_fuse_new(Int32(buffer.count), buffer.baseAddress, &ops, volume.toOpaque())
        }) else {
            volume.release()
            throw BackendError(.invalidInput, backend: exposureBackendName, message: "libfuse refused the mount options")
        }
        guard fuse_mount(handle, mountPoint) == 0 else {
            fuse_destroy(handle)
            volume.release()
            throw BackendError(.remoteFailure, backend: exposureBackendName,
                               message: "cannot mount \(image.id) at \(mountPoint)",
                               hint: "check that /dev/fuse exists, fuse3 is installed and the mount point is an empty directory")
        }
        let mount = FuseMount(mountPoint: mountPoint, imageID: image.id, handle: handle, volume: volume)
        let thread = Thread { [mount] in mount.runLoop(maxThreads: maxThreads) }
        thread.name = "vizor-fuse-\(image.id)"
        thread.start()
        return mount
    }

    private init(mountPoint: String, imageID: String, handle: OpaquePointer, volume: Unmanaged<FuseVolume>) {
        self.mountPoint = mountPoint
        self.imageID = imageID
        self.handle = handle
        self.volume = volume
    }

    private func runLoop(maxThreads: UInt32) {
        _ = vizor_fuse_loop_mt(handle, maxThreads)
        lock.withLock { loopEnded = true }
    }

    /// Unmounts, waits for the loop to end and frees everything. Idempotent;
    /// a call while another is under way returns at once. Suspends, never
    /// blocks its thread.
    public func unmount(timeout: Duration = .seconds(10)) async throws {
        let claimed = lock.withLock { () -> Bool in
            guard state == .mounted else { return false }
            state = .unmounting
            return true
        }
        guard claimed else { return }
        do {
            try await Self.detach(mountPoint)
            // The loop ends as soon as the kernel drops the mount; look every 10 ms.
            let deadline = ContinuousClock.now + timeout
            while !lock.withLock({ loopEnded }) {
                guard ContinuousClock.now < deadline else {
                    throw BackendError(.timeout, backend: exposureBackendName,
                                       message: "FUSE loop for \(imageID) did not stop after unmounting \(mountPoint)")
                }
                try await Task.sleep(for: .milliseconds(10))
            }
        } catch {
            lock.withLock { state = .mounted }
            throw error
        }
        lock.withLock { state = .unmounted }
        fuse_destroy(handle)
        volume.release()
    }

    /// `fusermount3 -u`, which also clears a mount whose daemon died.
    public static func detach(_ mountPoint: String) async throws {
        // A file under the mount may still be held for a moment by a process
        // that inherited the descriptor across fork (a concurrent spawn), so
        // "busy" is retried briefly before it is reported.
        var result = try await ProcessRunner.run("/usr/bin/fusermount3", ["-u", mountPoint])
        var attempts = 1
        while result.status != 0 && isMounted(mountPoint) && attempts < 30 {
            try await Task.sleep(for: .milliseconds(100))
            result = try await ProcessRunner.run("/usr/bin/fusermount3", ["-u", mountPoint])
            attempts += 1
        }
        if result.status != 0 && isMounted(mountPoint) {
            throw BackendError(.remoteFailure, backend: exposureBackendName,
                               message: "cannot unmount \(mountPoint): \(result.errorText)",
                               hint: "close programs using files under it (Samba clients), then retry")
        }
    }

    /// Vizor FUSE mounts currently listed in /proc/self/mounts.
    public static func vizorMounts() -> [(mountPoint: String, imageID: String)] {
        guard let text = try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count >= 3, fields[0].hasPrefix(fsnamePrefix), fields[2].hasPrefix("fuse") else { return nil }
            return (unescapeMountField(String(fields[1])), String(fields[0].dropFirst(fsnamePrefix.count)))
        }
    }

    public static func isMounted(_ mountPoint: String) -> Bool {
        guard let text = try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8) else { return false }
        return text.split(separator: "\n").contains { line in
            let fields = line.split(separator: " ")
            return fields.count >= 2 && unescapeMountField(String(fields[1])) == mountPoint
        }
    }

    /// /proc/mounts escapes space, tab, newline and backslash as octal.
    static func unescapeMountField(_ field: String) -> String {
        var out = [UInt8]()
        let bytes = Array(field.utf8)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\\"), index + 3 < bytes.count,
               let value = UInt8(String(decoding: bytes[(index + 1)...(index + 3)], as: UTF8.self), radix: 8) {
                out.append(value)
                index += 4
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
