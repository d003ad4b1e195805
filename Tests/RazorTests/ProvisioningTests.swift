import BackendKit
import Foundation
import LabRazor
import Testing
import VizorRazor

@Suite struct ProvisioningServerTests {
    @Test func provisionCreatesEverythingAndIsIdempotent() async throws {
        try await withLab { lab in
            let server = VizorHelpers.provisioningServer(lab)
            let plan = samplePlan()
            let first = try await server.provision(plan)
            let second = try await server.provision(plan)
            #expect(first == second)
            #expect(first == ProvisionedArtefacts(repoName: "w2016-01", taskName: nil, tagName: "vizor-mac-52-54-00-aa-bb-01",
                                                  policyName: "vizor-job-01", nodeName: "node1"))
            let inventory = await lab.inventory()
            #expect(inventory.repos == ["w2016-01"])
            #expect(inventory.tags == ["vizor-mac-52-54-00-aa-bb-01"])
            #expect(inventory.policies == ["vizor-job-01"])
            #expect(inventory.nodes == ["node1"])
            #expect(inventory.brokers == ["noop"])
            let client = server.client
            let repo = try #require(try await client.member("repos", name: "w2016-01"))
            #expect(repo["url"] == "http://127.0.0.1:9/media/w2016")
            #expect(repo["iso_url"] == .null)
            let policy = try #require(try await client.member("policies", name: "vizor-job-01"))
            #expect(policy["max_count"] == 1)
            #expect(policy["enabled"] == true)
            let node = try #require(try await client.member("nodes", name: "node1"))
            #expect(node["metadata"] == ["productkey": "XXXXX-XXXXX", "win_language": "en-US"])
            #expect(node["policy"] == nil)
        }
    }

    @Test func theSingleUsePolicyBindsOnlyTheVMWithThatMAC() async throws {
        try await withLab { lab in
            let server = VizorHelpers.provisioningServer(lab)
            _ = try await server.provision(samplePlan())
            let stranger = try await lab.simulateBoot(mac: "52:54:00:99:99:99")
            #expect(stranger.policy == nil)
            #expect(stranger.task == "microkernel")
            let mine = try await lab.simulateBoot(mac: "52:54:00:aa:bb:01")
            #expect(mine.nodeName == "node1")
            #expect(mine.policy == "vizor-job-01")
            #expect(mine.task == "windows/2016")
            #expect(mine.template == "boot_wim")
        }
    }

    @Test func removeDeletesEverythingTheJobCreatedAndToleratesWhatIsGone() async throws {
        try await withLab { lab in
            let server = VizorHelpers.provisioningServer(lab)
            let plan = samplePlan()
            let made = try await server.provision(plan)
            _ = try await lab.simulateBoot(mac: "52:54:00:aa:bb:01")
            try await lab.advanceWindowsInstall(node: "node1", .winpe)
            try await server.remove(made)
            try await server.remove(made)
            let inventory = await lab.inventory()
            #expect(inventory.repos.isEmpty)
            #expect(inventory.tags.isEmpty)
            #expect(inventory.policies.isEmpty)
            #expect(inventory.nodes.isEmpty)
            // A plan-wide remove after a failure half-way is fine too.
            try await server.remove(ProvisionedArtefacts(repoName: plan.repoName, tagName: plan.tagName,
                                                         policyName: plan.policyName, nodeName: "node9"))
        }
    }

    @Test func aTaskDefinitionBecomesACreateTask() async throws {
        try await withLab { lab in
            let server = VizorHelpers.provisioningServer(lab)
            var plan = samplePlan(suffix: "02", repoURL: nil)
            plan.taskName = "vizor/windows"
            plan.taskDefinition = ["os": "Windows", "boot_seq.1": "boot_wim", "boot_seq.default": "boot_local",
                                   "boot_wim": "#!ipxe\nboot\n", "second-stage.ps1": "Write-Host hi"]
            let made = try await server.provision(plan)
            #expect(made.taskName == "vizor/windows")
            let task = try #require(try await server.client.member("tasks", name: "vizor/windows"))
            #expect(task["boot_seq"] == ["1": "boot_wim", "default": "boot_local"])
            let repo = try #require(try await server.client.member("repos", name: "w2016-02"))
            #expect(repo["url"] == .null)
            #expect(repo["task"]?["name"] == "vizor/windows")
            let boot = try await lab.simulateBoot(mac: plan.mac)
            #expect(boot.template == "boot_wim")
            #expect(boot.customTemplate && boot.script == "#!ipxe\nboot\n", "the task's own template, rendered")
            #expect(await lab.inventory().createdTasks == ["vizor/windows"])

            // Razor has no delete-task command (nor does the lab): removal leaves the task, twice over without error.
            var artefacts = made
            artefacts.taskName = "vizor/windows"
            try await server.remove(artefacts)
            try await server.remove(artefacts)
            let inventory = await lab.inventory()
            #expect(inventory.createdTasks == ["vizor/windows"])
            #expect(inventory.repos.isEmpty && inventory.policies.isEmpty && inventory.tags.isEmpty && inventory.nodes.isEmpty)
            let deleteTask = try await RawHTTP().post(lab.baseURL + "/api/commands/delete-task", #"{"name":"vizor/windows"}"#)
            #expect(deleteTask.status == 404)
        }
    }

    @Test func aPlanWithoutMACIsRefused() async throws {
        try await withLab { lab in
            var plan = samplePlan()
            plan.mac = ""
            let error = await backendError { _ = try await VizorHelpers.provisioningServer(lab).provision(plan) }
            #expect(error?.kind == .invalidInput)
            #expect(await lab.inventory().repos.isEmpty)
        }
    }
}
