import Foundation
import LabRazor
import Testing
import VizorRazor

/// The lab's members against razor-server's own JSON schemas
/// (`spec/lib/razor/spec/collection_schemas.rb`): required keys present,
/// no key outside the schema, and the types the schemas pin down.
@Suite struct CollectionSchemaTests {
    /// (required, allowed) per collection, as the server's schemas list them;
    /// node adds `last_checkin` (view.rb, newer than the schema file).
    let schemas: [String: (required: Set<String>, allowed: Set<String>)] = [
        "policies": (["spec", "id", "name", "configuration", "enabled", "repo", "task", "broker"],
                     ["spec", "id", "name", "configuration", "enabled", "max_count", "node_metadata", "repo", "task", "broker",
                      "nodes", "tags"]),
        "tags": (["spec", "id", "name", "rule", "nodes", "policies"], ["spec", "id", "name", "rule", "nodes", "policies"]),
        "repos": (["spec", "id", "name", "iso_url", "task"], ["spec", "id", "name", "iso_url", "url", "task"]),
        "tasks": (["spec", "id", "name", "os"], ["spec", "id", "name", "base", "description", "os", "boot_seq"]),
        "brokers": (["spec", "id", "name", "configuration", "broker_type"],
                    ["spec", "id", "name", "configuration", "broker_type", "policies"]),
        "nodes": (["spec", "id", "name"], ["spec", "id", "name", "hw_info", "dhcp_mac", "log", "tags", "policy", "facts", "metadata",
                                           "state", "hostname", "root_password", "power", "ipmi", "last_checkin"]),
        "commands": (["spec", "id", "name", "command"],
                     ["spec", "id", "name", "command", "params", "errors", "status", "submitted_at", "finished_at"]),
        "hooks": (["spec", "id", "name", "hook_type"], ["spec", "id", "name", "hook_type", "configuration", "log"]),
        "events": (["spec", "id", "name", "severity", "entry"],
                   ["spec", "id", "name", "node", "policy", "timestamp", "entry", "severity"]),
    ]

    @Test func everyMemberConformsToTheServersSchema() async throws {
        try await withLab { lab in
            let client = makeClient(lab)
            let server = RazorProvisioningServer(client: client)
            _ = try await server.provision(samplePlan(suffix: "05"))
            _ = try await lab.simulateBoot(mac: "52:54:00:aa:bb:05")
            try await lab.advanceWindowsInstall(node: "node1", .winpe)
            _ = try await client.run("create-hook", ["name": "h", "hook_type": "counter"])
            _ = try await client.run("set-node-desired-power-state", ["name": "node1", "to": "on"])
            for (collection, schema) in schemas {
                let list = try await RawHTTP().get(lab.baseURL + "/api/collections/\(collection)?depth=1").object
                #expect(Set(list.keys).isSubset(of: ["spec", "items", "total"]), "\(collection) list")
                let items = try #require(list["items"] as? [[String: Any]], "\(collection)")
                #expect(!items.isEmpty, "\(collection) has members to check")
                for item in items {
                    let keys = Set(item.keys)
                    #expect(schema.required.isSubset(of: keys), "\(collection): missing \(schema.required.subtracting(keys))")
                    #expect(keys.isSubset(of: schema.allowed), "\(collection): extra \(keys.subtracting(schema.allowed))")
                    for key in ["spec", "id"] { #expect((item[key] as? String)?.hasPrefix("http") == true) }
                }
            }
            let node = try await RawHTTP().get(lab.baseURL + "/api/collections/nodes/node1").object
            #expect((node["facts"] as? [String: Any])?.values.allSatisfy { $0 is String } == true)
            #expect((node["metadata"] as? [String: Any])?.values.allSatisfy { $0 is String } == true)
            let state = try #require(node["state"] as? [String: Any])
            #expect(state.filter { $0.key != "installed" }.values.allSatisfy { $0 is String })
            let events = try await RawHTTP().get(lab.baseURL + "/api/collections/events?depth=1").object
            let event = try #require((events["items"] as? [[String: Any]])?.first)
            #expect(event["name"] is Int)
            #expect(["error", "warning", "info"].contains(event["severity"] as? String ?? ""))
            let commands = try await RawHTTP().get(lab.baseURL + "/api/collections/commands?depth=1").object
            for command in commands["items"] as? [[String: Any]] ?? [] {
                #expect((command["name"] as? String)?.allSatisfy(\.isNumber) == true)
                #expect(["pending", "running", "finished", "failed"].contains(command["status"] as? String ?? ""))
            }
        }
    }
}
