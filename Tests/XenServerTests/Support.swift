import BackendKit
import Foundation
import LabXAPI
import Testing
@testable import VizorXenServer

/// Starts a lab pool for one test and stops it afterwards, whatever happens.
func withLab<T>(_ options: XAPILab.Options = fastOptions(), _ body: (XAPILabServer) async throws -> T) async throws -> T {
    let server = try await XAPILabServer.start(options: options)
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}

func fastOptions() -> XAPILab.Options {
    var o = XAPILab.Options()
    o.operationDelay = .milliseconds(40)
    o.authFailureDelay = .milliseconds(10)
    return o
}

func hypervisor(_ server: XAPILabServer, _ transport: XapiTransportKind, url: String? = nil, callTimeout: Duration = .seconds(10),
                eventPoll: Double = 2) throws -> XenServerHypervisor {
    try XenServerHypervisor(configuration: XenServerConfiguration(
        url: url ?? server.endpoint.url, username: server.endpoint.credentials["username"]!,
        password: server.endpoint.credentials["password"]!, transport: transport, callTimeout: callTimeout,
        eventPollTimeout: eventPoll, siteName: "lab"))
}

struct TimedOut: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out: \(what)" }
}

/// Runs `body` but fails instead of hanging past `limit`.
func within<T: Sendable>(_ limit: Duration, _ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw TimedOut(what: what)
        }
        let first = try await group.next()!
        group.cancelAll()
        return first
    }
}

/// Reads changes from a stream until `match` accepts one, with a deadline.
func waitForChange(_ iterator: inout AsyncThrowingStream<HypervisorChange, Error>.Iterator, limit: Duration = .seconds(10),
                   _ match: (HypervisorChange) -> Bool) async throws -> HypervisorChange {
    let clock = ContinuousClock()
    let end = clock.now + limit
    while clock.now < end {
        guard let change = try await iterator.next() else { throw TimedOut(what: "stream ended") }
        if match(change) { return change }
    }
    throw TimedOut(what: "no matching change")
}

func fixture(_ name: String) throws -> [UInt8] {
    guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures") else {
        throw TimedOut(what: "fixture \(name) missing")
    }
    return Array(try Data(contentsOf: url))
}
