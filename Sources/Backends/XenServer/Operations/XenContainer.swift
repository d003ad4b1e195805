import BackendKit

extension XenServerHypervisor {
    /// The `other_config` key marking VMs Vizor created (and may clean up).
    public static let ownerMark = "vizor_container"

    public func preflight(_ spec: ContainerSpec) async throws {
        _ = try await findInstallTemplate(spec.osTemplate)
        _ = try await chooseSR(spec.location)
        _ = try await chooseNetwork(spec.network)
        _ = try await findISO(spec.bootISO)
    }

    /// Creates a halted VM from an install template, ready to network-install:
    /// clone, SR into `other_config:disks`, provision, memory and vCPUs, a CD
    /// with the iPXE ISO, a VIF with a generated or given MAC, boot order
    /// disk → CD → network. Anything created is destroyed again on failure.
    public func createContainer(_ spec: ContainerSpec) async throws -> CreatedContainer {
        let template = try await findInstallTemplate(spec.osTemplate)
        let templateRecord = try await session.call("VM.get_record", [.string(template)])
        let srRef = try await chooseSR(spec.location)
        let srUUID = try await session.call("SR.get_uuid", [.string(srRef)]).text
        let network = try await chooseNetwork(spec.network)
        let iso = try await findISO(spec.bootISO)

        let vm = try await session.runAsync("VM.clone", [.string(template), .string(spec.name)]).text
        do {
            let s = XapiValue.string(vm)
            let disks = templateRecord["other_config"]["disks"].text
            if !disks.isEmpty {
                let size = spec.diskGiB > 0 ? Int64(spec.diskGiB) * 1_073_741_824 : nil
                try await setOtherConfig(vm, "disks", ProvisionXML.rewrite(disks, srUUID: srUUID, bootDiskSize: size))
            }
            _ = try await session.call("VM.set_name_description", [s, .string(spec.displayName)])
            try await setOtherConfig(vm, Self.ownerMark, "true")
            for (k, v) in spec.ownerTags { try await setOtherConfig(vm, k, v) }
            _ = try await session.runAsync("VM.provision", [s])

            let bytes = Int64(max(spec.memoryMiB, 1)) * 1_048_576
            _ = try await session.call("VM.set_memory_limits", [s, .int(bytes), .int(bytes), .int(bytes), .int(bytes)])
            let vcpus = Int64(max(spec.vcpus, 1))
            if vcpus > (templateRecord["VCPUs_max"].int64 ?? 1) {
                _ = try await session.call("VM.set_VCPUs_max", [s, .int(vcpus)])
                _ = try await session.call("VM.set_VCPUs_at_startup", [s, .int(vcpus)])
            } else {
                _ = try await session.call("VM.set_VCPUs_at_startup", [s, .int(vcpus)])
                _ = try await session.call("VM.set_VCPUs_max", [s, .int(vcpus)])
            }

            _ = try await session.call("VBD.create", [Self.cdVBD(vm: vm, vdi: iso)])
            let mtu = try await session.call("network.get_MTU", [.string(network)])
            let vif = try await session.call("VIF.create", [.structure([
                "device": "0", "network": .string(network), "VM": s, "MAC": .string(spec.mac ?? ""),
                "MTU": .int(mtu.int64 ?? 1500), "other_config": .structure([:]),
                "qos_algorithm_type": "", "qos_algorithm_params": .structure([:]),
            ])]).text

            var boot = templateRecord["HVM_boot_params"].stringMap
            boot["order"] = "dcn"
            if spec.firmware == .uefi { boot["firmware"] = "uefi" }
            _ = try await session.call("VM.set_HVM_boot_policy", [s, "BIOS order"])
            _ = try await session.call("VM.set_HVM_boot_params", [s, .structure(boot.mapValues { .string($0) })])

            let mac = try await session.call("VIF.get_MAC", [.string(vif)]).text
            let uuid = try await session.call("VM.get_uuid", [s]).text
            return CreatedContainer(machineID: uuid, mac: mac)
        } catch {
            try? await destroy(machineID: vm)
            throw error
        }
    }

    /// The one install template with this name or UUID (instant templates
    /// excluded, as the original `xe_vm_create` did).
    func findInstallTemplate(_ nameOrID: String) async throws -> String {
        var candidates = try await session.call("VM.get_by_name_label", [.string(nameOrID)]).stringArray
        if candidates.isEmpty, let byUUID = try? await session.call("VM.get_by_uuid", [.string(nameOrID)]).text {
            candidates = [byUUID]
        }
        var templates: [String] = []
        for ref in candidates {
            let r = try await session.call("VM.get_record", [.string(ref)])
            if XenRecords.isTemplate(r), r["other_config"]["instant"].text != "true" { templates.append(ref) }
        }
        guard templates.count == 1 else {
            throw BackendError(templates.isEmpty ? .notFound : .conflict, backend: xenserverBackendName,
                               message: templates.isEmpty ? "no template named \"\(nameOrID)\"" : "\(templates.count) templates are named \"\(nameOrID)\"",
                               hint: "pick the template by UUID with `vizor template list`")
        }
        return templates[0]
    }

    /// An SR by name or UUID, else the pool's default SR.
    func chooseSR(_ wanted: String) async throws -> String {
        if !wanted.isEmpty, let sr = try await listSRs().first(where: { ($0.name == wanted || $0.uuid == wanted) && !$0.isISOLibrary }) {
            return sr.ref
        }
        let pool = try await pool()
        guard pool.defaultSRRef != XenRecords.nullRef, !pool.defaultSRRef.isEmpty else {
            throw XapiErrorMapper.map(["DEFAULT_SR_NOT_FOUND", pool.defaultSRRef], method: "VM.provision")
        }
        return pool.defaultSRRef
    }

    /// A network by name or UUID; empty picks the first one with a physical interface.
    func chooseNetwork(_ wanted: String) async throws -> String {
        let networks = try await listNetworks()
        if wanted.isEmpty, let first = networks.first { return first.ref }
        guard let hit = networks.first(where: { $0.name == wanted || $0.uuid == wanted || $0.bridge == wanted }) else {
            throw BackendError(.notFound, backend: xenserverBackendName, message: "no network named \"\(wanted)\"",
                               hint: "choose one of: \(networks.map(\.name).joined(separator: ", "))")
        }
        return hit.ref
    }
}
