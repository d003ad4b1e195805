import Foundation
import LabRazor
import Testing

/// The `/svc` boot flow over plain HTTP, as iPXE, the microkernel and WinPE call it.
@Suite struct LabSvcTests {
    @Test func bootCheckinBindAndStageDoneOverHTTP() async throws {
        try await withLab { lab in
            let raw = RawHTTP()
            let api = lab.baseURL + "/api/commands/"
            _ = try await raw.post(api + "create-broker", #"{"name":"noop","broker_type":"noop"}"#)
            _ = try await raw.post(api + "create-repo", #"{"name":"w16","no_content":true,"task":"windows/2016"}"#)
            _ = try await raw.post(api + "create-tag", #"{"name":"big","rule":["and",["in",["fact","macaddress"],"52:54:00:00:00:07","x"],[">",["num",["fact","processorcount"]],1]]}"#)
            _ = try await raw.post(api + "create-policy", #"{"name":"p","repo":"w16","broker":"noop","hostname":"host${id}.lab","root_password":"pw","tags":["big"],"max_count":1}"#)
            let svc = lab.baseURL + "/svc"
            let first = try await raw.get(svc + "/boot?net0=52-54-00-00-00-07&dhcp_mac=52-54-00-00-00-07&serial=&asset=&uuid=")
            #expect(first.status == 200)
            #expect(first.body.contains("razor.register=\(svc)/checkin/1"))
            let unbound = try await raw.get(svc + "/file/1/unattended.xml")
            #expect(unbound.status == 409)
            let checkin = try await raw.post(svc + "/checkin/1", #"{"facts":{"macaddress":"52:54:00:00:00:07","processorcount":"2"}}"#)
            #expect(checkin.object as? [String: String] == ["action": "reboot"])
            let second = try await raw.get(svc + "/boot?net0=52-54-00-00-00-07")
            #expect(second.body.contains("kernel \(svc)/file/1/raw/wimboot"))
            #expect(second.body.contains("initrd \(svc)/repo/w16/boot.wim boot.wim"))
            #expect(try await raw.get(svc + "/nodeid?net1=52-54-00-00-00-07").object["id"] as? Int == 1)
            let file = try await raw.get(svc + "/file/1/second-stage.ps1")
            #expect(file.status == 200)
            let missing = try await raw.get(svc + "/file/1/nope.erb")
            #expect(missing.status == 404)
            #expect(try await raw.get(svc + "/log/1?msg=hello&severity=warn").status == 204)
            #expect(try await raw.get(svc + "/store_metadata/1?ip=10.0.0.5").status == 204)
            #expect(try await raw.get(svc + "/stage-done/1?name=finished").status == 204)
            #expect(try await raw.get(svc + "/log/99?msg=x").status == 404)
            let node = try await raw.get(lab.baseURL + "/api/collections/nodes/node1").object
            #expect((node["state"] as? [String: Any])?["installed"] as? String == "p")
            #expect(node["hostname"] as? String == "host1.lab")
            #expect((node["metadata"] as? [String: String])?["ip"] == "10.0.0.5")
            // Installed: the next boot is local.
            let third = try await raw.get(svc + "/boot?net0=52:54:00:00:00:07")
            #expect(third.body.contains("exit"))
            // max_count 1: a second matching node is not bound.
            _ = try await raw.get(svc + "/boot?net0=52-54-00-00-00-08")
            let other = try await raw.post(svc + "/checkin/2", #"{"facts":{"macaddress":"52:54:00:00:00:07","processorcount":"4"}}"#)
            #expect(other.object as? [String: String] == ["action": "none"])
            let log = try await raw.get(lab.baseURL + "/api/collections/nodes/node1/log?limit=3").object
            let items = try #require(log["items"] as? [[String: Any]])
            #expect(items.count == 3)
            #expect(items.first?["event"] as? String == "boot")
            #expect(items[1]["event"] as? String == "stage_done")
            #expect((items[2]["vars"] as? [String: [String: String]])?["update"] == ["ip": "10.0.0.5"])
        }
    }

    @Test func tagRulesUseRazorsOperators() async throws {
        try await withLab { lab in
            let raw = RawHTTP()
            let api = lab.baseURL + "/api/commands/"
            let rules = [
                ("like", #"["like",["fact","hostname"],"^web\\d+$"]"#, true),
                ("notbig", #"["not",[">=",["num",["fact","memsize"]],8192]]"#, true),
                ("eq", #"["=",["lower",["fact","vendor"]],"qemu"]"#, true),
                ("or", #"["or",["=",["fact","missing","dflt"],"dflt"],["=",1,2]]"#, true),
                ("meta", #"["=",["metadata","role"],"db"]"#, false),
                ("tagref", #"["and",["tag","like"],["tag","eq"]]"#, true),
            ]
            for (name, rule, _) in rules {
                let reply = try await raw.post(api + "create-tag", #"{"name":"\#(name)","rule":\#(rule)}"#)
                #expect(reply.status == 202, "\(name): \(reply.body)")
            }
            let bad = try await raw.post(api + "create-tag", #"{"name":"bad","rule":["frobnicate",1]}"#)
            #expect(bad.status == 422)
            _ = try await raw.get(lab.baseURL + "/svc/boot?net0=52-54-00-00-00-01")
            _ = try await raw.post(lab.baseURL + "/svc/checkin/1", #"{"facts":{"hostname":"web12","memsize":"4096","vendor":"QEMU"}}"#)
            let node = try await raw.get(lab.baseURL + "/api/collections/nodes/node1").object
            let tags = Set(((node["tags"] as? [[String: String]]) ?? []).compactMap { $0["name"] })
            #expect(tags == Set(rules.filter { $0.2 }.map { $0.0 }))
            _ = try await raw.post(api + "update-node-metadata", #"{"node":"node1","key":"role","value":"db"}"#)
            let again = try await raw.get(lab.baseURL + "/api/collections/nodes/node1").object
            #expect(((again["tags"] as? [[String: String]]) ?? []).contains { $0["name"] == "meta" })
        }
    }

    @Test func duplicateHardwareAtBootIsA400() async throws {
        try await withLab { lab in
            let raw = RawHTTP()
            _ = try await raw.post(lab.baseURL + "/api/commands/register-node", #"{"hw_info":{"net0":"52:54:00:00:00:01"},"installed":false}"#)
            _ = try await raw.post(lab.baseURL + "/api/commands/register-node", #"{"hw_info":{"net0":"52:54:00:00:00:02"},"installed":false}"#)
            let boot = try await raw.get(lab.baseURL + "/svc/boot?net0=52-54-00-00-00-01&net1=52-54-00-00-00-02")
            #expect(boot.status == 400)
            let none = try await raw.get(lab.baseURL + "/svc/boot?serial=abc")
            #expect(none.status == 400)
        }
    }
}
