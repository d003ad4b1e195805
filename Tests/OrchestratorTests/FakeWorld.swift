import BackendKit
import Foundation
@testable import VizorModel
import VizorStore

/// In-memory hypervisor + Razor + exposure + artefacts sharing one state, with
/// a guest that walks an install's Razor log one entry per read while its VM runs.
final class FakeWorld: InstallBackends, @unchecked Sendable {
    struct Guest {
        var position = 0
        var failedOnce = false
    }

    let kind: HypervisorKind
    private let lock = NSLock()
    private(set) var machines: [String: MachineRecord] = [:]
    private(set) var templates: [String: TemplateRecord] = [:]
    private(set) var calls: [String: Int] = [:]
    private(set) var policies: Set<String> = []
    private(set) var tags: Set<String> = []
    private(set) var repos: Set<String> = []
    private(set) var nodesByMAC: [String: String] = [:]
    private(set) var logs: [String: [NodeLogEntry]] = [:]
    private(set) var exposures: [String: Set<String>] = [:]
    private(set) var servedJobs: Set<String> = []
    private(set) var cds: [String: String] = [:]
    private var guests: [String: Guest] = [:]
    private var nextID = 0
    /// Operation after which the fake suspends until cancelled (a crash point).
    var crashAfter: String?
    private(set) var crashed = false
    /// Faults.
    var failStep: String?
    var hangAtPosition: Int?
    var hypervisorDown = false

    static let steps = ["install_guest_tools", "apply_updates"]
    static let script: [(event: String, stage: String?)] = [
        ("boot", nil), ("get_raw_file", nil), ("file", nil), ("stage_done", "finished"), ("boot", nil),
        ("stage_done", "install_guest_tools_begins"), ("stage_done", "install_guest_tools_ends"),
        ("stage_done", "apply_updates_begins"), ("stage_done", "apply_updates_ends"),
        ("stage_done", "postinstall_finished"),
    ]
    static var expectedStages: [String] { script.compactMap(\.stage) }

    init(kind: HypervisorKind) { self.kind = kind }

    func with<T>(_ body: (FakeWorld) throws -> T) rethrows -> T { try lock.withLock { try body(self) } }
    func count(_ name: String) -> Int { lock.withLock { calls[name] ?? 0 } }
    var isCrashed: Bool { lock.withLock { crashed } }
    func set(_ body: (FakeWorld) -> Void) { lock.withLock { body(self) } }

    private func tick(_ name: String) throws {
        try lock.withLock {
            calls[name, default: 0] += 1
            if hypervisorDown, ["findMachines", "listMachines", "start", "createContainer", "convert", "listTemplates"].contains(name) {
                throw BackendError(.unreachable, backend: kind.rawValue, message: "connection refused")
            }
        }
    }

    private func crashPoint(_ name: String) async throws {
        let crash = lock.withLock { () -> Bool in
            if crashAfter == name && !crashed { crashed = true; return true }
            return false
        }
        if crash { try await Task.sleep(nanoseconds: 3_600_000_000_000) }
    }

    func hypervisor(site: String, kind: HypervisorKind) async throws -> any Hypervisor { FakeHypervisor(world: self) }
    func provisioning(site: String) async throws -> any ProvisioningServer { FakeRazor(world: self) }
    var media: any InstallMediaExposure { FakeMedia(world: self) }
    var artefacts: any InstallArtefactPublisher { FakeArtefacts(world: self) }

    // MARK: hypervisor

    func findMachines(_ key: String, _ value: String) throws -> [MachineRecord] {
        try tick("findMachines")
        return lock.withLock { machines.values.filter { $0.tags[key] == value }.sorted { $0.id < $1.id } }
    }

    func listMachines() throws -> [MachineRecord] {
        try tick("listMachines")
        return lock.withLock { machines.values.sorted { $0.id < $1.id } }
    }

    func create(_ spec: ContainerSpec) async throws -> CreatedContainer {
        try tick("createContainer")
        let made = lock.withLock { () -> CreatedContainer in
            nextID += 1
            let id = "vm-\(nextID)"
            let mac = String(format: "02:00:00:00:00:%02x", nextID)
            machines[id] = MachineRecord(id: id, name: spec.name, powerState: .halted, macAddresses: [mac], tags: spec.ownerTags)
            cds[id] = spec.bootISO
            return CreatedContainer(machineID: id, mac: mac)
        }
        try await crashPoint("createContainer")
        return made
    }

    func power(_ id: String, _ state: PowerState, op: String) async throws {
        try tick(op)
        try lock.withLock {
            guard machines[id] != nil else { throw BackendError(.notFound, backend: kind.rawValue, message: "no VM \(id)") }
            machines[id]?.powerState = state
            if op == "start" || op == "reboot" {
                var guest = guests[id] ?? Guest()
                if guest.failedOnce, guest.position >= 5 { guest.position = 5 }
                guests[id] = guest
            }
        }
        try await crashPoint(op)
    }

    func destroy(_ id: String) throws {
        try tick("destroy")
        lock.withLock { _ = machines.removeValue(forKey: id) }
    }

    func insertCD(_ id: String, _ iso: String) async throws {
        try tick("insertCD")
        lock.withLock { cds[id] = iso }
        try await crashPoint("insertCD")
    }

    func convert(_ id: String, _ request: TemplateRequest) async throws -> TemplateRecord {
        try tick("convert")
        let template = try lock.withLock { () -> TemplateRecord in
            guard let machine = machines[id] else { throw BackendError(.notFound, backend: kind.rawValue, message: "no VM \(id)") }
            guard machine.powerState == .halted else { throw BackendError(.conflict, backend: kind.rawValue, message: "VM is running") }
            nextID += 1
            let templateID = kind == .xenserver ? id : "tpl-\(nextID)"
            if kind == .xenserver { machines[id] = nil }
            let record = TemplateRecord(id: templateID, name: request.name, isPublic: request.makePublic,
                                        isFeatured: request.featured, tags: request.ownerTags)
            templates[templateID] = record
            return record
        }
        try await crashPoint("convert")
        return template
    }

    func listTemplates() throws -> [TemplateRecord] {
        try tick("listTemplates")
        return lock.withLock { templates.values.sorted { $0.id < $1.id } }
    }

    func publish(_ id: String, _ isPublic: Bool, _ featured: Bool) throws {
        try tick("setPublished")
        lock.withLock {
            templates[id]?.isPublic = isPublic
            templates[id]?.isFeatured = featured
        }
    }

    func deleteTemplate(_ id: String) throws {
        try tick("deleteTemplate")
        lock.withLock { _ = templates.removeValue(forKey: id) }
    }

    // MARK: razor

    func provision(_ plan: ProvisioningPlan) async throws -> ProvisionedArtefacts {
        try tick("provision")
        let node = lock.withLock { () -> String in
            repos.insert(plan.repoName)
            tags.insert(plan.tagName)
            policies.insert(plan.policyName)
            if let node = nodesByMAC[plan.mac] { return node }
            let node = "node\(nodesByMAC.count + 1)"
            nodesByMAC[plan.mac] = node
            logs[node] = []
            return node
        }
        try await crashPoint("provision")
        return ProvisionedArtefacts(repoName: plan.repoName, tagName: plan.tagName, policyName: plan.policyName, nodeName: node)
    }

    /// Advances the guest of the node's VM by one script entry while it runs.
    func readLog(_ node: String, _ cursor: NodeLogCursor) throws -> (entries: [NodeLogEntry], cursor: NodeLogCursor) {
        try tick("readLog")
        return lock.withLock {
            guard let mac = nodesByMAC.first(where: { $0.value == node })?.key,
                  let machine = machines.values.first(where: { $0.macAddresses.contains(mac) }) else {
                return ([], cursor)
            }
            var guest = guests[machine.id] ?? Guest()
            if machine.powerState == .running, guest.position < Self.script.count, guest.position != hangAtPosition {
                var step = Self.script[guest.position]
                if let failStep, !guest.failedOnce, step.stage == "\(failStep)_ends" {
                    step = ("stage_done", "\(failStep)_failed")
                    guest.failedOnce = true
                    logs[node, default: []].append(NodeLogEntry(timestamp: Date(), severity: "error", event: step.event,
                                                                fields: ["stage": step.stage!]))
                    machines[machine.id]?.powerState = .halted
                } else {
                    var fields: [String: String] = [:]
                    if let stage = step.stage { fields["stage"] = stage }
                    logs[node, default: []].append(NodeLogEntry(timestamp: Date(), event: step.event, fields: fields))
                    guest.position += 1
                    if guest.position == Self.script.count { machines[machine.id]?.powerState = .halted }
                }
                guests[machine.id] = guest
            }
            let all = logs[node] ?? []
            let fresh = Array(all.dropFirst(cursor.seen))
            return (fresh, NodeLogCursor(seen: all.count))
        }
    }

    func remove(_ artefacts: ProvisionedArtefacts) throws {
        try tick("remove")
        lock.withLock {
            if let p = artefacts.policyName { policies.remove(p) }
            if let t = artefacts.tagName { tags.remove(t) }
            if let r = artefacts.repoName { repos.remove(r) }
            if let n = artefacts.nodeName, let mac = nodesByMAC.first(where: { $0.value == n })?.key {
                nodesByMAC[mac] = nil
            }
        }
    }

    // MARK: exposure + artefacts

    func expose(_ imageID: String, _ job: String) async throws -> MediaExposureHandle {
        try tick("expose")
        lock.withLock { _ = exposures[imageID, default: []].insert(job) }
        try await crashPoint("expose")
        return MediaExposureHandle(exposureID: "exp-\(imageID)", httpURL: "http://127.0.0.1:1/media/\(imageID)", smbShare: "vizor-\(imageID)")
    }

    func release(_ imageID: String, _ job: String) throws {
        try tick("release")
        lock.withLock {
            exposures[imageID]?.remove(job)
            if exposures[imageID]?.isEmpty == true { exposures[imageID] = nil }
        }
    }

    func publishArtefacts(_ job: String) async throws -> PublishedArtefacts {
        try tick("publish")
        lock.withLock { _ = servedJobs.insert(job) }
        try await crashPoint("publish")
        return PublishedArtefacts(taskName: "windows", expectedStages: Self.expectedStages, rootPassword: "not-a-secret-in-tests")
    }

    func revoke(_ job: String) {
        lock.withLock { _ = servedJobs.remove(job) }
    }
}

struct FakeHypervisor: Hypervisor {
    let world: FakeWorld
    var kind: HypervisorKind { world.kind }
    func listMachines() async throws -> [MachineRecord] { try world.listMachines() }
    func listTemplates() async throws -> [TemplateRecord] { try world.listTemplates() }
    func listLocations() async throws -> [String] { [world.kind == .cloudstack ? "zone-1" : "pool"] }
    func findMachines(taggedWith key: String, value: String) async throws -> [MachineRecord] { try world.findMachines(key, value) }
    func preflight(_ spec: ContainerSpec) async throws {}
    func createContainer(_ spec: ContainerSpec) async throws -> CreatedContainer { try await world.create(spec) }
    func start(machineID: String) async throws { try await world.power(machineID, .running, op: "start") }
    func stop(machineID: String, force: Bool) async throws { try await world.power(machineID, .halted, op: "stop") }
    func reboot(machineID: String) async throws { try await world.power(machineID, .running, op: "reboot") }
    func destroy(machineID: String) async throws { try world.destroy(machineID) }
    func insertCD(machineID: String, iso: String) async throws { try await world.insertCD(machineID, iso) }
    func ejectCD(machineID: String) async throws {}
    func convertToTemplate(machineID: String, request: TemplateRequest) async throws -> TemplateRecord {
        try await world.convert(machineID, request)
    }
    func setPublished(templateID: String, isPublic: Bool, featured: Bool) async throws { try world.publish(templateID, isPublic, featured) }
    func deleteTemplate(templateID: String) async throws { try world.deleteTemplate(templateID) }
    func changes() -> AsyncThrowingStream<HypervisorChange, Error> { AsyncThrowingStream { $0.finish() } }
}

struct FakeRazor: ProvisioningServer {
    let world: FakeWorld
    func provision(_ plan: ProvisioningPlan) async throws -> ProvisionedArtefacts { try await world.provision(plan) }
    func readLog(node: String, after cursor: NodeLogCursor) async throws -> (entries: [NodeLogEntry], cursor: NodeLogCursor) {
        try world.readLog(node, cursor)
    }
    func remove(_ artefacts: ProvisionedArtefacts) async throws { try world.remove(artefacts) }
}

struct FakeMedia: InstallMediaExposure {
    let world: FakeWorld
    func expose(imageID: String, isoPath: String, job: String) async throws -> MediaExposureHandle { try await world.expose(imageID, job) }
    func release(imageID: String, job: String) async throws { try world.release(imageID, job) }
}

struct FakeArtefacts: InstallArtefactPublisher {
    let world: FakeWorld
    func publish(jobID: String, request: InstallRequest, media: MediaExposureHandle) async throws -> PublishedArtefacts {
        try await world.publishArtefacts(jobID)
    }
    func bind(jobID: String, node: String) async throws {}
    func revoke(jobID: String) async { world.revoke(jobID) }
}
