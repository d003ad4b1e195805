import BackendKit
import Foundation
import LabRazor
import Testing
@testable import VizorRazor

@Suite struct ErrorShapeTests {
    @Test func status400FromARepoStillUsedByAPolicy() async throws {
        try await withLab { lab in
            let client = makeClient(lab)
            try await client.createBroker(name: "noop", type: "noop")
            try await client.createRepo(name: "r", source: .noContent, task: "noop")
            try await client.createPolicy(.init(name: "p", repo: "r", broker: "noop", hostname: "h", rootPassword: "x", tags: []))
            let error = await backendError { try await client.deleteRepo(name: "r") }
            #expect(error?.kind == .invalidInput)
            #expect(error?.code == "400")
            #expect(error?.message.contains("foreign key") == true)
        }
    }

    @Test func status401WhenCredentialsAreWrongOrMissing() async throws {
        try await withLab(auth: testAuth) { lab in
            let wrong = makeClient(lab, username: "fred", password: "alive")
            let error = await backendError { _ = try await wrong.discover() }
            #expect(error?.kind == .unauthorized)
            #expect(error?.code == "401")
            #expect(error?.hint?.contains("password") == true)
            #expect(error?.description.contains("alive") == false)
            let right = makeClient(lab, username: "fred", password: "dead")
            let api = try await right.discover()
            #expect(api.collections.count == 10)
        }
    }

    @Test func status404ForAReferenceToAMissingRepo() async throws {
        try await withLab { lab in
            let client = makeClient(lab)
            try await client.createBroker(name: "noop", type: "noop")
            let error = await backendError {
                try await client.createPolicy(.init(name: "p", repo: "nope", broker: "noop", hostname: "h", rootPassword: "x", tags: []))
            }
            #expect(error?.kind == .notFound)
            #expect(error?.message == "Razor: repo must be the name of an existing repo, but is 'nope'")
            #expect(try await client.member("repos", name: "nope") == nil)
        }
    }

    @Test func status409ForADuplicateWithOtherFields() async throws {
        try await withLab { lab in
            let client = makeClient(lab)
            try await client.createRepo(name: "cent7", source: .url("http://a/"), task: "noop")
            let error = await backendError { try await client.createRepo(name: "cent7", source: .url("http://b/"), task: "noop") }
            #expect(error?.kind == .conflict)
            #expect(error?.message == "Razor: The repo cent7 already exists, and the url fields do not match")
        }
    }

    @Test func status415And400MappedFromTheWireShapes() async throws {
        try await withLab { lab in
            let raw = RawHTTP()
            let url = lab.baseURL + "/api/commands/create-tag"
            let wrongType = try await raw.send("POST", url, body: "{}", contentType: "text/plain")
            #expect(wrongType.status == 415)
            let mapped = RazorErrors.forStatus(415, body: Array(wrongType.body.utf8), method: "POST", url: url)
            #expect(mapped.kind == .protocolViolation)
            #expect(mapped.message.contains("only application/json is accepted here"))
            let badJSON = try await raw.post(url, "{\"name\": ")
            #expect(badJSON.status == 400)
            let mapped400 = RazorErrors.forStatus(400, body: Array(badJSON.body.utf8), method: "POST", url: url)
            #expect(mapped400.kind == .invalidInput)
            #expect(mapped400.message.contains("unable to parse JSON ("))
        }
    }

    @Test func status422ForValidationFailures() async throws {
        try await withLab { lab in
            let client = makeClient(lab)
            var error = await backendError { try await client.run("create-tag", ["rule": ["=", "1", "1"]]) }
            #expect(error?.kind == .invalidInput)
            #expect(error?.code == "422")
            #expect(error?.message == "Razor refused the values: name is a required attribute, but it is not present")
            error = await backendError { try await client.run("create-repo", ["name": "x", "task": "noop"]) }
            #expect(error?.message.contains("requires one out of the iso_url, no_content, url attributes") == true)
            error = await backendError { try await client.run("delete-node", ["name": "n", "bogus": 1]) }
            #expect(error?.message.contains("extra attribute bogus was present in the command, but is not allowed") == true)
            error = await backendError { try await client.run("create-tag", ["name": 5, "rule": ["=", "1", "1"]]) }
            #expect(error?.message.contains("name should be a string, but was actually a number") == true)
        }
    }
}
