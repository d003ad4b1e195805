import UnixSignals

/// SIGINT and SIGTERM for the commands that stay in the foreground (`lab
/// serve`, `media serve`, `media expose --smb`), through swift-service-
/// lifecycle's `UnixSignalsSequence`. Trap them before announcing that the
/// command is ready, so a signal sent right after the announcement is not lost.
struct TerminationSignals: Sendable {
    private let signals: UnixSignalsSequence

    private init(signals: UnixSignalsSequence) { self.signals = signals }

    static func trap() async -> TerminationSignals {
        TerminationSignals(signals: await UnixSignalsSequence(trapping: .sigint, .sigterm))
    }

    /// Suspends until SIGINT or SIGTERM arrives.
    func wait() async {
        for await _ in signals { return }
    }

    /// Runs `work` until it returns or SIGINT or SIGTERM arrives, whichever
    /// comes first, and cancels the other. Returns the signal, if one came.
    @discardableResult
    func run(until work: @escaping @Sendable () async -> Void) async -> UnixSignal? {
        let signals = self.signals
        return await withTaskGroup(of: UnixSignal?.self) { group in
            group.addTask {
                for await signal in signals { return signal }
                return nil
            }
            group.addTask {
                await work()
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}
