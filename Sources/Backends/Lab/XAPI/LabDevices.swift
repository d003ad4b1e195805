import Foundation

/// VBD and VIF constructors and CD handling, with xapi's rules
/// (xapi_vbd.ml / xapi_vif_helpers.ml).
extension XAPILab {
    static func required(_ r: [String: LabValue], _ keys: [String]) throws {
        for k in keys where r[k] == nil { throw LabFault("INTERNAL_ERROR", "field \(k) not found in constructor record") }
    }

    func createVBD(_ r: [String: LabValue]) throws -> String {
        try Self.required(r, ["VM", "VDI", "userdevice", "bootable", "mode", "type", "empty", "other_config",
                              "qos_algorithm_type", "qos_algorithm_params"])
        let vm = r["VM"]!.s
        let vmf = try db.fields(vm, "vm")
        let vdi = r["VDI"]!.s
        let type = r["type"]!.s
        let mode = r["mode"]!.s
        guard ["CD", "Disk", "Floppy"].contains(type) else { throw LabFault("INVALID_VALUE", "type", type) }
        if type == "CD" && mode != "RO" { throw LabFault("VBD_CDS_MUST_BE_READONLY") }
        let empty = r["empty"]?.b ?? false
        if vdi == "OpaqueRef:NULL" || empty {
            guard type == "CD" else { throw LabFault("VBD_NOT_REMOVABLE_MEDIA", "in constructor") }
        } else {
            let vdif = try db.fields(vdi, "vdi")
            if mode == "RW" && vdif["read_only"]?.b == true { throw LabFault("VDI_READONLY", vdi) }
        }
        var device = r["userdevice"]!.s
        let used = Set(vmf["VBDs"]!.strings.compactMap { db.get($0)?.fields["userdevice"]?.s })
        if device == "autodetect" {
            device = String((0...254).first { !used.contains(String($0)) } ?? 255)
        }
        guard let n = Int(device), n >= 0, n < 255 else { throw LabFault("INVALID_DEVICE", device) }
        if used.contains(device) { throw LabFault("DEVICE_ALREADY_EXISTS", device) }
        var rec = LabRecords.vbd(vm: vm, vdi: empty ? "OpaqueRef:NULL" : vdi, device: device, type: type, mode: mode,
                                 bootable: r["bootable"]?.b ?? false, empty: empty, other: r["other_config"]!.map)
        rec["qos_algorithm_type"] = r["qos_algorithm_type"]
        rec["qos_algorithm_params"] = r["qos_algorithm_params"]
        if let u = r["unpluggable"]?.b { rec["unpluggable"] = .bool(u) }
        let vbd = db.insert("vbd", rec)
        if !empty { db.link(vdi, "VBDs", vbd, add: true) }
        db.link(vm, "VBDs", vbd, add: true)
        return vbd
    }

    func destroyVBD(_ vbd: String) throws {
        let f = try db.fields(vbd, "vbd")
        if f["currently_attached"]?.b == true, db.get(f["VM"]!.s)?.fields["power_state"]?.s == "Running" {
            throw LabFault("OPERATION_NOT_ALLOWED", "VBD is currently attached")
        }
        db.link(f["VDI"]!.s, "VBDs", vbd, add: false)
        db.link(f["VM"]!.s, "VBDs", vbd, add: false)
        db.remove(vbd)
    }

    func insertCD(_ vbd: String, _ vdi: String) throws {
        let f = try db.fields(vbd, "vbd")
        _ = try db.fields(vdi, "vdi")
        guard f["type"]?.s == "CD" else { throw LabFault("VBD_NOT_REMOVABLE_MEDIA", vbd) }
        guard f["empty"]?.b == true else { throw LabFault("VBD_NOT_EMPTY", vbd) }
        db.update(vbd) { $0["VDI"] = .str(vdi); $0["empty"] = .bool(false) }
        db.link(vdi, "VBDs", vbd, add: true)
    }

    func ejectCD(_ vbd: String) throws {
        let f = try db.fields(vbd, "vbd")
        guard f["type"]?.s == "CD" else { throw LabFault("VBD_NOT_REMOVABLE_MEDIA", vbd) }
        guard f["empty"]?.b != true else { throw LabFault("VBD_IS_EMPTY", vbd) }
        db.link(f["VDI"]!.s, "VBDs", vbd, add: false)
        db.update(vbd) { $0["VDI"] = .null; $0["empty"] = .bool(true) }
    }

    func createVIF(_ r: [String: LabValue]) throws -> String {
        try Self.required(r, ["device", "network", "VM", "MAC", "MTU", "other_config", "qos_algorithm_type", "qos_algorithm_params"])
        let vm = r["VM"]!.s
        let vmf = try db.fields(vm, "vm")
        let network = r["network"]!.s
        _ = try db.fields(network, "network")
        let device = r["device"]!.s
        guard let n = Int(device), n >= 0 else { throw LabFault("INVALID_DEVICE", device) }
        _ = n
        if vmf["VIFs"]!.strings.contains(where: { db.get($0)?.fields["device"]?.s == device }) {
            throw LabFault("DEVICE_ALREADY_EXISTS", device)
        }
        var mac = r["MAC"]!.s.lowercased()
        var auto = false
        if mac.isEmpty {
            guard let seed = vmf["other_config"]?.map["mac_seed"]?.s else { throw LabFault("MAC_INVALID", "") }
            mac = LabRecords.mac(seed: seed, device: device); auto = true
        } else {
            let parts = mac.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 6, parts.allSatisfy({ $0.count == 2 && UInt8($0, radix: 16) != nil }) else {
                throw LabFault("MAC_INVALID", r["MAC"]!.s)
            }
        }
        var rec = LabRecords.vif(vm: vm, network: network, device: device, mac: mac, auto: auto, mtu: r["MTU"]?.i ?? 1500)
        rec["other_config"] = r["other_config"]
        let vif = db.insert("vif", rec)
        db.link(vm, "VIFs", vif, add: true)
        db.link(network, "VIFs", vif, add: true)
        if vmf["power_state"]?.s == "Running" { db.set(vif, "currently_attached", .bool(true)) }
        return vif
    }

    /// Creates or fills the VM's `VM_guest_metrics` as the guest agent would.
    func setGuestMetricsInternal(vm: String, os: [String: String]?, drivers: [String: String]?, networks: [String: String]?,
                                 other: [String: String]?) {
        guard let f = db.get(vm)?.fields else { return }
        var gm = f["guest_metrics"]!.s
        if db.get(gm) == nil {
            gm = db.insert("vm_guest_metrics", [
                "os_version": .empty, "PV_drivers_version": .empty, "PV_drivers_up_to_date": .bool(false),
                "PV_drivers_detected": .bool(false), "memory": .empty, "disks": .empty, "networks": .empty, "other": .empty,
                "last_updated": LabClock.stamp(), "other_config": .empty, "live": .bool(true), "can_use_hotplug_vbd": .str("unspecified"),
                "can_use_hotplug_vif": .str("unspecified"), "netbios_name": .empty,
            ])
            db.set(vm, "guest_metrics", .str(gm))
        }
        db.update(gm) { g in
            func merge(_ field: String, _ m: [String: String]?) {
                guard let m else { return }
                var cur = g[field]?.map ?? [:]
                for (k, v) in m { cur[k] = .str(v) }
                g[field] = .map(cur)
            }
            merge("os_version", os); merge("PV_drivers_version", drivers); merge("networks", networks); merge("other", other)
            if let d = drivers, d["major"] != nil { g["PV_drivers_detected"] = .bool(true); g["PV_drivers_up_to_date"] = .bool(true) }
            g["last_updated"] = LabClock.stamp()
        }
        changed()
    }
}
