import BackendKit
import Foundation
import LabCloudStack
import Testing
import TestSupport
@testable import VizorCloudStack

/// A closed port is reported at once; a slow server keeps its full timeout.
@Suite struct UnreachableTests {
    @Test func refusedConnectionIsReportedUnreachableAtOnceNotAfterTheRequestTimeout() async throws {
        let port = closedLoopbackPort()
        let configuration = CloudStackConfiguration(endpoint: URL(string: "http://127.0.0.1:\(port)/client/api")!,
                                                    apiKey: "k", secretKey: "s", requestTimeout: .seconds(60))
        let started = ContinuousClock.now
        let error = await backendError { _ = try await CloudStackClient(configuration: configuration).listZones() }
        let elapsed = ContinuousClock.now - started
        #expect(error?.kind == .unreachable)
        #expect(error?.message.contains("127.0.0.1") == true)
        #expect(elapsed < .seconds(10), "took \(elapsed)")
    }

    @Test func slowServerStillGetsItsWholeRequestTimeout() async throws {
        try await withLab { lab in
            await lab.cloud.injectFaults([.stall(.milliseconds(1200))])
            let started = ContinuousClock.now
            let error = await backendError { _ = try await lab.client(requestTimeout: .seconds(5)).listZones() }
            let elapsed = ContinuousClock.now - started
            #expect(elapsed >= .milliseconds(1200))
            #expect(error?.kind != .timeout && error?.kind != .unreachable, "the late answer was read: \(String(describing: error))")
        }
    }
}
