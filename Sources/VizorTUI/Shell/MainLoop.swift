import Foundation

/// Something the main loop runs: it turns events into state changes and
/// state into frames. The shell is one (`ShellProgram`); the dashboard wraps
/// its model and the shell in another.
@MainActor
public protocol LoopProgram: AnyObject {
    associatedtype Message: Sendable
    /// A key or a resize.
    func handle(_ event: InputEvent)
    /// A message from outside the loop (backend results, model actions).
    func receive(_ message: Message)
    /// Periodic wake-up (clocks, "stale since" ages).
    func tick()
    /// The frame for the current state at `size`.
    func render(size: Size) -> CellGrid
    /// True once the program wants the loop to end.
    var isFinished: Bool { get }
}

/// A way into the loop from any task or thread: everything that is not a
/// key arrives through here as a message.
public struct Mailbox<Message: Sendable>: Sendable {
    fileprivate let continuation: AsyncStream<LoopEvent<Message>>.Continuation
    public func send(_ message: Message) { continuation.yield(.message(message)) }
    /// Asks the loop to end (as SIGTERM does).
    public func stop() { continuation.yield(.stop) }
    /// Says input may be waiting (used by tests driving a VirtualTerminal).
    public func inputReady() { continuation.yield(.input) }
}

enum LoopEvent<Message: Sendable>: Sendable {
    case input, hangup, tick, stop
    case message(Message)
}

/// The one loop that owns state and terminal, on the main actor. Input
/// readiness (from a watcher thread), ticks, signals and messages all arrive
/// as events through one stream and are handled in order; after each, the
/// program renders and the terminal writes only what changed.
@MainActor
public final class MainLoop<Message: Sendable> {
    public let mailbox: Mailbox<Message>
    private let events: AsyncStream<LoopEvent<Message>>
    private let terminal: any Terminal
    private let inputFD: Int32?
    private let tickInterval: Duration
    private let signals: [Int32]

    /// - Parameters:
    ///   - inputFD: descriptor to watch for keys (0 for a real terminal; nil
    ///     when input is injected, as with `VirtualTerminal`).
    ///   - signals: signals that end the loop cleanly (default INT, TERM, HUP).
    public init(terminal: any Terminal, inputFD: Int32? = 0, tickInterval: Duration = .milliseconds(500),
                signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]) {
        let (stream, continuation) = AsyncStream<LoopEvent<Message>>.makeStream()
        self.events = stream
        self.mailbox = Mailbox(continuation: continuation)
        self.terminal = terminal
        self.inputFD = inputFD
        self.tickInterval = tickInterval
        self.signals = signals
    }

    /// Runs until the program finishes, a stop is requested, a handled signal
    /// arrives or the terminal hangs up. Restoring the terminal is the
    /// caller's job (it owns the terminal), so do it in a `defer`.
    public func run<Program: LoopProgram>(_ program: Program) async where Program.Message == Message {
        let continuation = mailbox.continuation
        let pump = inputFD.map { fd in
            InputPump(fd: fd) { signal in continuation.yield(signal == .ready ? .input : .hangup) }
        }
        pump?.start()
        let interval = tickInterval
        let ticker = Task.detached {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                continuation.yield(.tick)
            }
        }
        let sources = signals.map { number -> DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(.stop) }
            source.resume()
            return source
        }
        defer {
            pump?.stop()
            ticker.cancel()
            for source in sources { source.cancel() }
            for number in signals { signal(number, SIG_DFL) }
        }

        terminal.present(program.render(size: terminal.size))
        for await event in events {
            switch event {
            case .input:
                for input in terminal.readEvents() { program.handle(input) }
                pump?.acknowledge()
            case .tick:
                // ncurses reports KEY_RESIZE on the next read; reading on ticks
                // catches a resize even when no byte arrives.
                for input in terminal.readEvents() { program.handle(input) }
                program.tick()
            case .message(let message):
                program.receive(message)
            case .hangup, .stop:
                return
            }
            if program.isFinished { return }
            terminal.present(program.render(size: terminal.size))
        }
    }
}

/// The dashboard shell as a loop program: keys go through the keymap, and
/// `ShellAction`s sent to the mailbox (e.g. `.setContent` from the model)
/// are reduced like keys. Requests the shell makes (`:site`, details) are
/// handed to `onRequest`.
@MainActor
public final class ShellProgram: LoopProgram {
    public let store: ShellStore
    public var onRequest: (ShellRequest) -> Void
    private var cache: (state: ShellState, grid: CellGrid)?

    public init(store: ShellStore, onRequest: @escaping (ShellRequest) -> Void = { _ in }) {
        self.store = store
        self.onRequest = onRequest
    }

    public func handle(_ event: InputEvent) { store.handle(event).forEach(onRequest) }
    public func receive(_ message: ShellAction) { store.send(message).forEach(onRequest) }
    public func tick() {}
    public var isFinished: Bool { store.state.quitRequested }

    public func render(size: Size) -> CellGrid {
        if store.state.size != size { store.send(.resize(size)) }
        if let cache, cache.state == store.state { return cache.grid }
        let grid = store.render()
        cache = (store.state, grid)
        return grid
    }
}
