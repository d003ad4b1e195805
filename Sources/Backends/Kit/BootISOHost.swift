/// One copy of the boot ISO on a hypervisor: a CloudStack ISO in one zone,
/// or a VDI in one of a XenServer pool's ISO storage repositories.
public struct BootISOCopy: Sendable, Equatable, Codable {
    /// The zone (CloudStack) or storage repository (XenServer) it is in.
    public var location: String
    public var id: String
    public var name: String
    public var ready: Bool
    /// SHA-256 in lower-case hex as the platform records it; nil when it
    /// records none (a copy Vizor did not publish).
    public var sha256: String?
    /// The platform's own word on it (`Successfully Installed`, `3% Downloaded`, …).
    public var status: String

    public init(location: String, id: String, name: String, ready: Bool, sha256: String?, status: String) {
        self.location = location
        self.id = id
        self.name = name
        self.ready = ready
        self.sha256 = sha256
        self.status = status
    }
}

/// The boot ISO to put on a hypervisor.
public struct BootISOUpload: Sendable, Equatable {
    public var name: String
    public var sha256: String
    public var bytes: UInt64
    /// The file on this host (XenServer imports it).
    public var path: String
    /// Where the platform downloads it from (CloudStack's secondary storage
    /// fetches it from Vizor's media server).
    public var url: String?

    public init(name: String, sha256: String, bytes: UInt64, path: String, url: String?) {
        self.name = name
        self.sha256 = sha256
        self.bytes = bytes
        self.path = path
        self.url = url
    }
}

/// A hypervisor that can say where the boot ISO is and put it there.
public protocol BootISOHost: Sendable {
    /// Every copy named `name`, in every zone or ISO storage repository.
    func bootISOCopies(name: String) async throws -> [BootISOCopy]
    /// Removes `outdated` (when given), publishes `upload` and waits until
    /// it is ready everywhere; answers the copies as they are then.
    func publishBootISO(_ upload: BootISOUpload, removing outdated: [BootISOCopy]) async throws -> [BootISOCopy]
}
