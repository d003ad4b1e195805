import BackendKit
import Foundation
import Testing
import TestSupport
import VizorXenServer

/// A closed port is reported at once, not after the call timeout.
@Suite struct UnreachableTests {
    @Test(arguments: [XapiTransportKind.xmlrpc, .jsonrpc])
    func refusedConnectionIsReportedUnreachableAtOnce(transport: XapiTransportKind) async throws {
        let port = closedLoopbackPort()
        let session = try XapiSession(configuration: XenServerConfiguration(url: "http://127.0.0.1:\(port)", username: "root",
                                                                            password: "pw", transport: transport, callTimeout: .seconds(60)))
        let started = ContinuousClock.now
        var caught: BackendError?
        do { _ = try await session.call("pool.get_all") } catch let error as BackendError { caught = error }
        let elapsed = ContinuousClock.now - started
        #expect(caught?.kind == .unreachable, "\(String(describing: caught))")
        #expect(elapsed < .seconds(10), "took \(elapsed)")
    }
}
