import BackendKit
import Foundation
import LabRazor
import Testing
import VizorRazor

@Suite struct RobustnessTests {
    @Test func malformedBodiesAreRefusedWith400AndTheServerKeepsServing() async throws {
        try await withLab { lab in
            let raw = RawHTTP()
            let url = lab.baseURL + "/api/commands/create-repo"
            let bodies = ["", "{", "}", "[", "{\"name\":}", "{\"name\" \"x\"}", "{'name':'x'}", "nul", "tru", "\"\\u12\"",
                          "{\"a\":1,}", "[1,]", "01x", "-", "1e", "\"\u{1}\"", String(repeating: "[", count: 5000),
                          "{\"name\":\"\\ud800\"}", "{\"name\":\"x\"} trailing", "\u{FEFF}{}"]
            for body in bodies {
                let reply = try await raw.post(url, body)
                #expect(reply.status == 400, "\(body.prefix(20)): \(reply.status) \(reply.body.prefix(80))")
                #expect(reply.object["error"] as? String == "unable to parse JSON")
            }
            let scalar = try await raw.post(url, "42")
            #expect(scalar.status == 400)
            #expect(try await raw.get(lab.endpoint.url).status == 200)
        }
    }

    @Test func insecureTLSModeUsesItsOwnHTTPClientAndShutsItDown() async throws {
        try await withLab { lab in
            let client = RazorClient(configuration: RazorConfiguration(apiURL: URL(string: lab.endpoint.url)!, tls: .insecure))
            let api = try await client.discover()
            #expect(api.commands.count == 36)
            await client.shutdown()
        }
    }

    @Test func theConfigurationNeverPrintsThePassword() {
        let configuration = RazorConfiguration(apiURL: URL(string: "https://razor:8151/api")!, username: "fred", password: "dead")
        #expect(!configuration.description.contains("dead"))
        #expect(!String(describing: configuration).contains("dead"))
        #expect(configuration.description.contains("fred"))
    }
}

@Suite struct LabQuirkTests {
    @Test func headProbeOfApiAnswersLikeGetWithoutBody() async throws {
        try await withLab { lab in
            let reply = try await RawHTTP().send("HEAD", lab.endpoint.url)
            #expect(reply.status == 200)
            #expect(reply.body.isEmpty)
        }
    }

    @Test func aMissingBrokerIsABareStringUnderTheJSONContentTypeAndTheClientCopes() async throws {
        try await withLab { lab in
            let reply = try await RawHTTP().get(lab.baseURL + "/api/collections/brokers/nope")
            #expect(reply.status == 404)
            #expect(reply.header("Content-Type") == "application/json")
            #expect(reply.body == "no broker matched name=nope")
            #expect(try await makeClient(lab).member("brokers", name: "nope") == nil)
        }
    }
}
