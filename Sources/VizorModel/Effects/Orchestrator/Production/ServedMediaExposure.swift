import BackendKit
import Foundation
import VizorExposure

/// `InstallMediaExposure` over the exposure manager and this process's media
/// HTTP server: the ISO is served from its own extents (never copied) under
/// `/media/<image-id>/`, and shared over SMB through FUSE + Samba only when
/// the host has Samba configured. Without Samba the handle has no share, and
/// the artefacts say so rather than pointing at a share that does not exist.
public struct ServedMediaExposure: InstallMediaExposure {
    public let serving: InstallServing

    public init(serving: InstallServing) {
        self.serving = serving
    }

    public func expose(imageID: String, isoPath: String, job: String) async throws -> MediaExposureHandle {
        guard FileManager.default.isReadableFile(atPath: isoPath) else {
            throw BackendError(.notFound, backend: "exposure", message: "ISO \(isoPath) of image \(imageID) is not readable",
                               hint: "check the media source is mounted, then retry the job")
        }
        let base = try await serving.baseURL()
        let smb = await serving.smbConfigured
        let record = try await serving.exposure.expose(imageID: imageID, isoPath: isoPath, job: job, smb: smb)
        let host = URL(string: base)?.host ?? "127.0.0.1"
        let share = record.smb.map { "\\\\\(host)\\\($0.shareName)" }
        return MediaExposureHandle(exposureID: imageID, httpURL: "\(base)\(record.httpPath)", smbShare: share)
    }

    public func release(imageID: String, job: String) async throws {
        try await serving.exposure.release(imageID: imageID, job: job)
    }
}
