import BackendKit
import Foundation
import LabRazor
import Testing
import VizorRazor

@Suite struct ClientCommandTests {
    @Test func discoveryFindsEveryCollectionAndTheCommandsVizorNeeds() async throws {
        try await withLab { lab in
            let api = try await makeClient(lab).discover()
            #expect(Set(api.collections.keys) == ["brokers", "repos", "tags", "policies", "nodes", "tasks", "commands",
                                                   "events", "hooks", "config"])
            #expect(api.collections["nodes"]?.params == ["depth", "limit", "start"])
            #expect(api.collections["repos"]?.params == ["depth"])
            #expect(api.collections["config"]?.params == [])
            #expect(api.collections["nodes"]?.url == lab.baseURL + "/api/collections/nodes")
            for command in ["create-repo", "delete-repo", "create-task", "create-tag", "delete-tag", "register-node",
                            "delete-node", "reinstall-node", "create-policy", "enable-policy", "disable-policy",
                            "delete-policy", "modify-node-metadata"] {
                #expect(api.commands[command] == lab.baseURL + "/api/commands/\(command)")
            }
            #expect(api.serverVersion.hasPrefix("v1.9"))
        }
    }

    @Test func everyCommandVizorUsesIsFollowedToFinished() async throws {
        try await withLab(backgroundDelay: 0.2) { lab in
            let client = makeClient(lab)
            try await client.createBroker(name: "noop", type: "noop")
            try await client.createTask(name: "vizor/win", os: "Windows", templates: ["boot_wim": "#!ipxe\nboot\n"],
                                        bootSeq: ["1": "boot_wim", "default": "boot_local"], description: "Vizor Windows")
            // create-repo is background work: the status goes through pending/running first.
            let receipt = try await client.submit("create-repo", ["name": "w1", "url": "http://media/w1", "task": "vizor/win"])
            #expect(["pending", "running"].contains(try await client.status(of: receipt.commandURL).status))
            #expect(try await client.follow(receipt).status == "finished")
            try await client.createRepo(name: "w2", source: .noContent, task: "windows/2016")
            try await client.createTag(name: "mac1", rule: RazorProvisioningServer.macRule("52:54:00:00:00:01"))
            let node = try await client.registerNode(mac: "52:54:00:00:00:01")
            #expect(node == "node1")
            try await client.createPolicy(.init(name: "p1", repo: "w1", task: "vizor/win", broker: "noop",
                                                hostname: "host${id}.example.com", rootPassword: "pw", tags: ["mac1"], maxCount: 1))
            try await client.disablePolicy(name: "p1")
            #expect(try await client.member("policies", name: "p1")?["enabled"] == false)
            try await client.enablePolicy(name: "p1")
            #expect(try await client.member("policies", name: "p1")?["enabled"] == true)
            try await client.modifyNodeMetadata(node: node, update: ["role": "win"])
            #expect(try await client.member("nodes", name: node)?["metadata"] == ["role": "win"])
            let boot = try await lab.simulateBoot(mac: "52:54:00:00:00:01")
            #expect(boot.policy == "p1")
            let reinstall = try await client.reinstallNode(name: node)
            #expect(reinstall.result == "node unbound from p1")
            try await client.deletePolicy(name: "p1")
            try await client.deleteNode(name: node)
            try await client.deleteTag(name: "mac1")
            try await client.deleteRepo(name: "w1")
            try await client.deleteRepo(name: "w2")
            let inventory = await lab.inventory()
            #expect(inventory.repos.isEmpty && inventory.tags.isEmpty && inventory.policies.isEmpty && inventory.nodes.isEmpty)
            let commands = try await client.list("commands", depth: 1)
            #expect(commands.count == inventory.commandCount)
            #expect(commands.allSatisfy { $0["status"] == "finished" })
        }
    }

    @Test func aCommandThatFailsInTheBackgroundIsReportedAsFailed() async throws {
        try await withLab { lab in
            let client = makeClient(lab)
            let error = await backendError {
                try await client.run("create-repo", ["name": "bad", "iso_url": "file:///nope/does-not-exist.iso", "task": "noop"])
            }
            #expect(error?.kind == .remoteFailure)
            #expect(error?.code == "failed")
            #expect(error?.message.contains("unable to read local file /nope/does-not-exist.iso") == true)
        }
    }

    @Test func collectionsArePagedWithStartAndLimit() async throws {
        try await withLab { lab in
            let client = makeClient(lab, pageSize: 3)
            for index in 1...7 { _ = try await client.registerNode(mac: String(format: "52:54:00:00:01:%02x", index)) }
            let page = try await client.page("nodes", start: 3, limit: 3)
            #expect(page.total == 7)
            #expect(page.items.compactMap { $0["name"]?.string } == ["node4", "node5", "node6"])
            let all = try await client.list("nodes")
            #expect(all.compactMap { $0["name"]?.string } == (1...7).map { "node\($0)" })
            let full = try await client.list("nodes", depth: 1)
            #expect(full.count == 7)
            #expect(full.allSatisfy { $0["hw_info"]?["mac"]?.array?.count == 1 })
            // repos take no start/limit: the whole list in one answer
            try await client.createRepo(name: "r1", source: .noContent, task: "noop")
            #expect(try await client.page("repos", start: 5, limit: 1).items.count == 1)
        }
    }

    @Test func identicalCreatesAreIdempotentAndDeletesOfMissingObjectsSucceed() async throws {
        try await withLab { lab in
            let client = makeClient(lab)
            try await client.createRepo(name: "same", source: .url("http://m/x"), task: "noop")
            let again = try await client.createRepo(name: "SAME", source: .url("http://m/x"), task: "noop")
            #expect(again.objectName == "same")
            #expect(try await client.registerNode(mac: "52-54-00-00-00-09") == client.registerNode(mac: "52:54:00:00:00:09"))
            let gone = try await client.deleteTag(name: "never-made")
            #expect(gone.result == "no changes; tag never-made does not exist")
        }
    }
}
