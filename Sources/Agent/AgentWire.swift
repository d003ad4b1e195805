import BackendKit
import Foundation
import VizorModel
import VizorStore

/// The agent's API: HTTP/1.1 and JSON over the agent's Unix socket, every
/// path under `/v1/`, as Docker's Engine API versions its paths. A client
/// reads `/v1/hello` first and refuses an agent of another protocol version
/// (docs/agent-api.md).
public enum AgentAPI {
    /// Bumped whenever a request or an answer changes incompatibly.
    public static let protocolVersion = 1
    public static let prefix = "/v1"
    /// The header every answer carries, so a client can tell the agent's version from any answer.
    public static let versionHeader = "Vizor-Agent-Protocol"
}

/// The agent's answer to `GET /v1/hello`.
public struct AgentHello: Codable, Sendable, Equatable {
    public var protocolVersion: Int
    public var vizorVersion: String
    public var pid: Int32
    public var startedAt: Date

    public init(protocolVersion: Int = AgentAPI.protocolVersion, vizorVersion: String, pid: Int32, startedAt: Date) {
        self.protocolVersion = protocolVersion
        self.vizorVersion = vizorVersion
        self.pid = pid
        self.startedAt = startedAt
    }
}

/// `GET /v1/status`: what `vizor agent status` prints.
public struct AgentStatus: Codable, Sendable, Equatable {
    public var hello: AgentHello
    public var uptimeSeconds: Double
    /// Seconds without a job or a client after which the agent exits; nil: never.
    public var idleExitSeconds: Double?
    /// True when the agent runs the lab (no configuration).
    public var lab: Bool
    public var sites: [AgentSiteHealth]
    /// Jobs this agent drives right now.
    public var jobs: [AgentJobLine]
    public var clients: [AgentClientInfo]

    public init(hello: AgentHello, uptimeSeconds: Double, idleExitSeconds: Double?, lab: Bool, sites: [AgentSiteHealth],
                jobs: [AgentJobLine], clients: [AgentClientInfo]) {
        self.hello = hello
        self.uptimeSeconds = uptimeSeconds
        self.idleExitSeconds = idleExitSeconds
        self.lab = lab
        self.sites = sites
        self.jobs = jobs
        self.clients = clients
    }
}

/// A site and the health of each of its backends, as the agent's pollers see it.
public struct AgentSiteHealth: Codable, Sendable, Equatable {
    public var name: String
    public var backends: [Backend]

    public struct Backend: Codable, Sendable, Equatable {
        public var kind: String
        /// connecting, ok, stale or failing.
        public var health: String
        public var message: String?
        public init(kind: String, health: String, message: String? = nil) {
            self.kind = kind
            self.health = health
            self.message = message
        }
    }

    public init(name: String, backends: [Backend]) {
        self.name = name
        self.backends = backends
    }
}

/// One job as status lines show it.
public struct AgentJobLine: Codable, Sendable, Equatable {
    public var id: String
    public var status: String
    public var step: String
    public var site: String

    public init(_ job: JournalJob) {
        id = job.id
        status = job.status.rawValue
        step = job.step.rawValue
        site = job.site
    }
}

/// A client holding a subscription open (a dashboard, a `--wait`).
public struct AgentClientInfo: Codable, Sendable, Equatable {
    public var id: Int
    /// What the client said it is: dashboard, wait, cli.
    public var purpose: String
    /// The peer's pid and uid, from the socket's credentials.
    public var pid: Int32?
    public var uid: UInt32?
    public var connectedAt: Date

    public init(id: Int, purpose: String, pid: Int32?, uid: UInt32?, connectedAt: Date) {
        self.id = id
        self.purpose = purpose
        self.pid = pid
        self.uid = uid
        self.connectedAt = connectedAt
    }
}

/// `POST /v1/jobs`: a job to journal and drive. The Administrator password
/// travels only here, over the socket: never argv, a child's environment
/// or the journal.
public struct AgentSubmission: Codable, Sendable {
    /// The job id to use (a client may choose it to name the job at once); nil: the agent chooses.
    public var id: String?
    public var request: InstallRequest
    public var administratorPassword: String

    public init(id: String? = nil, request: InstallRequest, administratorPassword: String) {
        self.id = id
        self.request = request
        self.administratorPassword = administratorPassword
    }
}

/// `GET /v1/lab`: the lab the agent runs (no configuration), for clients to
/// reach through the same clients as a configured site.
public struct AgentLab: Codable, Sendable, Equatable {
    public var endpoints: [LabEndpoint]
    public init(endpoints: [LabEndpoint]) { self.endpoints = endpoints }
}

/// The body of every error answer.
public struct AgentProblem: Codable, Sendable, Equatable {
    public var error: String
    /// BackendError's kind, so the client maps it to the same exit code.
    public var kind: String?
    public var hint: String?

    public init(error: String, kind: String? = nil, hint: String? = nil) {
        self.error = error
        self.kind = kind
        self.hint = hint
    }
}

/// One line of `GET /v1/events` (JSON Lines): first `hello`, then a `job`
/// for every job as it stands, then a `job` each time one changes, and a
/// `heartbeat` every few seconds so a dead agent is noticed.
public struct AgentEvent: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case hello, job, heartbeat }
    public var kind: Kind
    public var hello: AgentHello?
    public var job: JournalJob?
    public var time: Date

    public init(kind: Kind, hello: AgentHello? = nil, job: JournalJob? = nil, time: Date = Date()) {
        self.kind = kind
        self.hello = hello
        self.job = job
        self.time = time
    }
}

/// The JSON coding the agent and its clients share.
public enum AgentJSON {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601withFractions
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601withFractions
        return decoder
    }
}

extension JSONEncoder.DateEncodingStrategy {
    /// ISO 8601 with milliseconds: step latencies are measured in milliseconds.
    static let iso8601withFractions = JSONEncoder.DateEncodingStrategy.custom { date, encoder in
        var container = encoder.singleValueContainer()
        try container.encode(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
    }
}

extension JSONDecoder.DateDecodingStrategy {
    static let iso8601withFractions = JSONDecoder.DateDecodingStrategy.custom { decoder in
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle()) { return date }
        throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an ISO 8601 date: \(text)")
    }
}
