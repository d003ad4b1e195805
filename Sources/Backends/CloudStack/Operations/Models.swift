/// Typed views of the CloudStack objects Vizor uses. Each reads the fields
/// it needs from the tolerant `CSValue` tree and ignores the rest, so a
/// newer server adding fields, or an older one omitting some, still works.

func tagMap(_ value: CSValue?) -> [String: String] {
    var tags: [String: String] = [:]
    for tag in value?.array ?? [] {
        if let key = tag["key"]?.string { tags[key] = tag["value"]?.string ?? "" }
    }
    return tags
}

public struct CSZone: Sendable, Equatable {
    public var id: String, name: String, networkType: String
    /// `Enabled` or `Disabled`; nil when the cloud does not say.
    public var allocationState: String?
    init(_ v: CSValue) {
        id = v["id"]?.string ?? ""; name = v["name"]?.string ?? ""; networkType = v["networktype"]?.string ?? ""
        allocationState = v["allocationstate"]?.string
    }
}

public struct CSServiceOffering: Sendable, Equatable {
    public var id: String, name: String, cpuNumber: Int, cpuSpeed: Int, memoryMiB: Int, isCustomized: Bool
    init(_ v: CSValue) {
        id = v["id"]?.string ?? ""; name = v["name"]?.string ?? ""
        cpuNumber = Int(v["cpunumber"]?.int ?? 0); cpuSpeed = Int(v["cpuspeed"]?.int ?? 0)
        memoryMiB = Int(v["memory"]?.int ?? 0); isCustomized = v["iscustomized"]?.bool ?? false
    }
}

public struct CSDiskOffering: Sendable, Equatable {
    public var id: String, name: String, diskSizeGiB: Int, isCustomized: Bool
    init(_ v: CSValue) {
        id = v["id"]?.string ?? ""; name = v["name"]?.string ?? ""
        diskSizeGiB = Int(v["disksize"]?.int ?? 0); isCustomized = v["iscustomized"]?.bool ?? false
    }
}

public struct CSNetwork: Sendable, Equatable {
    public var id: String, name: String, zoneID: String, type: String, canUseForDeploy: Bool
    init(_ v: CSValue) {
        id = v["id"]?.string ?? ""; name = v["name"]?.string ?? ""; zoneID = v["zoneid"]?.string ?? ""
        type = v["type"]?.string ?? ""; canUseForDeploy = v["canusefordeploy"]?.bool ?? true
    }
}

public struct CSOsType: Sendable, Equatable {
    public var id: String, description: String
    init(_ v: CSValue) { id = v["id"]?.string ?? ""; description = v["description"]?.string ?? "" }
}

/// A template or an ISO (the server uses one response shape for both).
public struct CSTemplate: Sendable, Equatable {
    public var id: String, name: String, displayText: String
    public var isReady: Bool, status: String
    public var zoneID: String, zoneName: String
    public var osTypeID: String, osTypeName: String
    public var isPublic: Bool, isFeatured: Bool, bootable: Bool
    public var sizeBytes: Int64, templateType: String
    public var tags: [String: String]
    /// As registered: `{SHA-256}hex`, `{MD5}hex` or plain hex (MD5).
    public var checksum: String?
    init(_ v: CSValue) {
        checksum = v["checksum"]?.string.flatMap { $0.isEmpty ? nil : $0 }
        id = v["id"]?.string ?? ""; name = v["name"]?.string ?? ""; displayText = v["displaytext"]?.string ?? ""
        isReady = v["isready"]?.bool ?? false; status = v["status"]?.string ?? ""
        zoneID = v["zoneid"]?.string ?? ""; zoneName = v["zonename"]?.string ?? ""
        osTypeID = v["ostypeid"]?.string ?? ""; osTypeName = v["ostypename"]?.string ?? ""
        isPublic = v["ispublic"]?.bool ?? false; isFeatured = v["isfeatured"]?.bool ?? false
        bootable = v["bootable"]?.bool ?? false
        sizeBytes = v["size"]?.int ?? 0; templateType = v["templatetype"]?.string ?? ""
        tags = tagMap(v["tags"])
    }
}

public struct CSNic: Sendable, Equatable {
    public var id: String, networkID: String, macAddress: String, ipAddress: String?, isDefault: Bool
    init(_ v: CSValue) {
        id = v["id"]?.string ?? ""; networkID = v["networkid"]?.string ?? ""
        macAddress = v["macaddress"]?.string ?? ""; ipAddress = v["ipaddress"]?.string
        isDefault = v["isdefault"]?.bool ?? false
    }
}

public struct CSVirtualMachine: Sendable, Equatable {
    public var id: String, name: String, displayName: String, state: String
    public var zoneID: String, zoneName: String
    public var templateID: String?, templateName: String?, isoID: String?, isoName: String?
    public var osTypeID: String?, hypervisor: String
    public var cpuNumber: Int, memoryMiB: Int
    public var nics: [CSNic]
    public var tags: [String: String]
    init(_ v: CSValue) {
        id = v["id"]?.string ?? ""; name = v["name"]?.string ?? ""; displayName = v["displayname"]?.string ?? ""
        state = v["state"]?.string ?? "Unknown"
        zoneID = v["zoneid"]?.string ?? ""; zoneName = v["zonename"]?.string ?? ""
        templateID = v["templateid"]?.string; templateName = v["templatename"]?.string
        isoID = v["isoid"]?.string; isoName = v["isoname"]?.string
        osTypeID = v["guestosid"]?.string ?? v["ostypeid"]?.string; hypervisor = v["hypervisor"]?.string ?? ""
        cpuNumber = Int(v["cpunumber"]?.int ?? 0); memoryMiB = Int(v["memory"]?.int ?? 0)
        nics = (v["nic"]?.array ?? []).map(CSNic.init)
        tags = tagMap(v["tags"])
    }
}

public struct CSVolume: Sendable, Equatable {
    public var id: String, name: String, type: String, virtualMachineID: String?, state: String, sizeBytes: Int64
    init(_ v: CSValue) {
        id = v["id"]?.string ?? ""; name = v["name"]?.string ?? ""; type = v["type"]?.string ?? ""
        virtualMachineID = v["virtualmachineid"]?.string; state = v["state"]?.string ?? ""
        sizeBytes = v["size"]?.int ?? 0
    }
}

public struct CSTag: Sendable, Equatable {
    public var key: String, value: String, resourceType: String, resourceID: String
    init(_ v: CSValue) {
        key = v["key"]?.string ?? ""; value = v["value"]?.string ?? ""
        resourceType = v["resourcetype"]?.string ?? ""; resourceID = v["resourceid"]?.string ?? ""
    }
}

public struct CSAsyncJob: Sendable, Equatable {
    public var jobID: String, command: String, status: Int, resultCode: Int, instanceType: String?, instanceID: String?
    init(_ v: CSValue) {
        jobID = v["jobid"]?.string ?? ""; command = v["cmd"]?.string ?? ""
        status = Int(v["jobstatus"]?.int ?? 0); resultCode = Int(v["jobresultcode"]?.int ?? 0)
        instanceType = v["jobinstancetype"]?.string; instanceID = v["jobinstanceid"]?.string
    }
}

/// The `templatefilter` / `isofilter` values of the API.
public enum CSTemplateFilter: String, Sendable, CaseIterable {
    case featured, `self`, selfexecutable, sharedexecutable, executable, community, all
}
