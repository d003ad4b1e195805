import BackendKit
import Foundation
import LabXAPI
import Testing
@testable import VizorXenServer

/// What the client does when the pool misbehaves: it recovers or reports a
/// clear error, and never hangs.
@Suite(.timeLimit(.minutes(1))) struct FaultTests {
    @Test(arguments: XapiTransportKind.allCases)
    func sessionInvalidInTheMiddleOfAStreamOfCallsLogsInAgainAndRetries(_ transport: XapiTransportKind) async throws {
        try await withLab { server in
            let xen = try hypervisor(server, transport)
            for n in 0..<12 {
                if n == 6 { await server.lab.expireAllSessions() }
                #expect(try await xen.listMachines().count == 2)
            }
            #expect(await xen.session.loginCount == 2)
        }
    }

    @Test func sessionsThatKeepDyingEndInAClearErrorAfterBoundedRetries() async throws {
        var options = fastOptions()
        options.sessionLifetime = .zero
        try await withLab(options) { server in
            let xen = try hypervisor(server, .xmlrpc)
            let error = try await within(.seconds(10), "bounded SESSION_INVALID retries") {
                do { _ = try await xen.listTemplates(); return nil as BackendError? } catch let e as BackendError { return e }
            }
            #expect(error?.code == "SESSION_INVALID")
            #expect(error?.kind == .unauthorized)
            #expect(await xen.session.loginCount == 4)  // first login + 3 retries
        }
    }

    @Test(arguments: XapiTransportKind.allCases)
    func hostIsSlaveAtLoginSendsTheClientToTheMaster(_ transport: XapiTransportKind) async throws {
        try await withLab { master in
            var memberOptions = fastOptions()
            memberOptions.memberOfMaster = "127.0.0.1"
            let member = try await XAPILabServer.start(host: "127.0.0.2", port: master.port, options: memberOptions)
            defer { Task { await member.stop() } }
            let xen = try hypervisor(master, transport, url: member.endpoint.url)
            #expect(try await xen.listMachines().count == 2)
            #expect(await xen.session.baseURL == master.endpoint.url)
            await member.stop()
        }
    }

    @Test func aMemberThatNamesItselfEndsInAnActionableError() async throws {
        var options = fastOptions()
        options.memberOfMaster = "127.0.0.1"
        try await withLab(options) { member in
            let xen = try hypervisor(member, .jsonrpc)
            await #expect { try await xen.listMachines() } throws: {
                let e = $0 as? BackendError
                return e?.code == "HOST_IS_SLAVE" && e?.hint?.contains("127.0.0.1") == true
            }
        }
    }

    @Test(arguments: XapiTransportKind.allCases)
    func aSlowServerPastTheTimeoutIsReportedAsATimeout(_ transport: XapiTransportKind) async throws {
        try await withLab { server in
            let xen = try hypervisor(server, transport, callTimeout: .seconds(1))
            _ = try await xen.listMachines()
            await server.lab.setResponseDelay(.seconds(4))
            let clock = ContinuousClock()
            let started = clock.now
            await #expect { try await xen.listMachines() } throws: { ($0 as? BackendError)?.kind == .timeout }
            #expect(clock.now - started < .seconds(3))
            await server.lab.setResponseDelay(.zero)
            #expect(try await xen.listMachines().count == 2)
            try await Task.sleep(for: .milliseconds(3200))  // let the delayed request drain before stopping
        }
    }

    @Test func unreachablePoolIsReportedNotAwaitedForever() async throws {
        let xen = try XenServerHypervisor(configuration: XenServerConfiguration(url: "http://127.0.0.1:9", username: "root", password: "x",
                                                                                callTimeout: .seconds(2)))
        let error = try await within(.seconds(10), "refused connection") {
            do { _ = try await xen.listMachines(); return nil as BackendError? } catch let e as BackendError { return e }
        }
        #expect(error?.kind == .unreachable)
    }

    @Test(arguments: XapiTransportKind.allCases)
    func connectionCutDuringEventFromResynchronisesThenEndsWhenThePoolIsGone(_ transport: XapiTransportKind) async throws {
        try await withLab { server in
            let proxy = try await FaultProxy(targetPort: server.port)
            let xen = try hypervisor(server, transport, url: "http://127.0.0.1:\(proxy.port)", callTimeout: .seconds(3), eventPoll: 5)
            let ended = try await within(.seconds(40), "cut, resync, then stream end") {
                var events = xen.changes().makeAsyncIterator()
                let isSnapshot: (HypervisorChange) -> Bool = { if case .snapshot = $0 { return true }; return false }
                _ = try await waitForChange(&events, isSnapshot)
                try await Task.sleep(for: .milliseconds(200))  // the stream is now blocked in event.from
                proxy.cutAll()
                _ = try await waitForChange(&events, isSnapshot)  // recovered with a fresh snapshot
                let db = try #require(try await xen.listMachines().first { $0.name == "db-01" })
                try await xen.start(machineID: db.id)
                _ = try await waitForChange(&events) {
                    if case .machineUpdated(let m) = $0 { return m.id == db.id && m.powerState == .running }; return false
                }
                await proxy.shutdown()
                do {
                    while try await events.next() != nil {}
                    return nil as BackendError?
                } catch let e as BackendError { return e }
            }
            #expect(ended?.kind == .unreachable)
        }
    }
}
