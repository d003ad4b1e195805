import Foundation

/// What a guest (the lab's install simulation) and fault tests can do to the
/// pool. Every change fires `event.from` events, as on a real pool.
extension XAPILab {
    /// The guest powered itself off (e.g. the installer's final shutdown).
    /// Returns false when no running VM has this UUID.
    @discardableResult
    public func guestShutdown(vmUUID: String) -> Bool {
        guard let vm = try? db.byUUID("vm", vmUUID), db.get(vm)?.fields["power_state"]?.s == "Running" else { return false }
        powerOff(vm)
        changed()
        return true
    }

    /// The guest rebooted itself: new domain, guest metrics gone until the agent reports again.
    @discardableResult
    public func guestReboot(vmUUID: String) -> Bool {
        guard let vm = try? db.byUUID("vm", vmUUID), db.get(vm)?.fields["power_state"]?.s == "Running" else { return false }
        reboot(vm)
        changed()
        return true
    }

    /// The guest agent reported: creates `VM_guest_metrics` on first report, then merges
    /// the given keys (os_version `name`/`distro`/`major`…; PV_drivers_version
    /// `major`/`minor`/`micro`/`build`; networks `0/ip`, `0/ipv4/0`…; other `feature-*`).
    /// A nil map is left as it is. Returns false when no running VM has this UUID.
    @discardableResult
    public func setGuestMetrics(vmUUID: String, osVersion: [String: String]? = nil, pvDriversVersion: [String: String]? = nil,
                                networks: [String: String]? = nil, other: [String: String]? = nil) -> Bool {
        guard let vm = try? db.byUUID("vm", vmUUID), db.get(vm)?.fields["power_state"]?.s == "Running" else { return false }
        setGuestMetricsInternal(vm: vm, os: osVersion, drivers: pvDriversVersion, networks: networks, other: other)
        return true
    }

    /// The UUID of the VM owning a VIF with this MAC (case-insensitive), as DHCP/PXE would see it.
    public func vmUUID(forMAC mac: String) -> String? {
        let wanted = mac.lowercased().replacingOccurrences(of: "-", with: ":")
        guard let vif = db.find("vif", where: { $0["MAC"]?.s.lowercased() == wanted }).first,
              let vm = db.get(vif)?.fields["VM"]?.s else { return nil }
        return db.get(vm)?.fields["uuid"]?.s
    }

    /// `Running`, `Halted`, … or nil for an unknown UUID.
    public func powerState(vmUUID: String) -> String? {
        guard let vm = try? db.byUUID("vm", vmUUID) else { return nil }
        return db.get(vm)?.fields["power_state"]?.s
    }

    /// Name and CD currently inserted (ISO name or nil), for assertions by the simulation.
    public func insertedCD(vmUUID: String) -> String? {
        guard let vm = try? db.byUUID("vm", vmUUID) else { return nil }
        for vbd in db.get(vm)?.fields["VBDs"]?.strings ?? [] {
            guard let b = db.get(vbd)?.fields, b["type"]?.s == "CD", b["empty"]?.b == false else { continue }
            return db.get(b["VDI"]!.s)?.fields["name_label"]?.s
        }
        return nil
    }

    /// Fault injection: every session becomes invalid (as after xapi's reaper or a restart).
    public func expireAllSessions() {
        sessions.removeAll()
        changed()
    }

    /// Fault injection: delay every answer (a slow or overloaded pool).
    public func setResponseDelay(_ delay: Duration) { responseDelay = delay }

    /// How many sessions are open (tests check that clients log out).
    public var openSessions: Int { sessions.count }

    /// Number of API calls served, for the benchmark's idle request rate.
    public var callCount: Int { calls }
}
