import Foundation
import LabRazor
import Testing

/// Drives the lab the way razor-client does: only `/api` is known; every
/// other URL is taken from what the server advertises; commands are POSTed
/// as JSON to the advertised `id`; credentials go as HTTP Basic.
@Suite struct RazorClientStyleTests {
    func walk(_ raw: RawHTTP, entry: String) async throws -> (collections: [String: String], commands: [String: String]) {
        let api = try await raw.get(entry)
        #expect(api.status == 200)
        var collections: [String: String] = [:]
        for item in api.object["collections"] as? [[String: Any]] ?? [] {
            if let name = item["name"] as? String, let id = item["id"] as? String { collections[name] = id }
        }
        var commands: [String: String] = [:]
        for item in api.object["commands"] as? [[String: Any]] ?? [] {
            if let name = item["name"] as? String, let id = item["id"] as? String { commands[name] = id }
        }
        return (collections, commands)
    }

    func exercise(_ lab: LabRazorServer, _ raw: RawHTTP) async throws {
        let (collections, commands) = try await walk(raw, entry: lab.endpoint.url)
        // `razor create-tag --help` reads the command's schema first.
        let help = try await raw.get(try #require(commands["create-tag"])).object
        let schema = try #require(help["schema"] as? [String: [String: Any]])
        #expect(schema["rule"]?["type"] as? String == "array")
        #expect(schema["rule"]?["position"] as? Int == 1)
        #expect((help["help"] as? [String: Any])?["summary"] is String)
        let repoURL = try #require(commands["create-repo"])
        let repoSchema = try #require(try await raw.get(repoURL).object["schema"] as? [String: [String: Any]])
        #expect(repoSchema["iso_url"]?["aliases"] as? [String] == ["iso-url"])
        #expect(repoSchema["url"]?["type"] as? String == "string (URL)")

        // `razor create-tag small '["=",["fact","processorcount"],"2"]'`
        let created = try await raw.post(try #require(commands["create-tag"]), #"{"name":"small","rule":["=",["fact","processorcount"],"2"]}"#)
        #expect(created.status == 202)
        // The client then GETs result["id"] and shows the object.
        let tag = try await raw.get(try #require(created.object["id"] as? String)).object
        #expect(tag["name"] as? String == "small")
        #expect((tag["nodes"] as? [String: Any])?["count"] as? Int == 0)

        // `razor register-node --hw-info net0=52:54:00:aa:bb:cc --installed false`
        let registered = try await raw.post(try #require(commands["register-node"]),
                                            #"{"hw-info":{"net0":"52:54:00:AA:BB:CC"},"installed":false}"#)
        #expect(registered.status == 202)

        // `razor nodes`: the collection by its advertised URL, depth=1 since 1.9.1
        let nodes = try await raw.get(try #require(collections["nodes"]) + "?depth=1").object
        #expect(nodes["total"] as? Int == 1)
        let node = try #require((nodes["items"] as? [[String: Any]])?.first)
        #expect((node["hw_info"] as? [String: [String]])?["mac"] == ["52-54-00-aa-bb-cc"])
        // `razor nodes node1 log`: follow the node's advertised log id.
        let logURL = try #require((node["log"] as? [String: Any])?["id"] as? String)
        let log = try await raw.get(logURL)
        #expect(log.status == 200)
        #expect((log.object["items"] as? [Any])?.isEmpty == true)
        // `razor tasks windows/2016`
        let task = try await raw.get(try #require(collections["tasks"]) + "/windows/2016").object
        #expect(task["boot_seq"] as? [String: String] == ["1": "boot_wim", "default": "boot_local"])
        #expect((task["base"] as? [String: String])?["name"] == "windows")
        let tasks = try await raw.get(try #require(collections["tasks"])).object
        #expect(tasks["total"] == nil)
        // `razor config`
        let config = try await raw.get(try #require(collections["config"])).object
        #expect((config["items"] as? [[String: Any]])?.contains { $0["name"] as? String == "match_nodes_on" } == true)
    }

    @Test func withAuthenticationOff() async throws {
        try await withLab { lab in
            try await exercise(lab, RawHTTP())
        }
    }

    @Test func withAuthenticationOnCredentialsAreRequiredOnApiOnly() async throws {
        try await withLab(auth: testAuth) { lab in
            let anonymous = try await RawHTTP().get(lab.endpoint.url)
            #expect(anonymous.status == 401)
            #expect(anonymous.header("WWW-Authenticate") == "Basic realm=\"Razor\"")
            #expect(anonymous.body == "Access Denied\n")
            let wrong = try await RawHTTP(username: "fred", password: "nope").get(lab.endpoint.url)
            #expect(wrong.status == 401)
            try await exercise(lab, RawHTTP(username: "fred", password: "dead"))
            // /svc is never authenticated.
            let nodeID = try await RawHTTP().get(lab.baseURL + "/svc/nodeid?net0=52-54-00-aa-bb-cc")
            #expect(nodeID.status == 200)
            #expect(nodeID.object["id"] as? Int == 1)
            // The recorded principal appears on the command record.
            let command = try await RawHTTP(username: "fred", password: "dead").get(lab.baseURL + "/api/collections/commands/1").object
            #expect(command["submitted_by"] as? String == "fred")
        }
    }

    @Test func urlsFollowTheHostHeader() async throws {
        try await withLab { lab in
            let reply = try await RawHTTP().send("GET", lab.endpoint.url, headers: [("Host", "razor.test:8150")])
            let collections = try #require(reply.object["collections"] as? [[String: Any]])
            #expect(collections.first?["id"] as? String == "http://razor.test:8150/api/collections/brokers")
        }
    }
}
