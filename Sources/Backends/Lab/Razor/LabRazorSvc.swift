import Foundation

/// The unauthenticated `/svc` endpoints iPXE, the microkernel and WinPE call
/// (`app.rb`), with their status codes and the node log entries they write.
extension LabRazorState {
    func handleSvc(_ request: LabHTTPRequest, _ segments: [String], base: String) throws -> LabHTTPResponse {
        let svcBase = base.replacingOccurrences(of: "https://", with: "http://")
        switch (request.method, segments.first) {
        case ("GET", "boot"):
            let outcome = try svcBoot(query: request.query, base: svcBase)
            return .text(200, outcome.script)
        case ("GET", "nodeid"):
            let pairs = request.query.filter { $0.0.hasPrefix("net") || ["serial", "asset", "uuid"].contains($0.0) }
            guard !pairs.isEmpty else { throw LabRazorFailure(400, "no hardware information provided") }
            let index = try lookupOrCreate(LabHWInfo.canonicalize(pairs), dhcpMac: nil)
            return .json(200, .object(["id": .int(nodes[index].id)]))
        case ("POST", "checkin") where segments.count == 2:
            guard request.headers["content-type"]?.lowercased().hasPrefix("application/json") == true else {
                throw LabRazorFailure(400, "must use application/json content type")
            }
            let index = try svcNode(segments[1])
            guard let body = try? LabJSONParser.parse(request.body), let facts = body["facts"]?.objectValue else {
                throw LabRazorFailure(400, "no facts provided")
            }
            let action = checkin(index, facts: facts)
            return .json(200, .object(["action": .string(action)]))
        case ("GET", "file") where segments.count >= 3:
            let index = try svcNode(segments[1])
            let raw = segments[2] == "raw" && segments.count == 4
            let template = raw ? segments[3] : segments[2]
            return try fetchFile(index, template: template, raw: raw, base: svcBase)
        case ("GET", "broker") where segments.count == 3 && segments[2] == "install":
            let index = try svcNode(segments[1])
            guard let policyName = nodes[index].policy, let policy = policies.first(where: { $0.name == policyName }) else {
                throw LabRazorFailure(409, "node \(nodes[index].name) is not bound to a policy")
            }
            let script = request.queryValue("script") ?? "install.sh"
            let url = "\(svcBase)/svc/broker/\(nodes[index].id)/install?script=\(script)"
            guard brokers.first(where: { $0.name == policy.broker })?.type == "noop", script == "install.ps1" || script == "install.sh"
            else { throw LabRazorFailure(404, "broker install template \(script) not found") }
            log(nodeID: nodes[index].id, ["event": .string("get_broker_file"), "script": .string(script), "url": .string(url)])
            let done = "\(svcBase)/svc/stage-done/\(nodes[index].id)?name=broker"
            let body = script.hasSuffix(".ps1") ? "Invoke-WebRequest -UseBasicParsing '\(done)'\n" : "#!/bin/sh\ncurl -s '\(done)'\n"
            return .text(200, body)
        case ("GET", "repo") where segments.count >= 2 && storedRepoFile(segments.dropFirst().joined(separator: "/")) != nil:
            // Files an operator placed in `repo_store_root` by hand (wimboot, the microkernel).
            let path = segments.dropFirst().joined(separator: "/")
            return LabHTTPResponse(status: 200, headers: [("Content-Type", "application/octet-stream")],
                                   body: storedRepoFile(path) ?? [])
        case ("GET", "repo") where segments.count >= 3:
            let repoName = segments[1]
            guard let repo = repos.first(where: { $0.name.caseInsensitiveCompare(repoName) == .orderedSame }) else {
                throw LabRazorFailure(404, "File \(segments.dropFirst(2).joined(separator: "/")) not found")
            }
            let path = segments.dropFirst(2).joined(separator: "/")
            if let url = repo.url {
                return LabHTTPResponse(status: 302, headers: [("Location", url.hasSuffix("/") ? url + path : url + "/" + path)], body: [])
            }
            log(nodeID: nil, severity: "error", ["msg": .string("File \(path) not found")])
            throw LabRazorFailure(404, "File \(path) not found")
        case ("GET", "log") where segments.count == 2:
            let index = try svcNode(segments[1])
            let severity = request.queryValue("severity") ?? "info"
            log(nodeID: nodes[index].id, severity: severity, ["msg": .string(request.queryValue("msg") ?? "")])
            return .noContent
        case ("GET", "store_metadata") where segments.count == 2:
            let index = try svcNode(segments[1])
            storeMetadata(index, query: request.query)
            return .noContent
        case ("GET", "stage-done") where segments.count == 2:
            let index = try svcNode(segments[1])
            stageDone(index, name: request.queryValue("name"))
            return .noContent
        default:
            return .text(404, "<h1>Not Found</h1>", contentType: "text/html")
        }
    }

    private func svcNode(_ id: String) throws -> Int {
        guard let number = Int(id), let index = nodeIndex(id: number) else {
            throw LabRazorFailure(404, "no node with id \(id)")
        }
        return index
    }

    /// `GET /svc/boot`: look the node up (or create it), pick the boot
    /// template, log `boot`, answer an iPXE script.
    func svcBoot(query: [(String, String)], base: String) throws
        -> (node: Int, task: String, template: String, script: String, custom: Bool) {
        let pairs = query.filter { key, _ in
            (key.hasPrefix("net") && Int(key.dropFirst(3)) != nil) || ["serial", "asset", "uuid"].contains(key) || key.hasPrefix("fact_")
        }
        let dhcpMac = query.first { $0.0 == "dhcp_mac" }?.1
        let index = try lookupOrCreate(LabHWInfo.canonicalize(pairs), dhcpMac: dhcpMac.flatMap { $0.isEmpty ? nil : $0 })
        let node = nodes[index]
        guard let choice = bootTemplate(for: node, policy: node.policy) else {
            throw LabRazorFailure(404, "task for policy \(node.policy ?? "") not found")
        }
        var entry: LabObject = ["event": .string("boot"), "task": .string(choice.task), "template": .string(choice.template)]
        if let repo = choice.repo { entry["repo"] = .string(repo) }
        log(nodeID: node.id, entry)
        // A task's own template comes first (`find_template`), rendered as ERB; then the common ones.
        if let body = taskTemplate(task: choice.task, template: choice.template) {
            let repo = choice.repo.flatMap { name in repos.first { $0.name == name } }
            let script = try LabRazorERB.render(body, context: LabRazorERBContext(base: base, node: node, task: choice.task, repo: repo))
            return (index, choice.task, choice.template, script, true)
        }
        if !Self.commonTemplates.contains(choice.template), !shippedInChain(task: choice.task) {
            // A database task's boot template that neither it nor `tasks/common` has.
            throw LabRazorFailure(404, "Task \(choice.task): no template '\(choice.template)' for this task or its base tasks")
        }
        let script: String
        switch choice.template {
        case "boot":
            script = "#!ipxe\nkernel \(base)/svc/repo/microkernel/vmlinuz0 razor.register=\(base)/svc/checkin/\(node.id) "
                + "razor.extend=\(base)/svc/mk/extension.zip\ninitrd \(base)/svc/repo/microkernel/initrd0.img\nboot\n"
        case "boot_local":
            script = "#!ipxe\necho Booting from local disk\nexit\n"
        case "boot_wim":
            let repo = "\(base)/svc/repo/\(choice.repo ?? "")"
            script = "#!ipxe\nimgfree\nkernel \(base)/svc/file/\(node.id)/raw/wimboot\ninitrd \(repo)/bootmgr bootmgr\n"
                + "initrd \(repo)/boot/bcd BCD\ninitrd \(repo)/boot/fonts/segmono_boot.ttf segmono_boot.ttf\n"
                + "initrd \(repo)/boot/fonts/segoe_slboot.ttf segoe_slboot.ttf\ninitrd \(repo)/boot/fonts/wgl4_boot.ttf wgl4_boot.ttf\n"
                + "initrd \(repo)/boot/boot.sdi boot.sdi\ninitrd \(repo)/boot.wim boot.wim\nboot\n"
        default:
            script = "#!ipxe\nchain \(base)/svc/file/\(node.id)/\(choice.template)\n"
        }
        return (index, choice.task, choice.template, script, false)
    }

    /// A template defined by the task or one of its base tasks (`create-task`
    /// stores them; the shipped file tasks are rendered by the lab itself).
    func taskTemplate(task taskName: String, template: String) -> String? {
        var seen: Set<String> = []
        var next: String? = taskName
        while let name = next, !seen.contains(name), let task = tasks.first(where: { $0.name == name }) {
            if let body = task.templates[template] { return body }
            seen.insert(name)
            next = task.base
        }
        return nil
    }

    /// razor-server's `tasks/common` templates, which every task can use.
    static let commonTemplates: Set<String> = ["boot_local", "os_complete", "set_hostname", "store_ip"]

    /// Whether the task or one of its bases is a shipped file task (whose templates the lab renders itself).
    func shippedInChain(task taskName: String) -> Bool {
        var seen: Set<String> = []
        var next: String? = taskName
        while let name = next, !seen.contains(name), let task = tasks.first(where: { $0.name == name }) {
            if LabBuiltinTasks.all.contains(where: { $0.name == name }) { return true }
            seen.insert(name)
            next = task.base
        }
        return false
    }

    /// A file in the lab's repo store, matched without regard to case as razor-server does.
    func storedRepoFile(_ path: String) -> [UInt8]? {
        repoStore.first { $0.key.caseInsensitiveCompare(path) == .orderedSame }?.value
    }

    /// `POST /svc/checkin/<id>`: store facts, re-evaluate tags, try to bind.
    func checkin(_ index: Int, facts: LabObject) -> String {
        nodes[index].facts = facts
        nodes[index].lastCheckin = Date()
        reevaluateTags()
        if let policy = bindIfPossible(index) {
            log(nodeID: nodes[index].id, ["action": .string("reboot"), "policy": .string(policy)])
            return "reboot"
        }
        if nodes[index].policy == nil, nodes[index].installed != .bool(false) {
            log(nodeID: nodes[index].id, ["action": .string("reboot"), "task": .string("noop"),
                                          "msg": .string("Node has no policy but is installed. Booting locally")])
            return "reboot"
        }
        return "none"
    }

    /// `GET /svc/file/<id>/<template>` and `/raw/<file>`: 409 when unbound,
    /// a `get_task_file` / `get_raw_file` log entry either way it goes.
    func fetchFile(_ index: Int, template: String, raw: Bool, base: String) throws -> LabHTTPResponse {
        let node = nodes[index]
        guard let policyName = node.policy, let policy = policies.first(where: { $0.name == policyName }) else {
            throw LabRazorFailure(409, "node \(node.name) is not bound to a policy")
        }
        let event = raw ? "get_raw_file" : "get_task_file"
        let url = raw ? "\(base)/svc/file/\(node.id)/raw/\(template)" : "\(base)/svc/file/\(node.id)/\(template)"
        if raw, template.hasSuffix(".erb") { throw LabRazorFailure(404, "raw file \(template) not found") }
        let taskName = policy.task ?? repos.first { $0.name == policy.repo }?.task ?? "noop"
        if raw, !LabBuiltinTasks.all.contains(where: { $0.name == taskName }) {
            // A task from `create-task` lives in the database and has no files: razor-server's
            // `Razor::Data::Task` lacks `find_file`, so the request dies with a bare 500.
            throw LabRazorERBError(message: "undefined method `find_file' for task \(taskName)")
        }
        let fromTask = taskTemplate(task: taskName, template: template)
        let common: Set<String> = raw ? ["wimboot"] : ["second-stage.ps1", "unattended.xml", "boot_wim", "boot_local", "boot_install"]
        guard fromTask != nil || common.contains(template) else {
            log(nodeID: node.id, severity: "error", ["event": .string(event), "script": .string(template),
                                                     "msg": .string("task file \(template) not found"),
                                                     "severity": .string("error"), "url": .string(url)])
            throw LabRazorFailure(404, "Template \(template) not found for task \(taskName)")
        }
        if let fromTask, !raw {
            let repo = repos.first { $0.name == policy.repo }
            let text = try LabRazorERB.render(fromTask, context: LabRazorERBContext(base: base, node: node, task: taskName, repo: repo))
            log(nodeID: node.id, ["event": .string(event), "template": .string(template), "url": .string(url)])
            return .text(200, text)
        }
        log(nodeID: node.id, ["event": .string(event), "template": .string(template), "url": .string(url)])
        return .text(200, fromTask ?? "# \(template) rendered for \(node.name) (task \(taskName))\n")
    }

    /// `GET /svc/store_metadata/<id>?k=v&remove[]=k`.
    func storeMetadata(_ index: Int, query: [(String, String)]) {
        var update = LabObject()
        var remove: [LabJSON] = []
        for (key, value) in query {
            if key == "remove[]" || key == "remove" {
                remove.append(.string(value))
                nodes[index].metadata[value] = nil
            } else {
                update[key] = .string(value)
                nodes[index].metadata[key] = .string(value)
            }
        }
        var vars = LabObject()
        if !update.isEmpty { vars["update"] = .object(update) }
        if !remove.isEmpty { vars["remove"] = .array(remove) }
        log(nodeID: nodes[index].id, ["event": .string("store_metadata"), "vars": .object(vars)])
        reevaluateTags()
    }

    /// `GET /svc/stage-done/<id>?name=`: `boot_count` goes up; `finished` on a
    /// bound node marks it installed with the policy's name.
    func stageDone(_ index: Int, name: String?) {
        let stage: LabJSON = name.flatMap { $0.isEmpty ? nil : LabJSON.string($0) } ?? .int(nodes[index].bootCount)
        log(nodeID: nodes[index].id, ["event": .string("stage_done"), "stage": stage])
        nodes[index].bootCount += 1
        if name == "finished", let policy = nodes[index].policy {
            nodes[index].installed = .string(policy)
            nodes[index].installedAt = Date()
        }
    }
}
