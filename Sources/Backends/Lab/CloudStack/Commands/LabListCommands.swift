/// The catalogue listings: zones, offerings, networks, OS types, hypervisors, tags.
extension LabCloudStack {
    func listZones(_ call: LabCall) throws -> LabJSON {
        let rows = zones.filter { zone in
            (call.p["id"].map { $0 == zone.id } ?? true) && (call.p["name"].map { $0 == zone.name } ?? true)
        }.map { zone in
            LabJSON.obj([("id", .string(zone.id)), ("name", .string(zone.name)), ("dns1", .string("10.0.0.53")),
                         ("internaldns1", .string("10.0.0.53")), ("guestcidraddress", .string("10.1.0.0/16")),
                         ("networktype", .string(zone.networkType)), ("securitygroupsenabled", .bool(false)),
                         ("allocationstate", .string("Enabled")), ("dhcpprovider", .string("VirtualRouter")),
                         ("localstorageenabled", .bool(false)), ("type", .string("Core")), ("tags", .array([]))])
        }
        if let id = call.p["id"], rows.isEmpty { throw LabAPIError.invalid(call.command, "id", id) }
        return try listAnswer(call, key: "zone", rows)
    }

    func listServiceOfferings(_ call: LabCall) throws -> LabJSON {
        let rows = serviceOfferings.filter { offering in
            (call.p["id"].map { $0 == offering.id } ?? true) && (call.p["name"].map { $0 == offering.name } ?? true)
        }.map { offering in
            LabJSON.obj([("id", .string(offering.id)), ("name", .string(offering.name)),
                         ("displaytext", .string("\(offering.cpus) vCPU, \(offering.memory) MB RAM")),
                         ("cpunumber", .int(offering.cpus)), ("cpuspeed", .int(offering.speed)), ("memory", .int(offering.memory)),
                         ("created", .string("2024-01-01T00:00:00+0000")), ("storagetype", .string("shared")),
                         ("provisioningtype", .string("thin")), ("offerha", .bool(false)), ("limitcpuuse", .bool(false)),
                         ("isvolatile", .bool(false)), ("issystem", .bool(false)), ("defaultuse", .bool(false)),
                         ("iscustomized", .bool(false)), ("state", .string("Active"))])
        }
        return try listAnswer(call, key: "serviceoffering", rows)
    }

    func listDiskOfferings(_ call: LabCall) throws -> LabJSON {
        let rows = diskOfferings.filter { offering in
            (call.p["id"].map { $0 == offering.id } ?? true) && (call.p["name"].map { $0 == offering.name } ?? true)
        }.map { offering in
            LabJSON.obj([("id", .string(offering.id)), ("name", .string(offering.name)),
                         ("displaytext", .string(offering.customized ? "Custom Disk" : "\(offering.sizeGB) GB")),
                         ("disksize", .int(offering.sizeGB)), ("created", .string("2024-01-01T00:00:00+0000")),
                         ("iscustomized", .bool(offering.customized)), ("storagetype", .string("shared")),
                         ("provisioningtype", .string("thin")), ("displayoffering", .bool(true))])
        }
        return try listAnswer(call, key: "diskoffering", rows)
    }

    func listNetworks(_ call: LabCall) throws -> LabJSON {
        let rows = networks.filter { network in
            (call.p["id"].map { $0 == network.id } ?? true) && (call.p["zoneid"].map { $0 == network.zoneID } ?? true)
        }.map { network in
            LabJSON.obj([("id", .string(network.id)), ("name", .string(network.name)), ("displaytext", .string(network.name)),
                         ("zoneid", .string(network.zoneID)), ("zonename", .string(zoneName(network.zoneID))),
                         ("type", .string("Isolated")), ("state", .string("Implemented")), ("traffictype", .string("Guest")),
                         ("cidr", .string("\(network.cidrPrefix).0/24")), ("gateway", .string("\(network.cidrPrefix).1")),
                         ("netmask", .string("255.255.255.0")), ("canusefordeploy", .bool(true)), ("isdefault", .bool(false)),
                         ("networkofferingname", .string("DefaultIsolatedNetworkOfferingWithSourceNatService")),
                         ("tags", .array([]))])
        }
        return try listAnswer(call, key: "network", rows)
    }

    func listOsTypes(_ call: LabCall) throws -> LabJSON {
        let rows = osTypes.filter { os in
            (call.p["id"].map { $0 == os.id } ?? true) && (call.p["description"].map { $0 == os.description } ?? true)
                && (call.p["keyword"].map { os.description.lowercased().contains($0.lowercased()) } ?? true)
        }.map { os in
            LabJSON.obj([("id", .string(os.id)), ("name", .string(os.description)), ("description", .string(os.description)),
                         ("oscategoryid", .string(os.categoryID)), ("oscategoryname", .string(os.categoryName)),
                         ("isuserdefined", .bool(false)), ("fordisplay", .bool(true))])
        }
        return try listAnswer(call, key: "ostype", rows)
    }

    func listHypervisors(_ call: LabCall) throws -> LabJSON {
        if let zone = call.p["zoneid"], !zones.contains(where: { $0.id == zone }) { throw LabAPIError.invalid(call.command, "zoneid", zone) }
        return try listAnswer(call, key: "hypervisor", [.obj([("name", .string("KVM"))])])
    }

    func listTags(_ call: LabCall) throws -> LabJSON {
        let rows = tags.filter { tag in
            (call.account.isAdmin || tag.owner == call.account.name)
                && (call.p["resourceid"].map { $0 == tag.resourceID } ?? true)
                && (call.p["resourcetype"].map { $0.lowercased() == tag.resourceType.lowercased() } ?? true)
                && (call.p["key"].map { $0 == tag.key } ?? true) && (call.p["value"].map { $0 == tag.value } ?? true)
        }.map { tag in
            LabJSON.obj([("key", .string(tag.key)), ("value", .string(tag.value)), ("resourcetype", .string(tag.resourceType)),
                         ("resourceid", .string(tag.resourceID)), ("account", .string(tag.owner)),
                         ("domainid", .string(Self.rootDomainID)), ("domain", .string("ROOT"))])
        }
        return try listAnswer(call, key: "tag", rows)
    }

    func createTags(_ call: LabCall) throws -> LabJSON {
        let ids = try call.required("resourceids").split(separator: ",").map(String.init)
        let type = try call.required("resourcetype")
        let pairs = call.map("tags")
        guard !pairs.isEmpty else { throw LabAPIError.missing(call.command, "tags") }
        for id in ids where !resourceExists(id, type: type) { throw LabAPIError.param("Unable to find resource by id \(id) and type \(type)") }
        var newTags: [LabTag] = []
        for id in ids {
            for pair in pairs {
                guard let key = pair["key"], let value = pair["value"] else { throw LabAPIError.param("Tag key and value must be specified") }
                newTags.append(LabTag(key: key, value: value, resourceType: canonicalType(type), resourceID: id, owner: call.account.name))
            }
        }
        return .obj([("jobid", .string(enqueue(call, .createTags(newTags), instanceType: "None", instanceID: nil)))])
    }

    func deleteTags(_ call: LabCall) throws -> LabJSON {
        let ids = try call.required("resourceids").split(separator: ",").map(String.init)
        let type = try call.required("resourcetype")
        var keys: [String: String?] = [:]
        for pair in call.map("tags") { if let key = pair["key"] { keys[key] = pair["value"] } }
        return .obj([("jobid", .string(enqueue(call, .deleteTags(ids: ids, type: type, keys: keys), instanceType: "None", instanceID: nil)))])
    }

    func canonicalType(_ type: String) -> String {
        ["uservm": "UserVm", "template": "Template", "iso": "ISO", "volume": "Volume"][type.lowercased()] ?? type
    }

    func resourceExists(_ id: String, type: String) -> Bool {
        switch type.lowercased() {
        case "uservm": return vms.contains { $0.id == id }
        case "template": return images.contains { $0.id == id && !$0.isISO }
        case "iso": return images.contains { $0.id == id && $0.isISO }
        case "volume": return volumes.contains { $0.id == id }
        default: return false
        }
    }
}
