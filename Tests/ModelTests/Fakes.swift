import BackendKit
import Foundation
@testable import VizorModel

/// An in-memory hypervisor whose failures and stream can be controlled by the test.
final class FakeHypervisor: Hypervisor, @unchecked Sendable {
    enum Mode { case normal, failing(BackendError), hanging }

    let kind: HypervisorKind
    private let lock = NSLock()
    private var machines: [String: MachineRecord] = [:]
    private var templates: [String: TemplateRecord] = [:]
    /// Zones or pools `listLocations()` answers.
    var locations: [String] = ["zone-1", "zone-2"]
    private var mode: Mode = .normal
    private var streams: [Int: AsyncThrowingStream<HypervisorChange, Error>.Continuation] = [:]
    private var nextStream = 0
    private var listCalls = 0
    private var subscriptions = 0
    private var commands: [String] = []

    init(kind: HypervisorKind, machines: [MachineRecord] = [], templates: [TemplateRecord] = []) {
        self.kind = kind
        for machine in machines { self.machines[machine.id] = machine }
        for template in templates { self.templates[template.id] = template }
    }

    func setMode(_ mode: Mode) {
        lock.withLock { self.mode = mode }
    }

    var listCount: Int { lock.withLock { listCalls } }
    var subscriptionCount: Int { lock.withLock { subscriptions } }
    var commandLog: [String] { lock.withLock { commands } }
    var openStreams: Int { lock.withLock { streams.count } }

    /// Changes a machine and pushes the change to open streams.
    func update(_ machine: MachineRecord) {
        let open = lock.withLock { () -> [AsyncThrowingStream<HypervisorChange, Error>.Continuation] in
            machines[machine.id] = machine
            return Array(streams.values)
        }
        for stream in open { stream.yield(.machineUpdated(machine)) }
    }

    /// Ends every open stream with an error, as a dropped connection does.
    func dropStreams() {
        let open = lock.withLock { () -> [AsyncThrowingStream<HypervisorChange, Error>.Continuation] in
            defer { streams = [:] }
            return Array(streams.values)
        }
        for stream in open {
            stream.finish(throwing: BackendError(.unreachable, backend: kind.rawValue, message: "connection reset"))
        }
    }

    private func gate() async throws {
        let mode = lock.withLock { self.mode }
        switch mode {
        case .normal: return
        case .failing(let error): throw error
        case .hanging:
            while true { try await Task.sleep(nanoseconds: 10_000_000) }
        }
    }

    func listMachines() async throws -> [MachineRecord] {
        lock.withLock { listCalls += 1 }
        try await gate()
        return lock.withLock { machines.values.sorted { $0.id < $1.id } }
    }

    func listTemplates() async throws -> [TemplateRecord] {
        try await gate()
        return lock.withLock { templates.values.sorted { $0.id < $1.id } }
    }

    func listLocations() async throws -> [String] {
        try await gate()
        return lock.withLock { locations }
    }

    func findMachines(taggedWith key: String, value: String) async throws -> [MachineRecord] {
        try await listMachines().filter { $0.tags[key] == value }
    }

    func preflight(_ spec: ContainerSpec) async throws {
        throw BackendError(.invalidInput, backend: kind.rawValue, message: "not supported by the fake")
    }

    func createContainer(_ spec: ContainerSpec) async throws -> CreatedContainer {
        throw BackendError(.invalidInput, backend: kind.rawValue, message: "not supported by the fake")
    }

    private func command(_ text: String, machine id: String, _ change: (inout MachineRecord) -> Void) async throws {
        try await gate()
        let updated = try lock.withLock { () -> MachineRecord in
            guard var machine = machines[id] else {
                throw BackendError(.notFound, backend: kind.rawValue, message: "no VM \(id)")
            }
            change(&machine)
            machines[id] = machine
            commands.append("\(text) \(id)")
            return machine
        }
        update(updated)
    }

    func start(machineID: String) async throws { try await command("start", machine: machineID) { $0.powerState = .running } }
    func stop(machineID: String, force: Bool) async throws {
        try await command(force ? "force-stop" : "stop", machine: machineID) { $0.powerState = .halted }
    }
    func reboot(machineID: String) async throws { try await command("reboot", machine: machineID) { _ in } }
    func destroy(machineID: String) async throws {
        try await command("destroy", machine: machineID) { _ in }
        let open = lock.withLock { () -> [AsyncThrowingStream<HypervisorChange, Error>.Continuation] in
            machines[machineID] = nil
            return Array(streams.values)
        }
        for stream in open { stream.yield(.machineRemoved(id: machineID)) }
    }
    func insertCD(machineID: String, iso: String) async throws {}
    func ejectCD(machineID: String) async throws {}
    func convertToTemplate(machineID: String, request: TemplateRequest) async throws -> TemplateRecord {
        throw BackendError(.invalidInput, backend: kind.rawValue, message: "not supported by the fake")
    }
    func setPublished(templateID: String, isPublic: Bool, featured: Bool) async throws {
        try await gate()
        try lock.withLock {
            guard templates[templateID] != nil else {
                throw BackendError(.notFound, backend: kind.rawValue, message: "no template \(templateID)")
            }
            templates[templateID]?.isPublic = isPublic
            templates[templateID]?.isFeatured = featured
            commands.append("\(isPublic ? "publish" : "unpublish") \(templateID)")
        }
    }
    func deleteTemplate(templateID: String) async throws {
        try await gate()
        lock.withLock {
            templates[templateID] = nil
            commands.append("delete-template \(templateID)")
        }
    }

    func changes() -> AsyncThrowingStream<HypervisorChange, Error> {
        let (stream, continuation) = AsyncThrowingStream<HypervisorChange, Error>.makeStream()
        let (id, mode, snapshot) = lock.withLock { () -> (Int, Mode, HypervisorChange) in
            subscriptions += 1
            nextStream += 1
            return (nextStream, self.mode, .snapshot(machines: machines.values.sorted { $0.id < $1.id },
                                                     templates: templates.values.sorted { $0.id < $1.id }))
        }
        switch mode {
        case .failing(let error):
            continuation.finish(throwing: error)
            return stream
        case .hanging:
            break
        case .normal:
            continuation.yield(snapshot)
        }
        lock.withLock { streams[id] = continuation }
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            _ = self.lock.withLock { self.streams.removeValue(forKey: id) }
        }
        return stream
    }
}

/// A Razor stand-in whose collections and failures the test controls.
final class FakeInventory: ProvisioningInventory, @unchecked Sendable {
    private let lock = NSLock()
    private var error: BackendError?
    private var counts: [String: Int] = ["nodes": 2, "policies": 1]

    func setError(_ error: BackendError?) { lock.withLock { self.error = error } }
    func setCounts(_ counts: [String: Int]) { lock.withLock { self.counts = counts } }

    func collectionSizes() async throws -> [String: Int] {
        if let error = lock.withLock({ self.error }) { throw error }
        return lock.withLock { counts }
    }
}

func machine(_ id: String, _ name: String, _ state: PowerState = .halted) -> MachineRecord {
    MachineRecord(id: id, name: name, powerState: state, vcpus: 2, memoryMiB: 2048)
}
