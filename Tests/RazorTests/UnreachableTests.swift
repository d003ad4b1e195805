import BackendKit
import Foundation
import LabRazor
import Testing
import TestSupport
import VizorRazor

/// A closed port is reported at once, not after the request timeout.
@Suite struct UnreachableTests {
    @Test(arguments: [RazorConfiguration.TLSTrust.system, .insecure])
    func refusedConnectionIsReportedUnreachableAtOnce(trust: RazorConfiguration.TLSTrust) async throws {
        let port = closedLoopbackPort()
        let client = RazorClient(configuration: RazorConfiguration(apiURL: URL(string: "http://127.0.0.1:\(port)/api")!,
                                                                   tls: trust, requestTimeout: .seconds(60)))
        let started = ContinuousClock.now
        let error = await backendError { _ = try await client.discover() }
        let elapsed = ContinuousClock.now - started
        #expect(error?.kind == .unreachable, "\(String(describing: error))")
        #expect(elapsed < .seconds(10), "took \(elapsed)")
        await client.shutdown()
    }

    @Test func slowServerStillGetsItsWholeRequestTimeout() async throws {
        let server = try await LabRazorServer.start()
        await server.setFault(.delay(seconds: 1.2), pathPrefix: "/api")
        let client = RazorClient(configuration: RazorConfiguration(apiURL: URL(string: server.endpoint.url)!, requestTimeout: .seconds(5)))
        let started = ContinuousClock.now
        let api = try? await client.discover()
        #expect(ContinuousClock.now - started >= .milliseconds(1200))
        #expect(api != nil, "the late answer was read")
        await server.stop()
    }
}
