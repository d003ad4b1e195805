import BackendKit
import Foundation

/// Time as the pollers and the store see it. Production uses the wall clock;
/// tests use `TestClock` to move time by hand, so backoff, intervals and
/// staleness are tested without waiting.
public protocol ModelClock: Sendable {
    func now() -> Date
    /// Suspends for `seconds`; throws `CancellationError` when the task is cancelled.
    func sleep(seconds: TimeInterval) async throws
}

/// The wall clock.
public struct SystemClock: ModelClock {
    public init() {}
    public func now() -> Date { Date() }
    public func sleep(seconds: TimeInterval) async throws {
        try await Task.sleep(nanoseconds: UInt64(max(0, seconds) * 1_000_000_000))
    }
}

/// A clock that only moves when told to. Sleepers wake when `advance`
/// passes their deadline; `waitForSleepers` lets a test wait until the code
/// under test has gone to sleep, instead of guessing with real sleeps.
public final class TestClock: ModelClock, @unchecked Sendable {
    private struct Sleeper {
        var deadline: Date
        var continuation: CheckedContinuation<Void, Error>
    }

    private let lock = NSLock()
    private var current: Date
    private var sleepers: [Int: Sleeper] = [:]
    private var cancelledBeforeRegistration: Set<Int> = []
    private var nextID = 0

    public init(start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        current = start
    }

    public func now() -> Date {
        lock.withLock { current }
    }

    /// How many tasks are asleep on this clock right now.
    public var sleeperCount: Int { lock.withLock { sleepers.count } }

    /// The earliest deadline among the sleepers.
    public var nextDeadline: Date? { lock.withLock { sleepers.values.map(\.deadline).min() } }

    public func sleep(seconds: TimeInterval) async throws {
        let id = lock.withLock { () -> Int in
            nextID += 1
            return nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
                lock.lock()
                if cancelledBeforeRegistration.remove(id) != nil {
                    lock.unlock()
                    continuation.resume(throwing: CancellationError())
                    return
                }
                let deadline = current.addingTimeInterval(max(0, seconds))
                if deadline <= current && seconds <= 0 {
                    lock.unlock()
                    continuation.resume()
                    return
                }
                sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                lock.unlock()
            }
        } onCancel: {
            lock.lock()
            let sleeper = sleepers.removeValue(forKey: id)
            if sleeper == nil { cancelledBeforeRegistration.insert(id) }
            lock.unlock()
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward and wakes every sleeper whose deadline has passed.
    public func advance(by seconds: TimeInterval) {
        lock.lock()
        current = current.addingTimeInterval(seconds)
        let now = current
        let due = sleepers.filter { $0.value.deadline <= now }
        for id in due.keys { sleepers[id] = nil }
        lock.unlock()
        for sleeper in due.values.sorted(by: { $0.deadline < $1.deadline }) { sleeper.continuation.resume() }
    }

    /// Advances exactly to the earliest sleeper's deadline, if any.
    public func advanceToNextDeadline() {
        guard let deadline = nextDeadline else { return }
        advance(by: max(0, deadline.timeIntervalSince(now())))
    }

    /// Waits (in real time, up to `timeout` seconds) until at least `count` tasks sleep on this clock.
    @discardableResult
    public func waitForSleepers(_ count: Int, timeout: TimeInterval = 10) async -> Bool {
        let limit = Date().addingTimeInterval(timeout)
        while Date() < limit {
            if sleeperCount >= count { return true }
            try? await Task.sleep(nanoseconds: 2_000_000)
        }
        return sleeperCount >= count
    }
}

/// Runs `operation` but gives up with a `.timeout` BackendError after
/// `seconds` on `clock`. The operation must honour cancellation.
public func withTimeout<T: Sendable>(_ seconds: TimeInterval, clock: any ModelClock, backend: String,
                                     _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await clock.sleep(seconds: seconds)
            throw BackendError(.timeout, backend: backend, message: "no answer within \(Int(seconds)) s",
                               hint: "check that the server is up and not overloaded")
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw CancellationError() }
        return first
    }
}
