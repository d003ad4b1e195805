/// One command's attribute schema, as `GET /api/commands/<name>` publishes it
/// and as the validation in `lib/razor/validation` enforces it.
struct LabRazorCommandSpec: Sendable {
    struct Attribute: Sendable {
        var name: String
        /// JSON type name: string, object, array, number, boolean.
        var type: String
        var required: Bool
        var position: Int?
        var aliases: [String]
        /// The collection a value must name, for `... must be the name of an existing ...`.
        var refersTo: String?

        init(_ name: String, _ type: String, required: Bool = false, position: Int? = nil,
             aliases: [String] = [], refersTo: String? = nil) {
            self.name = name
            self.type = type
            self.required = required
            self.position = position
            self.aliases = aliases
            self.refersTo = refersTo
        }

        /// Every spelling accepted: the name, its dash spelling, explicit aliases.
        var spellings: [String] {
            var result = [name]
            let dashed = name.replacingOccurrences(of: "_", with: "-")
            if dashed != name { result.append(dashed) }
            return result + aliases
        }
    }

    var name: String
    var summary: String
    var attributes: [Attribute]

    static func named(_ name: String) -> LabRazorCommandSpec? { catalogue.first { $0.name == name } }

    /// Every command razor-server 1.9 has.
    static var catalogue: [LabRazorCommandSpec] { all + more }

    func metadata() -> LabJSON {
        var schema = LabObject()
        for attribute in attributes {
            let shownType = attribute.type == "url" ? "string (URL)" : attribute.type == "any" ? "string" : attribute.type
            var entry: LabObject = ["type": .string(shownType)]
            let aliases = Array(attribute.spellings.dropFirst())
            if !aliases.isEmpty { entry["aliases"] = .array(aliases.map(LabJSON.string)) }
            if let position = attribute.position { entry["position"] = .int(position) }
            schema[attribute.name] = .object(entry)
        }
        let help: LabObject = [
            "summary": .string(summary),
            "description": .string(summary),
            "schema": .string(attributes.map { "\($0.name) (\($0.type))\($0.required ? ", required" : "")" }.joined(separator: "\n")),
            "examples": .object(["api": .string("{\"name\": \"example\"}"), "cli": .string("razor \(name) --name example")]),
            "full": .string("# SYNOPSIS\n\(summary)\n"),
        ]
        return .object(["name": .string(name), "help": .object(help), "schema": .object(schema)])
    }

    typealias A = Attribute
    /// The commands this lab implements, with razor-server 1.9's attributes.
    static let all: [LabRazorCommandSpec] = [
        .init(name: "create-repo", summary: "Create a new repository, from an ISO image or a URL", attributes: [
            A("name", "string", required: true, position: 0), A("url", "url"), A("iso_url", "url"),
            A("no_content", "boolean"), A("task", "string", required: true)]),
        .init(name: "delete-repo", summary: "Delete an existing repo", attributes: [A("name", "string", required: true, position: 0)]),
        .init(name: "update-repo-task", summary: "Update the task associated to a repo", attributes: [
            A("repo", "string", required: true, position: 0, refersTo: "repos"), A("task", "string", required: true, position: 1)]),
        .init(name: "create-task", summary: "Create a task", attributes: [
            A("name", "string", required: true, position: 0), A("os", "string", required: true),
            A("templates", "object", required: true), A("boot_seq", "object"), A("description", "string")]),
        .init(name: "create-broker", summary: "Create a new broker configuration", attributes: [
            A("name", "string", required: true, position: 0), A("broker_type", "string", required: true),
            A("configuration", "object", aliases: ["c"])]),
        .init(name: "delete-broker", summary: "Delete a broker configuration", attributes: [A("name", "string", required: true, position: 0)]),
        .init(name: "create-tag", summary: "Create a new tag", attributes: [
            A("name", "string", required: true, position: 0), A("rule", "array", required: true, position: 1)]),
        .init(name: "delete-tag", summary: "Delete a tag", attributes: [
            A("name", "string", required: true, position: 0), A("force", "boolean")]),
        .init(name: "update-tag-rule", summary: "Update the matching rule for an existing tag", attributes: [
            A("name", "string", required: true, position: 0, refersTo: "tags"), A("rule", "array", required: true, position: 1),
            A("force", "boolean")]),
        .init(name: "create-policy", summary: "Create a new policy", attributes: [
            A("name", "string", required: true, position: 0), A("hostname", "string", required: true),
            A("root_password", "string", required: true), A("repo", "string", required: true, refersTo: "repos"),
            A("broker", "string", required: true, refersTo: "brokers"), A("task", "string", refersTo: "tasks"),
            A("enabled", "boolean"), A("max_count", "number"), A("before", "string", refersTo: "policies"),
            A("after", "string", refersTo: "policies"), A("tags", "array", aliases: ["tag"]), A("node_metadata", "object")]),
        .init(name: "delete-policy", summary: "Delete a policy", attributes: [A("name", "string", required: true, position: 0)]),
        .init(name: "enable-policy", summary: "Enable a policy", attributes: [A("name", "string", required: true, position: 0, refersTo: "policies")]),
        .init(name: "disable-policy", summary: "Disable a policy", attributes: [A("name", "string", required: true, position: 0, refersTo: "policies")]),
        .init(name: "modify-policy-max-count", summary: "Change the maximum number of nodes bound to a policy", attributes: [
            A("name", "string", required: true, position: 0, refersTo: "policies"), A("max_count", "number", position: 1),
            A("no_max_count", "boolean")]),
        .init(name: "add-policy-tag", summary: "Add a tag to a policy", attributes: [
            A("name", "string", required: true, position: 0, refersTo: "policies"), A("tag", "string", required: true, position: 1),
            A("rule", "array")]),
        .init(name: "remove-policy-tag", summary: "Remove a tag from a policy", attributes: [
            A("name", "string", required: true, position: 0, refersTo: "policies"), A("tag", "string", required: true, position: 1)]),
        .init(name: "register-node", summary: "Register a node with Razor before it is discovered", attributes: [
            A("hw_info", "object", required: true, aliases: ["hw-info"]), A("installed", "boolean", required: true)]),
        .init(name: "set-node-hw-info", summary: "Change the hardware info on an existing node", attributes: [
            A("node", "string", required: true, position: 0, refersTo: "nodes"), A("hw_info", "object", required: true)]),
        .init(name: "delete-node", summary: "Remove a single node from the database", attributes: [A("name", "string", required: true, position: 0)]),
        .init(name: "reinstall-node", summary: "Remove the installed flag and any bound policy from a node", attributes: [
            A("name", "string", required: true, position: 0, refersTo: "nodes"), A("same_policy", "boolean")]),
        .init(name: "modify-node-metadata", summary: "Perform various metadata modifications on a node", attributes: [
            A("node", "string", required: true, position: 0, refersTo: "nodes"), A("update", "object"), A("remove", "array"),
            A("clear", "boolean"), A("no_replace", "boolean"), A("force", "boolean")]),
        .init(name: "update-node-metadata", summary: "Update one key in a node's metadata", attributes: [
            A("node", "string", required: true, position: 0, refersTo: "nodes"), A("key", "string", required: true, position: 1),
            A("value", "any", required: true, position: 2), A("no_replace", "boolean")]),
        .init(name: "remove-node-metadata", summary: "Remove one or all keys from a node's metadata", attributes: [
            A("node", "string", required: true, position: 0, refersTo: "nodes"), A("key", "string", position: 1), A("all", "boolean")]),
    ]
}

extension LabRazorCommandSpec {
    typealias B = Attribute
    /// Commands Vizor does not use, completing razor-server's catalogue of 36.
    static let more: [LabRazorCommandSpec] = [
        .init(name: "move-policy", summary: "Change the order in which policies are matched", attributes: [
            B("name", "string", required: true, position: 0), B("before", "string"), B("after", "string")]),
        .init(name: "update-policy-repo", summary: "Update the repo associated to a policy", attributes: [
            B("policy", "string", required: true, position: 0), B("repo", "string", required: true, position: 1)]),
        .init(name: "update-policy-broker", summary: "Update the broker associated to a policy", attributes: [
            B("policy", "string", required: true, position: 0), B("broker", "string", required: true, position: 1)]),
        .init(name: "update-policy-task", summary: "Update the task associated to a policy", attributes: [
            B("policy", "string", required: true, position: 0), B("task", "string", position: 1), B("no_task", "boolean")]),
        .init(name: "update-policy-node-metadata", summary: "Update one key of a policy's node metadata", attributes: [
            B("policy", "string", required: true, position: 0), B("key", "string", required: true, position: 1),
            B("value", "any", required: true, position: 2), B("no_replace", "boolean")]),
        .init(name: "update-broker-configuration", summary: "Update one key of a broker's configuration", attributes: [
            B("broker", "string", required: true, position: 0), B("key", "string", required: true, position: 1),
            B("value", "any", position: 2), B("clear", "boolean")]),
        .init(name: "create-hook", summary: "Create a new hook", attributes: [
            B("name", "string", required: true, position: 0), B("hook_type", "string", required: true),
            B("configuration", "object", aliases: ["c"])]),
        .init(name: "delete-hook", summary: "Delete a hook", attributes: [B("name", "string", required: true, position: 0)]),
        .init(name: "update-hook-configuration", summary: "Update one key of a hook's configuration", attributes: [
            B("hook", "string", required: true, position: 0), B("key", "string", required: true, position: 1),
            B("value", "any", position: 2), B("clear", "boolean")]),
        .init(name: "run-hook", summary: "Test a hook by running it for an event", attributes: [
            B("name", "string", required: true, position: 0), B("event", "string", required: true), B("node", "string", required: true),
            B("policy", "string"), B("debug", "boolean")]),
        .init(name: "set-node-ipmi-credentials", summary: "Set the IPMI credentials of a node", attributes: [
            B("name", "string", required: true, position: 0), B("ipmi_hostname", "string"), B("ipmi_username", "string"),
            B("ipmi_password", "string")]),
        .init(name: "reboot-node", summary: "Request a reboot of a node through IPMI", attributes: [
            B("name", "string", required: true, position: 0)]),
        .init(name: "set-node-desired-power-state", summary: "Set the power state Razor keeps a node in", attributes: [
            B("name", "string", required: true, position: 0), B("to", "any", position: 1)]),
    ]
}
