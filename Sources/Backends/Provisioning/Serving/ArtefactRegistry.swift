import BackendKit
import Foundation

/// A request for an artefact, as the HTTP layer hands it over.
public struct ArtefactRequest: Sendable, Equatable {
    /// Path below the mount point: `/<job>/<file>`.
    public var path: String
    /// The job token, from the `token` query parameter (or a header).
    public var token: String?
    /// Who asks, as the HTTP layer identifies the node (e.g. its MAC or Razor
    /// node name); nil when it cannot tell.
    public var node: String?

    public init(path: String, token: String?, node: String? = nil) {
        self.path = path
        self.token = token
        self.node = node
    }

    /// Parses a request target such as `/job-7/autounattend.xml?token=abc`.
    public init(target: String, node: String? = nil) {
        var token: String?
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let keyValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                if keyValue.count == 2, keyValue[0] == "token" { token = String(keyValue[1]) }
            }
        }
        self.init(path: String(parts[0]), token: token, node: node)
    }
}

/// What the HTTP layer sends back.
public struct ArtefactResponse: Sendable, Equatable {
    public var status: Int
    public var contentType: String
    public var headers: [String: String]
    public var body: [UInt8]

    static func error(_ status: Int, _ message: String) -> ArtefactResponse {
        ArtefactResponse(status: status, contentType: "text/plain; charset=utf-8", headers: ["Cache-Control": "no-store"],
                         body: Array((message + "\n").utf8))
    }
}

/// One artefact handed out, for the operator's view of what a node fetched.
public struct ArtefactDelivery: Sendable, Equatable {
    public var job: String
    public var name: String
    /// The node as the request named it.
    public var node: String?
}

/// Serves each job's artefacts to that job's node only: a request must carry
/// the job's token, and once the job is bound to a node, come from that node.
/// Framework-free so any HTTP server can mount it.
///
/// What identifies the node: its Razor node name in the `node` query
/// parameter. In the iPXE script, Razor's ERB writes it (`<%= node.name %>`,
/// see `RazorTaskDefinition`). Inside WinPE and Windows nothing rewrites a
/// URL per node, so the registry does it where it can: binding a job renders
/// its bundle again with the node in its `ServingContext`, and every URL
/// written into the files (the runner download in `autounattend.xml`, the
/// runner's manifest) names the node from then on. The name is no secret and
/// proves nothing by itself; the job token is the secret. The binding keeps a
/// second machine that learnt the token (from a cloned VM, or one that boots
/// the same task) from fetching the files meant for the first.
public actor ArtefactRegistry {
    struct Entry {
        var bundle: ArtefactBundle
        var token: String
        var node: String?
        var boundAt: Date?
    }

    private var jobs: [String: Entry] = [:]
    /// Files offered for download outside any job (the boot ISO while a
    /// platform fetches it), by the first path segment, with their token.
    private var offers: [String: (token: String, artefact: Artefact)] = [:]
    /// The latest deliveries, oldest first; bounded so a long-running process keeps little.
    private var recent: [ArtefactDelivery] = []
    static let recentLimit = 512

    public init() {}

    /// Registers (or replaces) a job's artefacts with its token, not bound to any node yet.
    public func register(_ bundle: ArtefactBundle, token: String) {
        jobs[bundle.jobID] = Entry(bundle: bundle, token: token, node: nil, boundAt: nil)
    }

    /// Restricts a job's artefacts to one node once its identity is known,
    /// and renders them again so that every URL in them names that node.
    public func bind(job: String, node: String) throws {
        guard let entry = jobs[job] else {
            throw BackendError(.notFound, backend: provisioningBackendName, message: "no artefacts registered for job \(job)")
        }
        jobs[job] = Entry(bundle: try entry.bundle.bound(to: node), token: entry.token, node: node.lowercased(), boundAt: Date())
    }

    /// Offers `artefact` at `/<key>/<artefact.name>?token=<token>` until
    /// `withdraw(key)`; for a platform that downloads a file by URL.
    public func offer(_ artefact: Artefact, key: String, token: String) {
        offers[key] = (token, artefact)
    }

    public func withdraw(_ key: String) {
        offers[key] = nil
    }

    /// Forgets a job; its URLs answer 404 from then on.
    public func revoke(job: String) {
        jobs[job] = nil
    }

    public var registeredJobs: [String] { jobs.keys.sorted() }

    /// The files a job's node is served now (rendered for it once the job is bound).
    public func bundle(job: String) -> ArtefactBundle? { jobs[job]?.bundle }

    /// When the job was bound to its node, if it is.
    public func boundAt(job: String) -> Date? { jobs[job]?.boundAt }

    /// What was served for a job (among the latest deliveries), oldest first.
    public func deliveries(job: String) -> [ArtefactDelivery] { recent.filter { $0.job == job } }

    public func handle(_ request: ArtefactRequest) -> ArtefactResponse {
        let segments = request.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard segments.count == 2, !segments.contains(where: { $0 == "." || $0 == ".." || $0.contains("\\") }) else {
            return .error(400, "expected /<job>/<file>")
        }
        if let offer = offers[segments[0]] {
            guard let token = request.token, constantTimeEqual(token, offer.token) else {
                return .error(403, "missing or wrong token")
            }
            guard segments[1] == offer.artefact.name else { return .error(404, "no such file") }
            return ArtefactResponse(status: 200, contentType: offer.artefact.contentType, headers: ["Cache-Control": "no-store"],
                                    body: offer.artefact.body)
        }
        guard let entry = jobs[segments[0]] else { return .error(404, "unknown job") }
        guard let token = request.token, constantTimeEqual(token, entry.token) else {
            return .error(403, "missing or wrong job token")
        }
        if let bound = entry.node, request.node?.lowercased() != bound {
            return .error(403, "this artefact belongs to another node")
        }
        guard let artefact = entry.bundle.artefacts[segments[1]] else { return .error(404, "no such artefact") }
        recent.append(ArtefactDelivery(job: segments[0], name: segments[1], node: request.node))
        if recent.count > Self.recentLimit { recent.removeFirst(recent.count - Self.recentLimit) }
        var headers = ["Cache-Control": "no-store"]
        if artefact.carriesSecrets { headers["X-Content-Type-Options"] = "nosniff" }
        return ArtefactResponse(status: 200, contentType: artefact.contentType, headers: headers, body: artefact.body)
    }

    private func constantTimeEqual(_ lhs: String, _ rhs: String) -> Bool {
        let left = Array(lhs.utf8), right = Array(rhs.utf8)
        var difference = UInt8(left.count == right.count ? 0 : 1)
        for index in 0..<max(left.count, right.count) {
            let a = index < left.count ? left[index] : 0
            let b = index < right.count ? right[index] : 0
            difference |= a ^ b
        }
        return difference == 0
    }
}
