import BackendKit
import Foundation
import Testing
import VizorLab
import VizorMedia
@testable import VizorModel
import VizorProvisioning

/// A language pack chosen by the operator is served to the guest from its
/// own (catalogued) language-pack ISO while the job runs, never copied, and
/// the job's reference ends with the job. 7z is the judge of the bytes.
@Suite("Language packs served from their media", .serialized)
struct LanguagePackServingTests {
    @Test func theChosenPackIsServedFromTheLanguagePackISOUntilTheJobIsRevoked() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-lp-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: root) }
        let isos = try SampleLibrary.ensure(in: root.appendingPathComponent("media"), realisticSizes: false)
        let catalog = isos.map { MediaAnalyzer().analyze($0) }
        let serving = InstallServing(configuration: InstallServingConfiguration(
            stateDirectory: root.appendingPathComponent("state").path, mountRoot: root.appendingPathComponent("mounts").path))
        let backends = SiteInstallBackends(connected: ConnectedSites(sites: [Site(name: "lab", isLab: true, razorURL: "http://127.0.0.1:8150/api")]),
                                           serving: serving, secrets: JobSecretStore(directory: root.appendingPathComponent("secrets")))
        do {
            let image = try #require(catalog.first { ($0.path as NSString).lastPathComponent == "Windows_11_22H2_x64_en-US_de-DE.iso" })
            let edition = try #require(image.editions.first { $0.name == "Windows 11 Pro" })
            var choices = InstallChoices(site: "lab", hypervisor: .xenserver, edition: .init(edition, of: image), machineName: "w11-fr")
            choices.languagePacks = ["fr-FR"]
            choices.uiLanguage = "fr-FR"
            let request = try choices.request(available: InstallChoices.languagePacks(in: catalog))
            let pack = try #require(request.languagePacks.first)

            try backends.secrets.save(JobSecrets(administratorPassword: "Lab-Passw0rd!"), job: "lp1")
            let handle = try await backends.media.expose(imageID: request.imageID, isoPath: request.imagePath, job: "lp1")
            _ = try await backends.artefacts.publish(jobID: "lp1", request: request, media: handle)
            let url = try await serving.baseURL() + "/media/\(pack.imageID)/\(pack.path)"
            let served = try ProductionAdapterTests.curl(url)
            let oracle = try ProductionAdapterTests.tool("/usr/bin/7z", ["e", "-so", pack.imagePath, pack.path])
            #expect(served.status == 200 && oracle.status == 0)
            #expect(!oracle.output.isEmpty && served.body == oracle.output, "\(served.body.count) vs \(oracle.output.count) bytes")
            // Publishing again (a resumed job) adds no second reference.
            _ = try await backends.artefacts.publish(jobID: "lp1", request: request, media: handle)
            await backends.artefacts.revoke(jobID: "lp1")
            #expect(try ProductionAdapterTests.curl(url).status == 404, "the pack media is no longer exposed")
            try await backends.media.release(imageID: request.imageID, job: "lp1")
            #expect(await serving.exposure.list().isEmpty)
        } catch {
            await serving.stop()
            throw error
        }
        await serving.stop()
    }
}
