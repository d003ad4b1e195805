import Foundation

/// The objects the lab Razor server keeps, mirroring razor-server's tables.
struct LabRepo: Sendable {
    var name: String
    var isoURL: String?
    var url: String?
    var task: String?
}

struct LabTask: Sendable {
    var name: String
    var base: String?
    var osVersion: String
    var osName: String?
    var description: String?
    var bootSeq: [String: String]
    var templates: [String: String]
}

struct LabTag: Sendable {
    var name: String
    var rule: LabJSON
}

struct LabBroker: Sendable {
    var name: String
    var type: String
    var configuration: LabObject
}

struct LabPolicy: Sendable {
    var name: String
    var repo: String
    var task: String?
    var broker: String
    var enabled: Bool
    var maxCount: Int?
    var hostname: String
    var rootPassword: String
    var tags: [String]
    var nodeMetadata: LabObject
}

struct LabNode: Sendable {
    var id: Int
    var name: String { "node\(id)" }
    /// Canonical `key=value` strings, sorted (razor `canonicalize_hw_info`).
    var hwInfo: [String]
    var dhcpMac: String?
    var policy: String?
    var facts: LabObject?
    var metadata = LabObject()
    /// `false`, or a string (policy name, "true", "+protected").
    var installed: LabJSON = .bool(false)
    var installedAt: Date?
    var bootCount = 0
    var hostname: String?
    var rootPassword: String?
    var lastCheckin: Date?
    /// Tag names that matched at the last evaluation.
    var tags: [String] = []
    var ipmiHostname: String?
    var ipmiUsername: String?
    var desiredPowerState: String?
}

/// A hook instance (`create-hook`); its runs are logged on the hook.
struct LabHook: Sendable {
    var name: String
    var type: String
    var configuration: LabObject
    var log: [LabObject] = []
}

/// razor `commands` table row; status is the Postgres enum.
struct LabCommand: Sendable {
    var id: Int
    var command: String
    var params: LabJSON
    var status: String
    var errors: [LabJSON] = []
    var submittedAt: Date
    var finishedAt: Date?
    var submittedBy: String?
    /// Background work still to do (create-repo's unpack).
    var work: LabBackgroundWork?
}

/// What create-repo does after the 202: `make_the_repo_accessible`.
struct LabBackgroundWork: Sendable {
    var repo: String
    /// A `file://` ISO the server cannot read makes the command fail.
    var failure: String?
}

/// An `events` row; the node log is the events whose node is set.
struct LabEvent: Sendable {
    var id: Int
    var timestamp: Date
    var severity: String
    var node: Int?
    var entry: LabObject
}

/// Formats times as Ruby's `Time#xmlschema` does for a UTC offset.
enum LabTime {
    static func string(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 0)
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ssxxx"
        return formatter.string(from: date)
    }
}

/// razor `Node.canonicalize_hw_info`: `netN` becomes `mac`, values are
/// trimmed, lowercased and `:` becomes `-`; only known keys survive.
enum LabHWInfo {
    static func canonicalize(_ pairs: [(String, String)]) -> [String] {
        var result: [String] = []
        for (rawKey, rawValue) in pairs {
            var key = rawKey.lowercased()
            if key.hasPrefix("net"), Int(key.dropFirst(3)) != nil { key = "mac" }
            guard ["mac", "serial", "asset", "uuid"].contains(key) || key.hasPrefix("fact_") else { continue }
            let value = rawValue.trimmingCharacters(in: .whitespaces).lowercased().replacingOccurrences(of: ":", with: "-")
            guard !value.isEmpty else { continue }
            result.append("\(key)=\(value)")
        }
        return Array(Set(result)).sorted()
    }

    /// The keys used for lookup: `match_nodes_on` (default `mac`).
    static func matchKeys(_ canonical: [String], matchOn: [String] = ["mac"]) -> [String] {
        canonical.filter { entry in matchOn.contains { entry.hasPrefix("\($0)=") } }
    }

    /// The `hw_info` object the API shows: `mac` is an array, others strings.
    static func view(_ canonical: [String]) -> LabObject {
        var object = LabObject()
        var macs: [LabJSON] = []
        for entry in canonical {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            if parts[0] == "mac" { macs.append(.string(parts[1])) } else { object[parts[0]] = .string(parts[1]) }
        }
        if !macs.isEmpty {
            var withMac = LabObject()
            withMac["mac"] = .array(macs)
            withMac.merge(object)
            return withMac
        }
        return object
    }
}

/// The file tasks razor-server ships, as `GET /api/collections/tasks` shows them.
enum LabBuiltinTasks {
    static let all: [LabTask] = [
        LabTask(name: "microkernel", osVersion: "1", description: "Microkernel boot image",
                bootSeq: ["default": "boot"], templates: [:]),
        LabTask(name: "noop", osVersion: "1", description: "Do nothing", bootSeq: ["default": "boot_local"], templates: [:]),
        LabTask(name: "windows", osVersion: "8-pro", description: "Microsoft Windows 8 Professional",
                bootSeq: ["1": "boot_wim", "default": "boot_local"], templates: [:]),
        LabTask(name: "windows/2008r2", base: "windows", osVersion: "2008R2", description: "Microsoft Windows 2008 R2",
                bootSeq: ["1": "boot_wim", "default": "boot_local"], templates: [:]),
        LabTask(name: "windows/2012r2", base: "windows", osVersion: "2012R2", description: "Microsoft Windows 2012 R2",
                bootSeq: ["1": "boot_wim", "default": "boot_local"], templates: [:]),
        LabTask(name: "windows/2016", base: "windows", osVersion: "2016", description: "Microsoft Windows 2016 Server",
                bootSeq: ["1": "boot_wim", "default": "boot_local"], templates: [:]),
        LabTask(name: "windows/8pro", base: "windows", osVersion: "8-pro", description: "Microsoft Windows 8 Professional",
                bootSeq: ["1": "boot_wim", "default": "boot_local"], templates: [:]),
    ]
}
