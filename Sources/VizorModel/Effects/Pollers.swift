import BackendKit
import Foundation

/// Timing of the pollers; the configuration can change the intervals per site.
public struct PollerSettings: Sendable, Equatable {
    /// Longest wait for one request (a listing, a first snapshot).
    public var requestTimeout: TimeInterval
    public var backoff: Backoff
    /// An interval poller's health turns stale after this many missed intervals.
    public var staleAfterIntervals: Double

    public init(requestTimeout: TimeInterval = 30, backoff: Backoff = Backoff(), staleAfterIntervals: Double = 3) {
        self.requestTimeout = requestTimeout
        self.backoff = backoff
        self.staleAfterIntervals = staleAfterIntervals
    }
}

/// What every poller shares: who it is, how to report, how to wait.
public struct PollerContext: Sendable {
    public var tag: PollerTag
    public var clock: any ModelClock
    public var settings: PollerSettings
    public var random: @Sendable () -> Double
    public var send: @Sendable (Action) async -> Void
    public var wakeup: Wakeup

    public init(tag: PollerTag, clock: any ModelClock, settings: PollerSettings,
                random: @escaping @Sendable () -> Double, send: @escaping @Sendable (Action) async -> Void,
                wakeup: Wakeup = Wakeup()) {
        self.tag = tag
        self.clock = clock
        self.settings = settings
        self.random = random
        self.send = send
        self.wakeup = wakeup
    }

    /// Reports a failure with its retry delay and sleeps through it (woken early by `pollNow`).
    func failAndWait(_ error: Error, attempt: Int) async throws {
        let failure = backendError(error, backend: tag.backend.kind.rawValue)
        let delay = settings.backoff.delay(attempt: attempt, random: random())
        await send(.backendFailed(tag, failure, at: clock.now(), retryIn: delay, attempt: attempt))
        try await wakeup.sleep(seconds: delay, clock: clock)
    }
}

/// Lets `pollNow` cut a poller's wait short.
public final class Wakeup: @unchecked Sendable {
    private let lock = NSLock()
    private var poked = false
    private var sleeping: Task<Void, Error>?

    public init() {}

    public func poke() {
        lock.lock()
        poked = true
        let task = sleeping
        lock.unlock()
        task?.cancel()
    }

    /// Sleeps on `clock` unless poked before or during the wait; throws when the caller is cancelled.
    func sleep(seconds: TimeInterval, clock: any ModelClock) async throws {
        let task = Task { try await clock.sleep(seconds: seconds) }
        lock.withLock {
            if poked { task.cancel() }
            sleeping = task
        }
        await withTaskCancellationHandler {
            _ = try? await task.value
        } onCancel: {
            task.cancel()
        }
        lock.withLock {
            sleeping = nil
            poked = false
        }
        try Task.checkCancellation()
    }
}

/// Turns any error into the operator-facing shape.
func backendError(_ error: Error, backend: String) -> BackendError {
    if let error = error as? BackendError { return error }
    if error is CancellationError { return BackendError(.cancelled, backend: backend, message: "cancelled") }
    return BackendError(.remoteFailure, backend: backend, message: String(describing: error))
}

/// Follows a hypervisor's change stream: a snapshot, then deltas. When the
/// stream ends or fails it reports the failure, backs off and re-subscribes
/// (getting a fresh snapshot). Runs until cancelled.
public func runStreamPoller(_ hypervisor: any Hypervisor, context: PollerContext) async {
    var attempt = 0
    let backend = context.tag.backend.kind.rawValue
    while !Task.isCancelled {
        let connected = Flag()
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    var locationsRead = false
                    for try await change in hypervisor.changes() {
                        // The data first, then the health: a backend shown ok has its listing in the state.
                        await context.send(.hypervisorChanged(context.tag, change, at: context.clock.now()))
                        if !connected.isSet {
                            connected.set()
                            await context.send(.backendReached(context.tag, at: context.clock.now(), staleAfter: nil))
                        }
                        if !locationsRead {
                            // Zones change rarely: read once per connection, after the first
                            // snapshot; a failure keeps the last known list (health follows the stream).
                            locationsRead = true
                            if let locations = try? await hypervisor.listLocations() {
                                await context.send(.locationsLoaded(context.tag, locations))
                            }
                        }
                    }
                    try Task.checkCancellation()
                    throw BackendError(.unreachable, backend: backend, message: "the event stream ended",
                                       hint: "vizor re-subscribes by itself")
                }
                group.addTask {
                    try await context.clock.sleep(seconds: context.settings.requestTimeout)
                    if !connected.isSet {
                        throw BackendError(.timeout, backend: backend,
                                           message: "no snapshot within \(Int(context.settings.requestTimeout)) s",
                                           hint: "check that the server is up and not overloaded")
                    }
                }
                defer { group.cancelAll() }
                for try await _ in group {}
            }
        } catch {
            if Task.isCancelled { return }
            attempt = connected.isSet ? 1 : attempt + 1
            do { try await context.failAndWait(error, attempt: attempt) } catch { return }
        }
    }
}

/// Calls `fetch` every `interval` seconds (and on `pollNow`), delivering each
/// result; on failure reports it and retries with backoff. Runs until cancelled.
public func runIntervalPoller<Value: Sendable>(
    interval: TimeInterval, context: PollerContext,
    fetch: @escaping @Sendable () async throws -> Value,
    deliver: @escaping @Sendable (Value, Date) -> Action
) async {
    var attempt = 0
    let backend = context.tag.backend.kind.rawValue
    let staleAfter = interval * context.settings.staleAfterIntervals + context.settings.requestTimeout
    while !Task.isCancelled {
        do {
            let value = try await withTimeout(context.settings.requestTimeout, clock: context.clock, backend: backend,
                                              fetch)
            let now = context.clock.now()
            await context.send(deliver(value, now))
            await context.send(.backendReached(context.tag, at: now, staleAfter: staleAfter))
            attempt = 0
            do { try await context.wakeup.sleep(seconds: interval, clock: context.clock) } catch { return }
        } catch {
            if Task.isCancelled { return }
            attempt += 1
            do { try await context.failAndWait(error, attempt: attempt) } catch { return }
        }
    }
}

/// A thread-safe one-way flag.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
