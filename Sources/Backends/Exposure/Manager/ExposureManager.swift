import BackendKit
import Foundation
import VizorMedia

/// Where exposures live on this host.
public struct ExposureConfiguration: Sendable {
    /// Holds `exposures.json`.
    public var stateDirectory: String
    /// FUSE mount points are `<mountRoot>/<image-id>`.
    public var mountRoot: String
    /// nil when SMB exposure is not configured on this host.
    public var samba: SambaShareManager?

    public init(stateDirectory: String, mountRoot: String, samba: SambaShareManager? = nil) {
        self.stateDirectory = stateDirectory
        self.mountRoot = mountRoot
        self.samba = samba
    }
}

/// Exposes images for install jobs and takes them down when the last job
/// using them ends: HTTP by adding the image to the served set, SMB by a
/// FUSE mount plus a Samba share. Reference counts are the job lists in the
/// registry, so a later process (after a crash) sees the same picture.
public actor ExposureManager {
    public let configuration: ExposureConfiguration
    /// The set the HTTP server serves from; share it with `MediaHTTPServer.start`.
    public nonisolated let images: ExposedImages
    private let registry: ExposureRegistry
    private let opener: @Sendable (URL) throws -> any MediaFileSystem
    private var mounts: [String: FuseMount] = [:]

    public init(configuration: ExposureConfiguration, images: ExposedImages = ExposedImages(),
                opener: @escaping @Sendable (URL) throws -> any MediaFileSystem = { try openMediaFileSystem(at: $0) }) {
        self.configuration = configuration
        self.images = images
        self.registry = ExposureRegistry(directory: configuration.stateDirectory)
        self.opener = opener
    }

    /// Removes what a crashed process left: FUSE mounts and shares whose
    /// owner is gone, and their records. Returns one line per action taken.
    public func recoverAtStartup() async -> [String] {
        var actions: [String] = []
        let stale: [ExposureRecord] = (try? registry.update { records in
            let dead = records.filter { $0.smb != nil && !ExposureRegistry.isAlive($0.ownerPID) }
            records.removeAll { record in dead.contains { $0.imageID == record.imageID } }
            return dead
        }) ?? []
        for record in stale {
            actions.append("dropped exposure of \(record.imageID) left by process \(record.ownerPID.map(String.init) ?? "?")")
        }
        let live = registry.load()
        let liveMounts = Set(live.compactMap { $0.smb?.mountPoint })
        let root = URL(fileURLWithPath: configuration.mountRoot).standardizedFileURL.path
        for mount in FuseMount.vizorMounts() where mount.mountPoint.hasPrefix(root + "/") && !liveMounts.contains(mount.mountPoint) {
            if (try? await FuseMount.detach(mount.mountPoint)) != nil {
                actions.append("unmounted stale \(mount.mountPoint)")
                rmdir(mount.mountPoint)
            } else {
                actions.append("could not unmount stale \(mount.mountPoint)")
            }
        }
        if let samba = configuration.samba {
            let keep = Set(live.compactMap { $0.smb?.shareName })
            if let dropped = try? await samba.retainOnly(keep) {
                actions += dropped.map { "removed stale share \($0)" }
            }
        }
        return actions
    }

    /// Adds `job` to the users of `imageID`, exposing it over HTTP (and SMB
    /// when asked) if this is the first use.
    @discardableResult
    public func expose(imageID: String, isoPath: String, job: String, smb: Bool = false) async throws -> ExposureRecord {
        guard RequestTarget.isValidImageID(imageID) else {
            throw BackendError(.invalidInput, backend: exposureBackendName, message: "image id \(imageID.debugDescription) is not valid")
        }
        let existing = registry.load().first { $0.imageID == imageID }
        if let existing, existing.isoPath != isoPath {
            throw BackendError(.conflict, backend: exposureBackendName,
                               message: "image \(imageID) is already exposed from \(existing.isoPath)")
        }
        if images.image(imageID) == nil {
            let fileSystem = try opener(URL(fileURLWithPath: isoPath))
            images.insert(try ExposedImage(id: imageID, fileSystem: fileSystem))
        }
        var smbRecord = existing?.smb
        var owner = existing?.ownerPID
        do {
            (smbRecord, owner) = try await exposeSMB(imageID: imageID, wanted: smb, current: smbRecord, owner: owner)
        } catch {
            if existing == nil { images.remove(imageID) }
            throw error
        }
        let record = try registry.update { records -> ExposureRecord in
            var record = records.first { $0.imageID == imageID }
                ?? ExposureRecord(imageID: imageID, isoPath: isoPath, jobs: [], httpPath: "/media/\(imageID)/",
                                  smb: nil, ownerPID: nil, since: Date())
            if !record.jobs.contains(job) { record.jobs.append(job) }
            record.smb = smbRecord
            record.ownerPID = owner
            records.removeAll { $0.imageID == imageID }
            records.append(record)
            return record
        }
        return record
    }

    /// Mounts and shares the image when SMB is wanted and not there yet.
    private func exposeSMB(imageID: String, wanted: Bool, current: ExposureRecord.SMB?,
                           owner: Int32?) async throws -> (ExposureRecord.SMB?, Int32?) {
        if let current {
            if wanted, mounts[imageID] == nil, !ExposureRegistry.isAlive(owner) {
                throw BackendError(.conflict, backend: exposureBackendName,
                                   message: "share \(current.shareName) was left by a process that ended",
                                   hint: "run start-up recovery (vizor media list) and retry")
            }
            return (current, owner)
        }
        guard wanted else { return (nil, owner) }
        guard let samba = configuration.samba else {
            throw BackendError(.invalidInput, backend: exposureBackendName, message: "SMB exposure is not configured",
                               hint: "configure the Samba include file Vizor may manage")
        }
        guard let image = images.image(imageID) else {
            throw BackendError(.notFound, backend: exposureBackendName, message: "image \(imageID) vanished")
        }
        let mountPoint = configuration.mountRoot + "/" + imageID
        try FileManager.default.createDirectory(atPath: configuration.mountRoot, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        try Self.checkTraversable(configuration.mountRoot)
        if FuseMount.isMounted(mountPoint) { try await FuseMount.detach(mountPoint) }
        let mount = try FuseMount.mount(image, at: mountPoint)
        let shareName = SambaShareManager.shareName(for: imageID)
        do {
            try await samba.add(SambaShare(name: shareName, path: mountPoint,
                                           comment: "Vizor media \(imageID)", access: samba.access))
        } catch {
            try? await mount.unmount()
            rmdir(mountPoint)
            throw error
        }
        mounts[imageID] = mount
        return (.init(mountPoint: mountPoint, shareName: shareName), getpid())
    }

    /// Drops `job` from the users of `imageID`; the exposure ends with its
    /// last job. Returns the record still standing, or nil when it ended.
    @discardableResult
    public func release(imageID: String, job: String) async throws -> ExposureRecord? {
        let remaining = try registry.update { records -> ExposureRecord? in
            guard let index = records.firstIndex(where: { $0.imageID == imageID }) else { return nil }
            records[index].jobs.removeAll { $0 == job }
            return records[index]
        }
        guard let remaining else {
            images.remove(imageID)
            return nil
        }
        if !remaining.jobs.isEmpty { return remaining }
        try await tearDown(remaining)
        return nil
    }

    /// Ends an exposure whatever jobs hold it (the operator's `unexpose`).
    public func unexpose(imageID: String) async throws {
        guard let record = registry.load().first(where: { $0.imageID == imageID }) else {
            images.remove(imageID)
            throw BackendError(.notFound, backend: exposureBackendName, message: "image \(imageID) is not exposed")
        }
        try await tearDown(record)
    }

    /// Releases every exposure `job` holds (the job ended).
    public func releaseAll(job: String) async throws {
        for record in registry.load() where record.jobs.contains(job) {
            try await release(imageID: record.imageID, job: job)
        }
    }

    private func tearDown(_ record: ExposureRecord) async throws {
        if let smb = record.smb {
            // When smbd cannot be told to reload (it is down), the mount still goes: the
            // failure is reported after, and start-up recovery finishes the rest.
            var unshared: (any Error)?
            if let samba = configuration.samba {
                do { try await samba.remove(named: smb.shareName) } catch { unshared = error }
            }
            if let mount = mounts.removeValue(forKey: record.imageID) {
                try await mount.unmount()
            } else if FuseMount.isMounted(smb.mountPoint) {
                try await FuseMount.detach(smb.mountPoint)
            }
            rmdir(smb.mountPoint)
            if let unshared { throw unshared }
        }
        images.remove(record.imageID)
        try registry.update { records in records.removeAll { $0.imageID == record.imageID } }
    }

    /// Samba serves guests as an unprivileged account, which must be able to
    /// reach the mount point: refuse a mount root under a private directory
    /// (such as /root or a 0700 temporary directory) instead of sharing
    /// something every client is then denied.
    static func checkTraversable(_ directory: String) throws {
        var path = URL(fileURLWithPath: directory).standardizedFileURL.path
        while !path.isEmpty && path != "/" {
            var info = stat()
            if stat(path, &info) == 0 && info.st_mode & S_IXOTH == 0 {
                throw BackendError(.invalidInput, backend: exposureBackendName,
                                   message: "Samba clients cannot reach \(directory): \(path) is not searchable by others",
                                   hint: "choose a mount root under a world-searchable directory (e.g. /run/vizor/media) or chmod o+x \(path)")
            }
            path = (path as NSString).deletingLastPathComponent
        }
    }

    /// Every exposure on this host.
    public func list() -> [ExposureRecord] { registry.load() }

    /// Mirrors the registry into the served set: `media serve` calls this
    /// periodically so `media expose` in another shell takes effect.
    public func synchroniseServedImages() {
        let records = registry.load()
        let wanted = Set(records.map(\.imageID))
        for id in images.ids where !wanted.contains(id) { images.remove(id) }
        for record in records where images.image(record.imageID) == nil {
            if let fileSystem = try? opener(URL(fileURLWithPath: record.isoPath)),
               let image = try? ExposedImage(id: record.imageID, fileSystem: fileSystem) {
                images.insert(image)
            }
        }
    }

    /// Ends every exposure this process owns (FUSE mounts die with it).
    public func shutdown() async {
        for (id, _) in mounts {
            if let record = registry.load().first(where: { $0.imageID == id }) { try? await tearDown(record) }
        }
    }
}
