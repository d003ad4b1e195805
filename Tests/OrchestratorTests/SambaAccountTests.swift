import BackendKit
import Foundation
import Testing
import VizorLab
import VizorMedia
@testable import VizorModel
import VizorProvisioning

/// Finding 4: with `exposure.samba_user` / `samba_password`, WinPE maps the
/// media share as that Samba account, never as a guest. The password reaches
/// the installing machine only inside its WinPE start-up, which is served
/// with the job's token, marked secret and not cached.
@Suite("Samba account for the media shares", .serialized)
struct SambaAccountTests {
    @Test func winPEMapsTheShareWithTheAppliancesSambaAccount() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-smbacct-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: root) }
        let isos = try SampleLibrary.ensure(in: root.appendingPathComponent("media"), realisticSizes: false)
        let catalog = isos.map { MediaAnalyzer().analyze($0) }
        var exposure = ExposureConfig(smbShareRoot: root.appendingPathComponent("smb").path,
                                      sambaIncludeFile: root.appendingPathComponent("vizor-shares.conf").path)
        exposure.sambaUser = "vizor-media"
        exposure.sambaPassword = .env("VIZOR_TEST_SMB")
        let configured = InstallServingConfiguration(exposure: exposure, stateDirectory: root.appendingPathComponent("state"),
                                                     sambaPassword: Secret("Sh4re-Acc0unt"))
        #expect(configured.sambaAccount == SambaAccount(user: "vizor-media", password: Secret("Sh4re-Acc0unt")))
        let access = await configured.samba?.access
        #expect(access == .users(["vizor-media"]), "the shares admit only the account")

        // Served over HTTP only here (no smbd in the test); the start-up still names the account.
        var serving = configured
        serving.samba = nil
        let server = InstallServing(configuration: serving)
        let backends = SiteInstallBackends(
            connected: ConnectedSites(sites: [Site(name: "lab", isLab: true, razorURL: "http://127.0.0.1:8150/api")]),
            serving: server, secrets: JobSecretStore(directory: root.appendingPathComponent("secrets")))
        do {
            let image = try #require(catalog.first { ($0.path as NSString).lastPathComponent == "Windows_11_22H2_x64_en-US_de-DE.iso" })
            let edition = try #require(image.editions.first { $0.name == "Windows 11 Pro" })
            let request = try InstallChoices(site: "lab", hypervisor: .xenserver, edition: .init(edition, of: image),
                                             machineName: "w11").request(available: [])
            try backends.secrets.save(JobSecrets(administratorPassword: "Lab-Passw0rd!"), job: "s1")
            let handle = try await backends.media.expose(imageID: request.imageID, isoPath: request.imagePath, job: "s1")
            _ = try await backends.artefacts.publish(jobID: "s1", request: request, media: handle)
            let token = try backends.secrets.load(job: "s1").token
            let startup = await server.registry.handle(ArtefactRequest(target: "/s1/vizor-winpe.cmd?token=\(token)"))
            let text = String(decoding: startup.body, as: UTF8.self)
            #expect(text.contains(#"net use Z: "%VZ_SHARE%" "Sh4re-Acc0unt" /user:"vizor-media" /persistent:no < NUL"#))
            #expect(!text.contains("AllowInsecureGuestAuth") && !text.contains("vizor-guest"), "no guest logon")
            #expect(startup.headers["Cache-Control"] == "no-store" && startup.headers["X-Content-Type-Options"] == "nosniff")
            let refused = await server.registry.handle(ArtefactRequest(target: "/s1/vizor-winpe.cmd"))
            #expect(refused.status == 403 && !String(decoding: refused.body, as: UTF8.self).contains("Sh4re"))
            await backends.artefacts.revoke(jobID: "s1")
            try await backends.media.release(imageID: request.imageID, job: "s1")
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}
