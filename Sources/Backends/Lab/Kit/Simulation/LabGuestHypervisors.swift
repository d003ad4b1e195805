import Foundation
import LabCloudStack
import LabXAPI

/// A VM as the simulator sees it on any hypervisor.
struct LabGuestMachine: Sendable, Equatable {
    /// `xenserver/<uuid>` or `cloudstack/<id>`: unique across the lab.
    var key: String
    var hypervisor: String
    var id: String
    var running: Bool
    /// Changes on every start and reboot (XenServer domid, CloudStack boot count).
    var generation: Int64
    var macs: [String]
    /// Boot devices in firmware order: `c` disk, `d` CD, `n` network.
    var bootOrder: String
    /// The CD holds an iPXE ISO (network install media).
    var cdIsIPXE: Bool
    /// The CD holds the guest tools ISO.
    var cdIsTools: Bool
    /// The VM boots UEFI firmware (of the width `LabSimulationOptions.uefiWidth` says), not a BIOS.
    var uefi: Bool = false
    /// The boot disk and the disks it was cloned from, nearest first (XenServer); empty when unknown.
    var diskChain: [String] = []
}

/// What the simulator can see and do on one lab hypervisor, as a guest inside its VMs.
protocol LabGuestHypervisor: Sendable {
    var name: String { get }
    func machines() async -> [LabGuestMachine]
    /// The guest restarted itself.
    func guestReboot(id: String) async
    /// The guest shut itself down.
    func guestPowerOff(id: String) async
    /// The guest agent reported (XenServer only; CloudStack has no such channel).
    func agentReport(id: String, osName: String, tools: LabGuestToolsVersion, ip: String) async
}

struct LabXenServerGuests: LabGuestHypervisor {
    let lab: XAPILab
    var name: String { "xenserver" }

    func machines() async -> [LabGuestMachine] {
        await lab.guestViews().map { view in
            LabGuestMachine(key: "xenserver/\(view.uuid)", hypervisor: name, id: view.uuid, running: view.powerState == "Running",
                            generation: view.domid, macs: view.macs, bootOrder: view.bootOrder,
                            cdIsIPXE: view.cdName.map(Self.isIPXE) ?? false, cdIsTools: view.cdIsToolsISO,
                            uefi: view.firmware.lowercased() == "uefi", diskChain: view.diskChain)
        }
    }

    static func isIPXE(_ name: String) -> Bool { name.lowercased().contains("ipxe") }

    func guestReboot(id: String) async { await lab.guestReboot(vmUUID: id) }
    func guestPowerOff(id: String) async { await lab.guestShutdown(vmUUID: id) }

    func agentReport(id: String, osName: String, tools: LabGuestToolsVersion, ip: String) async {
        // The Windows agent's os_version name carries the system root and boot partition.
        let os = ["name": "\(osName)|C:\\Windows|\\Device\\Harddisk0\\Partition2", "distro": "windows",
                  "major": "10", "minor": "0", "spmajor": "0", "spminor": "0"]
        let other = ["feature-shutdown": "1", "feature-poweroff": "1", "feature-reboot": "1", "feature-suspend": "1",
                     "feature-static-ip-setting": "1", "has-vendor-device": "0", "data-ts": "1"]
        await lab.setGuestMetrics(vmUUID: id, osVersion: os, pvDriversVersion: tools.fields,
                                  networks: ["0/ip": ip, "0/ipv4/0": ip], other: other)
    }
}

struct LabCloudStackGuests: LabGuestHypervisor {
    let lab: LabCloudStack
    var name: String { "cloudstack" }

    func machines() async -> [LabGuestMachine] {
        await lab.guestViews().map { view in
            let iso = view.isoName ?? ""
            return LabGuestMachine(key: "cloudstack/\(view.id)", hypervisor: name, id: view.id, running: view.state == "Running",
                                   generation: Int64(view.bootCount), macs: view.macs,
                                   // An attached ISO boots first, as on an ISO-deployed CloudStack VM.
                                   bootOrder: view.isoName == nil ? "c" : "dc",
                                   cdIsIPXE: LabXenServerGuests.isIPXE(iso), cdIsTools: view.isoIsGuestTools || iso.lowercased().contains("tools"),
                                   uefi: view.bootType.uppercased() == "UEFI")
        }
    }

    func guestReboot(id: String) async { try? await lab.guestRebooted(vmID: id) }
    func guestPowerOff(id: String) async { try? await lab.guestPoweredOff(vmID: id) }
    func agentReport(id: String, osName: String, tools: LabGuestToolsVersion, ip: String) async {}
}
