import Testing
import VizorTUI

@Suite("Main loop")
@MainActor
struct MainLoopTests {
    @Test func keysAndMessagesFlowThroughTheLoopInOrder() async {
        let terminal = VirtualTerminal(size: Size(width: 80, height: 24))
        let store = ShellStore(state: ShellState(size: terminal.size))
        var requests: [ShellRequest] = []
        let program = ShellProgram(store: store) { requests.append($0) }
        let loop = MainLoop<ShellAction>(terminal: terminal, inputFD: nil, tickInterval: .seconds(30), signals: [])
        // A backend result arrives as a message, then the operator types.
        loop.mailbox.send(.setContent(.machines, Fixtures.machines(count: 3)))
        terminal.type(.char("2"), .char("j"), .enter, .escape)
        loop.mailbox.inputReady()
        loop.mailbox.stop()
        await loop.run(program)
        #expect(requests == [.showDetails(.machines, rowID: "vm-2")])
        #expect(terminal.text.contains("build-002"))
        #expect(terminal.text.contains("2/3"))
        #expect(terminal.framesPresented == 3, "initial frame, after the message, after the keys")
    }

    @Test func qEndsTheLoop() async {
        let terminal = VirtualTerminal(size: Size(width: 80, height: 24))
        let loop = MainLoop<ShellAction>(terminal: terminal, inputFD: nil, tickInterval: .seconds(30), signals: [])
        let mailbox = loop.mailbox
        // A watchdog so that a broken quit fails instead of hanging.
        let watchdog = Task { try await Task.sleep(for: .seconds(5)); mailbox.stop() }
        terminal.type(.char("q"))
        mailbox.inputReady()
        let program = ShellProgram(store: ShellStore(state: ShellState(size: terminal.size)))
        await loop.run(program)
        #expect(program.isFinished)
        watchdog.cancel()
    }

    @Test func idleTicksWriteNothing() async {
        let terminal = VirtualTerminal(size: Size(width: 80, height: 24))
        let store = ShellStore(state: Fixtures.state(terminal.size))
        let loop = MainLoop<ShellAction>(terminal: terminal, inputFD: nil, tickInterval: .milliseconds(5), signals: [])
        let mailbox = loop.mailbox
        // Stop once several ticks have drawn (or after a generous deadline),
        // so a loaded machine cannot make the count come up short.
        Task { @MainActor in
            let deadline = ContinuousClock.now + .seconds(10)
            while terminal.framesPresented <= 4 && ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(10))
            }
            mailbox.stop()
        }
        await loop.run(ShellProgram(store: store))
        #expect(terminal.framesPresented > 3, "ticks ran")
        #expect(terminal.lastBytesWritten == 0)
    }

    @Test func resizeReflowsTheFrame() async {
        let terminal = VirtualTerminal(size: Size(width: 80, height: 24))
        let store = ShellStore(state: Fixtures.state(terminal.size))
        let loop = MainLoop<ShellAction>(terminal: terminal, inputFD: nil, tickInterval: .seconds(30), signals: [])
        terminal.resize(to: Size(width: 30, height: 8))
        loop.mailbox.inputReady()
        loop.mailbox.stop()
        await loop.run(ShellProgram(store: store))
        #expect(store.state.size == Size(width: 30, height: 8))
        #expect(terminal.text.contains("too small"))
    }
}
