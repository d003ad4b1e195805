import Foundation

/// An API failure as xapi reports it: `[CODE, params...]`.
struct LabFault: Error, Sendable {
    var desc: [String]
    init(_ code: String, _ params: String...) { desc = [code] + params }
    init(list: [String]) { desc = list }
}

/// One database row: a record plus the generations that drive `event.from`.
struct LabRow: Sendable {
    var cls: String
    var fields: [String: LabValue]
    var created: Int64
    var modified: Int64
}

/// The lab's object database. Every write bumps the generation counter, as
/// xapi's DB does; `event.from` tokens are `"%020d,%020d"` of it.
struct LabDatabase: Sendable {
    /// Wire class names by their lowercase event names.
    static let classes: [String: String] = [
        "vm": "VM", "vbd": "VBD", "vdi": "VDI", "vif": "VIF", "sr": "SR", "pbd": "PBD", "network": "network",
        "host": "host", "pool": "pool", "task": "task", "vm_guest_metrics": "VM_guest_metrics", "vm_metrics": "VM_metrics",
    ]

    private(set) var rows: [String: LabRow] = [:]
    private(set) var refsByClass: [String: [String]] = [:]
    private(set) var tombstones: [(cls: String, ref: String, created: Int64, deleted: Int64)] = []
    private(set) var generation: Int64 = 0

    func get(_ ref: String) -> LabRow? { rows[ref] }

    func fields(_ ref: String, _ cls: String) throws -> [String: LabValue] {
        guard let row = rows[ref], row.cls == cls else { throw LabFault("HANDLE_INVALID", LabDatabase.classes[cls] ?? cls, ref) }
        return row.fields
    }

    func refs(_ cls: String) -> [String] { refsByClass[cls] ?? [] }

    mutating func insert(_ cls: String, ref: String = "OpaqueRef:" + UUID().uuidString.lowercased(), _ fields: [String: LabValue]) -> String {
        generation += 1
        var f = fields
        if f["uuid"] == nil { f["uuid"] = .str(UUID().uuidString.lowercased()) }
        rows[ref] = LabRow(cls: cls, fields: f, created: generation, modified: generation)
        refsByClass[cls, default: []].append(ref)
        return ref
    }

    mutating func update(_ ref: String, _ change: (inout [String: LabValue]) throws -> Void) rethrows {
        guard var row = rows[ref] else { return }
        try change(&row.fields)
        generation += 1
        row.modified = generation
        rows[ref] = row
    }

    mutating func set(_ ref: String, _ field: String, _ value: LabValue) {
        update(ref) { $0[field] = value }
    }

    mutating func remove(_ ref: String) {
        guard let row = rows.removeValue(forKey: ref) else { return }
        generation += 1
        refsByClass[row.cls]?.removeAll { $0 == ref }
        tombstones.append((row.cls, ref, row.created, generation))
        if tombstones.count > 100_000 { tombstones.removeFirst(50_000) }
    }

    /// Adds or removes `ref` in a set-valued field (VM.VBDs, SR.VDIs, ...).
    mutating func link(_ owner: String, _ field: String, _ ref: String, add: Bool) {
        guard rows[owner] != nil, ref != "OpaqueRef:NULL" else { return }
        update(owner) { f in
            var list = f[field]?.strings ?? []
            list.removeAll { $0 == ref }
            if add { list.append(ref) }
            f[field] = .strList(list)
        }
    }

    func find(_ cls: String, where test: ([String: LabValue]) -> Bool) -> [String] {
        refs(cls).filter { rows[$0].map { test($0.fields) } ?? false }
    }

    func byUUID(_ cls: String, _ uuid: String) throws -> String {
        guard let ref = find(cls, where: { $0["uuid"]?.s == uuid }).first else { throw LabFault("UUID_INVALID", cls, uuid) }
        return ref
    }

    static func token(_ generation: Int64) -> String {
        let digits = String(generation)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ",00000000000000000000"
    }

    static func parseToken(_ token: String) throws -> Int64 {
        if token.isEmpty { return -1 }
        let parts = token.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 2, let gen = Int64(parts[0]), Int64(parts[1]) != nil else {
            throw LabFault("EVENT_FROM_TOKEN_PARSE_FAILURE", token)
        }
        return gen
    }

    /// Events since `since` (`-1` = beginning: everything as `add`) for the
    /// subscribed classes / objects, one per object (coalesced).
    func events(since: Int64, classes: Set<String>, objects: Set<String>, all: Bool) -> [LabValue] {
        func wanted(_ cls: String, _ ref: String) -> Bool { all || classes.contains(cls) || objects.contains(cls + "/" + ref) }
        var out: [LabValue] = []
        for (ref, row) in rows where row.modified > since && wanted(row.cls, ref) {
            out.append(.map([
                "id": .str(String(row.modified)), "timestamp": .str("0.0"), "class": .str(row.cls),
                "operation": .str(row.created > since ? "add" : "mod"), "ref": .str(ref), "snapshot": .map(row.fields),
            ]))
        }
        if since >= 0 {
            for t in tombstones where t.deleted > since && t.created <= since && wanted(t.cls, t.ref) {
                out.append(.map(["id": .str(String(t.deleted)), "timestamp": .str("0.0"), "class": .str(t.cls),
                                 "operation": .str("del"), "ref": .str(t.ref)]))
            }
        }
        return out
    }

    func validRefCounts(_ classes: Set<String>, all: Bool) -> LabValue {
        var m: [String: LabValue] = [:]
        for cls in LabDatabase.classes.keys where all || classes.contains(cls) { m[cls] = .i32(Int32(refs(cls).count)) }
        return .map(m)
    }
}

/// Dates as xapi prints them: `YYYYMMDDTHH:MM:SSZ`.
enum LabClock {
    static func stamp(_ date: Date = Date()) -> LabValue {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        let c = cal.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return .date(String(format: "%04d%02d%02dT%02d:%02d:%02dZ", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!))
    }
    static let epoch = LabValue.date("19700101T00:00:00Z")
}
