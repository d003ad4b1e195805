import BackendKit
import Foundation

/// Vizor's `Hypervisor` on a CloudStack (or CloudPlatform) zone: VM
/// containers deployed stopped from the iPXE ISO, their MACs, ISO swaps,
/// templates from the ROOT volume, publishing, and a change stream made by
/// paged polling (CloudStack has no push events for API clients).
public final class CloudStackHypervisor: Hypervisor {
    /// Choices that belong to the site rather than to one container.
    public struct Options: Sendable {
        /// Zone name or id used when a spec names none and the cloud has several.
        public var defaultZone: String?
        /// Hypervisor for ISO deploys (ISOs carry none); nil = the zone's first.
        public var hypervisor: String?
        /// How often `changes()` lists VMs and templates.
        public var pollInterval: Duration
        /// Destroy with `expunge=true` (admin, or a zone allowing users to expunge).
        public var expungeOnDestroy: Bool
        /// Template filter used for `listTemplates()`; `self` shows unready ones too.
        public var templateFilter: CSTemplateFilter

        public init(defaultZone: String? = nil, hypervisor: String? = nil, pollInterval: Duration = .seconds(15),
                    expungeOnDestroy: Bool = true, templateFilter: CSTemplateFilter = .self) {
            self.defaultZone = defaultZone
            self.hypervisor = hypervisor
            self.pollInterval = pollInterval
            self.expungeOnDestroy = expungeOnDestroy
            self.templateFilter = templateFilter
        }
    }

    public let client: CloudStackClient
    public let options: Options
    public var kind: HypervisorKind { .cloudstack }

    public init(configuration: CloudStackConfiguration, options: Options = Options()) {
        self.client = CloudStackClient(configuration: configuration)
        self.options = options
    }

    public init(client: CloudStackClient, options: Options = Options()) {
        self.client = client
        self.options = options
    }

    // MARK: Listing

    public func listMachines() async throws -> [MachineRecord] {
        try await client.listVirtualMachines().map(Self.record)
    }

    public func listTemplates() async throws -> [TemplateRecord] {
        try await client.listTemplates(filter: options.templateFilter).map(Self.record)
    }

    /// Zones open for new VMs (`allocationstate` Enabled, or not reported by older clouds).
    public func listLocations() async throws -> [String] {
        try await client.listZones().filter { $0.allocationState == nil || $0.allocationState == "Enabled" }.map(\.name)
    }

    public func findMachines(taggedWith key: String, value: String) async throws -> [MachineRecord] {
        try await client.listVirtualMachines(tags: [key: value]).map(Self.record)
    }

    static func record(_ vm: CSVirtualMachine) -> MachineRecord {
        MachineRecord(id: vm.id, name: vm.name, powerState: powerState(vm.state), vcpus: vm.cpuNumber,
                      memoryMiB: vm.memoryMiB, ipAddresses: vm.nics.compactMap(\.ipAddress),
                      macAddresses: vm.nics.map(\.macAddress), location: vm.zoneName.isEmpty ? vm.zoneID : vm.zoneName,
                      sourceTemplate: vm.isoName ?? vm.templateName, tags: vm.tags)
    }

    static func record(_ template: CSTemplate) -> TemplateRecord {
        TemplateRecord(id: template.id, name: template.name, osType: template.osTypeName,
                       location: template.zoneName.isEmpty ? template.zoneID : template.zoneName, kind: .custom,
                       isPublic: template.isPublic, isFeatured: template.isFeatured, isReady: template.isReady,
                       sizeBytes: template.sizeBytes, tags: template.tags)
    }

    static func powerState(_ state: String) -> PowerState {
        switch state.lowercased() {
        case "running": return .running
        case "stopped", "shutdown", "shutdowned": return .halted
        case "starting", "migrating", "restoring": return .starting
        case "stopping": return .stopping
        case "destroyed", "expunging": return .destroyed
        default: return .unknown
        }
    }

    // MARK: Containers

    /// The OS type is only used when the template is made, at the end of an
    /// install: it is resolved here so a wrong name is refused at the start.
    public func preflight(_ spec: ContainerSpec) async throws {
        let resolver = CloudStackResolver(client: client)
        let zone = try await resolver.zone(spec.location.isEmpty ? options.defaultZone : spec.location)
        _ = try await resolver.serviceOffering(spec.serviceOffering, vcpus: spec.vcpus, memoryMiB: spec.memoryMiB, zoneID: zone.id)
        _ = try await resolver.diskOffering(spec.diskOffering, sizeGiB: spec.diskGiB, zoneID: zone.id)
        _ = try await resolver.iso(spec.bootISO, zoneID: zone.id)
        _ = try await resolver.networks(spec.network, zone: zone)
        if !spec.osTemplate.isEmpty { _ = try await resolver.osType(spec.osTemplate, fallback: nil) }
    }

    public func createContainer(_ spec: ContainerSpec) async throws -> CreatedContainer {
        let resolver = CloudStackResolver(client: client)
        let zone = try await resolver.zone(spec.location.isEmpty ? options.defaultZone : spec.location)
        let offering = try await resolver.serviceOffering(spec.serviceOffering, vcpus: spec.vcpus, memoryMiB: spec.memoryMiB, zoneID: zone.id)
        let disk = try await resolver.diskOffering(spec.diskOffering, sizeGiB: spec.diskGiB, zoneID: zone.id)
        let iso = try await resolver.iso(spec.bootISO, zoneID: zone.id)
        let networks = try await resolver.networks(spec.network, zone: zone)
        let hypervisor: String
        if let chosen = options.hypervisor { hypervisor = chosen } else {
            guard let first = try await client.listHypervisors(zoneID: zone.id).first else {
                throw BackendError(.invalidInput, backend: cloudstackBackendName, message: "zone \(zone.name) offers no hypervisor")
            }
            hypervisor = first
        }
        let request = CloudStackClient.DeployRequest(
            zoneID: zone.id, serviceOfferingID: offering.id, templateID: iso.id, hypervisor: hypervisor,
            diskOfferingID: disk.id, sizeGiB: disk.isCustomized ? spec.diskGiB : nil, networkIDs: networks,
            name: spec.name, displayName: spec.displayName, startVM: false, uefi: spec.firmware == .uefi, macAddress: spec.mac)
        let ticket = try await client.deployVirtualMachine(request)
        guard let vmID = ticket.entityID else {
            throw BackendError(.protocolViolation, backend: cloudstackBackendName, message: "deployVirtualMachine answered without the VM id")
        }
        // The VM exists from here on: mark it first, so it can always be found and cleaned up.
        do {
            try await client.createTags(resourceIDs: [vmID], resourceType: "UserVm", tags: spec.ownerTags)
            let result = try await client.wait(for: ticket)
            let vm = CSVirtualMachine(result["virtualmachine"] ?? .null)
            guard let mac = vm.nics.first(where: \.isDefault)?.macAddress ?? vm.nics.first?.macAddress, !mac.isEmpty else {
                throw BackendError(.protocolViolation, backend: cloudstackBackendName, message: "VM \(vmID) has no NIC with a MAC")
            }
            return CreatedContainer(machineID: vmID, mac: mac)
        } catch let error as BackendError where error.kind != .timeout && error.kind != .cancelled {
            // A failed deploy leaves a VM in Error state: remove it, and say so.
            let removed = (try? await client.destroyVirtualMachine(id: vmID, expunge: options.expungeOnDestroy)) != nil
            var reported = error
            reported.message += removed ? "; VM \(vmID) was destroyed" : "; VM \(vmID) could not be removed and is tagged for cleanup"
            throw reported
        } catch var error as BackendError {
            error.hint = "VM \(vmID) (\(spec.name)) exists and carries its owner tags; it is cleaned up with the job"
            throw error
        }
    }

    public func start(machineID: String) async throws { try await client.startVirtualMachine(id: machineID) }

    public func stop(machineID: String, force: Bool) async throws {
        try await client.stopVirtualMachine(id: machineID, forced: force)
    }

    public func reboot(machineID: String) async throws { try await client.rebootVirtualMachine(id: machineID) }

    public func destroy(machineID: String) async throws {
        do {
            try await client.destroyVirtualMachine(id: machineID, expunge: options.expungeOnDestroy)
        } catch let error as BackendError where options.expungeOnDestroy && error.message.lowercased().contains("expunge") {
            // Users may not expunge on most zones: destroy, the server expunges later.
            try await client.destroyVirtualMachine(id: machineID, expunge: false)
        }
    }

    public func insertCD(machineID: String, iso: String) async throws {
        let vm = try await machine(machineID)
        let resolved = try await CloudStackResolver(client: client).iso(iso, zoneID: vm.zoneID)
        if vm.isoID == resolved.id { return }
        if vm.isoID != nil { try await client.detachIso(virtualMachineID: machineID) }
        try await client.attachIso(id: resolved.id, virtualMachineID: machineID)
    }

    public func ejectCD(machineID: String) async throws {
        let vm = try await machine(machineID)
        if vm.isoID != nil { try await client.detachIso(virtualMachineID: machineID) }
    }

    func machine(_ id: String) async throws -> CSVirtualMachine {
        guard let vm = try await client.listVirtualMachines(id: id).first else {
            throw BackendError(.notFound, backend: cloudstackBackendName, message: "no VM with id \(id)")
        }
        return vm
    }

    // MARK: Templates

    public func convertToTemplate(machineID: String, request: TemplateRequest) async throws -> TemplateRecord {
        let vm = try await machine(machineID)
        guard vm.state == "Stopped" else {
            throw BackendError(.conflict, backend: cloudstackBackendName,
                               message: "VM \(vm.name) is \(vm.state); a template needs it Stopped", hint: "stop the VM first")
        }
        guard let root = try await client.listVolumes(virtualMachineID: machineID).first(where: { $0.type == "ROOT" }) else {
            throw BackendError(.notFound, backend: cloudstackBackendName, message: "VM \(vm.name) has no ROOT volume")
        }
        let osTypeID = try await CloudStackResolver(client: client).osType(request.osType, fallback: vm.osTypeID)
        let ticket = try await client.createTemplate(.init(name: request.name, osTypeID: osTypeID, volumeID: root.id,
                                                           isPublic: request.makePublic, isFeatured: request.featured))
        if let templateID = ticket.entityID {
            try await client.createTags(resourceIDs: [templateID], resourceType: "Template", tags: request.ownerTags)
        }
        let result = try await client.wait(for: ticket, timeout: client.configuration.jobs.templateTimeout)
        var template = CSTemplate(result["template"] ?? .null)
        if template.tags.isEmpty { template.tags = request.ownerTags }
        if !request.copyToLocations.isEmpty {
            let resolver = CloudStackResolver(client: client)
            var zoneIDs: [String] = []
            for location in request.copyToLocations { zoneIDs.append(try await resolver.zone(location).id) }
            let others = zoneIDs.filter { $0 != template.zoneID }
            if !others.isEmpty {
                _ = try await client.copyTemplate(id: template.id, sourceZoneID: template.zoneID, destinationZoneIDs: others)
            }
        }
        return Self.record(template)
    }

    public func setPublished(templateID: String, isPublic: Bool, featured: Bool) async throws {
        try await client.updateTemplatePermissions(id: templateID, isPublic: isPublic, isFeatured: featured)
    }

    public func deleteTemplate(templateID: String) async throws {
        try await client.deleteTemplate(id: templateID)
    }

    // MARK: Changes

    /// A `.snapshot` first, then the differences found by each later poll.
    /// Ends with the error of a failed poll; the caller re-subscribes.
    public func changes() -> AsyncThrowingStream<HypervisorChange, Error> {
        let (stream, continuation) = AsyncThrowingStream<HypervisorChange, Error>.makeStream()
        let task = Task { [self] in
            var machines: [String: MachineRecord] = [:]
            var templates: [String: TemplateRecord] = [:]
            var first = true
            do {
                while !Task.isCancelled {
                    let newMachines = try await listMachines()
                    let newTemplates = try await listTemplates()
                    if first {
                        continuation.yield(.snapshot(machines: newMachines, templates: newTemplates))
                        first = false
                    } else {
                        for change in PollDiff.changes(old: machines, new: newMachines, oldTemplates: templates, newTemplates: newTemplates) {
                            continuation.yield(change)
                        }
                    }
                    machines = Dictionary(newMachines.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
                    templates = Dictionary(newTemplates.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
                    try await Task.sleep(for: options.pollInterval)
                }
                continuation.finish()
            } catch is CancellationError {
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}

/// The difference between two listings, as change events.
enum PollDiff {
    static func changes(old: [String: MachineRecord], new: [MachineRecord],
                        oldTemplates: [String: TemplateRecord], newTemplates: [TemplateRecord]) -> [HypervisorChange] {
        var out: [HypervisorChange] = []
        let newIDs = Set(new.map(\.id))
        for machine in new where old[machine.id] != machine { out.append(.machineUpdated(machine)) }
        for id in old.keys.sorted() where !newIDs.contains(id) { out.append(.machineRemoved(id: id)) }
        let newTemplateIDs = Set(newTemplates.map(\.id))
        for template in newTemplates where oldTemplates[template.id] != template { out.append(.templateUpdated(template)) }
        for id in oldTemplates.keys.sorted() where !newTemplateIDs.contains(id) { out.append(.templateRemoved(id: id)) }
        return out
    }
}
