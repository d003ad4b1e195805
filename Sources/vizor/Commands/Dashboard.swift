import ArgumentParser
import Foundation
import VizorTUI

/// Opens the dashboard: takes the terminal, runs the shell's main loop on the
/// main actor, and gives the terminal back on every way out (normal exit,
/// SIGINT/SIGTERM/SIGHUP through the loop, fatal signals through the
/// terminal's crash handler).
enum Dashboard {
    @MainActor
    static func run() async throws {
        let terminal: NcursesTerminal
        do {
            terminal = try NcursesTerminal.start()
        } catch let error as NcursesTerminal.StartError {
            FileHandle.standardError.write(Data("vizor: \(error.description)\n".utf8))
            throw ExitCode(2)
        }
        defer { terminal.stop() }
        let store = ShellStore(state: ShellState(size: terminal.size))
        let loop = MainLoop<ShellAction>(terminal: terminal)
        let program = ShellProgram(store: store) { _ in
            // Site switches and details requests reach the model here once
            // the dashboard is wired to it.
        }
        await loop.run(program)
    }
}
