import Foundation

/// deployVirtualMachine and the VM lifecycle: validation at once (431 and
/// 530 answers), the work in async jobs, the entity visible immediately.
extension LabCloudStack {
    func visibleVM(_ call: LabCall, _ parameter: String = "id") throws -> Int {
        let id = try call.required(parameter)
        guard let index = vms.firstIndex(where: { $0.id == id && (call.account.isAdmin || $0.owner == call.account.name) }) else {
            throw LabAPIError.invalid(call.command, parameter, id)
        }
        return index
    }

    func deployVirtualMachine(_ call: LabCall) throws -> LabJSON {
        let zoneID = try call.required("zoneid")
        let offeringID = try call.required("serviceofferingid")
        let templateID = try call.required("templateid")
        guard let zone = zones.first(where: { $0.id == zoneID }) else { throw LabAPIError.invalid(call.command, "zoneid", zoneID) }
        guard let offering = serviceOfferings.first(where: { $0.id == offeringID }) else {
            throw LabAPIError.invalid(call.command, "serviceofferingid", offeringID)
        }
        guard let image = images.first(where: { $0.id == templateID && ($0.isPublic || $0.owner == call.account.name || call.account.isAdmin
                                                                           || $0.sharedWith.contains(call.account.name)) }) else {
            throw LabAPIError.invalid(call.command, "templateid", templateID)
        }
        guard image.ready, image.zoneIDs.contains(zone.id) else {
            throw LabAPIError(code: 530, csCode: 4250, text: "Template \(image.id) has not been completely downloaded to zone \(zone.id)")
        }
        var diskOffering: LabDiskOffering?
        if let diskID = call.p["diskofferingid"] {
            guard let found = diskOfferings.first(where: { $0.id == diskID }) else { throw LabAPIError.invalid(call.command, "diskofferingid", diskID) }
            diskOffering = found
        }
        var hypervisor = image.hypervisor ?? "KVM"
        if image.isISO {
            guard let requested = call.p["hypervisor"], requested.lowercased() == "kvm" else {
                throw LabAPIError.param("Hypervisor parameter is needed to deploy VM or the hypervisor parameter value passed is invalid")
            }
            hypervisor = "KVM"
            guard diskOffering != nil else {
                throw LabAPIError.param("Installing from ISO requires a disk offering to be specified for the root disk.")
            }
        }
        var sizeGB = diskOffering?.sizeGB ?? 20
        if let offering = diskOffering, offering.customized {
            guard let size = call.p["size"].flatMap(Int.init), size > 0 else {
                throw LabAPIError.param("This disk offering requires a custom size specified")
            }
            sizeGB = size
        }
        let bootType = (call.p["boottype"] ?? "BIOS").uppercased()
        let bootMode = (call.p["bootmode"] ?? "LEGACY").uppercased()
        if bootType == "UEFI" && call.p["bootmode"] == nil {
            throw LabAPIError.param("Boot Mode is required when the Boot Type is UEFI")
        }
        let networkIDs = call.p["networkids"].map { $0.split(separator: ",").map(String.init) } ?? []
        for id in networkIDs where !networks.contains(where: { $0.id == id && $0.zoneID == zone.id }) {
            throw LabAPIError.invalid(call.command, "networkids", id)
        }
        guard let network = networkIDs.first.flatMap({ id in networks.first { $0.id == id } }) ?? networks.first(where: { $0.zoneID == zone.id }) else {
            throw LabAPIError(code: 533, csCode: 4335, text: "Unable to find a network to deploy the VM in zone \(zone.id)")
        }
        let seq = nextSequence()
        var mac = macAddress(seq)
        if let requested = call.map("iptonetworklist").first(where: { $0["networkid"] == network.id })?["mac"] {
            let normalized = requested.lowercased().replacingOccurrences(of: "-", with: ":")
            guard normalized.split(separator: ":").count == 6 else { throw LabAPIError.param("Mac address is not valid: \(requested)") }
            guard !vms.contains(where: { $0.nics.contains { $0.mac == normalized } }) else {
                throw LabAPIError.param("The MAC address \(requested) is already in use")
            }
            mac = normalized
        }
        let name = call.p["name"] ?? "VM-\(Self.uuid())"
        if vms.contains(where: { $0.name == name && $0.zoneID == zone.id && $0.state != "Expunging" }) {
            throw LabAPIError(code: 431, csCode: 4350, text: "The vm with hostname \(name) already exists in the network domain: cs2cloud.internal; network=\(network.name)")
        }
        let start = call.flag("startvm") ?? true
        let vmID = Self.uuid(), volumeID = Self.uuid()
        vms.append(LabVM(id: vmID, name: name, displayName: call.p["displayname"] ?? name, instanceName: "i-2-\(seq)-VM",
                         state: start ? "Starting" : "Stopped", zoneID: zone.id, serviceOfferingID: offering.id,
                         diskOfferingID: diskOffering?.id, templateID: image.id, isoID: image.isISO ? image.id : nil,
                         hypervisor: hypervisor, osTypeID: image.osTypeID,
                         nics: [LabNic(id: Self.uuid(), networkID: network.id, mac: mac, ip: ipAddress(network, seq))],
                         owner: call.account.name, created: Date(), bootType: bootType, bootMode: bootMode, rootVolumeID: volumeID))
        volumes.append(LabVolume(id: volumeID, name: "ROOT-\(seq)", type: "ROOT", vmID: vmID, sizeBytes: sizeGB << 30, zoneID: zone.id,
                                 diskOfferingID: diskOffering?.id))
        let jobID = enqueue(call, .deploy(vm: vmID, start: start), instanceType: "VirtualMachine", instanceID: vmID)
        update(vmID) { $0.pendingJob = jobID }
        return .obj([("id", .string(vmID)), ("jobid", .string(jobID))])
    }

    func listVirtualMachines(_ call: LabCall) throws -> LabJSON {
        if let details = call.p["details"] {
            let allowed: Set<String> = ["all", "group", "nics", "stats", "secgrp", "tmpl", "servoff", "diskoff", "backoff", "iso", "volume", "min", "affgrp"]
            if details.split(separator: ",").contains(where: { !allowed.contains($0.trimmingCharacters(in: .whitespaces).lowercased()) }) {
                throw LabAPIError(code: 431, text: "The details parameter contains a non permitted value. The allowed values are \(allowed.sorted())")
            }
        }
        let wantedTags = call.map("tags")
        let ids = call.p["ids"].map { Set($0.split(separator: ",").map(String.init)) }
        let rows = vms.filter { vm in
            let mine = vm.owner == call.account.name
            guard mine || (call.account.isAdmin && call.flag("listall") == true) else { return false }
            if !call.account.isAdmin && (vm.state == "Destroyed" || vm.state == "Expunging") { return false }
            if let id = call.p["id"], vm.id != id { return false }
            if let ids, !ids.contains(vm.id) { return false }
            if let name = call.p["name"], !vm.name.lowercased().contains(name.lowercased()) { return false }
            if let keyword = call.p["keyword"], !vm.name.lowercased().contains(keyword.lowercased()) { return false }
            if let state = call.p["state"] {
                if state.lowercased() == "present" {
                    if vm.state == "Destroyed" || vm.state == "Expunging" { return false }
                } else if vm.state.lowercased() != state.lowercased() { return false }
            }
            if let zone = call.p["zoneid"], vm.zoneID != zone { return false }
            if let iso = call.p["isoid"], vm.isoID != iso { return false }
            if let template = call.p["templateid"], vm.templateID != template { return false }
            for tag in wantedTags {
                guard tags.contains(where: { $0.resourceID == vm.id && $0.key == tag["key"] && (tag["value"] == nil || $0.value == tag["value"]) })
                else { return false }
            }
            return true
        }
        return try listAnswer(call, key: "virtualmachine", rows, render: vmJSON)
    }

    func vmJob(_ call: LabCall, _ index: Int, _ action: LabJobAction) -> LabJSON {
        let jobID = enqueue(call, action, instanceType: "VirtualMachine", instanceID: vms[index].id)
        vms[index].pendingJob = jobID
        return .obj([("jobid", .string(jobID))])
    }

    func startVirtualMachine(_ call: LabCall) throws -> LabJSON {
        let index = try visibleVM(call)
        switch vms[index].state {
        case "Running": return vmJob(call, index, .start(vm: vms[index].id))
        case "Stopped":
            vms[index].state = "Starting"
            return vmJob(call, index, .start(vm: vms[index].id))
        default:
            throw LabAPIError(code: 431, csCode: 4350, text: "Unable to start VM instance \(vms[index].instanceName) as it is in state \(vms[index].state)")
        }
    }

    func stopVirtualMachine(_ call: LabCall) throws -> LabJSON {
        let index = try visibleVM(call)
        let previous = vms[index].state
        guard ["Running", "Stopped", "Starting", "Error"].contains(previous) || call.flag("forced") == true else {
            throw LabAPIError(code: 530, csCode: 4250, text: "Unable to stop VM \(vms[index].instanceName) in state \(previous)")
        }
        if previous != "Stopped" { vms[index].state = "Stopping" }
        return vmJob(call, index, .stop(vm: vms[index].id, previous: previous))
    }

    func rebootVirtualMachine(_ call: LabCall) throws -> LabJSON {
        let index = try visibleVM(call)
        guard vms[index].state == "Running" else {
            throw LabAPIError(code: 431, csCode: 4350, text: "Unable to reboot VM \(vms[index].instanceName): it is not Running")
        }
        return vmJob(call, index, .reboot(vm: vms[index].id))
    }

    func destroyVirtualMachine(_ call: LabCall) throws -> LabJSON {
        let index = try visibleVM(call)
        let expunge = call.flag("expunge") ?? false
        if expunge && !call.account.isAdmin {
            throw LabAPIError(code: 530, csCode: 4250,
                              text: "Parameter expunge can be passed by Admin only. Or when the allow.user.expunge.recover.vm key is set.")
        }
        return vmJob(call, index, .destroy(vm: vms[index].id, expunge: expunge, previous: vms[index].state))
    }

    func attachIso(_ call: LabCall) throws -> LabJSON {
        let isoID = try call.required("id")
        let index = try visibleVM(call, "virtualmachineid")
        guard let iso = images.first(where: { $0.id == isoID && $0.isISO }) else { throw LabAPIError.invalid(call.command, "id", isoID) }
        guard iso.ready else { throw LabAPIError(code: 530, csCode: 4250, text: "ISO \(iso.name) is not ready to be attached") }
        guard vms[index].isoID == nil else {
            throw LabAPIError(code: 431, csCode: 4350, text: "An ISO is already attached to VM \(vms[index].instanceName)")
        }
        return vmJob(call, index, .attachIso(vm: vms[index].id, iso: iso.id))
    }

    func detachIso(_ call: LabCall) throws -> LabJSON {
        let index = try visibleVM(call, "virtualmachineid")
        guard vms[index].isoID != nil else {
            throw LabAPIError(code: 431, csCode: 4350, text: "No ISO is attached to VM \(vms[index].instanceName)")
        }
        return vmJob(call, index, .detachIso(vm: vms[index].id))
    }

    func listVolumes(_ call: LabCall) throws -> LabJSON {
        let rows = volumes.filter { volume in
            let owner = volume.vmID.flatMap { id in vms.first { $0.id == id }?.owner }
            guard owner == call.account.name || (call.account.isAdmin && call.flag("listall") == true) else { return false }
            if let vm = call.p["virtualmachineid"], volume.vmID != vm { return false }
            if let type = call.p["type"], volume.type.lowercased() != type.lowercased() { return false }
            if let id = call.p["id"], volume.id != id { return false }
            return true
        }
        return try listAnswer(call, key: "volume", rows, render: volumeJSON)
    }
}
