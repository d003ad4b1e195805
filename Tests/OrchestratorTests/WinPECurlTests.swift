import BackendKit
import Foundation
import Testing
import VizorLab
import VizorMedia
@testable import VizorModel
import VizorProvisioning

/// A curl.exe configured for a WinPE architecture (`exposure.winpe_curl`) is
/// checked when the job is published, before anything boots, served as the
/// job's `curl.exe` artefact and injected by the boot script; one of the wrong
/// architecture stops the job with the reason.
@Suite("WinPE curl.exe from the configuration", .serialized)
struct WinPECurlTests {
    /// The start of a PE console program for a machine type: what the check reads.
    static func consoleProgram(machine: UInt16) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 512)
        bytes[0] = 0x4d; bytes[1] = 0x5a
        bytes[0x3c] = 0x80
        bytes.replaceSubrange(0x80..<0x84, with: [0x50, 0x45, 0, 0])
        bytes[0x84] = UInt8(machine & 0xff); bytes[0x85] = UInt8(machine >> 8)
        bytes[0x94] = 0xf0                       // SizeOfOptionalHeader
        bytes[0x98] = 0x0b; bytes[0x99] = 0x02   // PE32+
        bytes[0x98 + 68] = 3                     // Subsystem: Windows console
        return bytes + Array("curl 8.x stand-in\n".utf8)
    }

    @Test func aConfiguredCurlIsCheckedServedAndInjectedAndTheWrongBuildStopsTheJob() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-curl-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: root) }
        let isos = try SampleLibrary.ensure(in: root.appendingPathComponent("media"), realisticSizes: false)
        let catalog = isos.map { MediaAnalyzer().analyze($0) }
        let amd64 = root.appendingPathComponent("curl-x64.exe"), wrong = root.appendingPathComponent("curl-x86.exe")
        try Data(Self.consoleProgram(machine: 0x8664)).write(to: amd64)
        try Data(Self.consoleProgram(machine: 0x014c)).write(to: wrong)

        func backends(curl: URL) -> (InstallServing, SiteInstallBackends) {
            let serving = InstallServing(configuration: InstallServingConfiguration(
                stateDirectory: root.appendingPathComponent("state").path, mountRoot: root.appendingPathComponent("mounts").path,
                winPECurl: WinPECurlFiles(amd64: curl.path)))
            return (serving, SiteInstallBackends(
                connected: ConnectedSites(sites: [Site(name: "lab", isLab: true, razorURL: "http://127.0.0.1:8150/api")]),
                serving: serving, secrets: JobSecretStore(directory: root.appendingPathComponent("secrets"))))
        }
        let image = try #require(catalog.first { ($0.path as NSString).lastPathComponent == "Windows_11_22H2_x64_en-US_de-DE.iso" })
        let edition = try #require(image.editions.first { $0.name == "Windows 11 Pro" })
        let request = try InstallChoices(site: "lab", hypervisor: .xenserver, edition: .init(edition, of: image), machineName: "w11")
            .request(available: [])

        let (serving, good) = backends(curl: amd64)
        do {
            try good.secrets.save(JobSecrets(administratorPassword: "Lab-Passw0rd!"), job: "c1")
            let handle = try await good.media.expose(imageID: request.imageID, isoPath: request.imagePath, job: "c1")
            _ = try await good.artefacts.publish(jobID: "c1", request: request, media: handle)
            let token = try good.secrets.load(job: "c1").token
            let url = try await serving.baseURL() + "/artefacts/c1/curl.exe?token=\(token)"
            let served = try ProductionAdapterTests.curl(url)
            let expected = try Data(contentsOf: amd64)
            #expect(served.status == 200 && served.body == expected)
            let script = await serving.registry.handle(ArtefactRequest(target: "/c1/boot.ipxe?token=\(token)"))
            #expect(String(decoding: script.body, as: UTF8.self).contains("initrd \(url) curl.exe || goto failed"),
                    "the boot script injects it")
            await good.artefacts.revoke(jobID: "c1")
            try await good.media.release(imageID: request.imageID, job: "c1")
        } catch {
            await serving.stop()
            throw error
        }
        await serving.stop()

        let (otherServing, bad) = backends(curl: wrong)
        do {
            try bad.secrets.save(JobSecrets(administratorPassword: "Lab-Passw0rd!"), job: "c2")
            let handle = try await bad.media.expose(imageID: request.imageID, isoPath: request.imagePath, job: "c2")
            let error = await #expect(throws: BackendError.self) {
                _ = try await bad.artefacts.publish(jobID: "c2", request: request, media: handle)
            }
            #expect(error?.kind == .invalidInput)
            #expect(error?.message.contains("is a i386 program, not amd64") == true, "\(String(describing: error))")
            #expect(error?.message.contains(wrong.path) == true)
            try await bad.media.release(imageID: request.imageID, job: "c2")
        } catch {
            await otherServing.stop()
            throw error
        }
        await otherServing.stop()
    }
}
