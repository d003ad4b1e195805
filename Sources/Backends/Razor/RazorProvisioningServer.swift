import BackendKit
import Foundation

/// Vizor's `ProvisioningServer` on Razor: per job a repo (pointing at the
/// exposed media, never `iso_url`), optionally a task, a tag matching the
/// VM's MAC, the node pre-registered by MAC, a single-use policy and the
/// node's metadata; and removal of all of it when the job ends (the original
/// tool never cleaned up). Every step is idempotent: Razor answers 202 with
/// the existing object when the same thing is created twice.
public struct RazorProvisioningServer: ProvisioningServer {
    public let client: RazorClient
    /// The broker policies use; a `noop` broker of this name is created if missing.
    public let brokerName: String

    public init(client: RazorClient, brokerName: String = "noop") {
        self.client = client
        self.brokerName = brokerName
    }

    public init(configuration: RazorConfiguration, brokerName: String = "noop") {
        self.init(client: RazorClient(configuration: configuration), brokerName: brokerName)
    }

    /// The tag rule that selects exactly this VM: the microkernel reports
    /// `macaddress` in lowercase colon form.
    public static func macRule(_ mac: String) -> RazorJSON {
        let colon = mac.lowercased().replacingOccurrences(of: "-", with: ":")
        return ["=", ["fact", "macaddress", ""], .string(colon)]
    }

    /// Splits `ProvisioningPlan.taskDefinition`: `os` and `description` are
    /// task attributes, `boot_seq.<n>` / `boot_seq.default` the boot
    /// sequence, every other key a template name with its ERB text.
    static func taskParts(_ definition: [String: String], name: String)
        -> (os: String, description: String?, bootSeq: [String: String]?, templates: [String: String]) {
        var bootSeq: [String: String] = [:]
        var templates: [String: String] = [:]
        for (key, value) in definition where key != "os" && key != "description" {
            if key.hasPrefix("boot_seq.") { bootSeq[String(key.dropFirst("boot_seq.".count))] = value } else { templates[key] = value }
        }
        return (definition["os"] ?? name, definition["description"], bootSeq.isEmpty ? nil : bootSeq, templates)
    }

    public func provision(_ plan: ProvisioningPlan) async throws -> ProvisionedArtefacts {
        guard !plan.mac.isEmpty else {
            throw BackendError(.invalidInput, backend: razorBackendName, message: "the plan has no MAC address to register")
        }
        var made = ProvisionedArtefacts()
        try await ensureBroker()
        if !plan.taskDefinition.isEmpty {
            let parts = Self.taskParts(plan.taskDefinition, name: plan.taskName)
            try await client.createTask(name: plan.taskName, os: parts.os, templates: parts.templates,
                                        bootSeq: parts.bootSeq, description: parts.description)
            made.taskName = plan.taskName
        }
        try await client.createRepo(name: plan.repoName, source: plan.repoURL.map(RazorRepoSource.url) ?? .noContent,
                                    task: plan.taskName)
        made.repoName = plan.repoName
        try await client.createTag(name: plan.tagName, rule: Self.macRule(plan.mac))
        made.tagName = plan.tagName
        made.nodeName = try await client.registerNode(mac: plan.mac)
        try await client.createPolicy(.init(name: plan.policyName, repo: plan.repoName, task: plan.taskName, broker: brokerName,
                                            hostname: plan.hostname, rootPassword: plan.rootPassword, tags: [plan.tagName],
                                            maxCount: 1, enabled: true))
        made.policyName = plan.policyName
        if !plan.metadata.isEmpty, let node = made.nodeName {
            try await client.modifyNodeMetadata(node: node, update: plan.metadata.mapValues(RazorJSON.string))
        }
        return made
    }

    private func ensureBroker() async throws {
        do {
            try await client.createBroker(name: brokerName, type: "noop")
        } catch let error as BackendError where error.kind == .conflict {
            // A broker of that name with some configuration: fine if it is a noop broker.
            guard try await client.member("brokers", name: brokerName)?["broker_type"]?.string == "noop" else { throw error }
        }
    }

    public func readLog(node: String, after cursor: NodeLogCursor) async throws -> (entries: [NodeLogEntry], cursor: NodeLogCursor) {
        try await client.readLog(node: node, after: cursor)
    }

    /// Policy first (it holds the repo and the tag), then node, tag, repo.
    /// `artefacts.taskName` is left alone: Razor has no command that deletes
    /// a task (razor-server `lib/razor/command/` has `create_task.rb` and no
    /// `delete_task.rb`), so a per-job task stays in Razor's database, unused
    /// once its policy is gone.
    public func remove(_ artefacts: ProvisionedArtefacts) async throws {
        if let policy = artefacts.policyName { try await tolerant { try await client.deletePolicy(name: policy) } }
        if let node = artefacts.nodeName { try await tolerant { try await client.deleteNode(name: node) } }
        if let tag = artefacts.tagName { try await tolerant { try await client.deleteTag(name: tag, force: true) } }
        if let repo = artefacts.repoName { try await tolerant { try await client.deleteRepo(name: repo) } }
    }

    /// What is gone already is not an error.
    private func tolerant(_ body: () async throws -> RazorCommandReceipt) async throws {
        do { _ = try await body() } catch let error as BackendError where error.kind == .notFound {}
    }
}
