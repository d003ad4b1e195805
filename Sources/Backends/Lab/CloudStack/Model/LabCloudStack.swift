import Foundation

/// The lab CloudStack: an in-memory cloud behind the real wire protocol.
/// It checks signatures itself (it shares no code with Vizor's client),
/// answers in the real envelopes with the real error codes, runs async jobs
/// that take time and can fail, and offers hooks for the install simulation
/// (a guest powering off or rebooting, VMs found by MAC) and for fault tests.
public actor LabCloudStack {
    nonisolated public let admin: LabCloudStackCredentials
    nonisolated public let user: LabCloudStackCredentials
    /// The zones, first is the default one.
    nonisolated public let zoneIDs: [String]
    /// The registered, ready iPXE boot ISO (public, featured).
    nonisolated public let ipxeISOID: String
    /// The registered, ready guest tools ISO.
    nonisolated public let guestToolsISOID: String
    /// A ready public, featured template in every zone (filter `featured`).
    nonisolated public let builtinTemplateID: String
    /// A ready public template that is not featured, in the first zone (filter `community`).
    nonisolated public let communityTemplateID: String
    /// An admin's private template shared with the user account (filter `sharedexecutable`).
    nonisolated public let sharedTemplateID: String

    var accounts: [LabAccount] = []
    var zones: [LabZone] = []
    var serviceOfferings: [LabServiceOffering] = []
    var diskOfferings: [LabDiskOffering] = []
    var networks: [LabNetwork] = []
    var osTypes: [LabOsType] = []
    var images: [LabImage] = []
    var vms: [LabVM] = []
    var volumes: [LabVolume] = []
    var tags: [LabTag] = []
    var jobs: [LabJob] = []
    var jobIndex: [String: Int] = [:]
    var defaultJobDuration: Duration
    var jobDurations: [String: Duration] = [:]
    var jobFailures: [String: LabJobFailure] = [:]
    var faults: [LabHTTPFault] = []
    var sequence = 100
    let clock = ContinuousClock()
    let dateFormatter: DateFormatter

    /// - Parameter jobDuration: how long every async job and download takes
    ///   unless `setJobDuration` says otherwise for a command.
    public init(jobDuration: Duration = .milliseconds(200)) {
        defaultJobDuration = jobDuration
        dateFormatter = DateFormatter()
        dateFormatter.locale = Locale(identifier: "en_US_POSIX")
        dateFormatter.timeZone = TimeZone(identifier: "UTC")
        dateFormatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ssZ"
        func key() -> String { Self.randomKey() }
        admin = LabCloudStackCredentials(account: "admin", apiKey: key(), secretKey: key(), isAdmin: true)
        user = LabCloudStackCredentials(account: "vizor", apiKey: key(), secretKey: key(), isAdmin: false)
        let zoneA = Self.uuid(), zoneB = Self.uuid()
        zoneIDs = [zoneA, zoneB]
        ipxeISOID = Self.uuid()
        guestToolsISOID = Self.uuid()
        builtinTemplateID = Self.uuid()
        communityTemplateID = Self.uuid()
        sharedTemplateID = Self.uuid()
        accounts = [
            LabAccount(id: Self.uuid(), userID: Self.uuid(), name: admin.account, credentials: admin),
            LabAccount(id: Self.uuid(), userID: Self.uuid(), name: user.account, credentials: user),
        ]
        zones = [LabZone(id: zoneA, name: "lab-zone-1", networkType: "Advanced"),
                 LabZone(id: zoneB, name: "lab-zone-2", networkType: "Advanced")]
        serviceOfferings = [
            LabServiceOffering(id: Self.uuid(), name: "Small Instance", cpus: 1, speed: 1000, memory: 1024),
            LabServiceOffering(id: Self.uuid(), name: "Medium Instance", cpus: 2, speed: 2000, memory: 4096),
            LabServiceOffering(id: Self.uuid(), name: "Large Instance", cpus: 4, speed: 2000, memory: 8192),
        ]
        diskOfferings = [
            LabDiskOffering(id: Self.uuid(), name: "Small", sizeGB: 20, customized: false),
            LabDiskOffering(id: Self.uuid(), name: "Medium", sizeGB: 40, customized: false),
            LabDiskOffering(id: Self.uuid(), name: "Custom", sizeGB: 0, customized: true),
        ]
        networks = [LabNetwork(id: Self.uuid(), name: "lab-net-1", zoneID: zoneA, cidrPrefix: "10.1.1"),
                    LabNetwork(id: Self.uuid(), name: "lab-net-2", zoneID: zoneB, cidrPrefix: "10.1.2")]
        let windows = LabOsType(id: Self.uuid(), description: "Windows Server 2022 (64-bit)", categoryID: Self.uuid(), categoryName: "Windows")
        let other = LabOsType(id: Self.uuid(), description: "Other (64-bit)", categoryID: Self.uuid(), categoryName: "Other")
        // Guest OS names as CloudStack 4.18's guest_os table has them.
        osTypes = [windows, LabOsType(id: Self.uuid(), description: "Windows 10 (64-bit)", categoryID: windows.categoryID, categoryName: "Windows"),
                   LabOsType(id: Self.uuid(), description: "Windows 11 (64-bit)", categoryID: windows.categoryID, categoryName: "Windows"),
                   LabOsType(id: Self.uuid(), description: "Ubuntu 24.04 LTS", categoryID: Self.uuid(), categoryName: "Ubuntu"), other]
        let now = Date()
        images = [
            LabImage(id: ipxeISOID, name: "ipxe.iso", displayText: "iPXE boot ISO with the Razor bootstrap", isISO: true,
                     zoneIDs: [zoneA, zoneB], osTypeID: other.id, owner: admin.account, isPublic: true, isFeatured: true,
                     ready: true, sizeBytes: 1_048_576, format: "ISO", templateType: "USER", created: now),
            LabImage(id: guestToolsISOID, name: "guest-tools.iso", displayText: "Guest tools", isISO: true,
                     zoneIDs: [zoneA, zoneB], osTypeID: other.id, owner: admin.account, isPublic: true, isFeatured: false,
                     ready: true, sizeBytes: 73_400_320, format: "ISO", templateType: "USER", created: now),
            LabImage(id: builtinTemplateID, name: "CentOS 5.5(64-bit) no GUI (KVM)", displayText: "CentOS 5.5(64-bit) no GUI (KVM)",
                     isISO: false, zoneIDs: [zoneA, zoneB], osTypeID: other.id, owner: "system", isPublic: true, isFeatured: true,
                     ready: true, sizeBytes: 2_147_483_648, hypervisor: "KVM", format: "QCOW2", templateType: "BUILTIN", created: now),
            LabImage(id: communityTemplateID, name: "Debian 12 (community)", displayText: "Debian 12 shared by the admins",
                     isISO: false, zoneIDs: [zoneA], osTypeID: other.id, owner: admin.account, isPublic: true, isFeatured: false,
                     ready: true, sizeBytes: 4_294_967_296, hypervisor: "KVM", format: "QCOW2", templateType: "USER", created: now),
            LabImage(id: sharedTemplateID, name: "Windows base (shared)", displayText: "Windows base shared with vizor",
                     isISO: false, zoneIDs: [zoneA], osTypeID: windows.id, owner: admin.account, isPublic: false, isFeatured: false,
                     ready: true, sizeBytes: 17_179_869_184, hypervisor: "KVM", format: "QCOW2", templateType: "USER", created: now,
                     sharedWith: [user.account]),
        ]
    }

    static func uuid() -> String { UUID().uuidString.lowercased() }

    static func randomKey() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<48).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    func stamp(_ date: Date) -> String { dateFormatter.string(from: date) }

    func nextSequence() -> Int { sequence += 1; return sequence }

    // MARK: Knobs for tests and the simulation

    /// How long jobs (and downloads, keyed `registerIso`) of `command` take; `nil` sets the default.
    public func setJobDuration(_ duration: Duration, for command: String? = nil) {
        if let command { jobDurations[command] = duration } else { defaultJobDuration = duration }
    }

    /// The next `count` jobs of `command` fail with `errorCode` and `errorText`.
    public func failJobs(of command: String, errorCode: Int = 530, errorText: String, count: Int = Int.max) {
        jobFailures[command] = LabJobFailure(code: errorCode, text: errorText, remaining: count)
    }

    public func clearJobFailures() { jobFailures = [:] }

    /// The next requests get these answers instead of the API's, one each.
    public func injectFaults(_ list: [LabHTTPFault]) { faults.append(contentsOf: list) }

    /// Adds `count` running VMs owned by the admin account in a zone (for load tests).
    public func addVirtualMachines(count: Int, zoneID: String? = nil, namePrefix: String = "bulk") {
        let zone = zoneID ?? zoneIDs[0]
        let network = networks.first { $0.zoneID == zone }!
        vms.reserveCapacity(vms.count + count)
        for _ in 0..<count {
            let seq = nextSequence()
            let vmID = Self.uuid(), volumeID = Self.uuid()
            vms.append(LabVM(id: vmID, name: "\(namePrefix)-\(seq)", displayName: "\(namePrefix)-\(seq)", instanceName: "i-2-\(seq)-VM",
                             state: "Running", zoneID: zone, serviceOfferingID: serviceOfferings[0].id, diskOfferingID: diskOfferings[0].id,
                             templateID: builtinTemplateID, isoID: nil, hypervisor: "KVM", osTypeID: osTypes[3].id,
                             nics: [LabNic(id: Self.uuid(), networkID: network.id, mac: macAddress(seq), ip: ipAddress(network, seq))],
                             owner: admin.account, created: Date(), bootType: "BIOS", bootMode: "LEGACY", rootVolumeID: volumeID, bootCount: 1))
            volumes.append(LabVolume(id: volumeID, name: "ROOT-\(seq)", type: "ROOT", vmID: vmID, sizeBytes: 20 << 30, zoneID: zone,
                                     diskOfferingID: diskOfferings[0].id))
        }
    }

    func macAddress(_ seq: Int) -> String {
        String(format: "1e:00:%02x:%02x:%02x:%02x", (seq >> 24) & 0xFF, (seq >> 16) & 0xFF, (seq >> 8) & 0xFF, seq & 0xFF)
    }

    func ipAddress(_ network: LabNetwork, _ seq: Int) -> String { "\(network.cidrPrefix).\(seq % 250 + 2)" }

    // MARK: Simulation hooks

    public func virtualMachine(id: String) -> LabVirtualMachine? {
        settle()
        return vms.first { $0.id == id }.map(snapshot)
    }

    /// The VM owning a NIC with this MAC (any case, `:` or `-`).
    public func virtualMachine(macAddress: String) -> LabVirtualMachine? {
        settle()
        let wanted = macAddress.lowercased().replacingOccurrences(of: "-", with: ":")
        return vms.first { $0.nics.contains { $0.mac == wanted } }.map(snapshot)
    }

    public func virtualMachines() -> [LabVirtualMachine] {
        settle()
        return vms.map(snapshot)
    }

    /// The guest shut itself down (the end of an install): Running → Stopped,
    /// as the management server's VM sync records a power-off.
    public func guestPoweredOff(vmID: String) throws {
        settle()
        guard let index = vms.firstIndex(where: { $0.id == vmID }) else { throw LabSimulationError(description: "no VM \(vmID)") }
        guard vms[index].state == "Running" else {
            throw LabSimulationError(description: "VM \(vmID) is \(vms[index].state), not Running")
        }
        vms[index].state = "Stopped"
    }

    /// The guest rebooted itself: it stays Running and boots again.
    public func guestRebooted(vmID: String) throws {
        settle()
        guard let index = vms.firstIndex(where: { $0.id == vmID }) else { throw LabSimulationError(description: "no VM \(vmID)") }
        guard vms[index].state == "Running" else {
            throw LabSimulationError(description: "VM \(vmID) is \(vms[index].state), not Running")
        }
        vms[index].bootCount += 1
    }

    /// Jobs that have not finished yet (for tests checking nothing is left behind).
    public func pendingJobCount() -> Int {
        settle()
        return jobs.filter { $0.status == 0 }.count
    }

    func snapshot(_ vm: LabVM) -> LabVirtualMachine {
        var vmTags: [String: String] = [:]
        for tag in tags where tag.resourceID == vm.id { vmTags[tag.key] = tag.value }
        return LabVirtualMachine(id: vm.id, name: vm.name, state: vm.state, zoneID: vm.zoneID, macAddresses: vm.nics.map(\.mac),
                                 ipAddresses: vm.nics.map(\.ip), isoID: vm.isoID, bootCount: vm.bootCount, tags: vmTags)
    }

    // MARK: Time

    /// Completes every job whose time has come, makes downloads ready and
    /// removes expunged VMs. Runs before every request and hook, so the
    /// lab needs no timers.
    func settle() {
        let now = clock.now
        for index in jobs.indices where jobs[index].status == 0 && jobs[index].readyAt <= now {
            complete(jobAt: index)
        }
        for index in images.indices where !images[index].ready {
            guard images[index].download == nil || images[index].download == .done else { continue }
            if let readyAt = images[index].readyAt, readyAt <= now { images[index].ready = true }
        }
        let expunged = vms.filter { vm in vm.expungeAt.map { $0 <= now } ?? false }.map(\.id)
        if !expunged.isEmpty {
            vms.removeAll { expunged.contains($0.id) }
            volumes.removeAll { $0.vmID.map(expunged.contains) ?? false }
            tags.removeAll { expunged.contains($0.resourceID) }
        }
    }

    func duration(for command: String) -> Duration { jobDurations[command] ?? defaultJobDuration }
}
