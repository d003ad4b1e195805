import BackendKit
import Foundation
import LabCloudStack
import LabRazor
import LabServing
import LabXAPI
import VizorCloudStack
import VizorLab
import VizorModel
import VizorRazor
import VizorStore
import VizorXenServer

/// 20 concurrent lab installs at the simulator's fastest pace, half on each
/// hypervisor, driven by one orchestrator; two installs in the same run
/// (one per hypervisor) are the reference. Prints CPU and peak memory of this process (which also
/// hosts the lab servers), journal writes per install and backend calls per install.
enum InstallBench {
    static func run() async throws {
        let suite = try await LabSuite.start(simulation: .fastest)
        let backends = try BenchBackends(suite: suite)
        let single = try await measure(backends, installs: 2)
        let many = try await measure(backends, installs: 20)
        func row(_ name: String, _ one: Double, _ twenty: Double, _ unit: String) {
            let ratio = one > 0 ? String(format: "%.2f×", twenty / one) : "-"
            print(name.padding(toLength: 38, withPad: " ", startingAt: 0)
                  + String(format: "%10.2f %@   %10.2f %@   %@", one, unit, twenty, unit, ratio))
        }
        print("figure                                2 installs (ref, 1 each)   20 concurrent     ratio")
        row("wall time per batch", single.wall, many.wall, "s")
        row("CPU per install (user+sys)", single.cpu / 2, many.cpu / 20, "s")
        row("peak RSS of the process", single.rssMiB, many.rssMiB, "MiB")
        row("journal writes per install", Double(single.writes) / 2, Double(many.writes) / 20, "  ")
        for backend in ["xenserver", "cloudstack", "razor"] {
            let one = Double(single.calls[backend] ?? 0) / Double(max(1, single.perKind[backend] ?? 1))
            let twenty = Double(many.calls[backend] ?? 0) / Double(max(1, many.perKind[backend] ?? 1))
            row("\(backend) calls per install", one, twenty, "  ")
            let wireOne = Double(single.wire[backend] ?? 0) / Double(max(1, single.perKind[backend] ?? 1))
            let wireTwenty = Double(many.wire[backend] ?? 0) / Double(max(1, many.perKind[backend] ?? 1))
            row("\(backend) HTTP requests per install", wireOne, wireTwenty, "  ")
        }
        print("succeeded: \(single.succeeded)/2 and \(many.succeeded)/20 (calls counted at the Hypervisor/ProvisioningServer protocol;"
              + " HTTP requests as the lab servers answered them, Razor /api only)")
        await suite.stop()
    }

    struct Figures {
        var wall: Double
        var cpu: Double
        var rssMiB: Double
        var writes: Int
        var calls: [String: Int]
        /// HTTP requests the lab servers answered, per backend (Razor: `/api` only; `/svc` is the guests').
        var wire: [String: Int]
        var perKind: [String: Int]
        var succeeded: Int
    }

    static func measure(_ backends: BenchBackends, installs: Int) async throws -> Figures {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let journal = try InstallJournal(url: dir.appendingPathComponent("vizor.sqlite"))
        let orchestrator = InstallOrchestrator(
            journal: journal, backends: backends,
            configuration: OrchestratorConfiguration(leaseTTL: 15, pollInterval: 0.1, stallTimeout: 60, outageLimit: 60,
                                                     defaultSiteLimit: installs))
        backends.counter.reset()
        backends.resetWire()
        var ids: [String] = []
        var perKind: [String: Int] = ["razor": installs]
        for index in 0..<installs {
            let kind: HypervisorKind = index % 2 == 0 ? .xenserver : .cloudstack
            perKind[kind.rawValue, default: 0] += 1
            let request = InstallRequest(
                site: "lab", hypervisor: kind, location: kind == .cloudstack ? "lab-zone-1" : "",
                serviceOffering: kind == .cloudstack ? "Medium Instance" : nil, diskOffering: kind == .cloudstack ? "Custom" : nil,
                osTemplate: "Windows Server 2022 (64-bit)", bootISO: "ipxe.iso", guestToolsISO: "guest-tools.iso",
                imageID: "w2022-eval", imagePath: "/lab/w2022.iso", editionIndex: 2, editionName: "Windows Server 2022 Standard",
                machineName: "bench-\(index)", templateName: "bench-\(installs)-\(index)")
            ids.append(try await orchestrator.submit(request).id)
        }
        let before = usage()
        let start = Date()
        let jobs = try await orchestrator.runAll(ids)
        let wall = Date().timeIntervalSince(start)
        let after = usage()
        return Figures(wall: wall, cpu: after.cpu - before.cpu, rssMiB: after.rssMiB, writes: journal.writeCount,
                       calls: backends.counter.snapshot, wire: backends.wireRequests(), perKind: perKind,
                       succeeded: jobs.filter { $0.status == .succeeded }.count)
    }

    static func usage() -> (cpu: Double, rssMiB: Double) {
        var value = rusage()
        getrusage(RUSAGE_SELF.rawValue, &value)
        let cpu = Double(value.ru_utime.tv_sec) + Double(value.ru_utime.tv_usec) / 1e6
            + Double(value.ru_stime.tv_sec) + Double(value.ru_stime.tv_usec) / 1e6
        return (cpu, Double(value.ru_maxrss) / 1024)
    }
}

/// Counts calls per backend.
final class CallCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [String: Int] = [:]
    func add(_ backend: String) { lock.withLock { counts[backend, default: 0] += 1 } }
    func reset() { lock.withLock { counts = [:] } }
    var snapshot: [String: Int] { lock.withLock { counts } }
}

/// The lab's servers through Vizor's clients, counted; media and artefacts recorded in memory.
final class BenchBackends: InstallBackends, @unchecked Sendable {
    let counter = CallCounter()
    let xapiRequests: LabRequestCounter
    let cloudRequests: LabRequestCounter
    let razorRequests: LabRequestCounter
    let xen: any Hypervisor
    let cs: any Hypervisor
    let razor: any ProvisioningServer

    init(suite: LabSuite) throws {
        guard let xapi = suite.servers.lazy.compactMap({ $0 as? XAPILabServer }).first,
              let csServer = suite.servers.lazy.compactMap({ $0 as? LabCloudStackServer }).first,
              let razorLab = suite.servers.lazy.compactMap({ $0 as? LabRazorServer }).first,
              let csURL = URL(string: csServer.endpoint.url), let razorURL = URL(string: razorLab.endpoint.url) else {
            throw BackendError(.notFound, backend: "bench", message: "lab servers missing")
        }
        xapiRequests = xapi.requests
        cloudRequests = csServer.requests
        razorRequests = razorLab.requests
        xen = try XenServerHypervisor(configuration: XenServerConfiguration(
            url: xapi.endpoint.url, username: xapi.endpoint.credentials["username"] ?? "",
            password: xapi.endpoint.credentials["password"] ?? "", callTimeout: .seconds(20), eventPollTimeout: 2, siteName: "lab"))
        cs = CloudStackHypervisor(
            configuration: CloudStackConfiguration(
                endpoint: csURL, apiKey: csServer.cloud.user.apiKey, secretKey: csServer.cloud.user.secretKey,
                requestTimeout: .seconds(20),
                jobs: .init(initialInterval: .milliseconds(20), maxInterval: .milliseconds(200), timeout: .seconds(30),
                            templateTimeout: .seconds(30))),
            options: .init(defaultZone: "lab-zone-1", pollInterval: .milliseconds(100), expungeOnDestroy: true))
        razor = RazorProvisioningServer(configuration: RazorConfiguration(
            apiURL: razorURL, username: razorLab.endpoint.credentials["username"], password: razorLab.endpoint.credentials["password"],
            requestTimeout: .seconds(20), commandTimeout: .seconds(30), pollInterval: .milliseconds(20)))
    }

    func resetWire() {
        for counter in [xapiRequests, cloudRequests, razorRequests] { counter.reset() }
    }

    func wireRequests() -> [String: Int] {
        ["xenserver": xapiRequests.total, "cloudstack": cloudRequests.total, "razor": razorRequests.byPrefix["/api"] ?? 0]
    }

    func hypervisor(site: String, kind: HypervisorKind) async throws -> any Hypervisor {
        CountedHypervisor(inner: kind == .xenserver ? xen : cs, counter: counter)
    }
    func provisioning(site: String) async throws -> any ProvisioningServer { CountedRazor(inner: razor, counter: counter) }
    var media: any InstallMediaExposure { BenchMedia() }
    var artefacts: any InstallArtefactPublisher { BenchArtefacts() }
}

struct BenchMedia: InstallMediaExposure {
    func expose(imageID: String, isoPath: String, job: String) async throws -> MediaExposureHandle {
        MediaExposureHandle(exposureID: imageID, httpURL: "http://127.0.0.1:9/media/\(imageID)/")
    }
    func release(imageID: String, job: String) async throws {}
}

struct BenchArtefacts: InstallArtefactPublisher {
    static let steps = [LabGuestStep.guestTools, "regional-settings", LabGuestStep.seal]
    func publish(jobID: String, request: InstallRequest, media: MediaExposureHandle) async throws -> PublishedArtefacts {
        PublishedArtefacts(taskName: "windows/2016",
                           expectedStages: ["finished"] + Self.steps.flatMap { ["\($0)_begins", "\($0)_ends"] } + ["postinstall_finished"],
                           metadata: [LabGuestSimulator.stepsMetadataKey: Self.steps.joined(separator: ",")], rootPassword: "lab-only-pass")
    }
    func bind(jobID: String, node: String) async throws {}
    func revoke(jobID: String) async {}
}

struct CountedHypervisor: Hypervisor {
    let inner: any Hypervisor
    let counter: CallCounter
    var kind: HypervisorKind { inner.kind }
    private func count() { counter.add(inner.kind.rawValue) }
    func listMachines() async throws -> [MachineRecord] { count(); return try await inner.listMachines() }
    func listTemplates() async throws -> [TemplateRecord] { count(); return try await inner.listTemplates() }
    func listLocations() async throws -> [String] { count(); return try await inner.listLocations() }
    func findMachines(taggedWith key: String, value: String) async throws -> [MachineRecord] {
        count(); return try await inner.findMachines(taggedWith: key, value: value)
    }
    func preflight(_ spec: ContainerSpec) async throws { count(); try await inner.preflight(spec) }
    func createContainer(_ spec: ContainerSpec) async throws -> CreatedContainer { count(); return try await inner.createContainer(spec) }
    func start(machineID: String) async throws { count(); try await inner.start(machineID: machineID) }
    func stop(machineID: String, force: Bool) async throws { count(); try await inner.stop(machineID: machineID, force: force) }
    func reboot(machineID: String) async throws { count(); try await inner.reboot(machineID: machineID) }
    func destroy(machineID: String) async throws { count(); try await inner.destroy(machineID: machineID) }
    func insertCD(machineID: String, iso: String) async throws { count(); try await inner.insertCD(machineID: machineID, iso: iso) }
    func ejectCD(machineID: String) async throws { count(); try await inner.ejectCD(machineID: machineID) }
    func convertToTemplate(machineID: String, request: TemplateRequest) async throws -> TemplateRecord {
        count(); return try await inner.convertToTemplate(machineID: machineID, request: request)
    }
    func setPublished(templateID: String, isPublic: Bool, featured: Bool) async throws {
        count(); try await inner.setPublished(templateID: templateID, isPublic: isPublic, featured: featured)
    }
    func deleteTemplate(templateID: String) async throws { count(); try await inner.deleteTemplate(templateID: templateID) }
    func changes() -> AsyncThrowingStream<HypervisorChange, Error> { inner.changes() }
}

struct CountedRazor: ProvisioningServer {
    let inner: any ProvisioningServer
    let counter: CallCounter
    func provision(_ plan: ProvisioningPlan) async throws -> ProvisionedArtefacts { counter.add("razor"); return try await inner.provision(plan) }
    func readLog(node: String, after cursor: NodeLogCursor) async throws -> (entries: [NodeLogEntry], cursor: NodeLogCursor) {
        counter.add("razor"); return try await inner.readLog(node: node, after: cursor)
    }
    func remove(_ artefacts: ProvisionedArtefacts) async throws { counter.add("razor"); try await inner.remove(artefacts) }
}
