import BackendKit
import Foundation
import LabCloudStack
import LabRazor
import LabXAPI
import Testing
import VizorCloudStack
import VizorLab
import VizorRazor
import VizorXenServer

/// The whole lab with its guest simulator, reached through Vizor's own
/// clients as the install orchestrator reaches it.
struct LabWorld: Sendable {
    let suite: LabSuite
    let simulator: LabGuestSimulator
    let razorLab: LabRazorServer
    let xapi: XAPILab
    let cloud: LabCloudStack
    let xen: XenServerHypervisor
    let cs: CloudStackHypervisor
    let razor: RazorProvisioningServer

    /// Puts this VM's MAC under a single-use policy, as the orchestrator's Razor step does.
    func provision(mac: String, job: String, steps: String? = nil) async throws -> String {
        var metadata: [String: String] = [:]
        if let steps { metadata[LabGuestSimulator.stepsMetadataKey] = steps }
        let plan = ProvisioningPlan(repoName: "w2022-\(job)", repoURL: "http://127.0.0.1:9/media/w2022", taskName: "windows/2016",
                                    tagName: "vizor-\(job)", mac: mac, policyName: "vizor-\(job)", hostname: "\(job).example.com",
                                    rootPassword: "s3cret-pass", metadata: metadata)
        let made = try await razor.provision(plan)
        return try #require(made.nodeName)
    }

    /// The node log, oldest first.
    func log(_ node: String) async throws -> [NodeLogEntry] {
        try await razor.readLog(node: node, after: NodeLogCursor()).entries
    }

    /// `stage_done` stage names, oldest first.
    func stages(_ node: String) async throws -> [String] {
        try await log(node).filter { $0.event == "stage_done" }.map { $0.fields["stage"] ?? "" }
    }

    /// Polls until `condition` holds; fails the test instead of hanging.
    func wait(_ what: String, timeout: Duration = .seconds(30),
              _ condition: @Sendable () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        let guests = await simulator.statuses().map { "\($0.vmID): \($0.activity) (\($0.boots) boots)" }
        throw TimedOut(what: what + "; guests: " + guests.joined(separator: "; "))
    }

    func waitForStage(_ node: String, _ stage: String, timeout: Duration = .seconds(30)) async throws {
        try await wait("stage \(stage) of \(node)", timeout: timeout) { try await stages(node).contains(stage) }
    }

    /// Waits until WinPE is running (the boot that served the install template), then swaps
    /// the CD to the guest tools ISO, as the orchestrator does after the first boot.
    func swapToToolsAfterFirstBoot(_ hypervisor: any Hypervisor, machine: String, node: String) async throws {
        try await wait("WinPE of \(node)") {
            try await log(node).contains { $0.event == "get_raw_file" || $0.message.hasPrefix("winpe_started_node_") }
        }
        try await hypervisor.ejectCD(machineID: machine)
        try await hypervisor.insertCD(machineID: machine, iso: "guest-tools.iso")
    }

    func xenView(_ uuid: String) async -> XAPIGuestView? {
        await xapi.guestViews().first { $0.uuid == uuid }
    }

    func csView(_ id: String) async -> LabCloudStackGuestView? {
        await cloud.guestViews().first { $0.id == id }
    }

    func xenSpec(_ name: String, mac: String) -> ContainerSpec {
        ContainerSpec(name: name, osTemplate: "Windows Server 2022 (64-bit)", bootISO: "ipxe.iso", vcpus: 2, memoryMiB: 4096,
                      diskGiB: 40, mac: mac, ownerTags: ["vizor.job": name])
    }

    func csSpec(_ name: String) -> ContainerSpec {
        ContainerSpec(name: name, location: "lab-zone-1", osTemplate: "Windows Server 2022 (64-bit)", bootISO: "ipxe.iso",
                      serviceOffering: "Medium Instance", diskOffering: "Custom", ownerTags: ["vizor.job": name])
    }
}

struct TimedOut: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Starts the lab with the simulator at `options`, runs `body`, always stops it.
func withWorld<T>(_ options: LabSimulationOptions = .fastest, _ body: (LabWorld) async throws -> T) async throws -> T {
    let suite = try await LabSuite.start(simulation: options)
    do {
        let world = try makeWorld(suite)
        let result = try await body(world)
        await suite.stop()
        return result
    } catch {
        await suite.stop()
        throw error
    }
}

private func makeWorld(_ suite: LabSuite) throws -> LabWorld {
    let razorLab = try #require(suite.servers.lazy.compactMap { $0 as? LabRazorServer }.first)
    let xapiServer = try #require(suite.servers.lazy.compactMap { $0 as? XAPILabServer }.first)
    let csServer = try #require(suite.servers.lazy.compactMap { $0 as? LabCloudStackServer }.first)
    let simulator = try #require(suite.simulator)
    let xen = try XenServerHypervisor(configuration: XenServerConfiguration(
        url: xapiServer.endpoint.url, username: xapiServer.endpoint.credentials["username"] ?? "",
        password: xapiServer.endpoint.credentials["password"] ?? "", callTimeout: .seconds(10), eventPollTimeout: 2, siteName: "lab"))
    let csConfig = CloudStackConfiguration(
        endpoint: try #require(URL(string: csServer.endpoint.url)), apiKey: csServer.cloud.user.apiKey,
        secretKey: csServer.cloud.user.secretKey, requestTimeout: .seconds(10),
        jobs: .init(initialInterval: .milliseconds(20), maxInterval: .milliseconds(200), timeout: .seconds(20), templateTimeout: .seconds(20)))
    let cs = CloudStackHypervisor(configuration: csConfig, options: .init(defaultZone: "lab-zone-1", pollInterval: .milliseconds(100),
                                                                          expungeOnDestroy: false))
    let razorConfig = RazorConfiguration(apiURL: try #require(URL(string: razorLab.endpoint.url)),
                                         username: razorLab.endpoint.credentials["username"],
                                         password: razorLab.endpoint.credentials["password"],
                                         requestTimeout: .seconds(10), commandTimeout: .seconds(20), pollInterval: .milliseconds(20))
    return LabWorld(suite: suite, simulator: simulator, razorLab: razorLab, xapi: xapiServer.lab, cloud: csServer.cloud,
                    xen: xen, cs: cs, razor: RazorProvisioningServer(configuration: razorConfig))
}

/// Records every distinct (power state, generation) a VM goes through.
actor PowerRecorder {
    private(set) var transitions: [String] = []
    private(set) var toolsSeen: [String: String]?
    private var task: Task<Void, Never>?

    func watchXen(_ world: LabWorld, uuid: String) {
        task = Task {
            while !Task.isCancelled {
                if let view = await world.xenView(uuid) {
                    record("\(view.powerState)/\(view.domid)", tools: view.pvDriversVersion)
                }
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
    }

    func watchCS(_ world: LabWorld, id: String) {
        task = Task {
            while !Task.isCancelled {
                if let view = await world.csView(id) { record("\(view.state)/\(view.bootCount)", tools: nil) }
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
    }

    private func record(_ state: String, tools: [String: String]?) {
        if transitions.last != state { transitions.append(state) }
        if let tools, toolsSeen == nil { toolsSeen = tools }
    }

    func stop() { task?.cancel() }
}
