import BackendKit
import Foundation

/// Language packs live on their own media (an ISO of CABs). While a job
/// installs, that ISO is exposed over HTTP next to the install image (never
/// copied), so the guest's language-pack step downloads each CAB from
/// `/media/<pack-image-id>/<cab path>`; the job's reference ends with the job.
extension RenderedArtefactPublisher {
    /// Exposes every language-pack ISO `request` needs, for `jobID`
    /// (idempotent: exposing again for the same job adds no reference).
    static func exposeLanguagePacks(_ request: InstallRequest, jobID: String, serving: InstallServing) async throws {
        var done: Set<String> = []
        for pack in request.languagePacks where done.insert(pack.imageID).inserted {
            guard FileManager.default.isReadableFile(atPath: pack.imagePath) else {
                throw BackendError(.notFound, backend: "exposure",
                                   message: "language-pack ISO \(pack.imagePath) (for \(pack.language)) is not readable",
                                   hint: "check the media source is mounted, then retry the job")
            }
            _ = try await serving.exposure.expose(imageID: pack.imageID, isoPath: pack.imagePath, job: jobID)
        }
    }

    /// Drops every exposure the job still holds: it is being cleaned up, and
    /// the install image's own release afterwards finds nothing left to do.
    static func releaseLanguagePacks(jobID: String, serving: InstallServing) async {
        try? await serving.exposure.releaseAll(job: jobID)
    }
}
