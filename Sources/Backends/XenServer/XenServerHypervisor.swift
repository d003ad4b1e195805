import BackendKit
import Foundation

/// The XenServer / XCP-ng implementation of `Hypervisor`, over XAPI
/// (XML-RPC or JSON-RPC, per site). One instance per pool; safe to share.
public final class XenServerHypervisor: Hypervisor {
    public let kind = HypervisorKind.xenserver
    public let session: XapiSession
    public var configuration: XenServerConfiguration { session.configuration }
    var location: String { configuration.siteName.isEmpty ? configuration.url : configuration.siteName }

    /// Validates the configuration; no network traffic until the first call.
    public init(configuration: XenServerConfiguration) throws {
        session = try XapiSession(configuration: configuration)
    }

    /// Logs out of the pool (sessions are a limited resource on the server).
    public func close() async { await session.logout() }

    // MARK: Listing

    func allRecords(_ cls: String) async throws -> [String: XapiValue] {
        try await session.call("\(cls).get_all_records").structure ?? [:]
    }

    public func listMachines() async throws -> [MachineRecord] {
        async let vms = allRecords("VM")
        async let vifs = allRecords("VIF")
        async let metrics = allRecords("VM_guest_metrics")
        let (v, f, m) = try await (vms, vifs, metrics)
        return v.values.filter(XenRecords.isRealVM).map { XenRecords.machine($0, vifs: f, metrics: m, location: location) }
            .sorted { $0.name < $1.name }
    }

    /// One pool per connection: the site's name for it.
    public func listLocations() async throws -> [String] { [location] }

    public func listTemplates() async throws -> [TemplateRecord] {
        try await allRecords("VM").values.filter(XenRecords.isTemplate).map { XenRecords.template($0, location: location) }
            .sorted { $0.name < $1.name }
    }

    public func findMachines(taggedWith key: String, value: String) async throws -> [MachineRecord] {
        try await listMachines().filter { $0.tags[key] == value }
    }

    public func listHosts() async throws -> [XenHost] {
        try await allRecords("host").map { XenRecords.host($0.key, $0.value) }.sorted { $0.name < $1.name }
    }

    public func pool() async throws -> XenPool {
        guard let (ref, r) = try await allRecords("pool").first else {
            throw BackendError(.protocolViolation, backend: xenserverBackendName, message: "the host reports no pool object")
        }
        return XenPool(ref: ref, uuid: r["uuid"].text, name: r["name_label"].text, masterRef: r["master"].text, defaultSRRef: r["default_SR"].text)
    }

    public func listSRs() async throws -> [XenSR] {
        try await allRecords("SR").map { XenRecords.sr($0.key, $0.value) }.sorted { $0.name < $1.name }
    }

    public func listVDIs() async throws -> [XenVDI] {
        try await allRecords("VDI").map { XenRecords.vdi($0.key, $0.value) }.sorted { $0.name < $1.name }
    }

    /// Networks an operator may pick (the host-internal management network is hidden).
    public func listNetworks() async throws -> [XenNetwork] {
        try await allRecords("network").map { XenRecords.network($0.key, $0.value) }.filter { !$0.isInternal }.sorted { $0.name < $1.name }
    }

    /// Every SR holding ISOs (content type `iso`), with its discs.
    public func listISOLibraries() async throws -> [XenISOLibrary] {
        async let srs = listSRs()
        async let vdis = listVDIs()
        let (s, v) = try await (srs, vdis)
        return s.filter(\.isISOLibrary).map { sr in XenISOLibrary(sr: sr, isos: v.filter { $0.srRef == sr.ref }) }
    }

    /// The guest tools ISO: `is_tools_iso`, else the names older hosts use.
    public func toolsISO() async throws -> XenVDI? {
        let isos = try await listISOLibraries().flatMap(\.isos)
        if let flagged = isos.first(where: \.isToolsISO) { return flagged }
        for name in XenRecords.toolsISONames { if let hit = isos.first(where: { $0.name == name }) { return hit } }
        return nil
    }

    // MARK: Power

    func vmRef(_ machineID: String) async throws -> String {
        if machineID.hasPrefix("OpaqueRef:") { return machineID }
        return try await session.call("VM.get_by_uuid", [.string(machineID)]).text
    }

    public func start(machineID: String) async throws {
        let ref = try await vmRef(machineID)
        _ = try await session.runAsync("VM.start", [.string(ref), false, false])
    }

    public func stop(machineID: String, force: Bool) async throws {
        let ref = try await vmRef(machineID)
        _ = try await session.runAsync(force ? "VM.hard_shutdown" : "VM.clean_shutdown", [.string(ref)])
    }

    public func reboot(machineID: String) async throws {
        let ref = try await vmRef(machineID)
        _ = try await session.runAsync("VM.clean_reboot", [.string(ref)])
    }

    /// Destroys the VM (halting it first) and the disks Vizor's provisioning
    /// created for it (Disk VBDs whose `other_config` has the `owner` key);
    /// ISOs and disks attached by hand are kept.
    public func destroy(machineID: String) async throws {
        let ref = try await vmRef(machineID)
        let vm = try await session.call("VM.get_record", [.string(ref)])
        if vm["is_default_template"].bool == true {
            throw XapiErrorMapper.map(["VM_CANNOT_DELETE_DEFAULT_TEMPLATE", ref], method: "VM.destroy")
        }
        if ["Running", "Paused", "Suspended"].contains(vm["power_state"].text) {
            _ = try await session.runAsync("VM.hard_shutdown", [.string(ref)])
        }
        var ownedDisks: [String] = []
        for vbd in vm["VBDs"].stringArray {
            let r = try await session.call("VBD.get_record", [.string(vbd)])
            if r["type"].text == "Disk", r["other_config"].structure?["owner"] != nil, r["VDI"].text != XenRecords.nullRef {
                ownedDisks.append(r["VDI"].text)
            }
        }
        _ = try await session.call("VM.destroy", [.string(ref)])
        for vdi in ownedDisks { _ = try await session.call("VDI.destroy", [.string(vdi)]) }
    }

    // MARK: CDs

    /// Finds an ISO by UUID or name in ISO SRs; "guest-tools" means the tools ISO.
    public func findISO(_ nameOrID: String) async throws -> String {
        if ["guest-tools", "tools", "xs-tools"].contains(nameOrID), let tools = try await toolsISO() { return tools.ref }
        let libraries = try await listISOLibraries()
        let isos = libraries.flatMap(\.isos)
        let hits = isos.filter { $0.uuid == nameOrID || $0.name == nameOrID }
        guard let hit = hits.first else {
            throw BackendError(.notFound, backend: xenserverBackendName, message: "no ISO named \"\(nameOrID)\" in the pool's ISO libraries",
                               hint: "copy it into an ISO SR and rescan, or pick one of: \(isos.map(\.name).sorted().prefix(8).joined(separator: ", "))")
        }
        return hit.ref
    }

    func cdDrive(_ vm: String) async throws -> (ref: String, empty: Bool)? {
        for vbd in try await session.call("VM.get_VBDs", [.string(vm)]).stringArray {
            let r = try await session.call("VBD.get_record", [.string(vbd)])
            if r["type"].text == "CD" { return (vbd, r["empty"].bool ?? false) }
        }
        return nil
    }

    public func insertCD(machineID: String, iso: String) async throws {
        let vm = try await vmRef(machineID)
        let vdi = try await findISO(iso)
        if let drive = try await cdDrive(vm) {
            if !drive.empty { _ = try await session.call("VBD.eject", [.string(drive.ref)]) }
            _ = try await session.call("VBD.insert", [.string(drive.ref), .string(vdi)])
        } else {
            _ = try await session.call("VBD.create", [Self.cdVBD(vm: vm, vdi: vdi)])
        }
    }

    public func ejectCD(machineID: String) async throws {
        let vm = try await vmRef(machineID)
        guard let drive = try await cdDrive(vm), !drive.empty else { return }
        _ = try await session.call("VBD.eject", [.string(drive.ref)])
    }

    static func cdVBD(vm: String, vdi: String) -> XapiValue {
        .structure([
            "VM": .string(vm), "VDI": .string(vdi), "userdevice": "3", "bootable": false, "mode": "RO", "type": "CD",
            "empty": .bool(vdi == XenRecords.nullRef), "other_config": .structure([:]),
            "qos_algorithm_type": "", "qos_algorithm_params": .structure([:]),
        ])
    }

    // MARK: Templates

    public func convertToTemplate(machineID: String, request: TemplateRequest) async throws -> TemplateRecord {
        let ref = try await vmRef(machineID)
        if !request.name.isEmpty { _ = try await session.call("VM.set_name_label", [.string(ref), .string(request.name)]) }
        _ = try await session.call("VM.set_is_a_template", [.string(ref), true])
        for (k, v) in request.ownerTags { try await setOtherConfig(ref, k, v) }
        if request.instant || request.featured { try await setOtherConfig(ref, "instant", "true") }
        return XenRecords.template(try await session.call("VM.get_record", [.string(ref)]), location: location)
    }

    /// XenServer has no template permissions; "featured" maps to the instant flag.
    public func setPublished(templateID: String, isPublic: Bool, featured: Bool) async throws {
        let ref = try await vmRef(templateID)
        if featured { try await setOtherConfig(ref, "instant", "true") } else {
            _ = try await session.call("VM.remove_from_other_config", [.string(ref), "instant"])
        }
    }

    public func deleteTemplate(templateID: String) async throws {
        try await destroy(machineID: templateID)
    }

    /// Sets one `other_config` key (remove then add: `add_to_*` refuses existing keys).
    func setOtherConfig(_ ref: String, _ key: String, _ value: String) async throws {
        _ = try await session.call("VM.remove_from_other_config", [.string(ref), .string(key)])
        _ = try await session.call("VM.add_to_other_config", [.string(ref), .string(key), .string(value)])
    }

    public func changes() -> AsyncThrowingStream<HypervisorChange, Error> {
        XenEventStream(hypervisor: self).stream()
    }
}
