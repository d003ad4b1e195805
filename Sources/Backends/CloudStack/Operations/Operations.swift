import BackendKit

/// The calls Vizor makes, typed. Parameter names are sent in lower case:
/// the server dispatches them without regard to case but signs them as
/// sent, and lower case keeps every client's sort order the same.
extension CloudStackClient {
    public func listZones() async throws -> [CSZone] {
        try await listAll("listZones", itemKey: "zone").map(CSZone.init)
    }

    public func listServiceOfferings(zoneID: String? = nil) async throws -> [CSServiceOffering] {
        try await listAll("listServiceOfferings", itemKey: "serviceoffering", compact(["zoneid": zoneID])).map(CSServiceOffering.init)
    }

    public func listDiskOfferings(zoneID: String? = nil) async throws -> [CSDiskOffering] {
        try await listAll("listDiskOfferings", itemKey: "diskoffering", compact(["zoneid": zoneID])).map(CSDiskOffering.init)
    }

    public func listNetworks(zoneID: String? = nil) async throws -> [CSNetwork] {
        try await listAll("listNetworks", itemKey: "network", compact(["zoneid": zoneID, "listall": "true"])).map(CSNetwork.init)
    }

    public func listOsTypes(description: String? = nil) async throws -> [CSOsType] {
        try await listAll("listOsTypes", itemKey: "ostype", compact(["description": description])).map(CSOsType.init)
    }

    public func listHypervisors(zoneID: String? = nil) async throws -> [String] {
        try await call("listHypervisors", compact(["zoneid": zoneID]))["hypervisor"]?.array?.compactMap { $0["name"]?.string } ?? []
    }

    public func listTemplates(filter: CSTemplateFilter, id: String? = nil, name: String? = nil, zoneID: String? = nil,
                              tags: [String: String] = [:]) async throws -> [CSTemplate] {
        var query = compact(["templatefilter": filter.rawValue, "id": id, "name": name, "zoneid": zoneID])
        query.merge(tagParameters(tags)) { $1 }
        return try await listAll("listTemplates", itemKey: "template", query).map(CSTemplate.init)
    }

    public func listIsos(filter: CSTemplateFilter = .executable, id: String? = nil, name: String? = nil,
                         zoneID: String? = nil) async throws -> [CSTemplate] {
        try await listAll("listIsos", itemKey: "iso",
                          compact(["isofilter": filter.rawValue, "id": id, "name": name, "zoneid": zoneID])).map(CSTemplate.init)
    }

    /// Registers an ISO by URL (synchronous; the answer is list-shaped). It is
    /// not usable until `waitUntilReady` sees `isready`.
    /// `checksum` takes the form registerIso documents: `{SHA-256}hex`
    /// (plain hex is read as MD5); secondary storage checks the download against it.
    public func registerIso(name: String, url: String, zoneID: String, osTypeID: String? = nil, bootable: Bool = true,
                            isPublic: Bool = false, checksum: String? = nil) async throws -> CSTemplate {
        let answer = try await call("registerIso", compact([
            "name": name, "displaytext": name, "url": url, "zoneid": zoneID, "ostypeid": osTypeID,
            "bootable": String(bootable), "ispublic": String(isPublic), "checksum": checksum,
        ]))
        guard let first = answer["iso"]?.array?.first else {
            throw BackendError(.protocolViolation, backend: cloudstackBackendName, message: "registerIso answered without an iso")
        }
        return CSTemplate(first)
    }

    /// Polls listIsos / listTemplates (filter `self`, which shows unready
    /// objects) with backoff until the object is ready.
    public func waitUntilReady(id: String, isISO: Bool, timeout: Duration? = nil) async throws -> CSTemplate {
        let clock = ContinuousClock()
        let limit = timeout ?? configuration.jobs.templateTimeout
        let deadline = clock.now.advanced(by: limit)
        var interval = configuration.jobs.initialInterval
        while true {
            let found = isISO ? try await listIsos(filter: .self, id: id) : try await listTemplates(filter: .self, id: id)
            guard let item = found.first else {
                throw BackendError(.notFound, backend: cloudstackBackendName, message: "\(isISO ? "ISO" : "template") \(id) has disappeared")
            }
            if item.isReady { return item }
            if item.status.lowercased().contains("error") || item.status.lowercased().contains("fail") {
                throw BackendError(.remoteFailure, backend: cloudstackBackendName,
                                   message: "\(item.name) (\(id)) will not become ready: \(item.status)")
            }
            if clock.now >= deadline {
                throw BackendError(.timeout, backend: cloudstackBackendName,
                                   message: "\(item.name) (\(id)) not ready after \(Int(limit.seconds)) s (status \(item.status))",
                                   hint: "the download may still be running; raise the template timeout")
            }
            try await Task.sleep(for: min(interval, deadline - clock.now))
            interval = min(interval * configuration.jobs.multiplier, configuration.jobs.maxInterval)
        }
    }

    /// What deployVirtualMachine needs to create a VM that boots an ISO.
    public struct DeployRequest: Sendable, Equatable {
        public var zoneID: String, serviceOfferingID: String
        /// The ISO id (or a template id).
        public var templateID: String
        public var hypervisor: String?
        /// For an ISO this is the ROOT disk offering.
        public var diskOfferingID: String?
        /// GiB, for a custom disk offering.
        public var sizeGiB: Int?
        public var networkIDs: [String]
        public var name: String, displayName: String
        public var startVM: Bool
        public var uefi: Bool
        public var macAddress: String?
        public init(zoneID: String, serviceOfferingID: String, templateID: String, hypervisor: String? = nil,
                    diskOfferingID: String? = nil, sizeGiB: Int? = nil, networkIDs: [String] = [], name: String,
                    displayName: String? = nil, startVM: Bool = false, uefi: Bool = false, macAddress: String? = nil) {
            self.zoneID = zoneID; self.serviceOfferingID = serviceOfferingID; self.templateID = templateID
            self.hypervisor = hypervisor; self.diskOfferingID = diskOfferingID; self.sizeGiB = sizeGiB
            self.networkIDs = networkIDs; self.name = name; self.displayName = displayName ?? name
            self.startVM = startVM; self.uefi = uefi; self.macAddress = macAddress
        }
    }

    /// Starts the deploy job; the VM id is in the ticket at once.
    public func deployVirtualMachine(_ request: DeployRequest) async throws -> CloudStackJobTicket {
        var query = compact([
            "zoneid": request.zoneID, "serviceofferingid": request.serviceOfferingID, "templateid": request.templateID,
            "hypervisor": request.hypervisor, "diskofferingid": request.diskOfferingID, "size": request.sizeGiB.map(String.init),
            "name": request.name, "displayname": request.displayName, "startvm": String(request.startVM),
            "networkids": request.networkIDs.isEmpty ? nil : request.networkIDs.joined(separator: ","),
        ])
        if request.uefi { query["boottype"] = "UEFI"; query["bootmode"] = "LEGACY" }
        if let mac = request.macAddress, let network = request.networkIDs.first {
            query["iptonetworklist[0].networkid"] = network
            query["iptonetworklist[0].mac"] = mac
        }
        return try await submit("deployVirtualMachine", query)
    }

    public func listVirtualMachines(id: String? = nil, name: String? = nil, zoneID: String? = nil,
                                    tags: [String: String] = [:]) async throws -> [CSVirtualMachine] {
        var query = compact(["id": id, "name": name, "zoneid": zoneID, "listall": "true"])
        query.merge(tagParameters(tags)) { $1 }
        return try await listAll("listVirtualMachines", itemKey: "virtualmachine", query).map(CSVirtualMachine.init)
    }

    @discardableResult
    public func startVirtualMachine(id: String) async throws -> CSVirtualMachine {
        CSVirtualMachine(try await run("startVirtualMachine", ["id": id])["virtualmachine"] ?? .null)
    }

    @discardableResult
    public func stopVirtualMachine(id: String, forced: Bool = false) async throws -> CSVirtualMachine {
        CSVirtualMachine(try await run("stopVirtualMachine", ["id": id, "forced": String(forced)])["virtualmachine"] ?? .null)
    }

    @discardableResult
    public func rebootVirtualMachine(id: String) async throws -> CSVirtualMachine {
        CSVirtualMachine(try await run("rebootVirtualMachine", ["id": id])["virtualmachine"] ?? .null)
    }

    /// `expunge` needs admin rights unless the zone allows users to expunge.
    public func destroyVirtualMachine(id: String, expunge: Bool) async throws {
        _ = try await run("destroyVirtualMachine", expunge ? ["id": id, "expunge": "true"] : ["id": id])
    }

    @discardableResult
    public func attachIso(id: String, virtualMachineID: String) async throws -> CSVirtualMachine {
        CSVirtualMachine(try await run("attachIso", ["id": id, "virtualmachineid": virtualMachineID])["virtualmachine"] ?? .null)
    }

    @discardableResult
    public func detachIso(virtualMachineID: String) async throws -> CSVirtualMachine {
        CSVirtualMachine(try await run("detachIso", ["virtualmachineid": virtualMachineID])["virtualmachine"] ?? .null)
    }

    public func listVolumes(virtualMachineID: String, type: String? = "ROOT") async throws -> [CSVolume] {
        try await listAll("listVolumes", itemKey: "volume",
                          compact(["virtualmachineid": virtualMachineID, "type": type, "listall": "true"])).map(CSVolume.init)
    }

    /// What createTemplate needs: a stopped VM's ROOT volume and an OS type.
    public struct TemplateFromVolume: Sendable, Equatable {
        public var name: String, displayText: String, osTypeID: String, volumeID: String
        public var isPublic: Bool, isFeatured: Bool, passwordEnabled: Bool
        public init(name: String, displayText: String? = nil, osTypeID: String, volumeID: String,
                    isPublic: Bool = false, isFeatured: Bool = false, passwordEnabled: Bool = true) {
            self.name = name; self.displayText = displayText ?? name; self.osTypeID = osTypeID; self.volumeID = volumeID
            self.isPublic = isPublic; self.isFeatured = isFeatured; self.passwordEnabled = passwordEnabled
        }
    }

    /// Starts createTemplate; the template id is in the ticket at once. Wait
    /// with `configuration.jobs.templateTimeout`.
    public func createTemplate(_ request: TemplateFromVolume) async throws -> CloudStackJobTicket {
        try await submit("createTemplate", [
            "name": request.name, "displaytext": request.displayText, "ostypeid": request.osTypeID,
            "volumeid": request.volumeID, "ispublic": String(request.isPublic), "isfeatured": String(request.isFeatured),
            "passwordenabled": String(request.passwordEnabled),
        ])
    }

    public func updateTemplatePermissions(id: String, isPublic: Bool? = nil, isFeatured: Bool? = nil,
                                          addAccounts: [String] = []) async throws {
        var query = compact(["id": id, "ispublic": isPublic.map { String($0) }, "isfeatured": isFeatured.map { String($0) }])
        if !addAccounts.isEmpty { query["op"] = "add"; query["accounts"] = addAccounts.joined(separator: ",") }
        let answer = try await call("updateTemplatePermissions", query)
        guard answer["success"]?.bool == true else {
            throw BackendError(.remoteFailure, backend: cloudstackBackendName, message: "updateTemplatePermissions did not report success for \(id)")
        }
    }

    @discardableResult
    public func updateTemplate(id: String, name: String? = nil, displayText: String? = nil,
                               osTypeID: String? = nil, passwordEnabled: Bool? = nil) async throws -> CSTemplate {
        CSTemplate(try await call("updateTemplate", compact([
            "id": id, "name": name, "displaytext": displayText, "ostypeid": osTypeID,
            "passwordenabled": passwordEnabled.map { String($0) },
        ]))["template"] ?? .null)
    }

    public func copyTemplate(id: String, sourceZoneID: String, destinationZoneIDs: [String]) async throws -> CSTemplate {
        CSTemplate(try await run("copyTemplate", ["id": id, "sourcezoneid": sourceZoneID,
                                                  "destzoneids": destinationZoneIDs.joined(separator: ",")],
                                 timeout: configuration.jobs.templateTimeout)["template"] ?? .null)
    }

    /// deleteIso (async): every zone, or only `zoneID`.
    public func deleteIso(id: String, zoneID: String? = nil) async throws {
        _ = try await run("deleteIso", compact(["id": id, "zoneid": zoneID]))
    }

    public func deleteTemplate(id: String, zoneID: String? = nil) async throws {
        _ = try await run("deleteTemplate", compact(["id": id, "zoneid": zoneID]))
    }

    /// Resource tags mark what Vizor created. `resourceType` is UserVm, Template, ISO, Volume, ...
    public func createTags(resourceIDs: [String], resourceType: String, tags: [String: String]) async throws {
        guard !tags.isEmpty else { return }
        var query = ["resourceids": resourceIDs.joined(separator: ","), "resourcetype": resourceType]
        for (index, (key, value)) in tags.sorted(by: { $0.key < $1.key }).enumerated() {
            query["tags[\(index)].key"] = key
            query["tags[\(index)].value"] = value
        }
        _ = try await run("createTags", query)
    }

    public func deleteTags(resourceIDs: [String], resourceType: String, keys: [String]) async throws {
        var query = ["resourceids": resourceIDs.joined(separator: ","), "resourcetype": resourceType]
        for (index, key) in keys.sorted().enumerated() { query["tags[\(index)].key"] = key }
        _ = try await run("deleteTags", query)
    }

    /// Tags, e.g. every object carrying Vizor's ownership key.
    public func listTags(resourceType: String? = nil, key: String? = nil, value: String? = nil) async throws -> [CSTag] {
        try await listAll("listTags", itemKey: "tag", compact(["resourcetype": resourceType, "key": key, "value": value, "listall": "true"]))
            .map(CSTag.init)
    }

    public func listAsyncJobs() async throws -> [CSAsyncJob] {
        try await listAll("listAsyncJobs", itemKey: "asyncjobs", ["listall": "true"]).map(CSAsyncJob.init)
    }

    func compact(_ values: [String: String?]) -> [String: String] {
        values.compactMapValues { $0 }
    }

    func tagParameters(_ tags: [String: String]) -> [String: String] {
        var query: [String: String] = [:]
        for (index, (key, value)) in tags.sorted(by: { $0.key < $1.key }).enumerated() {
            query["tags[\(index)].key"] = key
            query["tags[\(index)].value"] = value
        }
        return query
    }
}
