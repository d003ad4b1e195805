import Foundation

/// Node commands, node lookup by hardware (`Node.lookup`), tag evaluation and
/// policy binding (`Policy.bind`), as razor-server 1.9 does them.
extension LabRazorState {
    func executeNodeCommand(_ name: String, _ p: LabObject, base: String) throws -> LabObject {
        switch name {
        case "register-node":
            guard let hwInfo = p["hw_info"]?.objectValue, !hwInfo.isEmpty else {
                throw LabRazorFailure(422, "hw_info must have at least 1 entries")
            }
            var pairs: [(String, String)] = []
            for key in hwInfo.keys {
                let isNet = key.hasPrefix("net") && Int(key.dropFirst(3)) != nil
                guard isNet || ["serial", "asset", "uuid"].contains(key) else {
                    throw LabRazorFailure(422, "hw_info.\(key) is not a valid hardware attribute: use net0..netN, serial, asset or uuid")
                }
                guard let value = hwInfo[key]?.stringValue else { throw LabRazorFailure(422, "hw_info.\(key) should be a string") }
                pairs.append((key, value))
            }
            let installed = p["installed"]?.boolValue ?? false
            let index = try lookupOrCreate(LabHWInfo.canonicalize(pairs), dhcpMac: nil)
            nodes[index].installed = installed ? .string("true") : .bool(false)
            return ref(base, nodes[index].name)
        case "set-node-hw-info":
            let index = try existingNode(p["node"])
            guard let hwInfo = p["hw_info"]?.objectValue else { throw LabRazorFailure(422, "hw_info should be an object") }
            var pairs: [(String, String)] = []
            for key in hwInfo.keys {
                switch hwInfo[key] {
                case .string(let value)?: pairs.append((key, value))
                case .array(let values)?: pairs += values.compactMap { $0.stringValue }.map { (key, $0) }
                default: throw LabRazorFailure(422, "hw_info.\(key) should be a string")
                }
            }
            let canonical = LabHWInfo.canonicalize(pairs)
            guard !LabHWInfo.matchKeys(canonical).isEmpty else {
                throw LabRazorFailure(422, "hw_info must contain at least one of the match_nodes_on keys: mac")
            }
            nodes[index].hwInfo = canonical
            return ref(base, nodes[index].name)
        case "delete-node":
            let nodeName = p["name"]?.stringValue ?? ""
            guard let index = node(named: nodeName) else { return ["result": .string("no changes; node \(nodeName) does not exist")] }
            let id = nodes[index].id
            nodes.remove(at: index)
            events.removeAll { $0.node == id }
            return ["result": .string("node destroyed")]
        case "reinstall-node":
            let index = try existingNode(p["name"])
            let samePolicy = p["same_policy"] == .bool(true)
            let wasInstalled = nodes[index].installed != .bool(false)
            let policy = nodes[index].policy
            guard wasInstalled || (policy != nil && !samePolicy) else {
                return ["result": .string("no changes; node \(nodes[index].name) was neither bound nor installed")]
            }
            var entry: LabObject = ["event": .string("reinstall")]
            if let policy { entry["policy_name"] = .string(policy) }
            entry["installed"] = nodes[index].installed
            log(nodeID: nodes[index].id, entry)
            var parts: [String] = []
            if let policy, !samePolicy {
                nodes[index].policy = nil
                parts.append("unbound from \(policy)")
            }
            if wasInstalled {
                nodes[index].installed = .bool(false)
                nodes[index].installedAt = nil
                nodes[index].bootCount = 1
                parts.append("installed flag cleared")
            }
            return ["result": .string("node \(parts.joined(separator: " and "))")]
        case "modify-node-metadata":
            let index = try existingNode(p["node"])
            let update = p["update"]?.objectValue
            let remove = p["remove"]?.arrayValue?.compactMap(\.stringValue)
            let clear = p["clear"] == .bool(true)
            guard update != nil || remove != nil || clear else {
                throw LabRazorFailure(422, "at least one operation (update, remove, clear) required")
            }
            if clear, update != nil || remove != nil {
                throw LabRazorFailure(422, "if clear is present, update and remove must not be present")
            }
            if let update, let remove, let both = remove.first(where: { update[$0] != nil }) {
                throw LabRazorFailure(422, "cannot update and remove the same key \(both)")
            }
            if clear { nodes[index].metadata = LabObject() }
            if let update {
                for key in update.keys {
                    if p["no_replace"] == .bool(true), nodes[index].metadata[key] != nil {
                        throw LabRazorFailure(409, "no_replace supplied and key is present")
                    }
                    nodes[index].metadata[key] = parsedIfJSON(update[key] ?? .null)
                }
            }
            for key in remove ?? [] { nodes[index].metadata[key] = nil }
            reevaluateTags()
            return ref(base, nodes[index].name)
        case "update-node-metadata":
            let index = try existingNode(p["node"])
            let key = p["key"]?.stringValue ?? ""
            if p["no_replace"] == .bool(true), nodes[index].metadata[key] != nil {
                throw LabRazorFailure(409, "no_replace supplied and key is present")
            }
            nodes[index].metadata[key] = parsedIfJSON(p["value"] ?? .null)
            reevaluateTags()
            return ref(base, nodes[index].name)
        case "remove-node-metadata":
            let index = try existingNode(p["node"])
            switch (p["key"]?.stringValue, p["all"] == .bool(true)) {
            case (let key?, false): nodes[index].metadata[key] = nil
            case (nil, true): nodes[index].metadata = LabObject()
            case (nil, false): throw LabRazorFailure(422, "the command requires one out of the all, key attributes to be supplied")
            default: throw LabRazorFailure(422, "the command requires at most one of all, key to be supplied")
            }
            reevaluateTags()
            return ref(base, nodes[index].name)
        default:
            return try executeMoreCommand(name, p, base: base)
        }
    }

    private func ref(_ base: String, _ nodeName: String) -> LabObject {
        reference(base, "nodes", nodeName).objectValue ?? LabObject()
    }

    private func existingNode(_ value: LabJSON?) throws -> Int {
        let name = value?.stringValue ?? ""
        guard let index = node(named: name) else {
            throw LabRazorFailure(404, "node must be the name of an existing node, but is '\(name)'")
        }
        return index
    }

    /// Metadata string values that parse as JSON are stored parsed.
    private func parsedIfJSON(_ value: LabJSON) -> LabJSON {
        guard case .string(let text) = value, let first = text.first, "[{".contains(first),
              let parsed = try? LabJSONParser.parse(Array(text.utf8)) else { return value }
        return parsed
    }

    /// `Node.lookup`: overlap on the `match_nodes_on` keys; none found creates
    /// a node, several is a duplicate error (400) logged on every match.
    func lookupOrCreate(_ canonical: [String], dhcpMac: String?) throws -> Int {
        let keys = Set(LabHWInfo.matchKeys(canonical))
        guard !keys.isEmpty else {
            throw LabRazorFailure(400, "Lookup was given \(canonical), none of which are configured as match criteria in match_nodes_on ([\"mac\"])")
        }
        let matches = nodes.indices.filter { !keys.isDisjoint(with: nodes[$0].hwInfo) }
        if matches.count > 1 {
            let list: [LabJSON] = matches.map { .object(["name": .string(nodes[$0].name), "id": .int(nodes[$0].id)]) }
            for index in matches {
                log(nodeID: nodes[index].id, severity: "error",
                    ["event": .string("boot"), "severity": .string("error"), "error": .string("duplicate_node"),
                     "nodes": .array(list), "hw_info": .array(canonical.map(LabJSON.string))])
            }
            throw LabRazorFailure(400, "Multiple nodes match the hw_info \(canonical)")
        }
        if let index = matches.first {
            if let dhcpMac { nodes[index].dhcpMac = dhcpMac }
            let facts = canonical.filter { $0.hasPrefix("fact_") }
            if !facts.isEmpty {
                let kept = nodes[index].hwInfo.filter { entry in !facts.contains { $0.split(separator: "=").first == entry.split(separator: "=").first } }
                nodes[index].hwInfo = (kept + facts).sorted()
            }
            return index
        }
        var node = LabNode(id: nextNodeID, hwInfo: canonical)
        node.dhcpMac = dhcpMac
        nextNodeID += 1
        nodes.append(node)
        reevaluateTags()
        return nodes.count - 1
    }

    /// Tags are re-evaluated at check-in and whenever metadata changes.
    func reevaluateTags() {
        for index in nodes.indices {
            nodes[index].tags = tags.filter { LabRazorMatcher.matches($0.rule, node: nodes[index], tags: tags) }.map(\.name)
        }
    }

    /// `Policy.bind`: only for a node neither installed nor bound; the first
    /// enabled policy, in order, whose tags the node has and that is below max_count.
    func bindIfPossible(_ index: Int) -> String? {
        guard nodes[index].policy == nil, nodes[index].installed == .bool(false) else { return nil }
        let nodeTags = Set(nodes[index].tags)
        for policy in policies where policy.enabled && Set(policy.tags).isSubset(of: nodeTags) {
            let bound = nodes.filter { $0.policy == policy.name }.count
            if let max = policy.maxCount, bound >= max { continue }
            nodes[index].policy = policy.name
            nodes[index].hostname = policy.hostname.replacingOccurrences(of: "${id}", with: String(nodes[index].id))
            nodes[index].rootPassword = policy.rootPassword
            nodes[index].bootCount = 1
            for key in policy.nodeMetadata.keys where nodes[index].metadata[key] == nil {
                nodes[index].metadata[key] = policy.nodeMetadata[key]
            }
            log(nodeID: nodes[index].id, ["event": .string("bind"), "policy": .string(policy.name)])
            return policy.name
        }
        return nil
    }

    /// `Task#boot_template`: the policy task's `boot_seq[boot_count]`, else
    /// `default`; no policy boots the microkernel, an installed node boots locally.
    func bootTemplate(for node: LabNode, policy: String?) -> (task: String, template: String, repo: String?)? {
        if let policyName = policy, let policy = policies.first(where: { $0.name == policyName }) {
            let taskName = policy.task ?? repos.first { $0.name == policy.repo }?.task ?? "noop"
            guard let task = tasks.first(where: { $0.name == taskName }) else { return nil }
            let template = task.bootSeq[String(node.bootCount)] ?? task.bootSeq["default"] ?? "boot_local"
            return (task.name, template, policy.repo)
        }
        if node.installed != .bool(false) { return ("noop", "boot_local", nil) }
        return ("microkernel", "boot", nil)
    }
}
