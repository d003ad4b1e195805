import Hummingbird
import Logging
import ServiceLifecycle

/// Runs a Hummingbird application until `stop()`, which shuts it down
/// gracefully and promptly.
///
/// Why not cancel the task that runs the application: cancelling it cancels
/// the accept loop, which drops connections the kernel has already accepted
/// but the loop has not yet taken (their `NIOAsyncChannel` never reaches
/// `executeThenClose`) and NIO traps with "Deinited NIOAsyncWriter without
/// calling finish()". Clients that re-connect while the lab stops (an
/// `event.from` long-poll loop, a pooled HTTP client retrying) hit that window.
/// Shared by every lab server (they share no code with the clients).
/// A graceful shutdown closes the listener first, hands every accepted
/// connection to its handler, closes idle connections and lets in-flight
/// requests answer (handlers cut their simulated waits short on shutdown).
public final class LabServing: Sendable {
    private let group: ServiceGroup
    private let task: Task<Void, Never>

    /// Starts `app`; `onExit` runs when it stops running for any reason.
    public init<App: ApplicationProtocol>(_ app: App, logger: Logger, onExit: @escaping @Sendable () -> Void) {
        var configuration = ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [], cancellationSignals: [],
                                                      logger: logger)
        // A backstop only: the handlers end well before this on shutdown.
        configuration.maximumGracefulShutdownDuration = .seconds(10)
        let group = ServiceGroup(configuration: configuration)
        self.group = group
        task = Task {
            do { try await group.run() } catch {}
            onExit()
        }
    }

    public func stop() async {
        await group.triggerGracefulShutdown()
        await task.value
    }
}
