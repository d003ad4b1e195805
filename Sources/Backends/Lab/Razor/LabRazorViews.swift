import Foundation

/// `GET /api` and `GET /api/collections/...`: the shapes of `lib/razor/view.rb`.
extension LabRazorState {
    /// The `COLLECTIONS` constant of `app.rb`, in its order.
    static let collectionNames = ["brokers", "repos", "tags", "policies", "nodes", "tasks", "commands", "events", "hooks", "config"]
    static let pagedCollections: Set<String> = ["nodes", "events"]

    func discovery(base: String) -> LabJSON {
        let commandEntries: [LabJSON] = LabRazorCommandSpec.catalogue.map { spec in
            .object(["name": .string(spec.name), "rel": .string(Self.spec("commands/\(spec.name)")),
                     "id": .string("\(base)/api/commands/\(spec.name)")])
        }
        let number: LabJSON = .object(["type": .string("number")])
        let collectionEntries: [LabJSON] = Self.collectionNames.map { name in
            var entry: LabObject = ["name": .string(name), "rel": .string(Self.spec("collections/\(name)")),
                                    "id": .string("\(base)/api/collections/\(name)")]
            if name != "config" {
                var params: LabObject = [:]
                if Self.pagedCollections.contains(name) {
                    params["start"] = number
                    params["limit"] = number
                }
                params["depth"] = number
                entry["params"] = .object(params)
            }
            return .object(entry)
        }
        return .object(["commands": .array(commandEntries), "collections": .array(collectionEntries),
                        "version": .object(["server": .string(Self.version)])])
    }

    func collection(_ segments: [String], request: LabHTTPRequest, base: String) throws -> LabJSON {
        guard let name = segments.first else { throw LabRazorFailure(404, "no such collection") }
        let depth = try depthParameter(request)
        if segments.count == 1 {
            return try list(name, request: request, base: base, depth: depth)
        }
        if name == "tasks" {
            let taskName = segments.dropFirst().joined(separator: "/")
            guard let task = tasks.first(where: { $0.name == taskName }) else {
                throw LabRazorFailure(404, "no task matched name=\(taskName)")
            }
            return taskView(task, base: base)
        }
        let member = segments[1]
        if segments.count == 2 { return try memberView(name, member, base: base) }
        if segments.count == 3 { return try subCollection(name, member, segments[2], request: request, base: base) }
        throw LabRazorFailure(404, "no such collection")
    }

    private func depthParameter(_ request: LabHTTPRequest) throws -> Int {
        guard let raw = request.queryValue("depth") else { return 0 }
        guard raw == "0" || raw == "1" else {
            throw LabRazorFailure(400, "'\(raw)' is not a valid value for the depth parameter. Valid values are 0 or 1")
        }
        return Int(raw) ?? 0
    }

    private func paging(_ request: LabHTTPRequest) throws -> (start: Int, limit: Int?) {
        var start = 0
        var limit: Int?
        if let raw = request.queryValue("start") {
            guard let value = Int(raw), value >= 0 else { throw LabRazorFailure(400, "start must be a number but was \(raw)") }
            start = value
        }
        if let raw = request.queryValue("limit") {
            guard let value = Int(raw), value >= 0 else { throw LabRazorFailure(400, "limit must be a number but was \(raw)") }
            limit = value
        }
        return (start, limit)
    }

    private func slice<T>(_ items: [T], _ page: (start: Int, limit: Int?)) -> [T] {
        guard page.start < items.count else { return [] }
        let end = page.limit.map { min(items.count, page.start + $0) } ?? items.count
        return Array(items[page.start..<end])
    }

    private func listShape(_ collection: String, _ items: [LabJSON], total: Int?) -> LabJSON {
        var object: LabObject = ["spec": .string(Self.spec("collections/\(collection)")), "items": .array(items)]
        if let total { object["total"] = .int(total) }
        return .object(object)
    }

    private func list(_ name: String, request: LabHTTPRequest, base: String, depth: Int) throws -> LabJSON {
        func render(_ names: [String]) throws -> [LabJSON] {
            try names.map { depth == 1 ? try memberView(name, $0, base: base) : reference(base, name, $0) }
        }
        switch name {
        case "repos": return listShape(name, try render(repos.map(\.name)), total: repos.count)
        case "tags": return listShape(name, try render(tags.map(\.name)), total: tags.count)
        case "brokers": return listShape(name, try render(brokers.map(\.name)), total: brokers.count)
        case "policies": return listShape(name, try render(policies.map(\.name)), total: policies.count)
        case "hooks": return listShape(name, try render(hooks.map(\.name)), total: hooks.count)
        case "tasks":
            let sorted = tasks.sorted { $0.name < $1.name }
            return listShape(name, sorted.map { depth == 1 ? taskView($0, base: base) : reference(base, name, $0.name) }, total: nil)
        case "nodes":
            var selected = nodes.sorted { $0.id < $1.id }
            if let pattern = request.queryValue("hostname"),
               let regex = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]) {
                selected = selected.filter { node in
                    guard let hostname = node.hostname else { return false }
                    return regex.firstMatch(in: hostname, range: NSRange(hostname.startIndex..., in: hostname)) != nil
                }
            }
            let filterPairs = request.query.filter { ["mac", "serial", "asset", "uuid"].contains($0.0) || $0.0.hasPrefix("net") }
            if !filterPairs.isEmpty {
                let wanted = Set(LabHWInfo.canonicalize(filterPairs))
                selected = selected.filter { !wanted.isDisjoint(with: $0.hwInfo) }
            }
            let page = slice(selected, try paging(request))
            return listShape(name, try render(page.map(\.name)), total: selected.count)
        case "commands":
            let sorted = commands.sorted { ($0.submittedAt, $0.id) > ($1.submittedAt, $1.id) }
            return listShape(name, try render(sorted.map { String($0.id) }), total: sorted.count)
        case "events":
            let sorted = events.sorted { ($0.timestamp, $0.id) > ($1.timestamp, $1.id) }
            let page = slice(sorted, try paging(request))
            return listShape(name, try render(page.map { String($0.id) }), total: sorted.count)
        case "config":
            let items: [LabJSON] = [
                .object(["name": .string("auth.enabled"), "value": .bool(auth != nil)]),
                .object(["name": .string("auth.config"), "value": .string("shiro.ini")]),
                .object(["name": .string("match_nodes_on"), "value": .array([.string("mac")])]),
                .object(["name": .string("checkin_interval"), "value": .int(15)]),
                .object(["name": .string("repo_store_root"), "value": .string("/var/lib/razor/repo-store")]),
                .object(["name": .string("task_path"), "value": .string("tasks")]),
                .object(["name": .string("broker_path"), "value": .string("brokers")]),
                .object(["name": .string("secure_api"), "value": .bool(false)]),
                .object(["name": .string("protect_new_nodes"), "value": .bool(false)]),
            ]
            return .object(["spec": .string(Self.spec("collections/config")), "items": .array(items)])
        default:
            throw LabRazorFailure(404, "no such collection \(name)")
        }
    }

    func memberView(_ collection: String, _ name: String, base: String) throws -> LabJSON {
        let member = LabJSON.string(Self.spec("collections/\(collection)/member"))
        func head(_ shownName: LabJSON, _ urlName: String) -> LabObject {
            ["spec": member, "id": .string(url(base, collection, urlName)), "name": shownName]
        }
        func sub(_ subName: String, count: Int) -> LabJSON {
            .object(["id": .string(url(base, collection, name) + "/\(subName)"), "count": .int(count), "name": .string(subName)])
        }
        switch collection {
        case "repos":
            guard let repo = repos.first(where: { $0.name.caseInsensitiveCompare(name) == .orderedSame }) else {
                throw LabRazorFailure(404, "no repo matched name=\(name)")
            }
            var object = head(.string(repo.name), repo.name)
            object["iso_url"] = repo.isoURL.map(LabJSON.string) ?? .null
            object["url"] = repo.url.map(LabJSON.string) ?? .null
            object["task"] = repo.task.flatMap { task in tasks.contains { $0.name == task } ? reference(base, "tasks", task) : nil } ?? .null
            return .object(object)
        case "tags":
            guard let tag = tags.first(where: { $0.name.caseInsensitiveCompare(name) == .orderedSame }) else {
                throw LabRazorFailure(404, "no tag matched name=\(name)")
            }
            var object = head(.string(tag.name), tag.name)
            object["rule"] = tag.rule
            object["nodes"] = sub("nodes", count: nodes.filter { $0.tags.contains(tag.name) }.count)
            object["policies"] = sub("policies", count: policies.filter { $0.tags.contains(tag.name) }.count)
            return .object(object)
        case "brokers":
            guard let broker = brokers.first(where: { $0.name.caseInsensitiveCompare(name) == .orderedSame }) else {
                throw LabRazorFailure(404, "no broker matched name=\(name)", bare: true)
            }
            var object = head(.string(broker.name), broker.name)
            object["configuration"] = .object(broker.configuration)
            object["broker_type"] = .string(broker.type)
            object["policies"] = sub("policies", count: policies.filter { $0.broker == broker.name }.count)
            return .object(object)
        case "policies":
            guard let policy = policies.first(where: { $0.name.caseInsensitiveCompare(name) == .orderedSame }) else {
                throw LabRazorFailure(404, "no policy matched name=\(name)")
            }
            var object = head(.string(policy.name), policy.name)
            object["repo"] = reference(base, "repos", policy.repo)
            if let task = policy.task { object["task"] = reference(base, "tasks", task) }
            object["broker"] = reference(base, "brokers", policy.broker)
            object["enabled"] = .bool(policy.enabled)
            if let max = policy.maxCount { object["max_count"] = .int(max) }
            object["configuration"] = .object(["hostname_pattern": .string(policy.hostname),
                                               "root_password": .string(policy.rootPassword)])
            object["tags"] = .array(policy.tags.map { reference(base, "tags", $0) })
            if !policy.nodeMetadata.isEmpty { object["node_metadata"] = .object(policy.nodeMetadata) }
            object["nodes"] = sub("nodes", count: nodes.filter { $0.policy == policy.name }.count)
            return .object(object)
        case "nodes":
            guard let index = node(named: name) else { throw LabRazorFailure(404, "no node matched name=\(name)") }
            return nodeView(nodes[index], base: base)
        case "hooks":
            guard let hook = hooks.first(where: { $0.name.caseInsensitiveCompare(name) == .orderedSame }) else {
                throw LabRazorFailure(404, "no hook matched name=\(name)")
            }
            return hookView(hook, base: base)
        case "commands":
            guard let id = Int(name), let command = commands.first(where: { $0.id == id }) else {
                throw LabRazorFailure(404, "no such command")
            }
            var object = head(.string(String(command.id)), String(command.id))
            object["command"] = .string(command.command)
            object["params"] = command.params
            object["errors"] = .array(command.errors)
            object["status"] = .string(command.status)
            object["submitted_at"] = .string(LabTime.string(command.submittedAt))
            if let finished = command.finishedAt { object["finished_at"] = .string(LabTime.string(finished)) }
            if let user = command.submittedBy { object["submitted_by"] = .string(user) }
            return .object(object)
        case "events":
            guard let id = Int(name) else { throw LabRazorFailure(400, "id must be a number but was \(name)") }
            guard let event = events.first(where: { $0.id == id }) else { throw LabRazorFailure(404, "no event matched id=\(id)") }
            var object = head(.int(event.id), String(event.id))
            if let nodeID = event.node, let index = nodeIndex(id: nodeID) {
                object["node"] = reference(base, "nodes", nodes[index].name)
            }
            object["severity"] = .string(event.severity)
            object["timestamp"] = .string(LabTime.string(event.timestamp))
            object["entry"] = .object(event.entry)
            return .object(object)
        default:
            throw LabRazorFailure(404, "no \(collection) matched name=\(name)")
        }
    }

    func taskView(_ task: LabTask, base: String) -> LabJSON {
        var object: LabObject = ["spec": .string(Self.spec("collections/tasks/member")),
                                 "id": .string(url(base, "tasks", task.name)), "name": .string(task.name)]
        if let parent = task.base { object["base"] = reference(base, "tasks", parent) }
        var os: LabObject = [:]
        if let name = task.osName { os["name"] = .string(name) }
        os["version"] = .string(task.osVersion)
        object["os"] = .object(os)
        if let description = task.description { object["description"] = .string(description) }
        var bootSeq = LabObject()
        for key in task.bootSeq.keys.sorted() { bootSeq[key] = .string(task.bootSeq[key] ?? "") }
        object["boot_seq"] = .object(bootSeq)
        return .object(object)
    }

    func nodeView(_ node: LabNode, base: String) -> LabJSON {
        var object: LabObject = ["spec": .string(Self.spec("collections/nodes/member")),
                                 "id": .string(url(base, "nodes", node.name)), "name": .string(node.name)]
        object["hw_info"] = .object(LabHWInfo.view(node.hwInfo))
        if let mac = node.dhcpMac { object["dhcp_mac"] = .string(mac) }
        if let policy = node.policy { object["policy"] = reference(base, "policies", policy) }
        let number: LabJSON = .object(["type": .string("number")])
        object["log"] = .object(["id": .string(url(base, "nodes", node.name) + "/log"), "name": .string("log"),
                                 "params": .object(["limit": number, "start": number])])
        object["tags"] = .array(node.tags.map { reference(base, "tags", $0) })
        if let facts = node.facts { object["facts"] = .object(facts) }
        if !node.metadata.isEmpty { object["metadata"] = .object(node.metadata) }
        var state: LabObject = ["installed": node.installed]
        if let at = node.installedAt { state["installed_at"] = .string(LabTime.string(at)) }
        if let policy = node.policy, let stage = bootTemplate(for: node, policy: policy)?.template { state["stage"] = .string(stage) }
        object["state"] = .object(state)
        if let desired = node.desiredPowerState { object["power"] = .object(["desired_power_state": .string(desired)]) }
        if let hostname = node.hostname { object["hostname"] = .string(hostname) }
        if let password = node.rootPassword { object["root_password"] = .string(password) }
        if let ipmi = node.ipmiHostname {
            var details: LabObject = ["hostname": .string(ipmi)]
            if let user = node.ipmiUsername { details["username"] = .string(user) }
            object["ipmi"] = .object(details)
        }
        if let checkin = node.lastCheckin { object["last_checkin"] = .string(LabTime.string(checkin)) }
        return .object(object)
    }

    /// A node's log as `/nodes/<n>/log` shows it: newest first, no total.
    func nodeLog(_ node: LabNode, page: (start: Int, limit: Int?)) -> LabJSON {
        let entries = events.filter { $0.node == node.id }.sorted { ($0.timestamp, $0.id) > ($1.timestamp, $1.id) }
        let items: [LabJSON] = slice(entries, page).map { event in
            var item: LabObject = ["timestamp": .string(LabTime.string(event.timestamp)), "severity": .string(event.severity)]
            item.merge(event.entry)
            return .object(item)
        }
        return .object(["spec": .string(Self.spec("collections/nodes/log")), "items": .array(items)])
    }

    private func subCollection(_ collection: String, _ name: String, _ subName: String,
                               request: LabHTTPRequest, base: String) throws -> LabJSON {
        switch (collection, subName) {
        case ("nodes", "log"):
            guard let index = node(named: name) else { throw LabRazorFailure(404, "no node matched name=\(name)") }
            return nodeLog(nodes[index], page: try paging(request))
        case ("hooks", "log"):
            guard let hook = hooks.first(where: { $0.name.caseInsensitiveCompare(name) == .orderedSame }) else {
                throw LabRazorFailure(404, "no hook matched name=\(name)")
            }
            let items = slice(Array(hook.log.reversed()), try paging(request)).map { LabJSON.object($0) }
            return .object(["spec": .string(Self.spec("collections/hooks/log")), "items": .array(items)])
        case ("tags", "nodes"):
            _ = try memberView("tags", name, base: base)
            let names = nodes.filter { $0.tags.contains { $0.caseInsensitiveCompare(name) == .orderedSame } }.map(\.name)
            return listShape("nodes", names.map { reference(base, "nodes", $0) }, total: names.count)
        case ("tags", "policies"):
            _ = try memberView("tags", name, base: base)
            let names = policies.filter { $0.tags.contains { $0.caseInsensitiveCompare(name) == .orderedSame } }.map(\.name)
            return listShape("policies", names.map { reference(base, "policies", $0) }, total: names.count)
        case ("policies", "nodes"):
            _ = try memberView("policies", name, base: base)
            let names = nodes.filter { $0.policy?.caseInsensitiveCompare(name) == .orderedSame }.map(\.name)
            return listShape("nodes", names.map { reference(base, "nodes", $0) }, total: names.count)
        case ("brokers", "policies"):
            _ = try memberView("brokers", name, base: base)
            let names = policies.filter { $0.broker.caseInsensitiveCompare(name) == .orderedSame }.map(\.name)
            return listShape("policies", names.map { reference(base, "policies", $0) }, total: names.count)
        default:
            throw LabRazorFailure(404, "no such collection")
        }
    }
}
