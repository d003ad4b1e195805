import Foundation
import LabRazor
import Testing
import VizorRazor

/// The lab's payloads against the shapes recorded from razor-server (the
/// fixtures from razor-client's VCR recordings and
/// razor-server's view.rb): field names and JSON types exact.
@Suite struct ShapeTests {
    let spec = "http://api.puppetlabs.com/razor/v1"

    func keys(_ object: [String: Any]) -> Set<String> { Set(object.keys) }

    @Test func apiEntryPointShape() async throws {
        try await withLab { lab in
            let reply = try await RawHTTP().get(lab.endpoint.url)
            #expect(reply.status == 200)
            #expect(reply.header("Content-Type") == "application/json")
            let api = reply.object
            #expect(keys(api) == ["commands", "collections", "version"])
            let commands = try #require(api["commands"] as? [[String: Any]])
            for command in commands {
                #expect(keys(command) == ["name", "rel", "id"])
                let name = try #require(command["name"] as? String)
                #expect(command["rel"] as? String == "\(spec)/commands/\(name)")
            }
            let collections = try #require(api["collections"] as? [[String: Any]])
            #expect(collections.compactMap { $0["name"] as? String } ==
                    ["brokers", "repos", "tags", "policies", "nodes", "tasks", "commands", "events", "hooks", "config"])
            let nodes = try #require(collections.first { $0["name"] as? String == "nodes" })
            #expect(keys(nodes) == ["name", "rel", "id", "params"])
            let params = try #require(nodes["params"] as? [String: [String: String]])
            #expect(params == ["start": ["type": "number"], "limit": ["type": "number"], "depth": ["type": "number"]])
            let config = try #require(collections.first { $0["name"] as? String == "config" })
            #expect(keys(config) == ["name", "rel", "id"])
            #expect((api["version"] as? [String: String])?["server"]?.hasPrefix("v1.9") == true)
        }
    }

    @Test func freshlyRegisteredNodeMatchesTheRecordedPayload() async throws {
        try await withLab { lab in
            let raw = RawHTTP()
            let posted = try await raw.post(lab.baseURL + "/api/commands/register-node",
                                            #"{"hw_info":{"net0":"52:54:00:AA:BB:01"},"installed":false}"#)
            #expect(posted.status == 202)
            #expect(keys(posted.object) == ["spec", "id", "name", "command"])
            #expect(posted.object["name"] as? String == "node1")
            let node = try await raw.get(lab.baseURL + "/api/collections/nodes/node1").object
            #expect(keys(node) == ["spec", "id", "name", "hw_info", "log", "tags", "state"])
            #expect(node["spec"] as? String == "\(spec)/collections/nodes/member")
            #expect(node["id"] as? String == lab.baseURL + "/api/collections/nodes/node1")
            #expect((node["hw_info"] as? [String: [String]]) == ["mac": ["52-54-00-aa-bb-01"]])
            let log = try #require(node["log"] as? [String: Any])
            #expect(log["id"] as? String == lab.baseURL + "/api/collections/nodes/node1/log")
            #expect(log["name"] as? String == "log")
            #expect((log["params"] as? [String: [String: String]]) == ["limit": ["type": "number"], "start": ["type": "number"]])
            #expect((node["tags"] as? [Any])?.isEmpty == true)
            let state = try #require(node["state"] as? [String: Any])
            #expect(keys(state) == ["installed"])
            #expect(state["installed"] as? Bool == false)
            #expect(type(of: state["installed"]!) != String.self)
        }
    }

    @Test func boundAndInstalledNodeAndItsLogMatchTheRecordedShapes() async throws {
        try await withLab { lab in
            let server = VizorHelpers.provisioningServer(lab)
            let made = try await server.provision(samplePlan(suffix: "07"))
            let nodeName = try #require(made.nodeName)
            _ = try await lab.simulateBoot(mac: "52:54:00:aa:bb:07")
            for step in LabWindowsInstallStep.sequence(postInstallSteps: []) { try await lab.advanceWindowsInstall(node: nodeName, step) }
            let raw = RawHTTP()
            let node = try await raw.get(lab.baseURL + "/api/collections/nodes/\(nodeName)").object
            #expect(keys(node) == ["spec", "id", "name", "hw_info", "dhcp_mac", "policy", "log", "tags", "facts", "metadata",
                                   "state", "hostname", "root_password", "last_checkin"])
            #expect(node["dhcp_mac"] as? String == "52-54-00-aa-bb-07")
            let policy = try #require(node["policy"] as? [String: String])
            #expect(policy == ["spec": "\(spec)/collections/policies/member",
                               "id": lab.baseURL + "/api/collections/policies/vizor-job-07", "name": "vizor-job-07"])
            let tags = try #require(node["tags"] as? [[String: String]])
            #expect(tags.map { $0["name"] } == ["vizor-mac-52-54-00-aa-bb-07"])
            #expect((node["facts"] as? [String: String])?["macaddress"] == "52:54:00:aa:bb:07")
            let state = try #require(node["state"] as? [String: String])
            #expect(state["installed"] == "vizor-job-07")
            #expect(state["installed_at"]?.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$"#, options: .regularExpression) != nil)
            #expect(state["stage"] == "boot_local")
            #expect(node["hostname"] as? String == "win07.example.com")
            #expect(node["root_password"] as? String == "s3cret")

            let log = try await raw.get(lab.baseURL + "/api/collections/nodes/\(nodeName)/log").object
            #expect(keys(log) == ["spec", "items"])
            #expect(log["spec"] as? String == "\(spec)/collections/nodes/log")
            let items = try #require(log["items"] as? [[String: Any]])
            let newest = try #require(items.first)
            #expect(keys(newest) == ["timestamp", "severity", "event", "stage"])
            #expect(newest["event"] as? String == "stage_done")
            #expect(newest["stage"] as? String == "finished")
            let oldest = try #require(items.last)
            #expect(keys(oldest) == ["timestamp", "severity", "event", "task", "template"])
            #expect(oldest["task"] as? String == "microkernel")
            let bind = try #require(items.first { $0["event"] as? String == "bind" })
            #expect(keys(bind) == ["timestamp", "severity", "event", "policy"])
            let boot = try #require(items.first { $0["event"] as? String == "boot" && $0["repo"] != nil })
            #expect(keys(boot) == ["timestamp", "severity", "event", "task", "template", "repo"])
            #expect(boot["template"] as? String == "boot_wim")
            let fetch = try #require(items.first { $0["event"] as? String == "get_task_file" })
            #expect(keys(fetch) == ["timestamp", "severity", "event", "template", "url"])
            let message = try #require(items.first { $0["msg"] != nil })
            #expect(keys(message) == ["timestamp", "severity", "msg"])
        }
    }

    @Test func commandStatusShapesFinishedAndFailed() async throws {
        // The command stays pending for 2 s, long enough to read it pending on a loaded machine.
        try await withLab(backgroundDelay: 2.0) { lab in
            let raw = RawHTTP()
            let posted = try await raw.post(lab.baseURL + "/api/commands/create-repo",
                                            #"{"name":"bad","iso-url":"file:///nope.iso","task":"noop"}"#)
            #expect(posted.status == 202)
            let commandURL = try #require(posted.object["command"] as? String)
            #expect(commandURL == lab.baseURL + "/api/collections/commands/1")
            let pending = try await raw.get(commandURL).object
            #expect(keys(pending) == ["spec", "id", "name", "command", "params", "errors", "status", "submitted_at"])
            #expect(pending["name"] as? String == "1")
            #expect((pending["params"] as? [String: String]) == ["name": "bad", "iso_url": "file:///nope.iso", "task": "noop"])
            var failed = try await raw.get(commandURL).object
            let deadline = ContinuousClock.now + .seconds(15)
            while ["pending", "running"].contains(failed["status"] as? String ?? "") && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                failed = try await raw.get(commandURL).object
            }
            #expect(keys(failed) == ["spec", "id", "name", "command", "params", "errors", "status", "submitted_at", "finished_at"])
            #expect(failed["status"] as? String == "failed")
            let errors = try #require(failed["errors"] as? [[String: String]])
            #expect(errors.count == 1)
            #expect(Set(errors[0].keys) == ["exception", "message", "attempted_at"])
            #expect(errors[0]["message"] == "unable to read local file /nope.iso")

            let deleted = try await raw.post(lab.baseURL + "/api/commands/delete-repo", #"{"name":"bad"}"#)
            #expect(keys(deleted.object) == ["result", "command"])
            #expect(deleted.object["result"] as? String == "repo destroyed")
            let finished = try await raw.get(try #require(deleted.object["command"] as? String)).object
            #expect(finished["status"] as? String == "finished")
            #expect((finished["errors"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func errorBodiesHaveTheServersShapes() async throws {
        try await withLab { lab in
            let raw = RawHTTP()
            let base = lab.baseURL + "/api/commands/"
            let missing = try await raw.post(base + "create-repo", #"{"task":"noop","url":"http://x/"}"#)
            #expect(missing.status == 422)
            #expect(missing.object as? [String: String] == ["error": "name is a required attribute, but it is not present"])
            let array = try await raw.post(base + "create-repo", "[1,2]")
            #expect(array.status == 422)
            #expect(array.object as? [String: String] == ["error": "expected object but got array"])
            let broken = try await raw.post(base + "create-repo", "{nope")
            #expect(broken.status == 400)
            #expect(keys(broken.object) == ["error", "details"])
            #expect(broken.object["error"] as? String == "unable to parse JSON")
            let wrongType = try await raw.send("POST", base + "create-repo", body: "name=x", contentType: "application/x-www-form-urlencoded")
            #expect(wrongType.status == 415)
            #expect(wrongType.object as? [String: String] == ["error": "only application/json is accepted here"])
            _ = try await raw.post(base + "create-repo", #"{"name":"cent7","url":"http://a/","task":"noop"}"#)
            let duplicate = try await raw.post(base + "create-repo", #"{"name":"cent7","iso_url":"http://b/c.iso","task":"noop"}"#)
            #expect(duplicate.status == 409)
            #expect(duplicate.object as? [String: String] ==
                    ["error": "The repo cent7 already exists, and the iso_url, url fields do not match"])
            let noRepo = try await raw.get(lab.baseURL + "/api/collections/repos/nope")
            #expect(noRepo.status == 404)
            #expect(noRepo.object as? [String: String] == ["error": "no repo matched name=nope"])
            let depth = try await raw.get(lab.baseURL + "/api/collections/nodes?depth=2")
            #expect(depth.status == 400)
            #expect(depth.object["error"] as? String == "'2' is not a valid value for the depth parameter. Valid values are 0 or 1")
            let html = try await raw.send("GET", lab.endpoint.url, headers: [("Accept", "text/html")])
            #expect(html.status == 406)
        }
    }
}
