import Foundation

/// Record shapes (field names and types of xapi's datamodel) and the pool
/// the lab starts with: two hosts, local SRs, an ISO SR with the iPXE ISO,
/// the tools SR, networks, install templates, a few VMs and custom templates.
enum LabRecords {
    static func vm(name: String, template: Bool, defaultTemplate: Bool = false, memory: Int64 = 2 << 30, vcpus: Int64 = 2,
                   other: [String: String] = [:], referenceLabel: String = "", description: String = "") -> [String: LabValue] {
        [
            "name_label": .str(name), "name_description": .str(description), "power_state": .str("Halted"),
            "is_a_template": .bool(template), "is_default_template": .bool(defaultTemplate), "is_a_snapshot": .bool(false),
            "is_control_domain": .bool(false), "other_config": .strMap(other), "VCPUs_max": .int(vcpus), "VCPUs_at_startup": .int(vcpus),
            "VCPUs_params": .empty, "memory_static_min": .int(memory), "memory_static_max": .int(memory),
            "memory_dynamic_min": .int(memory), "memory_dynamic_max": .int(memory), "memory_target": .int(0), "memory_overhead": .int(0),
            "VBDs": .list([]), "VIFs": .list([]), "VGPUs": .list([]), "VUSBs": .list([]), "consoles": .list([]), "snapshots": .list([]),
            "crash_dumps": .list([]), "attached_PCIs": .list([]), "children": .list([]),
            "guest_metrics": .null, "metrics": .null, "resident_on": .null, "affinity": .null, "scheduled_to_be_resident_on": .null,
            "suspend_VDI": .null, "suspend_SR": .null, "parent": .null, "snapshot_of": .null, "appliance": .null,
            "protection_policy": .null, "snapshot_schedule": .null,
            "allowed_operations": .list([]), "current_operations": .empty, "blocked_operations": .empty,
            "HVM_boot_policy": .str("BIOS order"), "HVM_boot_params": .strMap(["order": "cdn", "firmware": "bios"]),
            "HVM_shadow_multiplier": .double(1), "PV_args": .str(""), "PV_bootloader": .str(""), "PV_bootloader_args": .str(""),
            "PV_kernel": .str(""), "PV_ramdisk": .str(""), "PV_legacy_args": .str(""), "PCI_bus": .str(""),
            "platform": .strMap(["viridian": "true", "acpi": "1", "apic": "true", "pae": "true", "nx": "true", "device_id": "0002"]),
            "xenstore_data": .empty, "bios_strings": .empty, "blobs": .empty, "tags": .list([]), "domid": .int(-1),
            "domain_type": .str("hvm"), "domarch": .str(""), "recommendations": .str(
                "<restrictions><restriction field=\"memory-static-max\" max=\"137438953472\"/><restriction field=\"vcpus-max\" max=\"32\"/><restriction property=\"number-of-vbds\" max=\"255\"/><restriction property=\"number-of-vifs\" max=\"7\"/></restrictions>"),
            "reference_label": .str(referenceLabel), "actions_after_shutdown": .str("destroy"), "actions_after_reboot": .str("restart"),
            "actions_after_crash": .str("restart"), "ha_always_run": .bool(false), "ha_restart_priority": .str(""),
            "snapshot_time": LabClock.epoch, "snapshot_info": .empty, "snapshot_metadata": .str(""), "transportable_snapshot_id": .str(""),
            "user_version": .int(1), "version": .int(0), "order": .int(0), "start_delay": .int(0), "shutdown_delay": .int(0),
            "is_snapshot_from_vmpp": .bool(false), "is_vmss_snapshot": .bool(false), "last_booted_record": .str(""),
            "last_boot_CPU_flags": .empty, "generation_id": .str(""), "hardware_platform_version": .int(0),
            "has_vendor_device": .bool(false), "requires_reboot": .bool(false),
        ]
    }

    static func vdi(name: String, sr: String, size: Int64, type: String = "user", readOnly: Bool = false, toolsISO: Bool = false,
                    description: String = "") -> [String: LabValue] {
        [
            "name_label": .str(name), "name_description": .str(description), "SR": .str(sr), "VBDs": .list([]), "crash_dumps": .list([]),
            "virtual_size": .int(size), "physical_utilisation": .int(size / 4), "type": .str(type), "sharable": .bool(false),
            "read_only": .bool(readOnly), "other_config": .empty, "sm_config": .empty, "xenstore_data": .empty, "tags": .list([]),
            "storage_lock": .bool(false), "location": .str(UUID().uuidString.lowercased()), "managed": .bool(true), "missing": .bool(false),
            "parent": .null, "is_a_snapshot": .bool(false), "snapshot_of": .null, "snapshots": .list([]),
            "snapshot_time": LabClock.epoch, "allowed_operations": .strList(["clone", "destroy", "resize", "snapshot", "copy"]),
            "current_operations": .empty, "is_tools_iso": .bool(toolsISO), "on_boot": .str("persist"), "allow_caching": .bool(false),
            "metadata_latest": .bool(false), "cbt_enabled": .bool(false),
        ]
    }

    static func sr(name: String, type: String, content: String, shared: Bool, size: Int64, tools: Bool = false,
                   other: [String: String] = [:]) -> [String: LabValue] {
        [
            "name_label": .str(name), "name_description": .str(""), "type": .str(type), "content_type": .str(content),
            "shared": .bool(shared), "VDIs": .list([]), "PBDs": .list([]), "physical_size": .int(size), "physical_utilisation": .int(size / 5),
            "virtual_allocation": .int(0), "other_config": .strMap(other), "sm_config": .empty, "tags": .list([]),
            "allowed_operations": .strList(["scan", "vdi_create", "vdi_destroy"]), "current_operations": .empty,
            "is_tools_sr": .bool(tools), "local_cache_enabled": .bool(false), "blobs": .empty, "introduced_by": .null, "clustered": .bool(false),
        ]
    }

    static func vbd(vm: String, vdi: String, device: String, type: String, mode: String, bootable: Bool, empty: Bool,
                    other: [String: LabValue] = [:]) -> [String: LabValue] {
        [
            "VM": .str(vm), "VDI": .str(vdi), "userdevice": .str(device), "device": .str(""), "bootable": .bool(bootable),
            "mode": .str(mode), "type": .str(type), "empty": .bool(empty), "unpluggable": .bool(type != "Disk"),
            "currently_attached": .bool(false), "storage_lock": .bool(false), "status_code": .int(0), "status_detail": .str(""),
            "runtime_properties": .empty, "other_config": .map(other), "qos_algorithm_type": .str(""), "qos_algorithm_params": .empty,
            "qos_supported_algorithms": .list([]), "metrics": .null,
            "allowed_operations": .strList(type == "CD" ? ["attach", "eject", "insert"] : ["attach"]), "current_operations": .empty,
        ]
    }

    static func vif(vm: String, network: String, device: String, mac: String, auto: Bool, mtu: Int64) -> [String: LabValue] {
        [
            "VM": .str(vm), "network": .str(network), "device": .str(device), "MAC": .str(mac), "MAC_autogenerated": .bool(auto),
            "MTU": .int(mtu), "currently_attached": .bool(false), "other_config": .empty, "qos_algorithm_type": .str(""),
            "qos_algorithm_params": .empty, "qos_supported_algorithms": .list([]), "status_code": .int(0), "status_detail": .str(""),
            "runtime_properties": .empty, "metrics": .null, "locking_mode": .str("network_default"), "ipv4_allowed": .list([]),
            "ipv6_allowed": .list([]), "ipv4_configuration_mode": .str("None"), "ipv4_addresses": .list([]), "ipv4_gateway": .str(""),
            "ipv6_configuration_mode": .str("None"), "ipv6_addresses": .list([]), "ipv6_gateway": .str(""),
            "allowed_operations": .strList(["attach"]), "current_operations": .empty,
        ]
    }

    /// A MAC derived from the VM's `mac_seed` and the device number, as xapi does (locally administered).
    static func mac(seed: String, device: String) -> String {
        var h: UInt64 = 1469598103934665603
        for b in (seed + "/" + device).utf8 { h = (h ^ UInt64(b)) &* 1099511628211 }
        let bytes = [0x02 | UInt8((h >> 40) & 0xFC), UInt8((h >> 32) & 0xFF), UInt8((h >> 24) & 0xFF),
                     UInt8((h >> 16) & 0xFF), UInt8((h >> 8) & 0xFF), UInt8(h & 0xFF)]
        return bytes.map { String(format: "%02x", $0) }.joined(separator: ":")
    }

    static func disks(size: Int64) -> String {
        "<provision><disk device=\"0\" size=\"\(size)\" sr=\"\" bootable=\"true\" type=\"system\"/></provision>"
    }
}

/// Refs of the well-known seeded objects.
struct LabSeedRefs: Sendable {
    var pool = "", master = "", member = "", localSR = "", isoSR = "", toolsSR = "", network = "", internalNetwork = ""
}

extension LabDatabase {
    mutating func seed(extraVMs: Int) -> LabSeedRefs {
        var r = LabSeedRefs()
        let gib: Int64 = 1 << 30
        for (n, name) in ["xcp-lab-01", "xcp-lab-02"].enumerated() {
            let ref = insert("host", [
                "name_label": .str(name), "name_description": .str(""), "hostname": .str(name), "address": .str("127.0.0.\(n + 1)"),
                "API_version_major": .int(2), "API_version_minor": .int(21), "API_version_vendor": .str("XenSource"),
                "software_version": .strMap(["product_version": "8.3.0", "product_brand": "XCP-ng", "xapi": "26.4", "platform_version": "3.4.0"]),
                "enabled": .bool(true), "resident_VMs": .list([]), "other_config": .empty, "https_only": .bool(false),
                "cpu_info": .strMap(["cpu_count": "16", "vendor": "GenuineIntel"]), "memory_overhead": .int(0), "metrics": .null,
            ])
            if n == 0 { r.master = ref } else { r.member = ref }
            let dom0 = insert("vm", LabRecords.vm(name: "Control domain on host: \(name)", template: false, memory: 4 * gib, vcpus: 8))
            update(dom0) { $0["is_control_domain"] = .bool(true); $0["power_state"] = .str("Running"); $0["domid"] = .int(0); $0["resident_on"] = .str(ref) }
            link(ref, "resident_VMs", dom0, add: true)
        }
        r.localSR = insert("sr", LabRecords.sr(name: "Local storage", type: "ext", content: "user", shared: false, size: 2048 * gib))
        _ = insert("sr", LabRecords.sr(name: "Local storage on xcp-lab-02", type: "ext", content: "user", shared: false, size: 2048 * gib))
        r.isoSR = insert("sr", LabRecords.sr(name: "ISO library", type: "iso", content: "iso", shared: true, size: 100 * gib))
        r.toolsSR = insert("sr", LabRecords.sr(name: "XCP-ng Tools", type: "iso", content: "iso", shared: true, size: gib, tools: true,
                                               other: ["xenserver_tools_sr": "true", "xensource_internal": "true", "i18n-key": "xenserver-tools"]))
        for (name, sr, tools) in [("ipxe.iso", r.isoSR, false), ("debian-12.iso", r.isoSR, false), ("guest-tools.iso", r.toolsSR, true)] {
            let vdi = insert("vdi", LabRecords.vdi(name: name, sr: sr, size: 64 << 20, readOnly: true, toolsISO: tools))
            link(sr, "VDIs", vdi, add: true)
        }
        r.pool = insert("pool", [
            "name_label": .str("lab pool"), "name_description": .str(""), "master": .str(r.master), "default_SR": .str(r.localSR),
            "suspend_image_SR": .str(r.localSR), "crash_dump_SR": .str(r.localSR), "other_config": .empty, "restrictions": .empty,
            "ha_enabled": .bool(false), "tags": .list([]),
        ])
        r.network = insert("network", [
            "name_label": .str("Pool-wide network associated with eth0"), "name_description": .str(""), "bridge": .str("xenbr0"),
            "MTU": .int(1500), "VIFs": .list([]), "PIFs": .strList(["OpaqueRef:" + UUID().uuidString.lowercased()]), "other_config": .empty,
            "tags": .list([]), "managed": .bool(true),
        ])
        r.internalNetwork = insert("network", [
            "name_label": .str("Host internal management network"), "name_description": .str(""), "bridge": .str("xenapi"),
            "MTU": .int(1500), "VIFs": .list([]), "PIFs": .list([]), "tags": .list([]), "managed": .bool(true),
            "other_config": .strMap(["is_guest_installer_network": "true", "is_host_internal_management_network": "true"]),
        ])
        let templates: [(String, String, Int64, Int64, Int64)] = [
            ("Windows Server 2022 (64-bit)", "windows-server-2022", 2, 4, 64), ("Windows 10 (64-bit)", "windows-10", 2, 4, 64),
            ("Windows 11", "windows-11", 2, 4, 64), ("Debian Bookworm 12", "debian-12", 1, 2, 20),
        ]
        for (name, label, vcpus, mem, disk) in templates {
            var f = LabRecords.vm(name: name, template: true, defaultTemplate: true, memory: mem * gib, vcpus: vcpus,
                                  other: ["default_template": "true", "disks": LabRecords.disks(size: disk * gib), "install-methods": "cdrom"],
                                  referenceLabel: label, description: "Clones of this template will automatically provision their storage.")
            f["HVM_boot_params"] = .strMap(["order": label.hasPrefix("debian") ? "cdn" : "dc", "firmware": label == "windows-11" ? "uefi" : "bios"])
            _ = insert("vm", f)
        }
        return r
    }
}
