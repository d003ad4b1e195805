import BackendKit
import Foundation
import Testing
import VizorLab
import VizorMedia
@testable import VizorModel
import VizorProvisioning

/// The production media exposure and artefact publisher against real ISOs
/// of the sample library, served by a real `MediaHTTPServer` on loopback;
/// 7z and curl are the independent judges of what goes over the wire.
@Suite("Production install adapters on sample ISOs", .serialized)
struct ProductionAdapterTests {
    struct Fixture {
        let root: URL
        let iso: URL
        let image: MediaImage
        let serving: InstallServing
        let backends: SiteInstallBackends

        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-adapters-\(UUID().uuidString.prefix(8))")
            let isos = try SampleLibrary.ensure(in: root.appendingPathComponent("media"), realisticSizes: false)
            iso = try #require(isos.first { $0.lastPathComponent == "Windows_Server_2022_x64_en-US.iso" })
            image = MediaAnalyzer().analyze(iso)
            serving = InstallServing(configuration: InstallServingConfiguration(
                stateDirectory: root.appendingPathComponent("state").path, mountRoot: root.appendingPathComponent("mounts").path))
            let site = Site(name: "lab", isLab: true, razorURL: "http://127.0.0.1:8150/api")
            backends = SiteInstallBackends(connected: ConnectedSites(sites: [site]), serving: serving,
                                           secrets: JobSecretStore(directory: root.appendingPathComponent("secrets")))
        }

        func request(edition: Int) -> InstallRequest {
            InstallRequest(site: "lab", hypervisor: .xenserver, osTemplate: "Windows Server 2022 (64-bit)", bootISO: "ipxe.iso",
                           guestToolsISO: "guest-tools.iso", imageID: image.id, imagePath: iso.path, editionIndex: edition,
                           editionName: image.editions.first { $0.index == edition }?.name ?? "", machineName: "w2022-std",
                           options: ["locale": "de-CH", "timeZone": "Europe/Zurich"])
        }

        func finish() async {
            await serving.stop()
            try? FileManager.default.removeItem(at: root)
        }
    }

    /// Runs a tool and returns its standard output bytes.
    static func tool(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: Data) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-tool-\(UUID().uuidString.prefix(8))")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: out) }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, try Data(contentsOf: out))
    }

    static func curl(_ url: String) throws -> (status: Int, body: Data) {
        let run = try tool("/usr/bin/curl", ["-s", "--max-time", "10", "-w", "\n%{http_code}", url])
        var body = run.output
        guard let newline = body.lastIndex(of: UInt8(ascii: "\n")) else { return (0, body) }
        let code = Int(String(decoding: body[(newline + 1)...], as: UTF8.self)) ?? 0
        body = body[..<newline]
        return (code, Data(body))
    }

    @Test func theMediaURLServesTheSameBytesAs7zExtractsFromTheISO() async throws {
        let fixture = try Fixture()
        do {
            let handle = try await fixture.backends.media.expose(imageID: fixture.image.id, isoPath: fixture.iso.path, job: "j1")
            #expect(handle.smbShare == nil, "SMB is not configured here, so no share is claimed")
            for path in ["sources/lang.ini", "efi/microsoft/boot/efisys.bin", "setup.exe"] {
                let served = try Self.curl(handle.httpURL + path)
                let oracle = try Self.tool("/usr/bin/7z", ["e", "-so", fixture.iso.path, path])
                #expect(served.status == 200 && oracle.status == 0)
                #expect(!oracle.output.isEmpty && served.body == oracle.output, "\(path): \(served.body.count) vs \(oracle.output.count) bytes")
            }
            // Exposing twice for one job is the same exposure; releasing ends it.
            let again = try await fixture.backends.media.expose(imageID: fixture.image.id, isoPath: fixture.iso.path, job: "j1")
            #expect(again == handle)
            try await fixture.backends.media.release(imageID: fixture.image.id, job: "j1")
            #expect(try Self.curl(handle.httpURL + "sources/lang.ini").status == 404)
            try await fixture.backends.media.release(imageID: fixture.image.id, job: "j1")
        } catch {
            await fixture.finish()
            throw error
        }
        await fixture.finish()
    }

    @Test func theArtefactURLServesTheRenderedFileOnlyWithTheJobsToken() async throws {
        let fixture = try Fixture()
        do {
            let secrets = JobSecrets(administratorPassword: "Lab-Passw0rd!")
            try fixture.backends.secrets.save(secrets, job: "j2")
            let mode = try FileManager.default.attributesOfItem(atPath: fixture.backends.secrets.file("j2").path)[.posixPermissions] as? Int
            #expect(mode == 0o600)
            let request = fixture.request(edition: 2)
            let handle = try await fixture.backends.media.expose(imageID: fixture.image.id, isoPath: fixture.iso.path, job: "j2")
            let published = try await fixture.backends.artefacts.publish(jobID: "j2", request: request, media: handle)
            #expect(published.expectedStages.first == "finished" && published.expectedStages.last == "postinstall_finished")
            #expect(published.rootPassword == "Lab-Passw0rd!")
            #expect(published.metadata.values.allSatisfy { !$0.contains(secrets.token) && !$0.contains("Lab-Passw0rd!") })
            let base = try await fixture.serving.baseURL() + "/artefacts/j2/" + ArtefactName.autounattend
            let good = try Self.curl(base + "?token=\(secrets.token)")
            #expect(good.status == 200)
            let xml = String(decoding: good.body, as: UTF8.self)
            // The edition chosen from the catalog, and the operator's locale and zone, are in the answer file.
            let edition = try #require(fixture.image.editions.first { $0.index == 2 })
            #expect(xml.contains("<Value>2</Value>") || xml.contains(edition.name), "edition 2 not selected")
            #expect(xml.contains("de-CH") && xml.contains("W. Europe Standard Time"))
            #expect(xml.contains("<Key>/IMAGE/INDEX</Key>"))
            #expect(try Self.curl(base).status == 403)
            #expect(try Self.curl(base + "?token=\(String(secrets.token.reversed()))").status == 403)
            // Once bound to the Razor node, only that node gets it; after revoke nobody does.
            try await fixture.backends.artefacts.bind(jobID: "j2", node: "node7")
            #expect(try Self.curl(base + "?token=\(secrets.token)").status == 403)
            #expect(try Self.curl(base + "?token=\(secrets.token)&node=node7").status == 200)
            await fixture.backends.artefacts.revoke(jobID: "j2")
            #expect(try Self.curl(base + "?token=\(secrets.token)&node=node7").status == 404)
            try await fixture.backends.media.release(imageID: fixture.image.id, job: "j2")
        } catch {
            await fixture.finish()
            throw error
        }
        await fixture.finish()
    }

    @Test func catalogEditionsBecomeImageFactsWithAnswerFileArchitectureNames() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-facts-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: root) }
        let isos = try SampleLibrary.ensure(in: root, realisticSizes: false)
        let server = MediaAnalyzer().analyze(try #require(isos.first { $0.lastPathComponent == "Windows_Server_2022_x64_en-US.iso" }))
        let facts = try CatalogImageFacts.facts(for: server)
        #expect(facts.editions.map(\.index) == server.editions.map(\.index))
        #expect(facts.editions.allSatisfy { $0.architecture == .amd64 && $0.build == 20348 }, "\(facts.editions)")
        let debian = MediaAnalyzer().analyze(try #require(isos.first { $0.lastPathComponent.hasPrefix("debian") }))
        #expect(throws: BackendError.self) { try CatalogImageFacts.facts(for: debian) }
    }
}
