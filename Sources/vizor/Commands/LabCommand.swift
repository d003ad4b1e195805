import ArgumentParser
import Foundation
import VizorLab

struct LabCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lab",
        abstract: "The lab: loopback CloudStack, XenServer and Razor servers.",
        subcommands: [Serve.self]
    )

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the lab servers in the foreground until SIGINT or SIGTERM.",
            discussion: "The first line on stdout is one JSON object with each server's URL and credentials."
        )

        @Option(help: "Address to bind the lab servers to.")
        var host: String = "127.0.0.1"

        mutating func run() async throws {
            let suite = try await LabSuite.start(host: host)
            FileHandle.standardOutput.write(Data((suite.announcementLine() + "\n").utf8))
            await waitForTerminationSignal()
            await suite.stop()
        }
    }
}

/// Suspends until SIGINT or SIGTERM arrives.
func waitForTerminationSignal() async {
    signal(SIGINT, SIG_IGN)
    signal(SIGTERM, SIG_IGN)
    await SignalWaiter().wait(for: [SIGINT, SIGTERM])
}

/// Turns the first of several POSIX signals into the end of an async wait.
private final class SignalWaiter: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Void, Never>?
    private var sources: [any DispatchSourceSignal] = []

    func wait(for signals: [Int32]) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            self.continuation = continuation
            sources = signals.map { number in
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { [self] in resume() }
                source.resume()
                return source
            }
            lock.unlock()
        }
    }

    private func resume() {
        lock.lock()
        let pending = continuation
        continuation = nil
        for source in sources { source.cancel() }
        sources = []
        lock.unlock()
        pending?.resume()
    }
}
