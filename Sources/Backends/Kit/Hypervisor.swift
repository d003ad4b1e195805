/// Which hypervisor platform a site's machines live on.
public enum HypervisorKind: String, Sendable, Codable, CaseIterable {
    case xenserver
    case cloudstack
}

/// Power state normalised across XenServer and CloudStack.
public enum PowerState: String, Sendable, Codable, CaseIterable {
    case running, halted, paused, suspended, starting, stopping, destroyed, unknown
}

/// Firmware the VM boots with; decides disk layout and boot files.
public enum Firmware: String, Sendable, Codable, CaseIterable {
    case bios, uefi
}

/// A VM as the dashboard and the orchestrator see it, whatever the platform.
public struct MachineRecord: Sendable, Equatable, Codable, Identifiable {
    public var id: String
    public var name: String
    public var powerState: PowerState
    public var vcpus: Int
    public var memoryMiB: Int
    public var ipAddresses: [String]
    public var macAddresses: [String]
    /// Zone (CloudStack) or pool / host (XenServer).
    public var location: String
    /// The template or ISO it was created from, when known.
    public var sourceTemplate: String?
    /// Ownership marks (XenServer other_config, CloudStack resource tags).
    public var tags: [String: String]
    /// Guest tools version reported by the guest, when it reports one.
    public var guestToolsVersion: String?

    public init(id: String, name: String, powerState: PowerState, vcpus: Int = 0, memoryMiB: Int = 0,
                ipAddresses: [String] = [], macAddresses: [String] = [], location: String = "",
                sourceTemplate: String? = nil, tags: [String: String] = [:], guestToolsVersion: String? = nil) {
        self.id = id
        self.name = name
        self.powerState = powerState
        self.vcpus = vcpus
        self.memoryMiB = memoryMiB
        self.ipAddresses = ipAddresses
        self.macAddresses = macAddresses
        self.location = location
        self.sourceTemplate = sourceTemplate
        self.tags = tags
        self.guestToolsVersion = guestToolsVersion
    }
}

/// What sort of template a record is; XenServer distinguishes install
/// templates (blank recipes) from templates made from installed VMs.
public enum TemplateKind: String, Sendable, Codable, CaseIterable {
    case install, custom, instant
}

/// A template as the dashboard and the orchestrator see it.
public struct TemplateRecord: Sendable, Equatable, Codable, Identifiable {
    public var id: String
    public var name: String
    public var osType: String
    public var location: String
    public var kind: TemplateKind
    public var isPublic: Bool
    public var isFeatured: Bool
    public var isReady: Bool
    public var sizeBytes: Int64
    public var tags: [String: String]

    public init(id: String, name: String, osType: String = "", location: String = "", kind: TemplateKind = .custom,
                isPublic: Bool = false, isFeatured: Bool = false, isReady: Bool = true, sizeBytes: Int64 = 0,
                tags: [String: String] = [:]) {
        self.id = id
        self.name = name
        self.osType = osType
        self.location = location
        self.kind = kind
        self.isPublic = isPublic
        self.isFeatured = isFeatured
        self.isReady = isReady
        self.sizeBytes = sizeBytes
        self.tags = tags
    }
}

/// Everything needed to create a stopped VM container that network-boots iPXE.
public struct ContainerSpec: Sendable, Equatable, Codable {
    public var name: String
    public var displayName: String
    /// Zone id (CloudStack) or pool / host (XenServer); empty for the default.
    public var location: String
    /// XenServer install template name, or CloudStack OS type description.
    public var osTemplate: String
    /// Name or id of the iPXE boot ISO known to the platform.
    public var bootISO: String
    /// Network name or id; empty for the default.
    public var network: String
    public var vcpus: Int
    public var memoryMiB: Int
    public var diskGiB: Int
    /// CloudStack service offering (name or id); ignored on XenServer.
    public var serviceOffering: String?
    /// CloudStack disk offering for the root disk; ignored on XenServer.
    public var diskOffering: String?
    public var firmware: Firmware
    /// A MAC to use instead of a generated one.
    public var mac: String?
    /// Ownership marks written on everything created, so a crashed job can
    /// find its objects again and `cleanup` removes only Vizor's.
    public var ownerTags: [String: String]

    public init(name: String, displayName: String? = nil, location: String = "", osTemplate: String,
                bootISO: String, network: String = "", vcpus: Int = 2, memoryMiB: Int = 4096, diskGiB: Int = 40,
                serviceOffering: String? = nil, diskOffering: String? = nil, firmware: Firmware = .bios,
                mac: String? = nil, ownerTags: [String: String] = [:]) {
        self.name = name
        self.displayName = displayName ?? name
        self.location = location
        self.osTemplate = osTemplate
        self.bootISO = bootISO
        self.network = network
        self.vcpus = vcpus
        self.memoryMiB = memoryMiB
        self.diskGiB = diskGiB
        self.serviceOffering = serviceOffering
        self.diskOffering = diskOffering
        self.firmware = firmware
        self.mac = mac
        self.ownerTags = ownerTags
    }
}

/// The identity of a freshly created container: what the orchestrator journals.
public struct CreatedContainer: Sendable, Equatable, Codable {
    public var machineID: String
    public var mac: String
    public init(machineID: String, mac: String) {
        self.machineID = machineID
        self.mac = mac
    }
}

/// How a finished install becomes a template.
public struct TemplateRequest: Sendable, Equatable, Codable {
    public var name: String
    public var osType: String
    public var makePublic: Bool
    public var featured: Bool
    /// XenServer `other_config:instant`.
    public var instant: Bool
    /// CloudStack zones to copy the template to.
    public var copyToLocations: [String]
    public var ownerTags: [String: String]

    public init(name: String, osType: String = "", makePublic: Bool = false, featured: Bool = false,
                instant: Bool = false, copyToLocations: [String] = [], ownerTags: [String: String] = [:]) {
        self.name = name
        self.osType = osType
        self.makePublic = makePublic
        self.featured = featured
        self.instant = instant
        self.copyToLocations = copyToLocations
        self.ownerTags = ownerTags
    }
}

/// A change seen on the platform, pushed (XenServer event.from) or found by polling (CloudStack).
public enum HypervisorChange: Sendable, Equatable {
    /// A complete listing; replaces everything known before.
    case snapshot(machines: [MachineRecord], templates: [TemplateRecord])
    case machineUpdated(MachineRecord)
    case machineRemoved(id: String)
    case templateUpdated(TemplateRecord)
    case templateRemoved(id: String)
}

/// One hypervisor platform reached through its real API. One implementation
/// per product; the lab servers are reached through the same implementations.
public protocol Hypervisor: Sendable {
    var kind: HypervisorKind { get }
    func listMachines() async throws -> [MachineRecord]
    func listTemplates() async throws -> [TemplateRecord]
    /// Names an operator may give as `ContainerSpec.location`: CloudStack
    /// zones, the XenServer pool. Offered by the wizard so a cloud with
    /// several zones is answered before an install starts, not after it fails.
    func listLocations() async throws -> [String]
    /// Machines carrying the given ownership tag, for idempotent re-runs and cleanup.
    func findMachines(taggedWith key: String, value: String) async throws -> [MachineRecord]
    /// Resolves everything `createContainer` would (install template or OS
    /// type, storage or offerings, network, boot ISO) and creates nothing, so
    /// a request the platform cannot satisfy is refused before a job exists.
    func preflight(_ spec: ContainerSpec) async throws
    func createContainer(_ spec: ContainerSpec) async throws -> CreatedContainer
    func start(machineID: String) async throws
    func stop(machineID: String, force: Bool) async throws
    func reboot(machineID: String) async throws
    /// Destroys the machine and the disks Vizor created for it.
    func destroy(machineID: String) async throws
    /// Inserts an ISO (by name or id) into the machine's CD drive, replacing what is there.
    func insertCD(machineID: String, iso: String) async throws
    func ejectCD(machineID: String) async throws
    func convertToTemplate(machineID: String, request: TemplateRequest) async throws -> TemplateRecord
    func setPublished(templateID: String, isPublic: Bool, featured: Bool) async throws
    func deleteTemplate(templateID: String) async throws
    /// A live stream: first a `.snapshot`, then changes. Ends with an error when
    /// the connection is lost; the caller re-subscribes (and gets a new snapshot).
    func changes() -> AsyncThrowingStream<HypervisorChange, Error>
}
