import BackendKit
import Foundation
import LabCloudStack
import LabRazor
import LabXAPI
import Testing
import VizorCloudStack
import VizorExposure
@testable import VizorModel
import VizorLab
import VizorMedia
import VizorProvisioning
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
    /// Set when the job's media and artefacts are the production ones: a
    /// sample ISO served by a real `InstallServing`, artefacts rendered by
    /// `RenderedArtefactPublisher` into the per-job Razor task.
    let production: Production?
    private let lock = NSLock()
    private var exposed: [String: Set<String>] = [:]
    private var served: Set<String> = []
    static let steps = [LabGuestStep.guestTools, "regional-settings", LabGuestStep.seal]

    struct Production {
        let root: URL
        let iso: URL
        let image: MediaImage
        let serving: InstallServing
        let secrets: JobSecretStore
        let publisher: RenderedArtefactPublisher
    }

    init(suite: LabSuite, productionArtefacts: Bool = false, iso isoName: String = "Windows_Server_2022_x64_en-US.iso",
         samba: SambaShareManager? = nil, winPECurl: WinPECurlFiles = WinPECurlFiles()) throws {
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
        if productionArtefacts {
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-labinstall-\(UUID().uuidString.prefix(8))")
            let isos = try SampleLibrary.ensure(in: root.appendingPathComponent("media"), realisticSizes: false)
            let iso = try #require(isos.first { $0.lastPathComponent == isoName })
            let serving = InstallServing(configuration: InstallServingConfiguration(
                stateDirectory: root.appendingPathComponent("state").path, mountRoot: root.appendingPathComponent("mounts").path,
                samba: samba, winPECurl: winPECurl))
            let service = RenderedArtefactPublisher.serviceURL(apiURL: razorLab.endpoint.url)
            let secrets = JobSecretStore(directory: root.appendingPathComponent("secrets"))
            let publisher = RenderedArtefactPublisher(serving: serving, secrets: secrets, razorService: { _ in service })
            production = Production(root: root, iso: iso, image: MediaAnalyzer().analyze(iso), serving: serving, secrets: secrets,
                                    publisher: publisher)
        } else {
            production = nil
        }
    }

    func finish() async {
        guard let production else { return }
        await production.serving.stop()
        try? FileManager.default.removeItem(at: production.root)
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
            if let production = owner.production {
                return try await ServedMediaExposure(serving: production.serving).expose(imageID: imageID, isoPath: isoPath, job: job)
            }
            return MediaExposureHandle(exposureID: imageID, httpURL: "http://127.0.0.1:9/media/\(imageID)/", smbShare: "vizor-\(imageID)")
        }
        func release(imageID: String, job: String) async throws {
            owner.lock.withLock { _ = owner.exposed[imageID]?.remove(job) }
            if let production = owner.production {
                try await ServedMediaExposure(serving: production.serving).release(imageID: imageID, job: job)
            }
        }
    }

    struct Artefacts: InstallArtefactPublisher {
        let owner: LabInstallBackends
        func publish(jobID: String, request: InstallRequest, media: MediaExposureHandle) async throws -> PublishedArtefacts {
            owner.lock.withLock { _ = owner.served.insert(jobID) }
            if let production = owner.production { return try await production.publisher.publish(jobID: jobID, request: request, media: media) }
            let stages = ["finished"] + steps.flatMap { ["\($0)_begins", "\($0)_ends"] } + ["postinstall_finished"]
            return PublishedArtefacts(taskName: "windows/2016", expectedStages: stages,
                                      metadata: [LabGuestSimulator.stepsMetadataKey: steps.joined(separator: ",")],
                                      rootPassword: "lab-only-pass")
        }
        func bind(jobID: String, node: String) async throws {
            try await owner.production?.publisher.bind(jobID: jobID, node: node)
        }
        func revoke(jobID: String) async {
            owner.lock.withLock { _ = owner.served.remove(jobID) }
            await owner.production?.publisher.revoke(jobID: jobID)
        }
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

    /// The request for an edition of the sample ISO that the production artefacts are rendered from.
    func request(_ kind: HypervisorKind, production: LabInstallBackends.Production,
                 edition name: String = "Windows Server 2022 Standard (Desktop Experience)") throws -> InstallRequest {
        var request = request(kind)
        let edition = try #require(production.image.editions.first { $0.name == name }, "\(production.image.editions.map(\.name))")
        request.imageID = production.image.id
        request.imagePath = production.iso.path
        request.editionIndex = edition.index
        request.editionName = edition.name
        return request
    }

    /// Watches the job while it runs, since clean-up removes the evidence:
    /// the node's Razor log (dropped with the node) until it booted Vizor's
    /// install template, and the guest's iPXE loads (the simulator forgets a
    /// VM that became a template) until the last artefact was loaded.
    static func watch(_ backends: LabInstallBackends, _ journal: InstallJournal,
                      job: String) -> Task<(log: [NodeLogEntry], fetches: [String]), Never> {
        Task {
            var entries: [NodeLogEntry] = []
            var fetches: [String] = []
            let deadline = Date().addingTimeInterval(90)
            while Date() < deadline, !Task.isCancelled {
                let created = try? await journal.steps(job).reduce(into: [String: String]()) { $0.merge($1.created) { $1 } }
                if let node = created?["node"], let read = try? await backends.razor.readLog(node: node, after: NodeLogCursor()),
                   read.entries.count >= entries.count {
                    entries = read.entries
                }
                if let mac = created?["mac"], let status = await backends.suite.simulator?.status(forMAC: mac) {
                    fetches = status.fetches
                }
                let booted = entries.contains { $0.event == "boot" && $0.fields["template"] == RazorTaskDefinition.installTemplate }
                if booted, fetches.contains(where: { $0.contains("/\(ArtefactName.autounattend)?") }) { break }
                try? await Task.sleep(for: .milliseconds(20))
            }
            return (entries, fetches)
        }
    }

    @Test(arguments: [HypervisorKind.xenserver, .cloudstack])
    func aCatalogedEditionBecomesAPublishedTemplateAndNothingElseIsLeft(kind: HypervisorKind) async throws {
        let suite = try await LabSuite.start(simulation: .fastest)
        let backends: LabInstallBackends
        do { backends = try LabInstallBackends(suite: suite, productionArtefacts: true) } catch {
            await suite.stop()
            throw error
        }
        do {
            let production = try #require(backends.production)
            let razorLab = try #require(suite.servers.lazy.compactMap { $0 as? LabRazorServer }.first)
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-lab-\(UUID().uuidString)")
            let journal = try InstallJournal(url: dir.appendingPathComponent("vizor.sqlite"))
            let orchestrator = InstallOrchestrator(
                journal: journal, backends: backends,
                configuration: OrchestratorConfiguration(leaseTTL: 6, pollInterval: 0.05, stallTimeout: 30, outageLimit: 20))
            let hypervisor = try await backends.hypervisor(site: "lab", kind: kind)
            let machinesBefore = try await hypervisor.listMachines().map(\.id)
            let templatesBefore = Set(try await hypervisor.listTemplates().map(\.id))
            let jobID = InstallOrchestrator.newJobID()
            try production.secrets.save(JobSecrets(administratorPassword: "Lab-only-Pass1!"), job: jobID)
            let job = try await orchestrator.submit(try request(kind, production: production), id: jobID)
            let watcher = Self.watch(backends, journal, job: job.id)
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
            #expect(await production.serving.registry.registeredJobs.isEmpty)

            // The node booted the job's own task, whose first boot is Vizor's iPXE script.
            let watched = await watcher.value
            let boots = watched.log.filter { $0.event == "boot" }
            #expect(boots.contains { $0.fields["task"] == "vizor-\(job.id)" && $0.fields["template"] == RazorTaskDefinition.installTemplate },
                    "boots: \(boots.map(\.fields))")
            #expect(log.contains("boot \(RazorTaskDefinition.installTemplate)"))
            // Razor has no delete-task: the job's task is the one thing Vizor leaves on Razor, unused.
            let inventory = await razorLab.inventory()
            #expect(inventory.createdTasks == ["vizor-\(job.id)"])
            #expect(inventory.policies.isEmpty && inventory.repos.isEmpty && inventory.tags.isEmpty && inventory.nodes.isEmpty)

            // iPXE loaded wimboot from Razor's repo store, the boot files from the exposed ISO and
            // Vizor's artefacts, which the artefact server handed to the bound node only.
            let fetches = watched.fetches
            #expect(fetches.first == "200 \(RenderedArtefactPublisher.serviceURL(apiURL: razorLab.endpoint.url))/repo/wimboot", "\(fetches)")
            #expect(fetches.contains { $0.hasPrefix("200 ") && $0.hasSuffix("/sources/boot.wim") }, "\(fetches)")
            #expect(fetches.count >= 7 && fetches.allSatisfy { $0.hasPrefix("200 ") }, "\(fetches)")
            let delivered = await production.serving.registry.deliveries(job: job.id)
            #expect(Set(delivered.map(\.name)).isSuperset(of: ["winpeshl.ini", "autounattend.xml"]), "\(delivered)")
            #expect(!delivered.isEmpty && delivered.allSatisfy { $0.node == node }, "\(delivered)")
            await backends.finish()
            await suite.stop()
        } catch {
            await backends.finish()
            await suite.stop()
            throw error
        }
    }
}

/// What `RenderedArtefactPublisher` asks Razor for: the job's own task, or
/// the operator's stock task when `razorTask` names one.
@Suite("Per-job Razor task from the production publisher", .serialized)
struct PublishedRazorTaskTests {
    @Test func aJobGetsItsOwnTaskUnlessTheOperatorNamesAStockOne() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-pubtask-\(UUID().uuidString.prefix(8))")
        let isos = try SampleLibrary.ensure(in: root.appendingPathComponent("media"), realisticSizes: false)
        let iso = try #require(isos.first { $0.lastPathComponent == "Windows_Server_2022_x64_en-US.iso" })
        let serving = InstallServing(configuration: InstallServingConfiguration(
            stateDirectory: root.appendingPathComponent("state").path, mountRoot: root.appendingPathComponent("mounts").path))
        let secrets = JobSecretStore(directory: root.appendingPathComponent("secrets"))
        let publisher = RenderedArtefactPublisher(serving: serving, secrets: secrets,
                                                  razorService: { _ in "http://razor.example:8150/svc" })
        do {
            let image = MediaAnalyzer().analyze(iso)
            let edition = try #require(image.editions.first)
            var request = InstallRequest(site: "lab", hypervisor: .xenserver, osTemplate: "Windows Server 2022 (64-bit)", bootISO: "ipxe.iso",
                                         imageID: image.id, imagePath: iso.path, editionIndex: edition.index, editionName: edition.name,
                                         machineName: "w2022")
            let media = try await ServedMediaExposure(serving: serving).expose(imageID: image.id, isoPath: iso.path, job: "j3")
            let saved = JobSecrets(administratorPassword: "Lab-Passw0rd!")
            try secrets.save(saved, job: "j3")
            let own = try await publisher.publish(jobID: "j3", request: request, media: media)
            #expect(own.taskName == "vizor-j3")
            #expect(own.taskDefinition["boot_seq.1"] == RazorTaskDefinition.installTemplate)
            #expect(own.taskDefinition["boot_seq.default"] == "boot_local")
            let template = try #require(own.taskDefinition[RazorTaskDefinition.installTemplate])
            #expect(template.hasPrefix("#!ipxe\n"))
            #expect(template.contains("kernel http://razor.example:8150/svc/repo/wimboot || goto failed"))
            #expect(template.contains("\(media.httpURL)sources/boot.wim boot.wim || goto failed"))
            #expect(template.contains("/artefacts/j3/autounattend.xml?token=\(saved.token)&node=<%= node.name %> autounattend.xml"))
            #expect(!template.contains("Lab-Passw0rd!"), "the password stays in the token-gated artefacts")

            request.options["razorTask"] = "windows/2016"
            let stock = try await publisher.publish(jobID: "j3", request: request, media: media)
            #expect(stock.taskName == "windows/2016" && stock.taskDefinition.isEmpty)
        } catch {
            await serving.stop()
            try? FileManager.default.removeItem(at: root)
            throw error
        }
        await serving.stop()
        try? FileManager.default.removeItem(at: root)
    }
}
