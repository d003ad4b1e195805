import BackendKit
import Foundation
import LabCloudStack
import LabRazor
import LabXAPI
import VizorModel
import VizorXenServer

/// Counts the listing calls a poller makes, to report requests per minute.
private final class CountingHypervisor: Hypervisor, @unchecked Sendable {
    let inner: any Hypervisor
    private let lock = NSLock()
    private var calls = 0
    init(_ inner: any Hypervisor) { self.inner = inner }
    var count: Int { lock.withLock { calls } }
    private func tick() { lock.withLock { calls += 1 } }

    var kind: HypervisorKind { inner.kind }
    func listMachines() async throws -> [MachineRecord] { tick(); return try await inner.listMachines() }
    func listTemplates() async throws -> [TemplateRecord] { tick(); return try await inner.listTemplates() }
    func listLocations() async throws -> [String] { tick(); return try await inner.listLocations() }
    func findMachines(taggedWith key: String, value: String) async throws -> [MachineRecord] {
        try await inner.findMachines(taggedWith: key, value: value)
    }
    func preflight(_ spec: ContainerSpec) async throws { try await inner.preflight(spec) }
    func createContainer(_ spec: ContainerSpec) async throws -> CreatedContainer { try await inner.createContainer(spec) }
    func start(machineID: String) async throws { try await inner.start(machineID: machineID) }
    func stop(machineID: String, force: Bool) async throws { try await inner.stop(machineID: machineID, force: force) }
    func reboot(machineID: String) async throws { try await inner.reboot(machineID: machineID) }
    func destroy(machineID: String) async throws { try await inner.destroy(machineID: machineID) }
    func insertCD(machineID: String, iso: String) async throws { try await inner.insertCD(machineID: machineID, iso: iso) }
    func ejectCD(machineID: String) async throws { try await inner.ejectCD(machineID: machineID) }
    func convertToTemplate(machineID: String, request: TemplateRequest) async throws -> TemplateRecord {
        try await inner.convertToTemplate(machineID: machineID, request: request)
    }
    func setPublished(templateID: String, isPublic: Bool, featured: Bool) async throws {
        try await inner.setPublished(templateID: templateID, isPublic: isPublic, featured: featured)
    }
    func deleteTemplate(templateID: String) async throws { try await inner.deleteTemplate(templateID: templateID) }
    func changes() -> AsyncThrowingStream<HypervisorChange, Error> { inner.changes() }
}

/// Counts Razor refreshes.
private final class CountingInventory: ProvisioningInventory, @unchecked Sendable {
    let inner: any ProvisioningInventory
    private let lock = NSLock()
    private var calls = 0
    init(_ inner: any ProvisioningInventory) { self.inner = inner }
    var count: Int { lock.withLock { calls } }
    func collectionSizes() async throws -> [String: Int] {
        lock.withLock { calls += 1 }
        return try await inner.collectionSizes()
    }
}

/// A lab site with 500 VMs on each hypervisor: idle request rate per backend
/// and the delay from a change inside a lab server to the change in AppState,
/// XenServer push against CloudStack polling. The reference for the idle rate
/// is the same XenServer pool listed at the CloudStack interval instead of
/// followed through event.from, measured side by side.
enum ModelBench {
    static let vmCount = 500
    static let csInterval: TimeInterval = 5
    static let idleWindow: TimeInterval = 30

    static func xenHypervisor(_ server: XAPILabServer) throws -> XenServerHypervisor {
        let credentials = server.endpoint.credentials
        return try XenServerHypervisor(configuration: XenServerConfiguration(
            url: server.endpoint.url, username: credentials["username"]!, password: credentials["password"]!, siteName: "lab"))
    }

    @MainActor
    static func run() async throws {
        var options = XAPILab.Options()
        options.extraVMs = vmCount
        options.operationDelay = .milliseconds(1)
        let xenServer = try await XAPILabServer.start(options: options)
        let referenceServer = try await XAPILabServer.start(options: options)
        let cloud = LabCloudStack()
        await cloud.addVirtualMachines(count: vmCount)
        let csServer = try await LabCloudStackServer.start(cloud: cloud)
        let razorServer = try await LabRazorServer.start()
        let site = Site(name: "bench", isLab: true, xenserverURL: xenServer.endpoint.url, cloudstackURL: csServer.endpoint.url,
                        razorURL: razorServer.endpoint.url)
        let xen = BackendID(site: "bench", kind: .xenserver)
        let cs = BackendID(site: "bench", kind: .cloudstack)
        let razor = BackendID(site: "bench", kind: .razor)
        let csCounter = CountingHypervisor(try csHypervisor(csServer, cloud))
        let razorCounter = CountingInventory(try razorInventory(razorServer))
        let store = Store(runner: EffectRunner(backends: BackendSet([
            xen: .streaming(try xenHypervisor(xenServer)),
            cs: .polling(csCounter, interval: csInterval),
            razor: .provisioning(razorCounter, interval: 60),
        ])))
        // Reference: the same kind of pool, listed at the CloudStack interval.
        let refSite = Site(name: "reference", xenserverURL: referenceServer.endpoint.url)
        let refID = BackendID(site: "reference", kind: .xenserver)
        let referenceStore = Store(runner: EffectRunner(backends: BackendSet([
            refID: .polling(try xenHypervisor(referenceServer), interval: csInterval),
        ])))

        let start = Date()
        store.send(.sitesLoaded([site]))
        referenceStore.send(.sitesLoaded([refSite]))
        let ready = await store.waitUntil(timeout: 120) { state in
            state.machines[xen]?.count ?? 0 >= vmCount && state.machines[cs]?.count ?? 0 >= vmCount
                && state.provisioning[razor] != nil
        }
        _ = await referenceStore.waitUntil(timeout: 120) { $0.machines[refID]?.count ?? 0 >= vmCount }
        guard ready else { throw BackendError(.timeout, backend: "bench", message: "the lab site did not settle") }
        print(String(format: "first full state of %d + %d VMs in AppState after %.2f s", store.state.machines[xen]!.count,
                     store.state.machines[cs]!.count, Date().timeIntervalSince(start)))

        // Idle request rate.
        let xenCalls0 = await xenServer.lab.callCount, refCalls0 = await referenceServer.lab.callCount
        let cs0 = csCounter.count, razor0 = razorCounter.count
        try await Task.sleep(nanoseconds: UInt64(idleWindow * 1e9))
        let minutes = idleWindow / 60
        let xenRate = Double(await xenServer.lab.callCount - xenCalls0) / minutes
        let refRate = Double(await referenceServer.lab.callCount - refCalls0) / minutes
        print(String(format: "idle %.0f s, requests per minute: xenserver push %.1f | cloudstack listing every %.0f s %.1f list calls"
                     + " | razor refresh every 60 s %.1f refreshes", idleWindow, xenRate, csInterval,
                     Double(csCounter.count - cs0) / minutes, Double(razorCounter.count - razor0) / minutes))
        print(String(format: "reference: the same XenServer pool listed every %.0f s: %.1f requests/minute (push/listing = %.2f)",
                     csInterval, refRate, refRate > 0 ? xenRate / refRate : 0))

        // Change-to-state latency.
        var pushDelays: [Double] = []
        let running = store.state.machines[xen]!.values.filter { $0.powerState == .running }.map(\.id).prefix(20)
        for id in running {
            let t0 = Date()
            _ = await xenServer.lab.guestShutdown(vmUUID: id)
            if await store.waitUntil(timeout: 30, { $0.machines[xen]?[id]?.powerState == .halted }) {
                pushDelays.append(Date().timeIntervalSince(t0) * 1000)
            }
        }
        var pollDelays: [Double] = []
        let csRunning = store.state.machines[cs]!.values.filter { $0.powerState == .running }.map(\.id).prefix(6)
        for id in csRunning {
            // Changes land at a random point of the polling cycle, as real ones do.
            try await Task.sleep(nanoseconds: UInt64(Double.random(in: 0..<csInterval) * 1e9))
            let t0 = Date()
            try await cloud.guestPoweredOff(vmID: id)
            if await store.waitUntil(timeout: 30, { $0.machines[cs]?[id]?.powerState == .halted }) {
                pollDelays.append(Date().timeIntervalSince(t0) * 1000)
            }
        }
        print(String(format: "change -> AppState, XenServer push (event.from): median %.1f ms, max %.1f ms over %d changes",
                     median(pushDelays), pushDelays.max() ?? 0, pushDelays.count))
        print(String(format: "change -> AppState, CloudStack polling every %.0f s: median %.1f ms, max %.1f ms over %d changes"
                     + " (push is %.0fx faster)", csInterval, median(pollDelays), pollDelays.max() ?? 0, pollDelays.count,
                     median(pushDelays) > 0 ? median(pollDelays) / median(pushDelays) : 0))
        // Like the CLI, leave the lab servers to the end of the process.
        store.shutdown()
        referenceStore.shutdown()
    }

    static func csHypervisor(_ server: LabCloudStackServer, _ cloud: LabCloudStack) throws -> any Hypervisor {
        guard case .polling(let hypervisor, _) = SiteWiring.cloudstack(endpoint: URL(string: server.endpoint.url)!,
                                                                       apiKey: cloud.admin.apiKey,
                                                                       secretKey: cloud.admin.secretKey, interval: csInterval)
        else { throw BackendError(.invalidInput, backend: "bench", message: "no CloudStack client") }
        return hypervisor
    }

    static func razorInventory(_ server: LabRazorServer) throws -> any ProvisioningInventory {
        guard case .provisioning(let inventory, _) = SiteWiring.razor(url: URL(string: server.endpoint.url)!, username: nil,
                                                                      password: nil, interval: 60).handle
        else { throw BackendError(.invalidInput, backend: "bench", message: "no Razor client") }
        return inventory
    }

    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }
}
