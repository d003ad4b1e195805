import Foundation

/// The calls the lab implements, with xapi's checks and error codes.
extension XAPILab {
    static let arity: [String: Int] = [
        "VM.clone": 2, "VM.copy": 3, "VM.provision": 1, "VM.start": 3, "VM.start_on": 4, "VM.clean_shutdown": 1,
        "VM.hard_shutdown": 1, "VM.shutdown": 1, "VM.clean_reboot": 1, "VM.hard_reboot": 1, "VM.destroy": 1,
        "VM.set_memory_limits": 5, "VM.set_memory": 2, "VM.set_VCPUs_max": 2, "VM.set_VCPUs_at_startup": 2,
        "VM.set_is_a_template": 2, "VBD.create": 1, "VBD.insert": 2, "VBD.eject": 1, "VBD.destroy": 1, "VIF.create": 1,
        "VIF.destroy": 1, "VDI.destroy": 1, "VDI.create": 1, "task.destroy": 1, "task.cancel": 1, "event.from": 3, "event.inject": 2,
    ]

    @discardableResult
    func validate(_ cls: String, _ msg: String, _ args: [LabValue], _ method: String) throws -> Int {
        let expected: Int
        if let n = Self.arity["\(cls).\(msg)"] { expected = n }
        else if !["get_", "set_", "add_to_", "remove_from_"].contains(where: msg.hasPrefix) { throw LabFault("MESSAGE_METHOD_UNKNOWN", method) }
        else if msg == "get_all" || msg == "get_all_records" { expected = 0 }
        else if msg.hasPrefix("add_to_") { expected = 3 }
        else if msg.hasPrefix("set_") || msg.hasPrefix("remove_from_") { expected = 2 }
        else { expected = 1 }
        guard args.count == expected else {
            throw LabFault("MESSAGE_PARAMETER_COUNT_MISMATCH", method, String(expected + 1), String(args.count + 1))
        }
        return expected
    }

    func perform(_ cls: String, _ msg: String, _ a: [LabValue], _ method: String, delayed: Bool = true, session: String = "") async throws -> LabValue {
        try validate(cls, msg, a, method)
        let table = cls.lowercased()
        if ["clone", "copy", "provision", "start", "start_on", "clean_shutdown", "hard_shutdown", "shutdown", "clean_reboot",
            "hard_reboot"].contains(msg) && cls == "VM" && delayed {
            _ = try db.fields(a[0].s, "vm")
            try? await Task.sleep(for: options.operationDelay)
        }
        let before = db.generation
        defer { if db.generation != before { changed() } }
        switch (cls, msg) {
        case ("event", "from"): return try await eventFrom(a, session: session)
        case ("event", "inject"): return .str(LabDatabase.token(db.generation))
        case ("VM", "clone"), ("VM", "copy"): return .str(try cloneVM(a[0].s, name: a[1].s, sr: msg == "copy" ? a[2].s : nil))
        case ("VM", "provision"): try provision(a[0].s); return .str("")
        case ("VM", "start"), ("VM", "start_on"): try start(a[0].s); return .str("")
        case ("VM", "clean_shutdown"): try requirePower(a[0].s, ["Running"], "clean_shutdown"); powerOff(a[0].s); return .str("")
        case ("VM", "hard_shutdown"), ("VM", "shutdown"):
            try requirePower(a[0].s, ["Running", "Paused", "Suspended"], msg); powerOff(a[0].s); return .str("")
        case ("VM", "clean_reboot"), ("VM", "hard_reboot"):
            try requirePower(a[0].s, msg == "clean_reboot" ? ["Running"] : ["Running", "Paused"], msg)
            reboot(a[0].s); return .str("")
        case ("VM", "destroy"): try destroyVM(a[0].s); return .str("")
        case ("VM", "set_memory_limits"): try setMemory(a[0].s, a[1...].map { $0.i ?? -1 }); return .str("")
        case ("VM", "set_memory"): let m = a[1].i ?? -1; try setMemory(a[0].s, [m, m, m, m]); return .str("")
        case ("VM", "set_VCPUs_max"), ("VM", "set_VCPUs_at_startup"): try setVCPUs(a[0].s, msg, a[1].i ?? 0); return .str("")
        case ("VM", "set_is_a_template"):
            let vm = try db.fields(a[0].s, "vm")
            if a[1].b == true { try requirePower(a[0].s, ["Halted"], "make_into_template") }
            _ = vm
            db.set(a[0].s, "is_a_template", .bool(a[1].b ?? false)); refreshAllowed(a[0].s); return .str("")
        case ("VBD", "create"): return .str(try createVBD(a[0].map))
        case ("VBD", "insert"): try insertCD(a[0].s, a[1].s); return .str("")
        case ("VBD", "eject"): try ejectCD(a[0].s); return .str("")
        case ("VBD", "destroy"): try destroyVBD(a[0].s); return .str("")
        case ("VIF", "create"): return .str(try createVIF(a[0].map))
        case ("VIF", "destroy"):
            let f = try db.fields(a[0].s, "vif")
            db.link(f["VM"]!.s, "VIFs", a[0].s, add: false); db.link(f["network"]!.s, "VIFs", a[0].s, add: false)
            db.remove(a[0].s); return .str("")
        case ("VDI", "create"): return .str(try createVDI(a[0].map))
        case ("VDI", "destroy"):
            let f = try db.fields(a[0].s, "vdi")
            if !f["VBDs"]!.strings.isEmpty { throw LabFault("VDI_IN_USE", a[0].s, "destroy") }
            db.link(f["SR"]!.s, "VDIs", a[0].s, add: false); db.remove(a[0].s); return .str("")
        case ("task", "destroy"): _ = try db.fields(a[0].s, "task"); db.remove(a[0].s); return .str("")
        case ("task", "cancel"): _ = try db.fields(a[0].s, "task"); return .str("")
        default: return try generic(table, cls, msg, a, method)
        }
    }

    static let settable: Set<String> = ["name_label", "name_description", "other_config", "HVM_boot_params", "HVM_boot_policy",
                                        "platform", "xenstore_data", "tags", "blocked_operations", "actions_after_shutdown",
                                        "actions_after_reboot", "actions_after_crash", "affinity", "PV_args", "userdevice", "bootable",
                                        "default_SR", "MTU", "sm_config", "recommendations"]

    func generic(_ table: String, _ cls: String, _ msg: String, _ a: [LabValue], _ method: String) throws -> LabValue {
        guard LabDatabase.classes[table] != nil else { throw LabFault("MESSAGE_METHOD_UNKNOWN", method) }
        switch msg {
        case "get_all": return .strList(db.refs(table))
        case "get_all_records":
            var m: [String: LabValue] = [:]
            for ref in db.refs(table) { m[ref] = .map(db.get(ref)!.fields) }
            return .map(m)
        case "get_record": return .map(try db.fields(a[0].s, table))
        case "get_by_uuid": return .str(try db.byUUID(table, a[0].s))
        case "get_by_name_label": return .strList(db.find(table) { $0["name_label"]?.s == a[0].s })
        default: break
        }
        let ref = a[0].s
        var f = try db.fields(ref, table)
        if msg.hasPrefix("get_") {
            guard let v = f[String(msg.dropFirst(4))] else { throw LabFault("MESSAGE_METHOD_UNKNOWN", method) }
            return v
        }
        if msg.hasPrefix("set_") {
            let field = String(msg.dropFirst(4))
            guard Self.settable.contains(field), let old = f[field] else { throw LabFault("MESSAGE_METHOD_UNKNOWN", method) }
            let v = a[1]
            switch old {
            case .map: guard case .map = v else { throw LabFault("FIELD_TYPE_ERROR", field) }
            case .list: guard case .list = v else { throw LabFault("FIELD_TYPE_ERROR", field) }
            case .int: guard let n = v.i else { throw LabFault("FIELD_TYPE_ERROR", field) }; f[field] = .int(n); db.update(ref) { $0 = f }; return .str("")
            case .bool: guard v.b != nil else { throw LabFault("FIELD_TYPE_ERROR", field) }
            default: break
            }
            if table == "vm" && ["HVM_boot_params", "HVM_boot_policy"].contains(field), f["is_control_domain"]?.b == true {
                throw LabFault("OPERATION_NOT_ALLOWED", "control domain")
            }
            db.set(ref, field, v)
            return .str("")
        }
        if msg.hasPrefix("add_to_") || msg.hasPrefix("remove_from_") {
            let adding = msg.hasPrefix("add_to_")
            let field = String(msg.dropFirst(adding ? 7 : 12))
            guard Self.settable.contains(field), case .map(var m)? = f[field] else { throw LabFault("MESSAGE_METHOD_UNKNOWN", method) }
            let key = a[1].s
            if adding {
                if m[key] != nil { throw LabFault("MAP_DUPLICATE_KEY", LabDatabase.classes[table]!, field, f["uuid"]!.s, key) }
                m[key] = .str(a[2].s)
            } else {
                m[key] = nil
            }
            db.set(ref, field, .map(m))
            return .str("")
        }
        throw LabFault("MESSAGE_METHOD_UNKNOWN", method)
    }

    // MARK: VM lifecycle

    func requirePower(_ vm: String, _ allowed: [String], _ op: String) throws {
        let f = try db.fields(vm, "vm")
        if f["is_a_template"]?.b == true { throw LabFault("VM_IS_TEMPLATE", vm, op) }
        let state = f["power_state"]!.s
        guard allowed.contains(state) else {
            throw LabFault("VM_BAD_POWER_STATE", vm, allowed.map { $0.lowercased() }.joined(separator: ", "), state.lowercased())
        }
    }

    func cloneVM(_ source: String, name: String, sr: String?) throws -> String {
        let src = try db.fields(source, "vm")
        if src["is_a_template"]?.b != true && src["power_state"]?.s != "Halted" {
            throw LabFault("VM_BAD_POWER_STATE", source, "halted", src["power_state"]!.s.lowercased())
        }
        if let sr { _ = try db.fields(sr, "sr") }
        var f = src
        f["uuid"] = nil
        f["name_label"] = .str(name)
        f["is_default_template"] = .bool(false)
        f["VBDs"] = .list([]); f["VIFs"] = .list([])
        f["guest_metrics"] = .null; f["resident_on"] = .null; f["domid"] = .int(-1); f["current_operations"] = .empty
        var other = src["other_config"]?.map ?? [:]
        other["default_template"] = nil
        other["mac_seed"] = .str(UUID().uuidString.lowercased())
        if src["is_a_template"]?.b == true { other["base_template_name"] = src["name_label"] }
        f["other_config"] = .map(other)
        let vm = db.insert("vm", f)
        for vbd in src["VBDs"]!.strings {
            guard var b = db.get(vbd)?.fields else { continue }
            var vdi = b["VDI"]!.s
            if b["type"]?.s == "Disk", let disk = db.get(vdi)?.fields {
                var d = disk
                d["uuid"] = nil; d["VBDs"] = .list([]); d["location"] = .str(UUID().uuidString.lowercased())
                // A clone is a child in the source disk's VHD chain, as XAPI records it in sm_config.
                var sm = disk["sm_config"]?.map ?? [:]
                if let parent = disk["uuid"]?.s { sm["vhd-parent"] = .str(parent) }
                d["sm_config"] = .map(sm)
                if let sr { d["SR"] = .str(sr) }
                vdi = db.insert("vdi", d)
                db.link(d["SR"]!.s, "VDIs", vdi, add: true)
            }
            b["uuid"] = nil; b["VM"] = .str(vm); b["VDI"] = .str(vdi); b["currently_attached"] = .bool(false)
            let newVBD = db.insert("vbd", b)
            db.link(vdi, "VBDs", newVBD, add: true)
            db.link(vm, "VBDs", newVBD, add: true)
        }
        for vif in src["VIFs"]!.strings {
            guard var v = db.get(vif)?.fields else { continue }
            v["uuid"] = nil; v["VM"] = .str(vm); v["currently_attached"] = .bool(false)
            v["MAC"] = .str(LabRecords.mac(seed: other["mac_seed"]!.s, device: v["device"]!.s)); v["MAC_autogenerated"] = .bool(true)
            let newVIF = db.insert("vif", v)
            db.link(vm, "VIFs", newVIF, add: true)
            db.link(v["network"]!.s, "VIFs", newVIF, add: true)
        }
        refreshAllowed(vm)
        return vm
    }

    func provision(_ vm: String) throws {
        let f = try db.fields(vm, "vm")
        guard f["power_state"]?.s == "Halted" else { throw LabFault("VM_BAD_POWER_STATE", vm, "halted", f["power_state"]!.s.lowercased()) }
        var other = f["other_config"]?.map ?? [:]
        let xml = other["disks"]?.s ?? ""
        // Check every disk first so a failure leaves nothing behind.
        var plan: [(sr: String, attrs: [String: String])] = []
        for disk in Self.diskElements(xml) {
            let uuid = disk["sr"] ?? ""
            guard let sr = try? db.byUUID("sr", uuid) else { throw LabFault("UUID_INVALID", "sr", uuid) }
            plan.append((sr, disk))
        }
        for (sr, disk) in plan {
            let device = disk["device"] ?? "0"
            let vdi = db.insert("vdi", LabRecords.vdi(name: device, sr: sr, size: Int64(disk["size"] ?? "") ?? 0,
                                                      type: disk["type"] ?? "system", description: "Created by template provisioner"))
            db.update(vdi) { $0["sm_config"] = .strMap(["vmhint": f["uuid"]!.s]) }
            db.link(sr, "VDIs", vdi, add: true)
            let vbd = db.insert("vbd", LabRecords.vbd(vm: vm, vdi: vdi, device: device, type: "Disk", mode: "RW",
                                                      bootable: disk["bootable"] == "true", empty: false, other: ["owner": .str("")]))
            db.update(vbd) { $0["unpluggable"] = .bool(disk["type"] != "system") }
            db.link(vdi, "VBDs", vbd, add: true)
            db.link(vm, "VBDs", vbd, add: true)
        }
        other["disks"] = nil
        other["postinstall"] = nil
        db.update(vm) { $0["other_config"] = .map(other); $0["is_a_template"] = .bool(false) }
        refreshAllowed(vm)
    }

    static func diskElements(_ xml: String) -> [[String: String]] {
        var out: [[String: String]] = []
        for part in xml.components(separatedBy: "<disk").dropFirst() {
            let body = part.prefix { $0 != ">" }
            var attrs: [String: String] = [:]
            let pieces = body.components(separatedBy: "\"")
            var i = 0
            while i + 1 < pieces.count {
                let name = pieces[i].trimmingCharacters(in: CharacterSet(charactersIn: " =/\t\n"))
                attrs[name] = pieces[i + 1]
                i += 2
            }
            out.append(attrs)
        }
        return out
    }

    func start(_ vm: String) throws {
        try requirePower(vm, ["Halted"], "start")
        powerOn(vm)
    }

    func powerOn(_ vm: String) {
        let host = seedRefs.master
        let domid = nextDomID
        nextDomID += 1
        db.update(vm) { $0["power_state"] = .str("Running"); $0["resident_on"] = .str(host); $0["domid"] = .int(domid) }
        db.link(host, "resident_VMs", vm, add: true)
        for vbd in db.get(vm)?.fields["VBDs"]?.strings ?? [] {
            db.update(vbd) { b in
                b["currently_attached"] = .bool(true)
                b["device"] = .str(b["type"]?.s == "CD" ? "xvdd" : "xvd" + String(UnicodeScalar(UInt8(97 + (Int(b["userdevice"]!.s) ?? 0) % 26))))
            }
        }
        for vif in db.get(vm)?.fields["VIFs"]?.strings ?? [] { db.set(vif, "currently_attached", .bool(true)) }
        refreshAllowed(vm)
    }

    func powerOff(_ vm: String) {
        guard let f = db.get(vm)?.fields else { return }
        db.link(f["resident_on"]!.s, "resident_VMs", vm, add: false)
        let gm = f["guest_metrics"]!.s
        db.update(vm) { $0["power_state"] = .str("Halted"); $0["resident_on"] = .null; $0["domid"] = .int(-1); $0["guest_metrics"] = .null }
        if db.get(gm) != nil { db.remove(gm) }
        for vbd in f["VBDs"]!.strings { db.set(vbd, "currently_attached", .bool(false)) }
        for vif in f["VIFs"]!.strings { db.set(vif, "currently_attached", .bool(false)) }
        refreshAllowed(vm)
    }

    func reboot(_ vm: String) {
        let domid = nextDomID
        nextDomID += 1
        let gm = db.get(vm)?.fields["guest_metrics"]?.s ?? ""
        if db.get(gm) != nil { db.remove(gm) }
        db.update(vm) { $0["domid"] = .int(domid); $0["power_state"] = .str("Running"); $0["guest_metrics"] = .null }
        refreshAllowed(vm)
    }

    func destroyVM(_ vm: String) throws {
        let f = try db.fields(vm, "vm")
        if f["is_default_template"]?.b == true { throw LabFault("VM_CANNOT_DELETE_DEFAULT_TEMPLATE", vm) }
        if f["is_control_domain"]?.b == true { throw LabFault("OPERATION_NOT_ALLOWED", "control domain") }
        if f["is_a_template"]?.b != true, !["Halted", "Suspended"].contains(f["power_state"]!.s) {
            throw LabFault("VM_BAD_POWER_STATE", vm, "halted, suspended", f["power_state"]!.s.lowercased())
        }
        for vbd in f["VBDs"]!.strings { try? destroyVBD(vbd) }
        for vif in f["VIFs"]!.strings {
            if let n = db.get(vif)?.fields["network"]?.s { db.link(n, "VIFs", vif, add: false) }
            db.remove(vif)
        }
        if db.get(f["guest_metrics"]!.s) != nil { db.remove(f["guest_metrics"]!.s) }
        db.remove(vm)
    }

    func setMemory(_ vm: String, _ v: [Int64]) throws {
        let f = try db.fields(vm, "vm")
        if f["is_a_template"]?.b != true { try requirePower(vm, ["Halted"], "changing_memory_limits") }
        guard v.count == 4, v[0] >= 0, v[0] <= v[2], v[2] <= v[3], v[3] <= v[1] else { throw LabFault("MEMORY_CONSTRAINT_VIOLATION_ORDER") }
        db.update(vm) { f in
            f["memory_static_min"] = .int(v[0]); f["memory_static_max"] = .int(v[1])
            f["memory_dynamic_min"] = .int(v[2]); f["memory_dynamic_max"] = .int(v[3])
        }
    }

    func setVCPUs(_ vm: String, _ msg: String, _ n: Int64) throws {
        let f = try db.fields(vm, "vm")
        if f["is_a_template"]?.b != true { try requirePower(vm, ["Halted"], "changing_VCPUs") }
        let max = msg == "set_VCPUs_max" ? n : f["VCPUs_max"]!.i!
        let startup = msg == "set_VCPUs_max" ? f["VCPUs_at_startup"]!.i! : n
        guard startup > 0, startup <= max else {
            throw LabFault("INVALID_VALUE", "VCPU values must satisfy: 0 < VCPUs_at_startup ≤ VCPUs_max", String(n))
        }
        db.set(vm, msg == "set_VCPUs_max" ? "VCPUs_max" : "VCPUs_at_startup", .int(n))
    }

    /// Keeps `allowed_operations` in step with the power state (xapi_vm_lifecycle).
    func refreshAllowed(_ vm: String) {
        guard let f = db.get(vm)?.fields else { return }
        var ops: [String]
        if f["is_control_domain"]?.b == true { ops = [] }
        else if f["is_a_template"]?.b == true {
            ops = ["clone", "copy", "export", "provision", "changing_memory_limits", "changing_VCPUs"]
            if f["is_default_template"]?.b != true { ops.append("destroy") }
        } else {
            switch f["power_state"]!.s {
            case "Running": ops = ["clean_shutdown", "hard_shutdown", "clean_reboot", "hard_reboot", "suspend", "pause", "snapshot", "checkpoint", "pool_migrate"]
            case "Paused": ops = ["unpause", "hard_shutdown", "hard_reboot", "snapshot", "checkpoint"]
            case "Suspended": ops = ["resume", "hard_shutdown", "destroy", "snapshot"]
            default: ops = ["start", "start_on", "clone", "copy", "export", "destroy", "provision", "make_into_template",
                            "changing_memory_limits", "changing_static_range", "changing_VCPUs", "snapshot"]
            }
        }
        let value = LabValue.strList(ops)
        if f["allowed_operations"] != value { db.set(vm, "allowed_operations", value) }
    }
}
