import BackendKit
import Foundation

/// The one owner of `AppState`, on the main actor. The dashboard and the
/// CLI both send actions here; effects go to the runner, whose results come
/// back through `send`. Observers are called after every change.
@MainActor
public final class Store {
    public private(set) var state: AppState
    public let runner: EffectRunner
    private var observers: [Int: @MainActor (AppState) -> Void] = [:]
    private var nextObserver = 0
    private var waiters: [Int: (predicate: (AppState) -> Bool, continuation: CheckedContinuation<Bool, Never>)] = [:]
    private var nextWaiter = 0
    private var ticker: Task<Void, Never>?
    /// Every action applied, when recording is on (tests, benchmarks).
    public var recordedActions: [Action]?

    public init(state: AppState = AppState(), runner: EffectRunner) {
        self.state = state
        self.runner = runner
        self.state.now = runner.clock.now()
    }

    /// Applies one action and starts the effects it asks for.
    public func send(_ action: Action) {
        recordedActions?.append(action)
        let effects = reduce(&state, action)
        for effect in effects {
            runner.run(effect) { [weak self] result in
                await self?.send(result)
            }
        }
        for observer in observers.values { observer(state) }
        for (id, waiter) in waiters where waiter.predicate(state) {
            waiters[id] = nil
            waiter.continuation.resume(returning: true)
        }
    }

    /// Calls `observer` after every action until the token is cancelled.
    @discardableResult
    public func observe(_ observer: @escaping @MainActor (AppState) -> Void) -> ObservationToken {
        nextObserver += 1
        let id = nextObserver
        observers[id] = observer
        return ObservationToken { [weak self] in self?.observers[id] = nil }
    }

    /// Waits until `predicate` holds (true) or `timeout` real seconds pass (false).
    public func waitUntil(timeout: TimeInterval, _ predicate: @escaping (AppState) -> Bool) async -> Bool {
        if predicate(state) { return true }
        nextWaiter += 1
        let id = nextWaiter
        let timer = Task { [weak self] in
            try? await Task.sleep(nanoseconds: UInt64(timeout * 1_000_000_000))
            self?.expire(id)
        }
        let result = await withCheckedContinuation { continuation in
            waiters[id] = (predicate, continuation)
        }
        timer.cancel()
        return result
    }

    private func expire(_ id: Int) {
        waiters.removeValue(forKey: id)?.continuation.resume(returning: false)
    }

    /// Sends a command and waits for its outcome (nil when it did not finish in time).
    public func perform(_ action: Action, timeout: TimeInterval) async -> RequestStatus? {
        let requestID = state.nextRequestID
        send(action)
        guard state.requests[requestID] != nil else { return nil }
        _ = await waitUntil(timeout: timeout) { $0.requests[requestID]?.isFinished == true }
        return state.requests[requestID]
    }

    /// Sends `.tick` every `interval` seconds of the runner's clock, so health can turn stale.
    public func startTicking(every interval: TimeInterval = 1) {
        ticker?.cancel()
        let clock = runner.clock
        ticker = Task { [weak self] in
            while !Task.isCancelled {
                do { try await clock.sleep(seconds: interval) } catch { return }
                self?.send(.tick(clock.now()))
            }
        }
    }

    /// Stops pollers, commands and the ticker.
    public func shutdown() {
        ticker?.cancel()
        ticker = nil
        send(.shutdown)
        runner.stopAll()
        for waiter in waiters.values { waiter.continuation.resume(returning: false) }
        waiters = [:]
    }
}

/// Cancels an observation when asked (or never, if dropped: observers live as long as the store).
@MainActor
public final class ObservationToken {
    private let cancelAction: @MainActor () -> Void
    init(_ cancel: @escaping @MainActor () -> Void) { cancelAction = cancel }
    public func cancel() { cancelAction() }
}
