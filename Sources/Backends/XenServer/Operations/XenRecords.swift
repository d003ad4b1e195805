import BackendKit

/// Plain views of the pool objects Vizor shows besides VMs: what the wizard
/// offers (SRs, ISOs, networks, hosts) and what the status line needs.
public struct XenHost: Sendable, Equatable {
    public var ref: String, uuid: String, name: String, address: String
    public var apiVersion: String, productVersion: String, enabled: Bool
}

public struct XenPool: Sendable, Equatable {
    public var ref: String, uuid: String, name: String, masterRef: String, defaultSRRef: String
}

public struct XenSR: Sendable, Equatable {
    public var ref: String, uuid: String, name: String, type: String, contentType: String
    public var isToolsSR: Bool, physicalSize: Int64, physicalUtilisation: Int64
    public var isISOLibrary: Bool { contentType == "iso" }
}

public struct XenVDI: Sendable, Equatable {
    public var ref: String, uuid: String, name: String, srRef: String
    public var virtualSize: Int64, isToolsISO: Bool, readOnly: Bool
    /// `missing` (an SR scan no longer finds the file).
    public var missing: Bool = false
    /// `other_config:vizor-sha256`, set when Vizor published it.
    public var sha256: String?
}

public struct XenNetwork: Sendable, Equatable {
    public var ref: String, uuid: String, name: String, bridge: String, mtu: Int64
    /// The host-internal management network is hidden from operators.
    public var isInternal: Bool
}

/// An ISO library with its discs.
public struct XenISOLibrary: Sendable, Equatable {
    public var sr: XenSR
    public var isos: [XenVDI]
}

/// Pure conversions from XAPI records into Vizor's domain records.
enum XenRecords {
    static let nullRef = "OpaqueRef:NULL"

    static func isRealVM(_ vm: XapiValue) -> Bool {
        !(vm["is_a_template"].bool ?? false) && !(vm["is_control_domain"].bool ?? false) && !(vm["is_a_snapshot"].bool ?? false)
    }

    static func isTemplate(_ vm: XapiValue) -> Bool {
        (vm["is_a_template"].bool ?? false) && !(vm["is_a_snapshot"].bool ?? false) && !(vm["is_control_domain"].bool ?? false)
    }

    static func powerState(_ text: String) -> PowerState {
        switch text {
        case "Running": return .running
        case "Halted": return .halted
        case "Paused": return .paused
        case "Suspended": return .suspended
        default: return .unknown
        }
    }

    /// Keys of other_config that are XAPI's bookkeeping, not ownership marks.
    static let internalKeys: Set<String> = ["disks", "mac_seed", "install-methods", "linux_template", "import_task", "default_template"]

    static func machine(_ vm: XapiValue, vifs: [String: XapiValue], metrics: [String: XapiValue], location: String) -> MachineRecord {
        let other = vm["other_config"].stringMap
        let macs = vm["VIFs"].stringArray.compactMap { vifs[$0]?["MAC"].string }.filter { !$0.isEmpty }.sorted()
        var ips: [String] = []
        var tools: String?
        if let gm = metrics[vm["guest_metrics"].text] {
            let nets = gm["networks"].stringMap
            ips = nets.keys.sorted().filter { $0.hasSuffix("/ip") || $0.contains("/ipv4/") || $0.contains("/ipv6/") }
                .compactMap { nets[$0] }.filter { !$0.isEmpty }
            var seen = Set<String>()
            ips = ips.filter { seen.insert($0).inserted }
            let pv = gm["PV_drivers_version"].stringMap
            if let major = pv["major"], let minor = pv["minor"] {
                tools = [major, minor, pv["micro"], pv["build"]].compactMap { $0 }.filter { $0 != "-1" }.joined(separator: ".")
            }
        }
        return MachineRecord(
            id: vm["uuid"].text, name: vm["name_label"].text, powerState: powerState(vm["power_state"].text),
            vcpus: Int(vm["VCPUs_at_startup"].int64 ?? 0), memoryMiB: Int((vm["memory_static_max"].int64 ?? 0) / 1_048_576),
            ipAddresses: ips, macAddresses: macs, location: location,
            sourceTemplate: other["base_template_name"], tags: other.filter { !internalKeys.contains($0.key) },
            guestToolsVersion: tools)
    }

    static func templateKind(_ vm: XapiValue) -> TemplateKind {
        let other = vm["other_config"].stringMap
        if vm["is_default_template"].bool == true || other["default_template"] == "true" { return .install }
        if other["instant"] == "true" { return .instant }
        return .custom
    }

    static func template(_ vm: XapiValue, location: String) -> TemplateRecord {
        let other = vm["other_config"].stringMap
        let kind = templateKind(vm)
        let osType = vm["reference_label"].text.isEmpty ? (other["install-distro"] ?? "") : vm["reference_label"].text
        return TemplateRecord(
            id: vm["uuid"].text, name: vm["name_label"].text, osType: osType, location: location, kind: kind,
            isPublic: false, isFeatured: kind == .instant, isReady: true,
            sizeBytes: provisionedSize(other["disks"] ?? ""), tags: other.filter { !internalKeys.contains($0.key) })
    }

    /// Sum of the disk sizes in a provisioning XML (`<disk size="…"/>`).
    static func provisionedSize(_ xml: String) -> Int64 {
        ProvisionXML.disks(in: xml).reduce(0) { $0 + (Int64($1["size"] ?? "") ?? 0) }
    }

    static func host(_ ref: String, _ r: XapiValue) -> XenHost {
        XenHost(ref: ref, uuid: r["uuid"].text, name: r["name_label"].text, address: r["address"].text,
                apiVersion: "\(r["API_version_major"].text).\(r["API_version_minor"].text)",
                productVersion: r["software_version"]["product_version"].text, enabled: r["enabled"].bool ?? false)
    }

    static func sr(_ ref: String, _ r: XapiValue) -> XenSR {
        XenSR(ref: ref, uuid: r["uuid"].text, name: r["name_label"].text, type: r["type"].text, contentType: r["content_type"].text,
              isToolsSR: r["is_tools_sr"].bool ?? (r["other_config"]["xenserver_tools_sr"].text == "true"),
              physicalSize: r["physical_size"].int64 ?? 0, physicalUtilisation: r["physical_utilisation"].int64 ?? 0)
    }

    static func vdi(_ ref: String, _ r: XapiValue) -> XenVDI {
        XenVDI(ref: ref, uuid: r["uuid"].text, name: r["name_label"].text, srRef: r["SR"].text,
               virtualSize: r["virtual_size"].int64 ?? 0, isToolsISO: r["is_tools_iso"].bool ?? false, readOnly: r["read_only"].bool ?? false,
               missing: r["missing"].bool ?? false, sha256: r["other_config"].stringMap["vizor-sha256"])
    }

    static func network(_ ref: String, _ r: XapiValue) -> XenNetwork {
        let other = r["other_config"].stringMap
        return XenNetwork(ref: ref, uuid: r["uuid"].text, name: r["name_label"].text, bridge: r["bridge"].text, mtu: r["MTU"].int64 ?? 1500,
                          isInternal: other["is_host_internal_management_network"] == "true" || other["is_guest_installer_network"] == "true")
    }

    /// Names the tools ISO carries on hosts that predate `is_tools_iso`.
    static let toolsISONames = ["guest-tools.iso", "xs-tools.iso", "xswindrivers.iso"]
}

/// The `<provision><disk …/></provision>` document built-in templates carry
/// in `other_config:disks`. Only attributes are used, so a small reader suffices.
enum ProvisionXML {
    static func disks(in xml: String) -> [[String: String]] {
        var result: [[String: String]] = []
        var rest = Substring(xml)
        while let start = rest.range(of: "<disk") {
            guard let end = rest[start.upperBound...].firstIndex(of: ">") else { break }
            result.append(attributes(String(rest[start.upperBound..<end])))
            rest = rest[rest.index(after: end)...]
        }
        return result
    }

    static func attributes(_ text: String) -> [String: String] {
        var attrs: [String: String] = [:]
        var rest = Substring(text)
        while let eq = rest.firstIndex(of: "=") {
            let name = rest[..<eq].trimmingCharacters(in: " \t\n/")
            let afterEq = rest[rest.index(after: eq)...].drop { $0 == " " }
            guard let quote = afterEq.first, quote == "\"" || quote == "'" else { break }
            let body = afterEq.dropFirst()
            guard let close = body.firstIndex(of: quote) else { break }
            attrs[name] = String(body[..<close])
            rest = body[body.index(after: close)...]
        }
        return attrs
    }

    /// Rewrites every disk: the SR (XAPI needs an SR UUID, "" fails) and,
    /// for the first bootable disk, the size.
    static func rewrite(_ xml: String, srUUID: String, bootDiskSize: Int64?) -> String {
        let disks = disks(in: xml)
        guard !disks.isEmpty else { return xml }
        var out = "<provision>"
        var sized = false
        for var d in disks {
            d["sr"] = srUUID
            if let size = bootDiskSize, !sized, d["bootable"] == "true" || disks.count == 1 {
                d["size"] = String(size); sized = true
            }
            out += "<disk"
            for key in d.keys.sorted() { out += " \(key)=\"\(d[key]!)\"" }
            out += "/>"
        }
        return out + "</provision>"
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var s = self
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
