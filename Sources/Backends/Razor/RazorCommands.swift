import BackendKit
import Foundation

/// Where a repo's content comes from. There is deliberately no `iso_url`:
/// it makes Razor download and unpack the whole ISO, which Vizor never wants.
public enum RazorRepoSource: Sendable, Equatable {
    /// Content served elsewhere (Vizor's media exposure); Razor points `repo_url` at it.
    case url(String)
    /// An empty stub directory filled by other means (razor `no_content`).
    case noContent
}

/// The commands Vizor needs, each followed to `finished`.
extension RazorClient {
    @discardableResult
    public func createRepo(name: String, source: RazorRepoSource, task: String) async throws -> RazorCommandReceipt {
        var body: [String: RazorJSON] = ["name": .string(name), "task": .string(task)]
        switch source {
        case .url(let url): body["url"] = .string(url)
        case .noContent: body["no_content"] = true
        }
        return try await run("create-repo", .object(body))
    }

    @discardableResult
    public func deleteRepo(name: String) async throws -> RazorCommandReceipt {
        try await run("delete-repo", ["name": .string(name)])
    }

    /// `templates` maps template names (e.g. `boot_wim`) to ERB text; `bootSeq`
    /// maps boot counts ("1", "2", ...) and "default" to template names.
    @discardableResult
    public func createTask(name: String, os: String, templates: [String: String], bootSeq: [String: String]? = nil,
                           description: String? = nil) async throws -> RazorCommandReceipt {
        var body: [String: RazorJSON] = ["name": .string(name), "os": .string(os),
                                         "templates": .object(templates.mapValues(RazorJSON.string))]
        if let bootSeq { body["boot_seq"] = .object(bootSeq.mapValues(RazorJSON.string)) }
        if let description { body["description"] = .string(description) }
        return try await run("create-task", .object(body))
    }

    @discardableResult
    public func createBroker(name: String, type: String, configuration: [String: RazorJSON] = [:]) async throws -> RazorCommandReceipt {
        var body: [String: RazorJSON] = ["name": .string(name), "broker_type": .string(type)]
        if !configuration.isEmpty { body["configuration"] = .object(configuration) }
        return try await run("create-broker", .object(body))
    }

    @discardableResult
    public func createTag(name: String, rule: RazorJSON) async throws -> RazorCommandReceipt {
        try await run("create-tag", ["name": .string(name), "rule": rule])
    }

    @discardableResult
    public func deleteTag(name: String, force: Bool = false) async throws -> RazorCommandReceipt {
        try await run("delete-tag", ["name": .string(name), "force": .bool(force)])
    }

    /// Pre-registers a node by MAC (`hw_info.net0`); returns the node name (`node<N>`).
    public func registerNode(mac: String, installed: Bool = false) async throws -> String {
        let receipt = try await run("register-node", ["hw_info": ["net0": .string(mac)], "installed": .bool(installed)])
        guard let name = receipt.objectName else {
            throw BackendError(.protocolViolation, backend: razorBackendName, message: "register-node answered without a node name")
        }
        return name
    }

    @discardableResult
    public func deleteNode(name: String) async throws -> RazorCommandReceipt {
        try await run("delete-node", ["name": .string(name)])
    }

    @discardableResult
    public func reinstallNode(name: String, samePolicy: Bool = false) async throws -> RazorCommandReceipt {
        var body: [String: RazorJSON] = ["name": .string(name)]
        if samePolicy { body["same_policy"] = true }
        return try await run("reinstall-node", .object(body))
    }

    /// A policy as create-policy takes it.
    public struct Policy: Sendable, Equatable {
        public var name: String
        public var repo: String
        public var task: String?
        public var broker: String
        /// Hostname pattern; razor substitutes `${id}`.
        public var hostname: String
        public var rootPassword: String
        public var tags: [String]
        public var maxCount: Int?
        public var enabled: Bool
        public var nodeMetadata: [String: RazorJSON]

        public init(name: String, repo: String, task: String? = nil, broker: String, hostname: String, rootPassword: String,
                    tags: [String], maxCount: Int? = nil, enabled: Bool = true, nodeMetadata: [String: RazorJSON] = [:]) {
            self.name = name
            self.repo = repo
            self.task = task
            self.broker = broker
            self.hostname = hostname
            self.rootPassword = rootPassword
            self.tags = tags
            self.maxCount = maxCount
            self.enabled = enabled
            self.nodeMetadata = nodeMetadata
        }
    }

    @discardableResult
    public func createPolicy(_ policy: Policy) async throws -> RazorCommandReceipt {
        var body: [String: RazorJSON] = [
            "name": .string(policy.name), "repo": .string(policy.repo), "broker": .string(policy.broker),
            "hostname": .string(policy.hostname), "root_password": .string(policy.rootPassword),
            "tags": .array(policy.tags.map(RazorJSON.string)), "enabled": .bool(policy.enabled),
        ]
        if let task = policy.task { body["task"] = .string(task) }
        if let max = policy.maxCount { body["max_count"] = .int(max) }
        if !policy.nodeMetadata.isEmpty { body["node_metadata"] = .object(policy.nodeMetadata) }
        return try await run("create-policy", .object(body))
    }

    @discardableResult
    public func enablePolicy(name: String) async throws -> RazorCommandReceipt {
        try await run("enable-policy", ["name": .string(name)])
    }

    @discardableResult
    public func disablePolicy(name: String) async throws -> RazorCommandReceipt {
        try await run("disable-policy", ["name": .string(name)])
    }

    @discardableResult
    public func deletePolicy(name: String) async throws -> RazorCommandReceipt {
        try await run("delete-policy", ["name": .string(name)])
    }

    /// `modify-node-metadata`: update and/or remove keys; `noReplace` refuses (409) to overwrite.
    @discardableResult
    public func modifyNodeMetadata(node: String, update: [String: RazorJSON] = [:], remove: [String] = [],
                                   noReplace: Bool = false) async throws -> RazorCommandReceipt {
        var body: [String: RazorJSON] = ["node": .string(node)]
        if !update.isEmpty { body["update"] = .object(update) }
        if !remove.isEmpty { body["remove"] = .array(remove.map(RazorJSON.string)) }
        if noReplace { body["no_replace"] = true }
        return try await run("modify-node-metadata", .object(body))
    }
}
