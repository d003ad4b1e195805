import Foundation

/// One HTTP request as the lab state sees it, independent of the transport.
struct LabHTTPRequest: Sendable {
    var method: String
    /// The raw (still percent-encoded) path.
    var path: String
    var query: [(String, String)]
    /// Header names lowercased.
    var headers: [String: String]
    var body: [UInt8]

    func queryValue(_ name: String) -> String? { query.first { $0.0 == name }?.1 }
}

struct LabHTTPResponse: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]

    static func json(_ status: Int, _ value: LabJSON) -> LabHTTPResponse {
        LabHTTPResponse(status: status, headers: [("Content-Type", "application/json")], body: Array(value.serialized().utf8))
    }

    static func error(_ status: Int, _ message: String, details: String? = nil) -> LabHTTPResponse {
        var object: LabObject = ["error": .string(message)]
        if let details { object["details"] = .string(details) }
        return json(status, .object(object))
    }

    static func text(_ status: Int, _ text: String, contentType: String = "text/plain") -> LabHTTPResponse {
        LabHTTPResponse(status: status, headers: [("Content-Type", contentType)], body: Array(text.utf8))
    }

    static let noContent = LabHTTPResponse(status: 204, headers: [], body: [])
}

/// Thrown inside command and view handlers; becomes the JSON error body.
struct LabRazorFailure: Error {
    var status: Int
    var message: String
    var details: String?
    /// The body is the bare message, not `{"error": ...}` (razor's broker 404s).
    var bare = false
    init(_ status: Int, _ message: String, details: String? = nil, bare: Bool = false) {
        self.status = status
        self.message = message
        self.details = details
        self.bare = bare
    }
}

/// The lab Razor server's whole state: every table razor-server keeps, and
/// the request handling that reads and changes it. One actor, so requests
/// and simulation hooks are serialised like database transactions.
actor LabRazorState {
    static let specBase = "http://api.puppetlabs.com/razor/v1"
    static let version = "v1.9.9-lab"

    let auth: LabRazorAuth?
    /// How long create-repo's background unpack takes.
    var backgroundDelay: TimeInterval
    /// When set, background work never starts: commands stay `pending`.
    var holdBackgroundWork = false
    var faults: [(prefix: String, fault: LabRazorFault)] = []
    /// Host:port to use when a request carries no Host header.
    var fallbackHost = "127.0.0.1"
    /// `https` when the server speaks TLS: the scheme of every URL it hands out.
    var scheme = "http"

    var repos: [LabRepo] = []
    var tasks: [LabTask] = LabBuiltinTasks.all
    var tags: [LabTag] = []
    var brokers: [LabBroker] = []
    var hooks: [LabHook] = []
    /// In rule order: binding takes the first match.
    var policies: [LabPolicy] = []
    var nodes: [LabNode] = []
    var commands: [LabCommand] = []
    var events: [LabEvent] = []
    /// Files in `repo_store_root` outside any repo, served by `/svc/repo/<path>`:
    /// the lab installation has stand-ins for wimboot's release files there, as
    /// an operator places the real ones for tasks that cannot ship them.
    var repoStore: [String: [UInt8]] = [
        "wimboot": LabWimbootStandIn.bytes(machine: 0x8664, bios: true),
        "wimboot.i386": LabWimbootStandIn.bytes(machine: 0x014c, bios: true),
        "wimboot.arm64": LabWimbootStandIn.bytes(machine: 0xaa64, bios: false),
    ]
    var nextNodeID = 1
    var nextCommandID = 1
    var nextEventID = 1

    init(auth: LabRazorAuth?, backgroundDelay: TimeInterval) {
        self.auth = auth
        self.backgroundDelay = backgroundDelay
    }

    // MARK: Dispatch

    func handle(_ request: LabHTTPRequest) -> LabHTTPResponse {
        advanceBackgroundWork()
        let segments = request.path.split(separator: "/", omittingEmptySubsequences: true)
            .map { String($0).removingPercentEncoding ?? String($0) }
        let base = scheme + "://" + (request.headers["host"] ?? fallbackHost)
        guard let first = segments.first else { return .text(404, "<h1>Not Found</h1>", contentType: "text/html") }
        do {
            if first == "api" {
                if let denied = checkAuth(request) { return denied }
                if let accept = request.headers["accept"], !acceptsJSON(accept) {
                    return .error(406, "only application/json content is available")
                }
                return try handleAPI(request, Array(segments.dropFirst()), base: base)
            }
            if first == "svc" {
                return try handleSvc(request, Array(segments.dropFirst()), base: base)
            }
            return .text(404, "<h1>Not Found</h1>", contentType: "text/html")
        } catch let failure as LabRazorFailure where failure.bare {
            return .text(failure.status, failure.message, contentType: "application/json")
        } catch let failure as LabRazorFailure {
            return .error(failure.status, failure.message, details: failure.details)
        } catch is LabRazorERBError {
            // An exception while rendering a template: Sinatra's bare 500 page.
            return .text(500, "<h1>Internal Server Error</h1>", contentType: "text/html")
        } catch {
            return .error(500, "internal error", details: String(describing: error))
        }
    }

    private func acceptsJSON(_ accept: String) -> Bool {
        accept.split(separator: ",").contains { part in
            let type = part.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            return type == "application/json" || type == "*/*" || type == "application/*"
        }
    }

    /// `Razor::Middleware::Auth`: only `/api` is protected; `/svc` never is.
    private func checkAuth(_ request: LabHTTPRequest) -> LabHTTPResponse? {
        guard let auth else { return nil }
        let denied = LabHTTPResponse(status: 401, headers: [("WWW-Authenticate", "Basic realm=\"Razor\""),
                                                            ("Content-Type", "text/plain")],
                                     body: Array("Access Denied\n".utf8))
        guard let header = request.headers["authorization"], header.lowercased().hasPrefix("basic "),
              let data = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
              let pair = String(data: data, encoding: .utf8), let colon = pair.firstIndex(of: ":")
        else { return denied }
        let user = String(pair[..<colon])
        let password = String(pair[pair.index(after: colon)...])
        return user == auth.username && password == auth.password ? nil : denied
    }

    private func handleAPI(_ request: LabHTTPRequest, _ segments: [String], base: String) throws -> LabHTTPResponse {
        switch (request.method, segments.first) {
        case ("GET", nil):
            return .json(200, discovery(base: base))
        case ("GET", "collections"):
            return .json(200, try collection(Array(segments.dropFirst()), request: request, base: base))
        case ("GET", "commands") where segments.count == 2:
            guard let spec = LabRazorCommandSpec.named(segments[1]) else {
                return .text(404, "<h1>Not Found</h1>", contentType: "text/html")
            }
            var response = LabHTTPResponse.json(200, spec.metadata())
            response.headers.append(("ETag", "\"server-version-\(Self.version)\""))
            return response
        case ("POST", "commands") where segments.count == 2:
            guard LabRazorCommandSpec.named(segments[1]) != nil else {
                return .text(404, "<h1>Not Found</h1>", contentType: "text/html")
            }
            return try postCommand(segments[1], request: request, base: base)
        case ("GET", "microkernel") where segments.count == 2 && segments[1] == "bootstrap":
            let nicMax = request.queryValue("nic_max") ?? "4"
            guard let count = Int(nicMax), count > 0 else {
                throw LabRazorFailure(400, "nic_max must be a positive integer but was \(nicMax)")
            }
            return .text(200, bootstrapScript(nicMax: count, base: base))
        default:
            return .text(404, "<h1>Not Found</h1>", contentType: "text/html")
        }
    }

    // MARK: Helpers shared by views, commands and /svc

    static func spec(_ tail: String) -> String { "\(specBase)/\(tail)" }

    func url(_ base: String, _ collection: String, _ name: String) -> String {
        let escaped = name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? name
        return "\(base)/api/collections/\(collection)/\(escaped)"
    }

    /// `view_object_reference`: `{spec, id, name}`.
    func reference(_ base: String, _ collection: String, _ name: String) -> LabJSON {
        .object(["spec": .string(Self.spec("collections/\(collection)/member")),
                 "id": .string(url(base, collection, name)),
                 "name": .string(name)])
    }

    func node(named name: String) -> Int? {
        nodes.firstIndex { $0.name.caseInsensitiveCompare(name) == .orderedSame }
    }

    func nodeIndex(id: Int) -> Int? { nodes.firstIndex { $0.id == id } }

    /// Appends a node log entry (an event with the node set).
    func log(nodeID: Int?, severity: String = "info", _ entry: LabObject) {
        events.append(LabEvent(id: nextEventID, timestamp: Date(), severity: severity, node: nodeID, entry: entry))
        nextEventID += 1
    }

    /// Moves create-repo commands on: pending, then running, then finished
    /// (or failed when the ISO cannot be read), like the message queue does.
    func advanceBackgroundWork() {
        guard !holdBackgroundWork else { return }
        let now = Date()
        for index in commands.indices {
            guard let work = commands[index].work else { continue }
            let age = now.timeIntervalSince(commands[index].submittedAt)
            if age >= backgroundDelay {
                if let failure = work.failure {
                    commands[index].errors.append(.object([
                        "exception": .string("RuntimeError"), "message": .string(failure),
                        "attempted_at": .string(LabTime.string(now)),
                    ]))
                    commands[index].status = "failed"
                } else {
                    commands[index].status = "finished"
                }
                commands[index].finishedAt = now
                commands[index].work = nil
            } else if age >= backgroundDelay / 2, commands[index].status == "pending" {
                commands[index].status = "running"
            }
        }
    }

    func fault(for path: String) -> LabRazorFault? {
        faults.last { path.hasPrefix($0.prefix) }?.fault
    }

    func setFault(_ fault: LabRazorFault?, pathPrefix: String) {
        faults.removeAll { $0.prefix == pathPrefix }
        if let fault { faults.append((pathPrefix, fault)) }
    }

    func setHoldBackgroundWork(_ hold: Bool) { holdBackgroundWork = hold }
    func setBackgroundDelay(_ delay: TimeInterval) { backgroundDelay = delay }
    func setFallbackHost(_ host: String) { fallbackHost = host }
    func setScheme(_ value: String) { scheme = value }

    private func bootstrapScript(nicMax: Int, base: String) -> String {
        let svcBase = base.replacingOccurrences(of: "https://", with: "http://")
        var script = "#!ipxe\n"
        for n in 0..<nicMax {
            script += "dhcp net\(n) && goto net\(n)_ok || goto net\(n)_fail\n:net\(n)_ok\n"
        }
        let nets = (0..<nicMax).map { "net\($0)=${net\($0)/mac:hexhyp}" }.joined(separator: "&")
        script += "chain \(svcBase)/svc/boot?\(nets)&dhcp_mac=${net0/mac:hexhyp}&serial=${serial}&asset=${asset}"
        script += "&uuid=${uuid}&fact_boot_type=${platform}\n"
        return script
    }
}

/// Credentials the lab's `/api` requires (Shiro `[users]` in the real server).
public struct LabRazorAuth: Sendable, Equatable {
    public var username: String
    public var password: String
    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }
}

/// A fault the lab injects on paths with a given prefix, for client fault tests.
public enum LabRazorFault: Sendable, Equatable {
    /// Answer with this 5xx status and a plain-text body.
    case serverError(status: Int)
    /// Wait this long before answering normally.
    case delay(seconds: Double)
    /// Answer 200 with a body that is not JSON.
    case malformedJSON
}

/// A stand-in for a Windows or EFI program, shaped as one: a PE image of a
/// machine type and subsystem (10, an EFI application, as wimboot's release
/// files; 3, a console program, as curl.exe), whose first sector may also
/// carry the Linux boot header iPXE loads under BIOS (wimboot's x86 builds).
/// No code: the lab's guest never runs it.
public enum LabWimbootStandIn {
    public static func bytes(machine: UInt16, bios: Bool, subsystem: UInt16 = 10) -> [UInt8] {
        var image = [UInt8](repeating: 0, count: 1024)
        func put(_ value: UInt64, at offset: Int, size: Int) {
            for index in 0..<size { image[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index))) }
        }
        image[0] = 0x4d; image[1] = 0x5a                      // "MZ"
        put(0x40, at: 0x3c, size: 4)                           // e_lfanew
        image.replaceSubrange(0x40..<0x44, with: Array("PE\0\0".utf8))
        put(UInt64(machine), at: 0x44, size: 2)                // COFF Machine
        let wide = machine != 0x014c
        put(wide ? 112 : 96, at: 0x54, size: 2)                // SizeOfOptionalHeader (no data directories)
        put(wide ? 0x20b : 0x10b, at: 0x58, size: 2)           // optional header magic: PE32+ or PE32
        put(UInt64(subsystem), at: 0x58 + 68, size: 2)         // Subsystem: 10 EFI application, 3 console
        let note = Array("lab stand-in for wimboot\n".utf8)
        image.replaceSubrange(0x100..<(0x100 + note.count), with: note)
        if bios {
            image[0x1f1] = 4                                   // setup sectors
            image[0x1fe] = 0x55; image[0x1ff] = 0xaa           // boot flag
            image.replaceSubrange(0x202..<0x206, with: Array("HdrS".utf8))
        }
        return image
    }
}
