import Foundation

/// Response objects with the field names of the real server's
/// UserVmResponse, TemplateResponse, VolumeResponse and friends.
extension LabCloudStack {
    func zoneName(_ id: String) -> String { zones.first { $0.id == id }?.name ?? "" }

    func tagsJSON(_ resourceID: String) -> LabJSON {
        .array(tags.filter { $0.resourceID == resourceID }.map { tag in
            .obj([("key", .string(tag.key)), ("value", .string(tag.value)), ("resourcetype", .string(tag.resourceType)),
                  ("resourceid", .string(tag.resourceID)), ("account", .string(tag.owner)),
                  ("domainid", .string(Self.rootDomainID)), ("domain", .string("ROOT"))])
        })
    }

    func vmJSON(_ vm: LabVM) -> LabJSON {
        let offering = serviceOfferings.first { $0.id == vm.serviceOfferingID }
        let template = images.first { $0.id == vm.templateID }
        let iso = vm.isoID.flatMap { id in images.first { $0.id == id } }
        let disk = vm.diskOfferingID.flatMap { id in diskOfferings.first { $0.id == id } }
        let account = accounts.first { $0.name == vm.owner }
        let nics: [LabJSON] = vm.nics.enumerated().map { index, nic in
            let network = networks.first { $0.id == nic.networkID }
            return .obj([("id", .string(nic.id)), ("networkid", .string(nic.networkID)), ("networkname", network.map { .string($0.name) }),
                         ("netmask", .string("255.255.255.0")), ("gateway", network.map { .string("\($0.cidrPrefix).1") }),
                         ("ipaddress", .string(nic.ip)), ("isolationuri", .string("vlan://1001")), ("broadcasturi", .string("vlan://1001")),
                         ("traffictype", .string("Guest")), ("type", .string("Isolated")), ("isdefault", .bool(index == 0)),
                         ("macaddress", .string(nic.mac)), ("deviceid", .string(String(index))), ("secondaryip", .array([])),
                         ("extradhcpoption", .array([]))])
        }
        return .obj([
            ("id", .string(vm.id)), ("name", .string(vm.name)), ("displayname", .string(vm.displayName)),
            ("account", .string(vm.owner)), ("userid", account.map { .string($0.userID) }), ("username", .string(vm.owner)),
            ("domainid", .string(Self.rootDomainID)), ("domain", .string("ROOT")),
            ("created", .string(stamp(vm.created))), ("state", .string(vm.state)), ("haenable", .bool(false)),
            ("zoneid", .string(vm.zoneID)), ("zonename", .string(zoneName(vm.zoneID))),
            ("hostid", vm.state == "Running" ? .string("c6e9f5b2-7f5d-4c1e-9a36-9b1f3d7e2a10") : nil),
            ("hostname", vm.state == "Running" ? .string("lab-host-1") : nil),
            ("templateid", .string(vm.templateID)), ("templatename", template.map { .string($0.name) }),
            ("templatedisplaytext", template.map { .string($0.displayText) }), ("passwordenabled", .bool(template?.passwordEnabled ?? false)),
            ("isoid", iso.map { .string($0.id) }), ("isoname", iso.map { .string($0.name) }), ("isodisplaytext", iso.map { .string($0.displayText) }),
            ("serviceofferingid", .string(vm.serviceOfferingID)), ("serviceofferingname", offering.map { .string($0.name) }),
            ("diskofferingid", disk.map { .string($0.id) }), ("diskofferingname", disk.map { .string($0.name) }),
            ("cpunumber", .int(offering?.cpus ?? 1)), ("cpuspeed", .int(offering?.speed ?? 1000)), ("memory", .int(offering?.memory ?? 1024)),
            ("guestosid", .string(vm.osTypeID)), ("ostypeid", .string(vm.osTypeID)),
            ("rootdeviceid", .int(0)), ("rootdevicetype", .string("ROOT")), ("securitygroup", .array([])),
            ("nic", .array(nics)), ("hypervisor", .string(vm.hypervisor)), ("instancename", .string(vm.instanceName)),
            ("tags", tagsJSON(vm.id)), ("affinitygroup", .array([])), ("displayvm", .bool(true)),
            ("isdynamicallyscalable", .bool(false)), ("boottype", .string(vm.bootType == "UEFI" ? "Uefi" : "Bios")),
            ("bootmode", .string(vm.bootMode.lowercased())),
            ("jobid", vm.pendingJob.map { .string($0) }), ("jobstatus", vm.pendingJob.map { _ in .int(0) }),
        ])
    }

    static func status(_ image: LabImage) -> String {
        if case .failed(let reason)? = image.download { return "Failed: " + reason }
        if image.ready { return image.isISO ? "Successfully Installed" : "Download Complete" }
        return image.isISO ? "0% Downloaded" : "Creating"
    }

    func imageJSON(_ image: LabImage, zoneID: String) -> LabJSON {
        let os = osTypes.first { $0.id == image.osTypeID }
        return .obj([
            ("id", .string(image.id)), ("name", .string(image.name)), ("displaytext", .string(image.displayText)),
            ("ispublic", .bool(image.isPublic)), ("created", .string(stamp(image.created))), ("isready", .bool(image.ready)),
            ("passwordenabled", .bool(image.passwordEnabled)), ("format", .string(image.format)),
            ("isfeatured", .bool(image.isFeatured)), ("crossZones", .bool(false)),
            ("ostypeid", .string(image.osTypeID)), ("ostypename", os.map { .string($0.description) }),
            ("account", .string(image.owner)), ("zoneid", .string(zoneID)), ("zonename", .string(zoneName(zoneID))),
            ("status", .string(Self.status(image))),
            ("size", image.ready ? .int(image.sizeBytes) : nil), ("physicalsize", image.ready ? .int(image.sizeBytes) : nil),
            ("templatetype", image.isISO ? nil : .string(image.templateType)),
            ("hypervisor", image.hypervisor.map { .string($0) }), ("domain", .string("ROOT")), ("domainid", .string(Self.rootDomainID)),
            ("isextractable", .bool(image.isExtractable)), ("bootable", image.isISO ? .bool(image.bootable) : nil),
            ("sshkeyenabled", .bool(false)), ("tags", tagsJSON(image.id)), ("directdownload", .bool(false)),
            ("deployasis", .bool(false)), ("requireshvm", .bool(true)), ("checksum", image.checksum.map { .string($0) }),
            ("downloaddetails", .array([.obj([("datastore", .string("lab-secondary")),
                                              ("downloadPercent", .string(image.ready ? "100" : "0")),
                                              ("downloadState", .string(image.ready ? "DOWNLOADED" : "DOWNLOAD_IN_PROGRESS"))])])),
        ])
    }

    func volumeJSON(_ volume: LabVolume) -> LabJSON {
        let vm = volume.vmID.flatMap { id in vms.first { $0.id == id } }
        return .obj([
            ("id", .string(volume.id)), ("name", .string(volume.name)), ("zoneid", .string(volume.zoneID)),
            ("zonename", .string(zoneName(volume.zoneID))), ("type", .string(volume.type)), ("deviceid", .int(0)),
            ("virtualmachineid", vm.map { .string($0.id) }), ("vmname", vm.map { .string($0.name) }),
            ("vmstate", vm.map { .string($0.state) }), ("size", .int(volume.sizeBytes)), ("state", .string("Ready")),
            ("storagetype", .string("shared")), ("storage", .string("lab-primary")), ("hypervisor", vm.map { .string($0.hypervisor) }),
            ("diskofferingid", volume.diskOfferingID.map { .string($0) }), ("destroyed", .bool(false)),
            ("account", vm.map { .string($0.owner) }), ("domainid", .string(Self.rootDomainID)),
        ])
    }
}
