import Foundation

/// The lab pool's state and API semantics: sessions, objects, power states,
/// tasks and `event.from`. Transport-free; `XAPILabServer` puts it on HTTP.
public actor XAPILab {
    /// Knobs a test or `vizor lab serve` sets at start.
    public struct Options: Sendable {
        public var username = "root"
        public var password = "lab-password"
        /// How long VM.start / shutdown / clone / provision take (tasks progress meanwhile).
        public var operationDelay: Duration = .milliseconds(150)
        /// Sessions idle this long are reaped (xapi: 24 h).
        public var sessionLifetime: Duration = .seconds(86_400)
        /// Delay before answering a failed login (xapi waits 5 s).
        public var authFailureDelay: Duration = .milliseconds(300)
        /// Extra halted VMs to create (for benchmarks), each with a disk and a VIF.
        public var extraVMs = 0
        /// When set, this server plays a pool member: every call answers `HOST_IS_SLAVE [masterAddress]`.
        public var memberOfMaster: String?
        public init() {}
    }

    let options: Options
    var db = LabDatabase()
    var seedRefs = LabSeedRefs()
    var sessions: [String: (user: String, lastActive: ContinuousClock.Instant)] = [:]
    /// What `import_raw_vdi` wrote, by VDI ref.
    var importedContent: [String: Data] = [:]
    var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]
    var nextDomID: Int64 = 1
    var stopped = false
    /// Fault injection: added before every answer.
    var responseDelay: Duration = .zero
    var calls = 0

    public init(options: Options = Options()) {
        self.options = options
        var db = LabDatabase()
        seedRefs = db.seed(extraVMs: options.extraVMs)
        self.db = db
    }

    /// Creates the starting VMs and custom templates (and `extraVMs`).
    func populate() {
        let web = makeVM(name: "web-01", running: true)
        setGuestMetricsInternal(vm: web, os: ["name": "Debian GNU/Linux 12 (bookworm)", "distro": "debian", "major": "12", "minor": "4"],
                                drivers: ["major": "8", "minor": "3", "micro": "0", "build": "1"], networks: ["0/ip": "10.0.0.21", "0/ipv4/0": "10.0.0.21"],
                                other: ["feature-shutdown": "1", "feature-reboot": "1"])
        _ = makeVM(name: "db-01", running: false)
        let golden = makeVM(name: "ws2022-golden", running: false)
        db.set(golden, "is_a_template", .bool(true))
        let instant = makeVM(name: "ws2022-instant", running: false)
        db.set(instant, "is_a_template", .bool(true))
        db.update(instant) { f in var o = f["other_config"]?.map ?? [:]; o["instant"] = .str("true"); f["other_config"] = .map(o) }
        for n in 0..<options.extraVMs { _ = makeVM(name: String(format: "bench-%05d", n), running: n % 4 == 0) }
        for vm in db.refs("vm") { refreshAllowed(vm) }
    }

    /// A VM with a 20 GiB disk on local storage and a VIF on the pool network.
    func makeVM(name: String, running: Bool) -> String {
        let seed = UUID().uuidString.lowercased()
        let vm = db.insert("vm", LabRecords.vm(name: name, template: false, other: ["mac_seed": seed, "base_template_name": "Debian Bookworm 12"]))
        let vdi = db.insert("vdi", LabRecords.vdi(name: "\(name) disk", sr: seedRefs.localSR, size: 20 << 30))
        db.link(seedRefs.localSR, "VDIs", vdi, add: true)
        let vbd = db.insert("vbd", LabRecords.vbd(vm: vm, vdi: vdi, device: "0", type: "Disk", mode: "RW", bootable: true, empty: false,
                                                  other: ["owner": .str("")]))
        db.link(vdi, "VBDs", vbd, add: true)
        db.link(vm, "VBDs", vbd, add: true)
        let vif = db.insert("vif", LabRecords.vif(vm: vm, network: seedRefs.network, device: "0", mac: LabRecords.mac(seed: seed, device: "0"),
                                                  auto: true, mtu: 1500))
        db.link(vm, "VIFs", vif, add: true)
        db.link(seedRefs.network, "VIFs", vif, add: true)
        if running { powerOn(vm) }
        refreshAllowed(vm)
        return vm
    }

    // MARK: Changes and waiting

    func changed() {
        let all = waiters
        waiters = [:]
        for c in all.values { c.resume() }
    }

    func waitForChange(until deadline: ContinuousClock.Instant) async {
        let id = UUID()
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            waiters[id] = c
            Task { [weak self] in
                try? await Task.sleep(until: deadline, clock: .continuous)
                await self?.wake(id)
            }
        }
    }

    private func wake(_ id: UUID) { waiters.removeValue(forKey: id)?.resume() }

    func shutdown() {
        stopped = true
        changed()
    }

    // MARK: Dispatch

    /// Handles one call; `method` may carry `Async.` and use the `Class_method` alias.
    func handle(method rawMethod: String, params: [LabValue]) async -> Result<LabValue, LabFault> {
        calls += 1
        if responseDelay > .zero { try? await Task.sleep(for: responseDelay) }
        if let master = options.memberOfMaster { return .failure(LabFault("HOST_IS_SLAVE", master)) }
        do {
            var method = rawMethod
            var isAsync = false
            for prefix in ["Async.", "InternalAsync."] where method.hasPrefix(prefix) {
                method.removeFirst(prefix.count); isAsync = true
            }
            guard let (cls, msg) = Self.split(method) else { throw LabFault("MESSAGE_METHOD_UNKNOWN", rawMethod) }
            if cls == "session" { return .success(try await sessionCall(msg, params, rawMethod)) }
            if cls == "system" && msg == "listMethods" { return .success(.strList(Self.methodList)) }
            guard let session = params.first?.s else { throw LabFault("MESSAGE_PARAMETER_COUNT_MISMATCH", rawMethod, "1", "0") }
            try checkSession(session)
            let args = Array(params.dropFirst())
            if isAsync {
                guard Self.asyncCapable(cls, msg) else { throw LabFault("Fault", "No async mode for this operation (rpc: \(rawMethod))") }
                _ = try validate(cls, msg, args, rawMethod)
                return .success(.str(startTask(name: rawMethod, cls: cls, msg: msg, args: args)))
            }
            return .success(try await perform(cls, msg, args, rawMethod, session: session))
        } catch let fault as LabFault {
            return .failure(fault)
        } catch {
            return .failure(LabFault("INTERNAL_ERROR", String(describing: error)))
        }
    }

    static let classNames = ["VM_guest_metrics", "VM_metrics", "VM", "VBD", "VDI", "VIF", "SR", "PBD", "network", "host", "pool",
                             "task", "event", "session", "system"]

    /// `VM.start` or the underscore alias `VM_start` / `event_from`.
    static func split(_ method: String) -> (String, String)? {
        if let dot = method.firstIndex(of: ".") {
            let cls = String(method[..<dot]), msg = String(method[method.index(after: dot)...])
            return classNames.contains(cls) && !msg.isEmpty ? (cls, msg) : nil
        }
        for cls in classNames where method.hasPrefix(cls + "_") {
            return (cls, String(method.dropFirst(cls.count + 1)))
        }
        return nil
    }

    static func asyncCapable(_ cls: String, _ msg: String) -> Bool {
        if ["session", "task", "event", "system"].contains(cls) { return false }
        if msg.hasPrefix("get_") || msg.hasPrefix("set_") || msg.hasPrefix("add_to_") || msg.hasPrefix("remove_from_") { return false }
        return true
    }

    static let methodList = ["session.login_with_password", "session.logout", "event.from", "task.get_record", "task.destroy",
                             "VM.get_all_records", "VM.clone", "VM.copy", "VM.provision", "VM.start", "VM.clean_shutdown",
                             "VM.hard_shutdown", "VM.clean_reboot", "VM.hard_reboot", "VM.destroy", "VBD.create", "VBD.insert",
                             "VBD.eject", "VIF.create", "VDI.create", "VDI.destroy", "system.listMethods"]

    // MARK: Sessions

    func sessionCall(_ msg: String, _ p: [LabValue], _ method: String) async throws -> LabValue {
        switch msg {
        case "login_with_password":
            guard (2...4).contains(p.count) else { throw LabFault("MESSAGE_PARAMETER_COUNT_MISMATCH", method, "4", String(p.count)) }
            let user = p[0].s
            guard user == options.username && p[1].s == options.password else {
                try? await Task.sleep(for: options.authFailureDelay)
                throw LabFault("SESSION_AUTHENTICATION_FAILED", user, "Authentication failure")
            }
            let ref = "OpaqueRef:" + UUID().uuidString.lowercased()
            sessions[ref] = (user, .now)
            return .str(ref)
        case "logout":
            guard let ref = p.first?.s else { throw LabFault("MESSAGE_PARAMETER_COUNT_MISMATCH", method, "1", "0") }
            try checkSession(ref)
            sessions[ref] = nil
            changed()  // blocked event.from calls of this session end with SESSION_INVALID
            return .str("")
        case "get_uuid", "get_this_host":
            guard let ref = p.first?.s else { throw LabFault("MESSAGE_PARAMETER_COUNT_MISMATCH", method, "1", "0") }
            try checkSession(ref)
            return msg == "get_this_host" ? .str(seedRefs.master) : .str(ref.replacingOccurrences(of: "OpaqueRef:", with: ""))
        default:
            throw LabFault("MESSAGE_METHOD_UNKNOWN", method)
        }
    }

    func checkSession(_ ref: String) throws {
        guard let s = sessions[ref] else { throw LabFault("SESSION_INVALID", ref) }
        if ContinuousClock.now - s.lastActive > options.sessionLifetime {
            sessions[ref] = nil
            throw LabFault("SESSION_INVALID", ref)
        }
        sessions[ref]?.lastActive = .now
    }

    // MARK: event.from

    func eventFrom(_ args: [LabValue], session: String) async throws -> LabValue {
        guard args.count == 3 else { throw LabFault("MESSAGE_PARAMETER_COUNT_MISMATCH", "event.from", "4", String(args.count + 1)) }
        var classes = Set<String>(), objects = Set<String>(), all = false
        for sub in args[0].strings {
            if sub == "*" { all = true; continue }
            let parts = sub.split(separator: "/", maxSplits: 1).map(String.init)
            let cls = parts[0].lowercased()
            guard LabDatabase.classes[cls] != nil || cls == "message" else { throw LabFault("EVENT_SUBSCRIPTION_PARSE_FAILURE", sub) }
            if parts.count == 2 { objects.insert(cls + "/" + parts[1]) } else { classes.insert(cls) }
        }
        let since = try LabDatabase.parseToken(args[1].s)
        let timeout = max(0, min(args[2].d ?? 0, 3600))
        let deadline = ContinuousClock.now + .milliseconds(Int64(timeout * 1000))
        while true {
            let events = db.events(since: since, classes: classes, objects: objects, all: all)
            if !events.isEmpty || ContinuousClock.now >= deadline || stopped {
                return .map(["events": .list(events), "valid_ref_counts": db.validRefCounts(classes, all: all),
                             "token": .str(LabDatabase.token(db.generation))])
            }
            await waitForChange(until: deadline)
            guard sessions[session] != nil else { throw LabFault("SESSION_INVALID", session) }
        }
    }

    // MARK: Tasks

    func startTask(name: String, cls: String, msg: String, args: [LabValue]) -> String {
        let task = db.insert("task", [
            "name_label": .str(name), "name_description": .str(""), "status": .str("pending"), "progress": .double(0),
            "created": LabClock.stamp(), "finished": LabClock.epoch, "result": .str(""), "error_info": .list([]),
            "type": .str("<none/>"), "allowed_operations": .list([]), "current_operations": .empty, "other_config": .empty,
            "resident_on": .str(seedRefs.master), "subtask_of": .null, "subtasks": .list([]), "backtrace": .str("()"),
        ])
        changed()
        Task { await self.runTask(task, cls, msg, args, name) }
        return task
    }

    func runTask(_ task: String, _ cls: String, _ msg: String, _ args: [LabValue], _ name: String) async {
        for step in 1...3 {
            try? await Task.sleep(for: options.operationDelay / 4)
            db.set(task, "progress", .double(Double(step) * 0.25)); changed()
        }
        let outcome: Result<LabValue, LabFault>
        do { outcome = .success(try await perform(cls, msg, args, name, delayed: false)) } catch let f as LabFault {
            outcome = .failure(f)
        } catch { outcome = .failure(LabFault("INTERNAL_ERROR", String(describing: error))) }
        db.update(task) { f in
            f["progress"] = .double(1)
            f["finished"] = LabClock.stamp()
            switch outcome {
            case .success(let v):
                var xml = ""
                v.xml(into: &xml)
                f["result"] = .str(xml)
                f["status"] = .str("success")
            case .failure(let fault):
                f["error_info"] = .strList(fault.desc)
                f["status"] = .str("failure")
            }
        }
        changed()
    }
}
