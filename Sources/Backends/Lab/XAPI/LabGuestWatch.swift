import Foundation

/// One VM as the lab's guest simulation needs to see it: power, the domain
/// generation (a new domid on every start and reboot), its MACs and boot media.
public struct XAPIGuestView: Sendable, Equatable {
    public var uuid: String
    public var powerState: String
    /// -1 when halted; changes on every start and every reboot.
    public var domid: Int64
    public var macs: [String]
    /// Name of the ISO in the CD drive, nil when the drive is empty or absent.
    public var cdName: String?
    /// The inserted ISO is the pool's tools ISO (`is_tools_iso`).
    public var cdIsToolsISO: Bool
    /// `HVM_boot_params.order`, e.g. `dc` or `cdn`.
    public var bootOrder: String
    /// `VM_guest_metrics.PV_drivers_version`, nil while the VM has no guest metrics.
    public var pvDriversVersion: [String: String]?
    /// The first disk's VDI uuid, then its ancestors by `sm_config["vhd-parent"]`
    /// (a clone's disk starts as a copy of its parent's).
    public var diskChain: [String] = []
    /// `HVM_boot_params.firmware`: `bios` or `uefi`.
    public var firmware: String = "bios"
}

/// Read-only views for the lab's guest simulation (added by the simulation,
/// beside the pool's own hooks in `LabSimulation.swift`).
extension XAPILab {
    /// Every VM that is neither a template nor a control domain.
    public func guestViews() -> [XAPIGuestView] {
        db.refs("vm").compactMap { ref -> XAPIGuestView? in
            guard let f = db.get(ref)?.fields, f["is_a_template"]?.b != true, f["is_control_domain"]?.b != true else { return nil }
            var macs: [String] = []
            for vif in f["VIFs"]?.strings ?? [] {
                if let mac = db.get(vif)?.fields["MAC"]?.s, !mac.isEmpty { macs.append(mac.lowercased()) }
            }
            var chain: [String] = []
            for vbd in f["VBDs"]?.strings ?? [] {
                guard let b = db.get(vbd)?.fields, b["type"]?.s == "Disk", let vdi = b["VDI"]?.s, var v = db.get(vdi)?.fields else { continue }
                while let uuid = v["uuid"]?.s, !chain.contains(uuid), chain.count < 16 {
                    chain.append(uuid)
                    guard let parent = v["sm_config"]?.map["vhd-parent"]?.s, let ref = try? db.byUUID("vdi", parent),
                          let next = db.get(ref)?.fields else { break }
                    v = next
                }
                break
            }
            var cdName: String?
            var tools = false
            for vbd in f["VBDs"]?.strings ?? [] {
                guard let b = db.get(vbd)?.fields, b["type"]?.s == "CD", b["empty"]?.b == false,
                      let vdi = b["VDI"]?.s, let v = db.get(vdi)?.fields else { continue }
                cdName = v["name_label"]?.s
                tools = v["is_tools_iso"]?.b == true
            }
            var drivers: [String: String]?
            if let gm = f["guest_metrics"]?.s, let g = db.get(gm)?.fields {
                drivers = (g["PV_drivers_version"]?.map ?? [:]).mapValues(\.s)
            }
            return XAPIGuestView(uuid: f["uuid"]?.s ?? "", powerState: f["power_state"]?.s ?? "Halted", domid: f["domid"]?.i ?? -1,
                                 macs: macs, cdName: cdName, cdIsToolsISO: tools,
                                 bootOrder: f["HVM_boot_params"]?.map["order"]?.s ?? "cd",
                                 pvDriversVersion: drivers, diskChain: chain, firmware: f["HVM_boot_params"]?.map["firmware"]?.s ?? "bios")
        }
    }
}
