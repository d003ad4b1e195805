import BackendKit
import Foundation
import LabCloudStack
import LabRazor
import LabXAPI
import Testing
import VizorCloudStack
@testable import VizorModel
import VizorLab
import VizorRazor
import VizorStore
import VizorXenServer

/// The lab's XAPI, CloudStack and Razor servers with the guest simulator,
/// reached through Vizor's real clients. Media exposure and artefact serving
/// are recorded in memory here (their own tests cover the HTTP/SMB side).
final class LabInstallBackends: InstallBackends, @unchecked Sendable {
    let suite: LabSuite
    let xen: XenServerHypervisor
    let cs: CloudStackHypervisor
    let razor: RazorProvisioningServer
    private let lock = NSLock()
    private var exposed: [String: Set<String>] = [:]
    private var served: Set<String> = []
    static let steps = [LabGuestStep.guestTools, "regional-settings", LabGuestStep.seal]

    init(suite: LabSuite) throws {
        self.suite = suite
        let xapi = try #require(suite.servers.lazy.compactMap { $0 as? XAPILabServer }.first)
        let csServer = try #require(suite.servers.lazy.compactMap { $0 as? LabCloudStackServer }.first)
        let razorLab = try #require(suite.servers.lazy.compactMap { $0 as? LabRazorServer }.first)
        xen = try XenServerHypervisor(configuration: XenServerConfiguration(
            url: xapi.endpoint.url, username: xapi.endpoint.credentials["username"] ?? "",
            password: xapi.endpoint.credentials["password"] ?? "", callTimeout: .seconds(10), eventPollTimeout: 2, siteName: "lab"))
        cs = CloudStackHypervisor(
            configuration: CloudStackConfiguration(
                endpoint: try #require(URL(string: csServer.endpoint.url)), apiKey: csServer.cloud.user.apiKey,
                secretKey: csServer.cloud.user.secretKey, requestTimeout: .seconds(10),
                jobs: .init(initialInterval: .milliseconds(20), maxInterval: .milliseconds(200), timeout: .seconds(20),
                            templateTimeout: .seconds(20))),
            options: .init(defaultZone: "lab-zone-1", pollInterval: .milliseconds(100), expungeOnDestroy: true))
        razor = RazorProvisioningServer(configuration: RazorConfiguration(
            apiURL: try #require(URL(string: razorLab.endpoint.url)), username: razorLab.endpoint.credentials["username"],
            password: razorLab.endpoint.credentials["password"], requestTimeout: .seconds(10), commandTimeout: .seconds(20),
            pollInterval: .milliseconds(20)))
    }

    func hypervisor(site: String, kind: HypervisorKind) async throws -> any Hypervisor { kind == .xenserver ? xen : cs }
    func provisioning(site: String) async throws -> any ProvisioningServer { razor }
    var media: any InstallMediaExposure { Media(owner: self) }
    var artefacts: any InstallArtefactPublisher { Artefacts(owner: self) }

    var leftovers: (exposures: Int, served: Int) { lock.withLock { (exposed.values.reduce(0) { $0 + $1.count }, served.count) } }

    struct Media: InstallMediaExposure {
        let owner: LabInstallBackends
        func expose(imageID: String, isoPath: String, job: String) async throws -> MediaExposureHandle {
            owner.lock.withLock { _ = owner.exposed[imageID, default: []].insert(job) }
            return MediaExposureHandle(exposureID: imageID, httpURL: "http://127.0.0.1:9/media/\(imageID)/", smbShare: "vizor-\(imageID)")
        }
        func release(imageID: String, job: String) async throws {
            owner.lock.withLock { _ = owner.exposed[imageID]?.remove(job) }
        }
    }

    struct Artefacts: InstallArtefactPublisher {
        let owner: LabInstallBackends
        func publish(jobID: String, request: InstallRequest, media: MediaExposureHandle) async throws -> PublishedArtefacts {
            owner.lock.withLock { _ = owner.served.insert(jobID) }
            let stages = ["finished"] + steps.flatMap { ["\($0)_begins", "\($0)_ends"] } + ["postinstall_finished"]
            return PublishedArtefacts(taskName: "windows/2016", expectedStages: stages,
                                      metadata: [LabGuestSimulator.stepsMetadataKey: steps.joined(separator: ",")],
                                      rootPassword: "lab-only-pass")
        }
        func bind(jobID: String, node: String) async throws {}
        func revoke(jobID: String) async { owner.lock.withLock { _ = owner.served.remove(jobID) } }
    }
}

@Suite("Install orchestrator against the lab", .serialized)
struct LabInstallTests {
    func request(_ kind: HypervisorKind) -> InstallRequest {
        InstallRequest(site: "lab", hypervisor: kind, location: kind == .cloudstack ? "lab-zone-1" : "",
                       serviceOffering: kind == .cloudstack ? "Medium Instance" : nil,
                       diskOffering: kind == .cloudstack ? "Custom" : nil,
                       osTemplate: "Windows Server 2022 (64-bit)", bootISO: "ipxe.iso", guestToolsISO: "guest-tools.iso",
                       imageID: "w2022-eval", imagePath: "/lab/w2022.iso", editionIndex: 2,
                       editionName: "Windows Server 2022 Standard", machineName: "w2022-std", templateName: "w2022-std-\(kind.rawValue)",
                       makePublic: true, featured: kind == .cloudstack, instant: kind == .xenserver)
    }

    @Test(arguments: [HypervisorKind.xenserver, .cloudstack])
    func aCatalogedEditionBecomesAPublishedTemplateAndNothingElseIsLeft(kind: HypervisorKind) async throws {
        let suite = try await LabSuite.start(simulation: .fastest)
        do {
            let backends = try LabInstallBackends(suite: suite)
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-lab-\(UUID().uuidString)")
            let journal = try InstallJournal(url: dir.appendingPathComponent("vizor.sqlite"))
            let orchestrator = InstallOrchestrator(
                journal: journal, backends: backends,
                configuration: OrchestratorConfiguration(leaseTTL: 6, pollInterval: 0.05, stallTimeout: 30, outageLimit: 20))
            let hypervisor = try await backends.hypervisor(site: "lab", kind: kind)
            let machinesBefore = try await hypervisor.listMachines().map(\.id)
            let templatesBefore = Set(try await hypervisor.listTemplates().map(\.id))
            let job = try await orchestrator.submit(request(kind))
            let done = try await withTimeout(90, clock: SystemClock(), backend: "test") { try await orchestrator.drive(job.id) }
            let finished = try #require(done.job)
            let log = try await journal.log(job.id).map(\.message)
            #expect(finished.status == .succeeded, "\(finished.error ?? "") \n\(log.suffix(15).joined(separator: "\n"))")
            #expect(log.contains("stage_done postinstall_finished"))
            #expect(log.contains { $0.contains("CD swapped to guest-tools.iso") })
            // Only the template is new: no VM, no Razor artefact, no exposure.
            let templates = try await hypervisor.listTemplates().filter { !templatesBefore.contains($0.id) }
            #expect(templates.count == 1)
            #expect(templates.first?.tags["vizor.job"] == job.id || templates.first?.name == "w2022-std-\(kind.rawValue)")
            if kind == .cloudstack {
                #expect(templates.first?.isPublic == true && templates.first?.isFeatured == true)
            } else {
                #expect(templates.first?.kind == .instant, "other_config:instant asked for: \(String(describing: templates.first))")
            }
            let machinesAfter = try await hypervisor.listMachines().map(\.id)
            #expect(Set(machinesAfter).subtracting(machinesBefore).isEmpty, "VMs left: \(machinesAfter)")
            #expect(try await hypervisor.findMachines(taggedWith: "vizor.job", value: job.id).isEmpty)
            let client = backends.razor.client
            for collection in ["policies", "tags", "repos"] {
                #expect(try await client.member(collection, name: "vizor-\(job.id)") == nil, "Razor \(collection) left")
            }
            let node = try #require(try await journal.steps(job.id).first { $0.step == .provision }?.created["node"])
            #expect(try await client.member("nodes", name: node) == nil, "Razor node left")
            #expect(backends.leftovers.exposures == 0 && backends.leftovers.served == 0)
            await suite.stop()
        } catch {
            await suite.stop()
            throw error
        }
    }
}
