import BackendKit
import Foundation
import VizorExposure
import VizorProvisioning

/// How this process serves install media and artefacts to the machines it builds.
public struct InstallServingConfiguration: Sendable {
    /// Address the one HTTP listener binds (port 0: the kernel chooses).
    public var bindHost: String
    public var port: Int
    /// Host name or address nodes reach this process at; the bind address when nil.
    public var advertisedHost: String?
    /// Holds `exposures.json` (reference counts shared by every vizor process).
    public var stateDirectory: String
    /// FUSE mount points for SMB exposure.
    public var mountRoot: String
    /// nil when SMB exposure is not configured on this host (the lab): media
    /// is then served over HTTP only and handles carry no share.
    public var samba: SambaShareManager?
    /// curl.exe builds injected into WinPE, checked when a job is published.
    public var winPECurl: WinPECurlFiles
    /// The Samba account the shares admit and WinPE maps them with; nil: guest shares.
    public var sambaAccount: SambaAccount?

    public init(bindHost: String = "127.0.0.1", port: Int = 0, advertisedHost: String? = nil, stateDirectory: String,
                mountRoot: String, samba: SambaShareManager? = nil, winPECurl: WinPECurlFiles = WinPECurlFiles(),
                sambaAccount: SambaAccount? = nil) {
        self.bindHost = bindHost
        self.port = port
        self.advertisedHost = advertisedHost
        self.stateDirectory = stateDirectory
        self.mountRoot = mountRoot
        self.samba = samba
        self.winPECurl = winPECurl
        self.sambaAccount = sambaAccount
    }
}

/// A Samba account on this host (`smbpasswd -a`), one per appliance: every
/// share Vizor writes admits only it (`valid users`), and each install's WinPE
/// start-up, served only with the job's token and marked secret, maps the
/// share with it. No guest logon is involved, which Windows 10 1709 and later
/// refuse by default (KB4046019).
public struct SambaAccount: Sendable, Equatable {
    public var user: String
    public var password: Secret
    public init(user: String, password: Secret) {
        self.user = user
        self.password = password
    }
}

extension InstallServingConfiguration {
    /// From a configuration file's `exposure:` section; without a file (the
    /// lab) loopback on a kernel-chosen port, HTTP only. `sambaPassword` is the
    /// resolved `samba_password`, when `samba_user` is set.
    public init(exposure: ExposureConfig?, stateDirectory: URL, sambaPassword: Secret? = nil) {
        let state = stateDirectory.appendingPathComponent("exposure").path
        let mounts = stateDirectory.appendingPathComponent("mounts").path
        guard let exposure else {
            self.init(bindHost: "127.0.0.1", port: 0, stateDirectory: state, mountRoot: mounts)
            return
        }
        let bind = exposure.bindAddress
        let account = exposure.sambaUser.flatMap { user in sambaPassword.map { SambaAccount(user: user, password: $0) } }
        let samba = exposure.sambaIncludeFile.map {
            SambaShareManager(includeFile: $0, configFile: exposure.sambaConfigFile,
                              access: account.map { .users([$0.user]) } ?? .guest)
        }
        self.init(bindHost: bind.host, port: bind.port, advertisedHost: exposure.advertiseHost, stateDirectory: state,
                  mountRoot: exposure.smbShareRoot ?? mounts, samba: samba, winPECurl: exposure.winPECurl,
                  sambaAccount: account)
    }
}

/// The one media HTTP server of this process, the exposure manager that
/// decides what it serves under `/media/`, and the artefact registry mounted
/// under `/artefacts/`. Started on first use, so commands that never expose
/// anything never listen.
public actor InstallServing {
    public let configuration: InstallServingConfiguration
    public let exposure: ExposureManager
    public let registry: ArtefactRegistry
    /// The latest requests the server answered, for the operator's view of what a node fetched.
    public nonisolated let requests = InstallRequestLog()
    private var server: MediaHTTPServer?

    public init(configuration: InstallServingConfiguration) {
        self.configuration = configuration
        self.exposure = ExposureManager(configuration: ExposureConfiguration(
            stateDirectory: configuration.stateDirectory, mountRoot: configuration.mountRoot, samba: configuration.samba))
        self.registry = ArtefactRegistry()
    }

    /// The running server, started if needed. Without a configured port the
    /// one the last process used is tried first: a node booting a job's
    /// per-job Razor task loads the URLs rendered into it, so a process that
    /// resumes the job must answer at the same address (the kernel's choice
    /// is taken when that port is busy).
    public func running() async throws -> MediaHTTPServer {
        if let server { return server }
        try FileManager.default.createDirectory(atPath: configuration.stateDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let remembered = URL(fileURLWithPath: configuration.stateDirectory).appendingPathComponent("http-port")
        let previous = configuration.port == 0
            ? (try? String(contentsOf: remembered, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            : nil
        var started: MediaHTTPServer?
        if let previous, (1...65535).contains(previous) {
            started = try? await start(port: previous)
        }
        let running: MediaHTTPServer
        if let started { running = started } else { running = try await start(port: configuration.port) }
        if configuration.port == 0 { try? "\(running.port)\n".write(to: remembered, atomically: true, encoding: .utf8) }
        server = running
        return running
    }

    private func start(port: Int) async throws -> MediaHTTPServer {
        let requests = requests
        return try await MediaHTTPServer.start(host: configuration.bindHost, port: port, images: exposure.images,
                                               artefacts: RegistryRoute(registry: registry), threads: 1,
                                               accessLog: { requests.append($0) })
    }

    /// `http://host:port` as nodes use it.
    public func baseURL() async throws -> String {
        let server = try await running()
        guard let advertised = configuration.advertisedHost else { return server.baseURL }
        let shown = advertised.contains(":") ? "[\(advertised)]" : advertised
        return "http://\(shown):\(server.port)"
    }

    public var smbConfigured: Bool { configuration.samba != nil }

    /// Stops the listener and takes down this process's SMB mounts.
    public func stop() async {
        await exposure.shutdown()
        await server?.stop()
        server = nil
    }
}

/// The latest requests the media and artefact server answered, oldest
/// first, each with the time it ended. Job tokens are hidden (`token=…`),
/// as everywhere Vizor shows a URL; the status tells whether it was right.
public final class InstallRequestLog: @unchecked Sendable {
    public struct Entry: Sendable, Equatable {
        public var time: Date
        public var record: AccessLogRecord
    }

    static let limit = 4096
    private let lock = NSLock()
    private var entries: [Entry] = []

    public init() {}

    func append(_ record: AccessLogRecord) {
        var shown = record
        shown.path = Self.hidingTokens(record.path)
        lock.withLock {
            entries.append(Entry(time: Date(), record: shown))
            if entries.count > Self.limit { entries.removeFirst(entries.count - Self.limit) }
        }
    }

    public var all: [Entry] { lock.withLock { entries } }

    /// `token=<value>` written `token=…` in a request target.
    public static func hidingTokens(_ target: String) -> String {
        guard let query = target.firstIndex(of: "?") else { return target }
        let pairs = target[target.index(after: query)...].split(separator: "&", omittingEmptySubsequences: false).map { pair in
            pair.hasPrefix("token=") ? "token=…" : String(pair)
        }
        return String(target[...query]) + pairs.joined(separator: "&")
    }
}

/// Mounts an `ArtefactRegistry` on the media server's `/artefacts/` route.
/// The job token comes from the `token` query parameter; the node from the
/// `node` query parameter or the `X-Vizor-Node` header.
struct RegistryRoute: ArtefactRoute {
    let registry: ArtefactRegistry

    func respond(to request: RouteRequest) async -> RouteResponse {
        guard request.method == "GET" || request.method == "HEAD" else {
            return RouteResponse(status: 405, headers: [("Allow", "GET, HEAD")])
        }
        var token: String?
        var node = request.headers.first { $0.name.lowercased() == "x-vizor-node" }?.value
        for pair in (request.query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { continue }
            if parts[0] == "token" { token = String(parts[1]) }
            if parts[0] == "node" { node = String(parts[1]) }
        }
        let answer = await registry.handle(ArtefactRequest(path: "/" + request.components.joined(separator: "/"),
                                                           token: token, node: node))
        var headers = answer.headers.map { (name: $0.key, value: $0.value) }
        headers.append((name: "Content-Type", value: answer.contentType))
        return RouteResponse(status: UInt(answer.status), headers: headers, body: answer.body)
    }
}
