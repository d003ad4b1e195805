import Foundation

/// The rest of razor-server's 36 commands: policy updates, broker and hook
/// configuration, IPMI and power. Vizor does not use them, razor-client
/// users do, and `/api` advertises them.
extension LabRazorState {
    /// Hook types on the lab's `hook_path`, with their configuration keys.
    static let hookTypes: [String: [String]] = ["counter": ["count"], "slack": ["webhook_url", "channel"]]
    static let hookEvents = ["node-booted", "node-registered", "node-bound-to-policy", "node-unbound-from-policy",
                             "node-deleted", "node-facts-changed", "node-install-finished"]

    private func policyIndex(_ value: LabJSON?) throws -> Int {
        let name = value?.stringValue ?? ""
        guard let index = policies.firstIndex(where: { $0.name.caseInsensitiveCompare(name) == .orderedSame }) else {
            throw LabRazorFailure(404, "policy must be the name of an existing policy, but is '\(name)'")
        }
        return index
    }

    private func hookIndex(_ value: LabJSON?, attribute: String = "name") throws -> Int {
        let name = value?.stringValue ?? ""
        guard let index = hooks.firstIndex(where: { $0.name.caseInsensitiveCompare(name) == .orderedSame }) else {
            throw LabRazorFailure(404, "\(attribute) must be the name of an existing hook, but is '\(name)'")
        }
        return index
    }

    /// `update-*-configuration`: `key` and exactly one of `value` or `clear`.
    private func updateConfiguration(_ configuration: inout LabObject, _ p: LabObject, allowed: [String], owner: String) throws -> String {
        let key = p["key"]?.stringValue ?? ""
        guard allowed.contains(key) else {
            throw LabRazorFailure(422, "configuration key \(key) is not in the schema of \(owner)")
        }
        switch (p["value"], p["clear"] == .bool(true)) {
        case (let value?, false):
            configuration[key] = value
            return "value for key \(key) updated"
        case (nil, true):
            guard configuration[key] != nil else { return "no changes; key \(key) already absent" }
            configuration[key] = nil
            return "value for key \(key) cleared"
        case (nil, false):
            throw LabRazorFailure(422, "the command requires one out of the clear, value attributes to be supplied")
        default:
            throw LabRazorFailure(422, "the command requires at most one of clear, value to be supplied")
        }
    }

    func executeMoreCommand(_ name: String, _ p: LabObject, base: String) throws -> LabObject {
        func result(_ text: String) -> LabObject { ["result": .string(text)] }
        func ref(_ collection: String, _ member: String) -> LabObject { reference(base, collection, member).objectValue ?? [:] }
        switch name {
        case "move-policy":
            let index = try policyIndex(p["name"])
            guard (p["before"] == nil) != (p["after"] == nil) else {
                throw LabRazorFailure(422, "the command requires one out of the after, before attributes to be supplied")
            }
            let anchorName = p["before"]?.stringValue ?? p["after"]?.stringValue ?? ""
            let policy = policies.remove(at: index)
            guard let anchor = policies.firstIndex(where: { $0.name.caseInsensitiveCompare(anchorName) == .orderedSame }) else {
                policies.insert(policy, at: index)
                throw LabRazorFailure(404, "policy must be the name of an existing policy, but is '\(anchorName)'")
            }
            policies.insert(policy, at: p["before"] != nil ? anchor : anchor + 1)
            return ref("policies", policy.name)
        case "update-policy-repo":
            let index = try policyIndex(p["policy"])
            let repo = p["repo"]?.stringValue ?? ""
            guard let found = repos.first(where: { $0.name.caseInsensitiveCompare(repo) == .orderedSame }) else {
                throw LabRazorFailure(404, "repo must be the name of an existing repo, but is '\(repo)'")
            }
            if policies[index].repo == found.name { return result("no changes; policy \(policies[index].name) already uses repo \(found.name)") }
            policies[index].repo = found.name
            return result("policy \(policies[index].name) updated to use repo \(found.name)")
        case "update-policy-broker":
            let index = try policyIndex(p["policy"])
            let broker = p["broker"]?.stringValue ?? ""
            guard let found = brokers.first(where: { $0.name.caseInsensitiveCompare(broker) == .orderedSame }) else {
                throw LabRazorFailure(404, "broker must be the name of an existing broker, but is '\(broker)'")
            }
            if policies[index].broker == found.name { return result("no changes; policy \(policies[index].name) already uses broker \(found.name)") }
            policies[index].broker = found.name
            return result("policy \(policies[index].name) updated to use broker \(found.name)")
        case "update-policy-task":
            let index = try policyIndex(p["policy"])
            if p["no_task"] == .bool(true) {
                guard p["task"] == nil else { throw LabRazorFailure(422, "the command requires at most one of no_task, task to be supplied") }
                policies[index].task = nil
                return result("policy \(policies[index].name) updated to use the repo's task")
            }
            guard let task = p["task"]?.stringValue else {
                throw LabRazorFailure(422, "the command requires one out of the no_task, task attributes to be supplied")
            }
            guard tasks.contains(where: { $0.name == task }) else {
                throw LabRazorFailure(404, "task must be the name of an existing task, but is '\(task)'")
            }
            if policies[index].task == task { return result("no changes; policy \(policies[index].name) already uses task \(task)") }
            policies[index].task = task
            return result("policy \(policies[index].name) updated to use task \(task)")
        case "update-policy-node-metadata":
            let index = try policyIndex(p["policy"])
            let key = p["key"]?.stringValue ?? ""
            if p["no_replace"] == .bool(true), policies[index].nodeMetadata[key] != nil {
                throw LabRazorFailure(409, "no_replace supplied and key is present")
            }
            policies[index].nodeMetadata[key] = p["value"] ?? .null
            return ref("policies", policies[index].name)
        case "update-broker-configuration":
            let brokerName = p["broker"]?.stringValue ?? ""
            guard let index = brokers.firstIndex(where: { $0.name.caseInsensitiveCompare(brokerName) == .orderedSame }) else {
                throw LabRazorFailure(404, "broker must be the name of an existing broker, but is '\(brokerName)'")
            }
            let allowed = ["puppet": ["server", "environment", "certname", "ntpdate_server"],
                           "puppet-pe": ["server", "version", "windows_agent_download_url", "ntpdate_server"],
                           "legacy-puppet": ["server", "environment"]][brokers[index].type] ?? []
            return result(try updateConfiguration(&brokers[index].configuration, p, allowed: allowed,
                                                  owner: "broker type \(brokers[index].type)"))
        case "create-hook":
            let hookName = p["name"]?.stringValue ?? ""
            let type = p["hook_type"]?.stringValue ?? ""
            guard let allowed = Self.hookTypes[type] else {
                throw LabRazorFailure(404, "hook_type must be the name of an existing hook type, but is '\(type)'")
            }
            let configuration = p["configuration"]?.objectValue ?? [:]
            if let extra = configuration.keys.first(where: { !allowed.contains($0) }) {
                throw LabRazorFailure(422, "configuration key \(extra) is not in the schema of hook type \(type)")
            }
            if let existing = hooks.first(where: { $0.name.caseInsensitiveCompare(hookName) == .orderedSame }) {
                var differing: [String] = []
                if existing.type != type { differing.append("hook_type") }
                if existing.configuration != configuration { differing.append("configuration") }
                guard differing.isEmpty else {
                    throw LabRazorFailure(409, "The hook \(existing.name) already exists, and the \(differing.joined(separator: ", ")) fields do not match")
                }
                return ref("hooks", existing.name)
            }
            hooks.append(LabHook(name: hookName, type: type, configuration: configuration))
            return ref("hooks", hookName)
        case "delete-hook":
            let hookName = p["name"]?.stringValue ?? ""
            guard let index = hooks.firstIndex(where: { $0.name.caseInsensitiveCompare(hookName) == .orderedSame }) else {
                return result("no changes; hook \(hookName) does not exist")
            }
            hooks.remove(at: index)
            return result("hook destroyed")
        case "update-hook-configuration":
            let index = try hookIndex(p["hook"], attribute: "hook")
            return result(try updateConfiguration(&hooks[index].configuration, p, allowed: Self.hookTypes[hooks[index].type] ?? [],
                                                  owner: "hook type \(hooks[index].type)"))
        case "run-hook":
            let index = try hookIndex(p["name"])
            let event = p["event"]?.stringValue ?? ""
            guard Self.hookEvents.contains(event) else {
                throw LabRazorFailure(422, "event must refer to one of \(Self.hookEvents.joined(separator: ", "))")
            }
            let nodeName = p["node"]?.stringValue ?? ""
            guard node(named: nodeName) != nil else {
                throw LabRazorFailure(404, "node must be the name of an existing node, but is '\(nodeName)'")
            }
            hooks[index].log.append(["timestamp": .string(LabTime.string(Date())), "severity": .string("info"),
                                     "event": .string(event), "cause": .string(event), "exit_status": .int(0)])
            return result("hook \(hooks[index].name) ran for event \(event)")
        case "set-node-ipmi-credentials":
            let index = try nodeIndexForCommand(p["name"])
            let hostname = p["ipmi_hostname"]?.stringValue
            if hostname == nil, p["ipmi_username"] != nil || p["ipmi_password"] != nil {
                throw LabRazorFailure(422, "ipmi_username requires ipmi_hostname to be present as well")
            }
            nodes[index].ipmiHostname = hostname
            nodes[index].ipmiUsername = p["ipmi_username"]?.stringValue
            return result("updated IPMI details")
        case "reboot-node":
            let index = try nodeIndexForCommand(p["name"])
            guard nodes[index].ipmiHostname != nil else {
                throw LabRazorFailure(422, "node \(nodes[index].name) does not have IPMI credentials set")
            }
            return result("reboot request queued")
        case "set-node-desired-power-state":
            let index = try nodeIndexForCommand(p["name"])
            let to = p["to"] ?? .null
            guard to == .null || to == .string("on") || to == .string("off") else {
                throw LabRazorFailure(422, "to must refer to one of on, off, null")
            }
            nodes[index].desiredPowerState = to.stringValue
            return result("set desired power state to \(to.stringValue ?? "null")")
        default:
            throw LabRazorFailure(404, "no such command")
        }
    }

    private func nodeIndexForCommand(_ value: LabJSON?) throws -> Int {
        let name = value?.stringValue ?? ""
        guard let index = node(named: name) else {
            throw LabRazorFailure(404, "name must be the name of an existing node, but is '\(name)'")
        }
        return index
    }

    func hookView(_ hook: LabHook, base: String) -> LabJSON {
        let number: LabJSON = .object(["type": .string("number")])
        var object: LabObject = ["spec": .string(Self.spec("collections/hooks/member")),
                                 "id": .string(url(base, "hooks", hook.name)), "name": .string(hook.name)]
        object["hook_type"] = .string(hook.type)
        object["configuration"] = .object(hook.configuration)
        object["log"] = .object(["id": .string(url(base, "hooks", hook.name) + "/log"), "name": .string("log"),
                                 "params": .object(["limit": number, "start": number])])
        return .object(object)
    }
}
