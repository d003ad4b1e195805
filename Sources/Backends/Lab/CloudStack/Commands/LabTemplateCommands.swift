import Foundation

/// Templates and ISOs: filters as `TemplateFilter` defines them, one row
/// per zone, registerIso (synchronous, list-shaped), createTemplate from a
/// stopped VM's ROOT volume, permissions, copies and deletion.
extension LabCloudStack {
    func listImages(_ call: LabCall, isos: Bool) throws -> LabJSON {
        let filterText = isos ? (call.p["isofilter"] ?? "selfexecutable") : try call.required("templatefilter")
        let filters = ["featured", "self", "selfexecutable", "sharedexecutable", "executable", "community", "all"]
        guard filters.contains(filterText.lowercased()) else {
            throw LabAPIError(code: 431, csCode: 4350, text: "Please specify a valid \(isos ? "iso" : "template") filter.")
        }
        let filter = filterText.lowercased()
        if filter == "all" && !call.account.isAdmin {
            throw LabAPIError(code: 431, csCode: 4350, text: "Only admins can use the filter \"all\"")
        }
        let me = call.account.name
        var rows: [LabJSON] = []
        for image in images where image.isISO == isos {
            let own = image.owner == me
            let visible: Bool
            switch filter {
            case "featured": visible = image.isPublic && image.isFeatured && image.ready
            case "self": visible = own
            case "selfexecutable": visible = own && image.ready
            case "sharedexecutable": visible = image.sharedWith.contains(me) && image.ready
            case "executable": visible = (own || image.isPublic || image.sharedWith.contains(me)) && image.ready
            case "community": visible = image.isPublic && !image.isFeatured && image.ready
            default: visible = true
            }
            guard visible else { continue }
            if let id = call.p["id"], image.id != id { continue }
            if let name = call.p["name"], image.name != name { continue }
            if let keyword = call.p["keyword"], !image.name.lowercased().contains(keyword.lowercased()) { continue }
            if let ready = call.flag("isready"), image.ready != ready { continue }
            if isos, let bootable = call.flag("bootable"), image.bootable != bootable { continue }
            let wanted = call.map("tags")
            if !wanted.allSatisfy({ tag in tags.contains { $0.resourceID == image.id && $0.key == tag["key"] && (tag["value"] == nil || $0.value == tag["value"]) } }) {
                continue
            }
            let zonesShown = call.p["zoneid"].map { zone in image.zoneIDs.filter { $0 == zone } } ?? image.zoneIDs
            for zone in (call.flag("showunique") == true ? Array(zonesShown.prefix(1)) : zonesShown) {
                rows.append(imageJSON(image, zoneID: zone))
            }
        }
        return try listAnswer(call, key: isos ? "iso" : "template", rows)
    }

    func registerIso(_ call: LabCall) throws -> LabJSON {
        let name = try call.required("name")
        let url = try call.required("url")
        let zoneID = try call.required("zoneid")
        guard url.lowercased().hasPrefix("http://") || url.lowercased().hasPrefix("https://") else {
            throw LabAPIError.param("Please specify a valid URL. URL:\(url) is an invalid for the protocol")
        }
        let zoneList = zoneID == "-1" ? zones.map(\.id) : [zoneID]
        guard zoneList.allSatisfy({ id in zones.contains { $0.id == id } }) else { throw LabAPIError.invalid(call.command, "zoneid", zoneID) }
        if let os = call.p["ostypeid"], !osTypes.contains(where: { $0.id == os }) { throw LabAPIError.invalid(call.command, "ostypeid", os) }
        let image = LabImage(id: Self.uuid(), name: name, displayText: call.p["displaytext"] ?? name, isISO: true, zoneIDs: zoneList,
                             osTypeID: call.p["ostypeid"] ?? osTypes[3].id, owner: call.account.name,
                             isPublic: call.flag("ispublic") ?? false, isFeatured: call.flag("isfeatured") ?? false,
                             bootable: call.flag("bootable") ?? true,
                             readyAt: clock.now.advanced(by: duration(for: "registerIso")), ready: false,
                             sizeBytes: 1_048_576, format: "ISO", templateType: "USER", created: Date(),
                             checksum: call.p["checksum"])
        images.append(image)
        if let source = URL(string: url), ["127.0.0.1", "localhost", "::1"].contains(source.host ?? "") {
            images[images.count - 1].download = .running
            let id = image.id, checksum = image.checksum
            Task { await self.download(id, from: source, checksum: checksum) }
        }
        return .object(["count": .int(zoneList.count), "iso": .array(zoneList.map { imageJSON(image, zoneID: $0) })])
    }

    func createTemplate(_ call: LabCall) throws -> LabJSON {
        let name = try call.required("name")
        let osTypeID = try call.required("ostypeid")
        guard osTypes.contains(where: { $0.id == osTypeID }) else { throw LabAPIError.invalid(call.command, "ostypeid", osTypeID) }
        guard let volumeID = call.p["volumeid"] else {
            throw LabAPIError.param("Failed to create private template record, neither volume ID nor snapshot ID were specified.")
        }
        guard let volume = volumes.first(where: { $0.id == volumeID }), let vmID = volume.vmID,
              let vm = vms.first(where: { $0.id == vmID }), call.account.isAdmin || vm.owner == call.account.name else {
            throw LabAPIError.invalid(call.command, "volumeid", volumeID)
        }
        guard volume.type == "ROOT" else { throw LabAPIError.param("Template can be created only from a ROOT volume") }
        guard vm.state == "Stopped" else {
            throw LabAPIError.param("VolumeId: \(volume.id) is not in Stopped state: the VM \(vm.instanceName) it is attached to must be stopped to create a template")
        }
        if images.contains(where: { $0.name == name && !$0.isISO && $0.owner == call.account.name }) {
            throw LabAPIError.param("Template with name \(name) already exists")
        }
        var image = LabImage(id: Self.uuid(), name: name, displayText: call.p["displaytext"] ?? name, isISO: false, zoneIDs: [vm.zoneID],
                             osTypeID: osTypeID, owner: call.account.name, isPublic: call.flag("ispublic") ?? false,
                             isFeatured: call.flag("isfeatured") ?? false, ready: false, sizeBytes: volume.sizeBytes,
                             hypervisor: vm.hypervisor, format: "QCOW2", templateType: "USER", created: Date())
        image.passwordEnabled = call.flag("passwordenabled") ?? false
        images.append(image)
        let jobID = enqueue(call, .createTemplate(template: image.id), instanceType: "Template", instanceID: image.id)
        return .obj([("id", .string(image.id)), ("jobid", .string(jobID))])
    }

    func ownedImage(_ call: LabCall) throws -> Int {
        let id = try call.required("id")
        guard let index = images.firstIndex(where: { $0.id == id }) else { throw LabAPIError.invalid(call.command, "id", id) }
        guard call.account.isAdmin || images[index].owner == call.account.name else {
            throw LabAPIError(code: 531, csCode: 4365, text: "Account \(call.account.name) does not have permission to operate on template \(id)")
        }
        return index
    }

    func updateTemplatePermissions(_ call: LabCall) throws -> LabJSON {
        let index = try ownedImage(call)
        if call.p["accounts"] != nil && call.p["projectids"] != nil {
            throw LabAPIError.param("Accounts and projectIds can't be specified together")
        }
        if let isPublic = call.flag("ispublic") { images[index].isPublic = isPublic }
        if let featured = call.flag("isfeatured") {
            if featured && !call.account.isAdmin && !images[index].isPublic {
                throw LabAPIError(code: 531, csCode: 4365, text: "Only admins can make templates featured unless they are public")
            }
            images[index].isFeatured = featured
        }
        if let extractable = call.flag("isextractable") { images[index].isExtractable = extractable }
        if let accounts = call.p["accounts"] {
            let names = Set(accounts.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) })
            switch call.p["op"]?.lowercased() {
            case "add": images[index].sharedWith.formUnion(names)
            case "remove": images[index].sharedWith.subtract(names)
            case "reset": images[index].sharedWith = []
            default: throw LabAPIError.param("Invalid operation on accounts, the operation must be either 'add' or 'remove' in order to modify launch permissions.")
            }
        }
        return successAnswer()
    }

    func updateTemplate(_ call: LabCall) throws -> LabJSON {
        let index = try ownedImage(call)
        if let name = call.p["name"] { images[index].name = name }
        if let text = call.p["displaytext"] { images[index].displayText = text }
        if let os = call.p["ostypeid"] {
            guard osTypes.contains(where: { $0.id == os }) else { throw LabAPIError.invalid(call.command, "ostypeid", os) }
            images[index].osTypeID = os
        }
        if let password = call.flag("passwordenabled") { images[index].passwordEnabled = password }
        return .object(["template": imageJSON(images[index], zoneID: images[index].zoneIDs.first ?? zoneIDs[0])])
    }

    func copyTemplate(_ call: LabCall) throws -> LabJSON {
        let index = try ownedImage(call)
        guard let destinations = call.p["destzoneids"] ?? call.p["destzoneid"] else {
            throw LabAPIError.param("Please specify a valid destination zone.")
        }
        let zoneList = destinations.split(separator: ",").map(String.init)
        for zone in zoneList where !zones.contains(where: { $0.id == zone }) { throw LabAPIError.invalid(call.command, "destzoneids", zone) }
        guard images[index].ready else { throw LabAPIError(code: 530, csCode: 4250, text: "Template \(images[index].id) is not ready to be copied") }
        if let source = call.p["sourcezoneid"], !images[index].zoneIDs.contains(source) {
            throw LabAPIError.param("Template \(images[index].id) is not available in source zone \(source)")
        }
        let jobID = enqueue(call, .copyTemplate(template: images[index].id, zones: zoneList), instanceType: "Template", instanceID: images[index].id)
        return .obj([("jobid", .string(jobID))])
    }

    /// deleteIso (async, DeleteIsoCmd): refused while a VM has the ISO
    /// attached (TemplateManagerImpl.deleteIso lists the VMs using it first).
    func deleteIso(_ call: LabCall) throws -> LabJSON {
        let index = try ownedImage(call)
        guard images[index].isISO else { throw LabAPIError.invalid(call.command, "id", images[index].id) }
        if let zone = call.p["zoneid"], !images[index].zoneIDs.contains(zone) { throw LabAPIError.invalid(call.command, "zoneid", zone) }
        if vms.contains(where: { $0.isoID == images[index].id && $0.state != "Expunging" }) {
            throw LabAPIError.param("Unable to delete iso, as it's used by other vms")
        }
        let jobID = enqueue(call, .deleteTemplate(template: images[index].id, zone: call.p["zoneid"]), instanceType: "Iso",
                            instanceID: images[index].id)
        return .obj([("jobid", .string(jobID))])
    }

    func deleteTemplate(_ call: LabCall) throws -> LabJSON {
        let index = try ownedImage(call)
        if let zone = call.p["zoneid"], !images[index].zoneIDs.contains(zone) { throw LabAPIError.invalid(call.command, "zoneid", zone) }
        if call.flag("forced") != true, vms.contains(where: { $0.templateID == images[index].id && $0.state != "Expunging" }) {
            throw LabAPIError(code: 536, csCode: 4250, text: "Unable to delete template \(images[index].id): it is used by one or more VMs")
        }
        let jobID = enqueue(call, .deleteTemplate(template: images[index].id, zone: call.p["zoneid"]), instanceType: "Template",
                            instanceID: images[index].id)
        return .obj([("jobid", .string(jobID))])
    }
}
