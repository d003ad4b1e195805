import Foundation

/// One entry of a node's install log, oldest-first once Vizor has it
/// (Razor sends newest first; the client reorders).
public struct NodeLogEntry: Sendable, Equatable, Codable {
    public var timestamp: Date
    /// "info", "warn", "error", ...
    public var severity: String
    /// Razor's event name: "boot", "file", "stage_done", "log", ...
    public var event: String
    public var message: String
    /// Every other field of the entry, as strings.
    public var fields: [String: String]

    public init(timestamp: Date, severity: String = "info", event: String, message: String = "",
                fields: [String: String] = [:]) {
        self.timestamp = timestamp
        self.severity = severity
        self.event = event
        self.message = message
        self.fields = fields
    }
}

/// Where an incremental log read left off; opaque to callers.
public struct NodeLogCursor: Sendable, Equatable, Codable {
    /// How many entries have been read so far.
    public var seen: Int
    public init(seen: Int = 0) { self.seen = seen }
}

/// What the orchestrator asks the provisioning server to create for one job.
public struct ProvisioningPlan: Sendable, Equatable, Codable {
    public var repoName: String
    /// URL of the exposed media (never an `iso_url`: that would copy the ISO).
    public var repoURL: String?
    public var taskName: String
    /// The task's boot sequence and templates, when Vizor defines its own task.
    public var taskDefinition: [String: String]
    public var tagName: String
    public var mac: String
    public var policyName: String
    public var hostname: String
    public var rootPassword: String
    public var metadata: [String: String]

    public init(repoName: String, repoURL: String?, taskName: String, taskDefinition: [String: String] = [:],
                tagName: String, mac: String, policyName: String, hostname: String, rootPassword: String,
                metadata: [String: String] = [:]) {
        self.repoName = repoName
        self.repoURL = repoURL
        self.taskName = taskName
        self.taskDefinition = taskDefinition
        self.tagName = tagName
        self.mac = mac
        self.policyName = policyName
        self.hostname = hostname
        self.rootPassword = rootPassword
        self.metadata = metadata
    }
}

/// What exists on the provisioning server for one job, as journaled.
public struct ProvisionedArtefacts: Sendable, Equatable, Codable {
    public var repoName: String?
    public var taskName: String?
    public var tagName: String?
    public var policyName: String?
    public var nodeName: String?
    public init(repoName: String? = nil, taskName: String? = nil, tagName: String? = nil,
                policyName: String? = nil, nodeName: String? = nil) {
        self.repoName = repoName
        self.taskName = taskName
        self.tagName = tagName
        self.policyName = policyName
        self.nodeName = nodeName
    }
}

/// The server that drives unattended installs (Razor). Every call is
/// idempotent: creating what exists already with the same content succeeds.
public protocol ProvisioningServer: Sendable {
    /// Creates repo, task, tag, node (registered by MAC), single-use policy and metadata.
    func provision(_ plan: ProvisioningPlan) async throws -> ProvisionedArtefacts
    /// Reads log entries that arrived after `cursor`, oldest first.
    func readLog(node: String, after cursor: NodeLogCursor) async throws -> (entries: [NodeLogEntry], cursor: NodeLogCursor)
    /// Removes everything listed; what is gone already is not an error.
    func remove(_ artefacts: ProvisionedArtefacts) async throws
}

/// A lab server's address and credentials, as printed by `vizor lab serve`.
public struct LabEndpoint: Sendable, Equatable, Codable {
    /// "xenserver", "cloudstack", "razor", "media".
    public var name: String
    public var url: String
    public var credentials: [String: String]
    public init(name: String, url: String, credentials: [String: String]) {
        self.name = name
        self.url = url
        self.credentials = credentials
    }
}

/// A running lab server on loopback.
public protocol LabServer: Sendable {
    var endpoint: LabEndpoint { get }
    func stop() async
}
