import Foundation
import LabRazor
import Testing

/// The commands beyond what Vizor uses, as a razor-client user meets them.
@Suite struct LabCatalogueTests {
    @Test func apiAdvertisesAll36CommandsEachWithASchema() async throws {
        try await withLab { lab in
            let raw = RawHTTP()
            let commands = try #require(try await raw.get(lab.endpoint.url).object["commands"] as? [[String: Any]])
            #expect(commands.count == 36)
            for command in commands {
                let url = try #require(command["id"] as? String)
                let metadata = try await raw.get(url)
                #expect(metadata.status == 200)
                #expect(metadata.header("ETag")?.contains("server-version-") == true)
                #expect(metadata.object["schema"] is [String: Any])
            }
            #expect(try await raw.get(lab.baseURL + "/api/commands/no-such-thing").status == 404)
        }
    }

    @Test func movePolicyChangesWhichPolicyBindsFirst() async throws {
        try await withLab { lab in
            let raw = RawHTTP()
            let api = lab.baseURL + "/api/commands/"
            _ = try await raw.post(api + "create-broker", #"{"name":"noop","broker_type":"noop"}"#)
            _ = try await raw.post(api + "create-repo", #"{"name":"r","no_content":true,"task":"windows/2016"}"#)
            _ = try await raw.post(api + "create-policy", #"{"name":"first","repo":"r","broker":"noop","hostname":"a","root_password":"x"}"#)
            _ = try await raw.post(api + "create-policy", #"{"name":"second","repo":"r","broker":"noop","hostname":"b","root_password":"x"}"#)
            let moved = try await raw.post(api + "move-policy", #"{"name":"second","before":"first"}"#)
            #expect(moved.status == 202)
            let disabled = try await raw.post(api + "disable-policy", #"{"name":"first"}"#)
            #expect(disabled.object["result"] as? String == "Policy first disabled")
            let boot = try await lab.simulateBoot(mac: "52:54:00:00:00:31")
            #expect(boot.policy == "second")
            let list = try await raw.get(lab.baseURL + "/api/collections/policies").object
            #expect((list["items"] as? [[String: String]])?.map { $0["name"] } == ["second", "first"])
        }
    }

    @Test func hooksIPMIAndPowerCommands() async throws {
        try await withLab { lab in
            let raw = RawHTTP()
            let api = lab.baseURL + "/api/commands/"
            #expect(try await raw.post(api + "create-hook", #"{"name":"h","hook_type":"counter","c":{"count":0}}"#).status == 202)
            #expect(try await raw.post(api + "create-hook", #"{"name":"x","hook_type":"nope"}"#).status == 404)
            _ = try await raw.post(api + "register-node", #"{"hw_info":{"net0":"52:54:00:00:00:41"},"installed":false}"#)
            #expect(try await raw.post(api + "run-hook", #"{"name":"h","event":"node-booted","node":"node1"}"#).status == 202)
            let hook = try await raw.get(lab.baseURL + "/api/collections/hooks/h").object
            #expect(hook["hook_type"] as? String == "counter")
            let hookLog = try await raw.get(lab.baseURL + "/api/collections/hooks/h/log").object
            #expect((hookLog["items"] as? [Any])?.count == 1)
            let reboot = try await raw.post(api + "reboot-node", #"{"name":"node1"}"#)
            #expect(reboot.status == 422)
            _ = try await raw.post(api + "set-node-ipmi-credentials", #"{"name":"node1","ipmi_hostname":"bmc1","ipmi_username":"root","ipmi_password":"pw"}"#)
            let queued = try await raw.post(api + "reboot-node", #"{"name":"node1"}"#)
            #expect(queued.object["result"] as? String == "reboot request queued")
            let power = try await raw.post(api + "set-node-desired-power-state", #"{"name":"node1","to":"sideways"}"#)
            #expect(power.status == 422)
            _ = try await raw.post(api + "set-node-desired-power-state", #"{"name":"node1","to":"on"}"#)
            let node = try await raw.get(lab.baseURL + "/api/collections/nodes/node1").object
            #expect(node["ipmi"] as? [String: String] == ["hostname": "bmc1", "username": "root"])
            #expect((node["power"] as? [String: String])?["desired_power_state"] == "on")
            #expect(try await raw.post(api + "delete-hook", #"{"name":"h"}"#).object["result"] as? String == "hook destroyed")
        }
    }
}
