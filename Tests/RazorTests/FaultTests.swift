import BackendKit
import Foundation
import LabRazor
import Testing
import VizorRazor

@Suite struct FaultTests {
    @Test func aServerErrorIsARemoteFailureWithTheStatus() async throws {
        try await withLab { lab in
            await lab.setFault(.serverError(status: 503), pathPrefix: "/api")
            let error = await backendError { _ = try await makeClient(lab).discover() }
            #expect(error?.kind == .remoteFailure)
            #expect(error?.code == "503")
            #expect(error?.message.contains("HTTP 503") == true)
        }
    }

    @Test func aServerThatDoesNotAnswerTimesOut() async throws {
        try await withLab { lab in
            await lab.setFault(.delay(seconds: 3), pathPrefix: "/api")
            let client = makeClient(lab, requestTimeout: .milliseconds(300))
            let started = ContinuousClock.now
            let error = await backendError { _ = try await client.discover() }
            #expect(error?.kind == .timeout)
            #expect(error?.isTransient == true)
            #expect(ContinuousClock.now - started < .seconds(2))
        }
    }

    @Test func aCommandStuckPendingGivesUpWithATimeout() async throws {
        try await withLab { lab in
            await lab.holdCommandsPending(true)
            let client = makeClient(lab, commandTimeout: .milliseconds(400))
            let started = ContinuousClock.now
            let error = await backendError { try await client.createRepo(name: "stuck", source: .noContent, task: "noop") }
            #expect(error?.kind == .timeout)
            #expect(error?.message.contains("still pending") == true)
            #expect(ContinuousClock.now - started < .seconds(3))
            await lab.holdCommandsPending(false)
            try await client.createRepo(name: "stuck", source: .noContent, task: "noop")
        }
    }

    @Test func malformedJSONIsAProtocolViolation() async throws {
        try await withLab { lab in
            await lab.setFault(.malformedJSON, pathPrefix: "/api/collections/nodes")
            let client = makeClient(lab)
            let error = await backendError { _ = try await client.list("nodes") }
            #expect(error?.kind == .protocolViolation)
            #expect(error?.message.contains("not JSON") == true)
        }
    }

    @Test func aServerThatIsNotThereIsUnreachable() async throws {
        let lab = try await LabRazorServer.start()
        let url = lab.endpoint.url
        await lab.stop()
        let client = RazorClient(configuration: RazorConfiguration(apiURL: URL(string: url)!, requestTimeout: .seconds(3)))
        let error = await backendError { _ = try await client.discover() }
        #expect(error?.kind == .unreachable)
    }
}
