import Foundation

/// `POST /api/commands/<name>`: validation in razor's order, the 409
/// idempotency rule of `Razor::Data.import`, a command record per accepted
/// command, and 202 for every success.
extension LabRazorState {
    func postCommand(_ name: String, request: LabHTTPRequest, base: String) throws -> LabHTTPResponse {
        let contentType = request.headers["content-type"]?.split(separator: ";").first
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard contentType == "application/json" else { return .error(415, "only application/json is accepted here") }
        let body: LabJSON
        do {
            body = try LabJSONParser.parse(request.body)
        } catch let error as LabJSONSyntaxError {
            return .error(400, "unable to parse JSON", details: error.message)
        }
        guard let spec = LabRazorCommandSpec.named(name) else { throw LabRazorFailure(404, "no such command") }
        let params = try validate(body, spec: spec)
        let user = auth?.username
        var command = LabCommand(id: nextCommandID, command: name, params: .object(params), status: "finished",
                                 submittedAt: Date(), finishedAt: Date(), submittedBy: user)
        let outcome = try execute(name, params, base: base, command: &command)
        if name == "reboot-node" {
            // Queued for the IPMI worker: pending until it has run.
            command.status = "pending"
            command.finishedAt = nil
            command.work = LabBackgroundWork(repo: "", failure: nil)
        }
        nextCommandID += 1
        commands.append(command)
        var answer = outcome
        answer["command"] = .string("\(base)/api/collections/commands/\(command.id)")
        return .json(202, .object(answer))
    }

    /// Type, aliases, conform, attributes, extra attributes (razor's order).
    private func validate(_ body: LabJSON, spec: LabRazorCommandSpec) throws -> LabObject {
        guard case .object(let raw) = body else {
            if case .array = body { throw LabRazorFailure(422, "expected object but got array") }
            throw LabRazorFailure(400, "unable to parse JSON", details: "expected a JSON object but got \(body.typeName)")
        }
        var params = LabObject()
        for key in raw.keys {
            guard let attribute = spec.attributes.first(where: { $0.spellings.contains(key) }) else {
                throw LabRazorFailure(422, "extra attribute \(key) was present in the command, but is not allowed")
            }
            var value = raw[key] ?? .null
            // conform!: `{"name": x}` used as a reference becomes `x`.
            if attribute.type == "string", case .object(let reference) = value, let name = reference["name"] {
                value = name
            }
            if attribute.type == "array", case .array(let items) = value, attribute.name == "tags" {
                value = .array(items.map { item in
                    if case .object(let reference) = item, reference.keys == ["name"], let name = reference["name"] { return name }
                    return item
                })
            }
            if attribute.type == "boolean", case .string(let text) = value, text == "true" || text == "false" {
                value = .bool(text == "true")
            }
            params[attribute.name] = value
        }
        for attribute in spec.attributes {
            guard let value = params[attribute.name] else {
                if attribute.required {
                    throw LabRazorFailure(422, "\(attribute.name) is a required attribute, but it is not present")
                }
                continue
            }
            let expected = attribute.type == "url" ? "string" : attribute.type
            if expected != "any", value.typeName != expected {
                throw LabRazorFailure(422, "\(attribute.name) should be a \(expected), but was actually a \(value.typeName)")
            }
            if attribute.name == "name", let text = value.stringValue, text.isEmpty || text.count > 250 {
                throw LabRazorFailure(422, "name must be between 1 and 250 characters in length, but is \(text.count) characters long")
            }
            if attribute.type == "url", let text = value.stringValue, URL(string: text)?.scheme == nil {
                throw LabRazorFailure(422, "\(attribute.name) must be a valid URL, but is '\(text)'")
            }
            if let collection = attribute.refersTo, let text = value.stringValue, !exists(collection, text) {
                throw LabRazorFailure(404, "\(attribute.name) must be the name of an existing \(singular(collection)), but is '\(text)'")
            }
        }
        return params
    }

    private func singular(_ collection: String) -> String {
        collection == "policies" ? "policy" : String(collection.dropLast())
    }

    func exists(_ collection: String, _ name: String) -> Bool {
        func same(_ other: String) -> Bool { other.caseInsensitiveCompare(name) == .orderedSame }
        switch collection {
        case "repos": return repos.contains { same($0.name) }
        case "tasks": return tasks.contains { $0.name == name }
        case "tags": return tags.contains { same($0.name) }
        case "brokers": return brokers.contains { same($0.name) }
        case "policies": return policies.contains { same($0.name) }
        case "nodes": return node(named: name) != nil
        default: return false
        }
    }

    /// `Razor::Data.import`: same name and same fields is the existing object;
    /// same name and other fields is 409 naming the fields that differ.
    private func conflict(_ kind: String, _ name: String, differing: [String]) throws -> Bool {
        guard differing.isEmpty else {
            throw LabRazorFailure(409, "The \(kind) \(name) already exists, and the \(differing.joined(separator: ", ")) fields do not match")
        }
        return true
    }

    private func result(_ text: String) -> LabObject { ["result": .string(text)] }

    private func ref(_ base: String, _ collection: String, _ name: String) -> LabObject {
        reference(base, collection, name).objectValue ?? LabObject()
    }

    private func execute(_ name: String, _ p: LabObject, base: String, command: inout LabCommand) throws -> LabObject {
        let nameValue = p["name"]?.stringValue ?? ""
        func same(_ other: String) -> Bool { other.caseInsensitiveCompare(nameValue) == .orderedSame }
        switch name {
        case "create-repo":
            let sources = ["iso_url", "no_content", "url"].filter { p[$0] != nil }
            if sources.isEmpty {
                throw LabRazorFailure(422, "the command requires one out of the iso_url, no_content, url attributes to be supplied")
            }
            if sources.count > 1 {
                if p["url"] != nil, p["iso_url"] != nil { throw LabRazorFailure(422, "if url is present, iso_url must not be present") }
                throw LabRazorFailure(422, "the command requires at most one of iso_url, no_content, url to be supplied")
            }
            if let noContent = p["no_content"], noContent != .bool(true) {
                throw LabRazorFailure(422, "no_content should be true, but was actually false")
            }
            let repo = LabRepo(name: nameValue, isoURL: p["iso_url"]?.stringValue, url: p["url"]?.stringValue,
                               task: p["task"]?.stringValue)
            if let existing = repos.first(where: { same($0.name) }) {
                var differing: [String] = []
                if existing.isoURL != repo.isoURL { differing.append("iso_url") }
                if existing.url != repo.url { differing.append("url") }
                if existing.task != repo.task { differing.append("task") }
                _ = try conflict("repo", existing.name, differing: differing)
                return ref(base, "repos", existing.name)
            }
            repos.append(repo)
            var failure: String?
            if let iso = repo.isoURL, let url = URL(string: iso), url.isFileURL, !FileManager.default.isReadableFile(atPath: url.path) {
                failure = "unable to read local file \(url.path)"
            }
            command.status = "pending"
            command.finishedAt = nil
            command.work = LabBackgroundWork(repo: repo.name, failure: failure)
            return ref(base, "repos", repo.name)
        case "delete-repo":
            guard let index = repos.firstIndex(where: { same($0.name) }) else { return result("no changes; repo \(nameValue) does not exist") }
            if policies.contains(where: { $0.repo.caseInsensitiveCompare(nameValue) == .orderedSame }) {
                throw LabRazorFailure(400, "PG::ForeignKeyViolation: ERROR:  update or delete on table \"repos\" violates foreign key constraint \"policies_repo_id_fkey\" on table \"policies\"")
            }
            repos.remove(at: index)
            return result("repo destroyed")
        case "update-repo-task":
            let repoName = p["repo"]?.stringValue ?? ""
            guard let index = repos.firstIndex(where: { $0.name.caseInsensitiveCompare(repoName) == .orderedSame }) else {
                throw LabRazorFailure(404, "repo must be the name of an existing repo, but is '\(repoName)'")
            }
            let task = p["task"]?.stringValue
            if repos[index].task == task { return result("no changes; repo \(repoName) already uses task \(task ?? "")") }
            repos[index].task = task
            return result("repo \(repoName) now uses task \(task ?? "")")
        case "create-task":
            guard let templates = p["templates"]?.objectValue else { throw LabRazorFailure(422, "templates should be a object") }
            var bootSeq: [String: String] = ["default": "boot_local"]
            if let seq = p["boot_seq"]?.objectValue {
                bootSeq = [:]
                for key in seq.keys {
                    guard key == "default" || Int(key) != nil else {
                        throw LabRazorFailure(422, "boot_seq key \(key) must be 'default' or an integer")
                    }
                    guard let value = seq[key]?.stringValue else { throw LabRazorFailure(422, "boot_seq.\(key) should be a string") }
                    bootSeq[key] = value
                }
            }
            var templateTexts: [String: String] = [:]
            for key in templates.keys { templateTexts[key] = templates[key]?.stringValue ?? "" }
            let task = LabTask(name: nameValue, osVersion: p["os"]?.stringValue ?? "", osName: nil,
                               description: p["description"]?.stringValue, bootSeq: bootSeq, templates: templateTexts)
            if let existing = tasks.first(where: { $0.name == nameValue }) {
                var differing: [String] = []
                if existing.osVersion != task.osVersion { differing.append("os") }
                if existing.bootSeq != task.bootSeq { differing.append("boot_seq") }
                if existing.templates != task.templates { differing.append("templates") }
                if existing.description != task.description { differing.append("description") }
                _ = try conflict("task", existing.name, differing: differing)
                return ref(base, "tasks", existing.name)
            }
            tasks.append(task)
            return ref(base, "tasks", task.name)
        case "create-broker":
            let type = p["broker_type"]?.stringValue ?? ""
            let knownTypes = ["noop": [String](), "puppet": ["server", "environment", "certname", "ntpdate_server"],
                              "puppet-pe": ["server", "version", "windows_agent_download_url", "ntpdate_server"],
                              "chef": ["chef_server_url", "validation_client_name", "validation_key", "run_list", "environment"],
                              "legacy-puppet": ["server", "environment"]]
            guard let allowed = knownTypes[type] else {
                throw LabRazorFailure(404, "broker_type must be the name of an existing broker type, but is '\(type)'")
            }
            let configuration = p["configuration"]?.objectValue ?? LabObject()
            if let extra = configuration.keys.first(where: { !allowed.contains($0) }) {
                throw LabRazorFailure(422, "configuration key \(extra) is not a valid configuration key for broker type \(type)")
            }
            if let existing = brokers.first(where: { same($0.name) }) {
                var differing: [String] = []
                if existing.type != type { differing.append("broker_type") }
                if existing.configuration != configuration { differing.append("configuration") }
                _ = try conflict("broker", existing.name, differing: differing)
                return ref(base, "brokers", existing.name)
            }
            brokers.append(LabBroker(name: nameValue, type: type, configuration: configuration))
            return ref(base, "brokers", nameValue)
        case "delete-broker":
            guard let index = brokers.firstIndex(where: { same($0.name) }) else { return result("no changes; broker \(nameValue) does not exist") }
            if policies.contains(where: { $0.broker.caseInsensitiveCompare(nameValue) == .orderedSame }) {
                throw LabRazorFailure(400, "Broker \(brokers[index].name) is still used by policies")
            }
            brokers.remove(at: index)
            return result("broker \(nameValue) destroyed")
        default:
            return try executeTagsAndPolicies(name, p, base: base) ?? executeNodeCommand(name, p, base: base)
        }
    }

    private func executeTagsAndPolicies(_ name: String, _ p: LabObject, base: String) throws -> LabObject? {
        let nameValue = p["name"]?.stringValue ?? ""
        func same(_ other: String) -> Bool { other.caseInsensitiveCompare(nameValue) == .orderedSame }
        switch name {
        case "create-tag":
            let rule = p["rule"] ?? .null
            if let problem = LabRazorMatcher.validate(rule) { throw LabRazorFailure(422, "rule is not valid: \(problem)") }
            if let existing = tags.first(where: { same($0.name) }) {
                _ = try conflict("tag", existing.name, differing: existing.rule == rule ? [] : ["rule"])
                return ref(base, "tags", existing.name)
            }
            tags.append(LabTag(name: nameValue, rule: rule))
            reevaluateTags()
            return ref(base, "tags", nameValue)
        case "delete-tag":
            guard let index = tags.firstIndex(where: { same($0.name) }) else { return result("no changes; tag \(nameValue) does not exist") }
            let tagName = tags[index].name
            if policies.contains(where: { $0.tags.contains(tagName) }) {
                guard p["force"] == .bool(true) else { throw LabRazorFailure(400, "Tag '\(tagName)' is used by policies and 'force' is false") }
                for i in policies.indices { policies[i].tags.removeAll { $0 == tagName } }
            }
            tags.remove(at: index)
            for i in nodes.indices { nodes[i].tags.removeAll { $0 == tagName } }
            return result("tag destroyed")
        case "update-tag-rule":
            guard let index = tags.firstIndex(where: { same($0.name) }) else { return nil }
            let rule = p["rule"] ?? .null
            if let problem = LabRazorMatcher.validate(rule) { throw LabRazorFailure(422, "rule is not valid: \(problem)") }
            if policies.contains(where: { $0.tags.contains(tags[index].name) }), p["force"] != .bool(true) {
                throw LabRazorFailure(400, "Tag '\(tags[index].name)' is used by policies and 'force' is false")
            }
            if tags[index].rule == rule { return result("no changes; tag \(tags[index].name) already has that rule") }
            tags[index].rule = rule
            reevaluateTags()
            return result("tag rule updated")
        case "create-policy":
            if p["before"] != nil, p["after"] != nil {
                throw LabRazorFailure(422, "if before is present, after must not be present")
            }
            var tagNames: [String] = []
            for (index, item) in (p["tags"]?.arrayValue ?? []).enumerated() {
                if case .object = item { throw LabRazorFailure(422, "this command can no longer create tags") }
                guard let tag = item.stringValue else { throw LabRazorFailure(422, "tags[\(index)] should be a string") }
                guard let existing = tags.first(where: { $0.name.caseInsensitiveCompare(tag) == .orderedSame }) else {
                    throw LabRazorFailure(404, "tags[\(index)] must be the name of an existing tag, but is '\(tag)'")
                }
                tagNames.append(existing.name)
            }
            let repoName = p["repo"]?.stringValue ?? ""
            guard let repo = repos.first(where: { $0.name.caseInsensitiveCompare(repoName) == .orderedSame }) else {
                throw LabRazorFailure(404, "repo must be the name of an existing repo, but is '\(repoName)'")
            }
            let task = p["task"]?.stringValue ?? repo.task
            if let task, !tasks.contains(where: { $0.name == task }) {
                throw LabRazorFailure(400, "task '\(task)' does not exist")
            }
            let maxCount: Int?
            switch p["max_count"] {
            case nil: maxCount = nil
            case .int(let value)?: maxCount = value
            default: throw LabRazorFailure(422, "max_count should be an integer")
            }
            let policy = LabPolicy(name: nameValue, repo: repo.name, task: task, broker: p["broker"]?.stringValue ?? "",
                                   enabled: p["enabled"]?.boolValue ?? true, maxCount: maxCount,
                                   hostname: p["hostname"]?.stringValue ?? "", rootPassword: p["root_password"]?.stringValue ?? "",
                                   tags: tagNames, nodeMetadata: p["node_metadata"]?.objectValue ?? LabObject())
            if let existing = policies.first(where: { same($0.name) }) {
                var differing: [String] = []
                if existing.repo != policy.repo { differing.append("repo") }
                if existing.task != policy.task { differing.append("task") }
                if existing.broker.caseInsensitiveCompare(policy.broker) != .orderedSame { differing.append("broker") }
                if existing.enabled != policy.enabled { differing.append("enabled") }
                if existing.maxCount != policy.maxCount { differing.append("max_count") }
                if existing.hostname != policy.hostname { differing.append("hostname_pattern") }
                if existing.rootPassword != policy.rootPassword { differing.append("root_password") }
                if existing.tags != policy.tags { differing.append("tags") }
                if existing.nodeMetadata != policy.nodeMetadata { differing.append("node_metadata") }
                _ = try conflict("policy", existing.name, differing: differing)
                return ref(base, "policies", existing.name)
            }
            if let anchor = p["before"]?.stringValue ?? p["after"]?.stringValue,
               let index = policies.firstIndex(where: { $0.name.caseInsensitiveCompare(anchor) == .orderedSame }) {
                policies.insert(policy, at: p["before"] != nil ? index : index + 1)
            } else {
                policies.append(policy)
            }
            return ref(base, "policies", nameValue)
        case "delete-policy":
            guard let index = policies.firstIndex(where: { same($0.name) }) else {
                return result("no changes; policy \(nameValue) does not exist")
            }
            let policyName = policies[index].name
            for i in nodes.indices where nodes[i].policy == policyName { nodes[i].policy = nil }
            policies.remove(at: index)
            return result("policy \(policyName) destroyed")
        case "enable-policy", "disable-policy":
            guard let index = policies.firstIndex(where: { same($0.name) }) else { return nil }
            let enable = name == "enable-policy"
            policies[index].enabled = enable
            return result("Policy \(policies[index].name) \(enable ? "enabled" : "disabled")")
        case "modify-policy-max-count":
            guard let index = policies.firstIndex(where: { same($0.name) }) else { return nil }
            let bound = nodes.filter { $0.policy == policies[index].name }.count
            if p["no_max_count"] == .bool(true) {
                guard p["max_count"] == nil else { throw LabRazorFailure(422, "the command requires at most one of max_count, no_max_count to be supplied") }
                policies[index].maxCount = nil
                return result("max_count for policy \(policies[index].name) set to unlimited")
            }
            guard let value = p["max_count"]?.intValue else {
                throw LabRazorFailure(422, "the command requires one out of the max_count, no_max_count attributes to be supplied")
            }
            if value < bound {
                throw LabRazorFailure(400, "there are currently \(bound) nodes bound to this policy. Cannot lower max_count to \(value)")
            }
            policies[index].maxCount = value
            return result("max_count for policy \(policies[index].name) set to \(value)")
        case "add-policy-tag", "remove-policy-tag":
            guard let index = policies.firstIndex(where: { same($0.name) }) else { return nil }
            let tagName = p["tag"]?.stringValue ?? ""
            if name == "add-policy-tag", let rule = p["rule"], !tags.contains(where: { $0.name.caseInsensitiveCompare(tagName) == .orderedSame }) {
                if let problem = LabRazorMatcher.validate(rule) { throw LabRazorFailure(422, "rule is not valid: \(problem)") }
                tags.append(LabTag(name: tagName, rule: rule))
                reevaluateTags()
            }
            guard let tag = tags.first(where: { $0.name.caseInsensitiveCompare(tagName) == .orderedSame }) else {
                throw LabRazorFailure(404, "tag must be the name of an existing tag, but is '\(tagName)'")
            }
            if name == "add-policy-tag" {
                if policies[index].tags.contains(tag.name) { return result("Tag \(tag.name) already on policy \(policies[index].name)") }
                policies[index].tags.append(tag.name)
            } else {
                guard policies[index].tags.contains(tag.name) else { return result("Tag \(tag.name) was not on policy \(policies[index].name)") }
                policies[index].tags.removeAll { $0 == tag.name }
            }
            return ref(base, "policies", policies[index].name)
        default:
            return nil
        }
    }
}
