import BackendKit
import Foundation
import VizorModel
import VizorTUI

/// The whole dashboard over a model with 10,000 machines (VizorTUI's
/// `DashboardProgram`, the projection from `AppState` included): key press to
/// finished frame (reduce + project + render + diff + encode), the bytes a
/// frame sends when one machine changes against a full repaint, and the
/// bytes per second the real main loop writes while idle (ticks and model
/// clock ticks arriving, nothing visible changing).
enum DashboardBench {
    @MainActor
    static func run() async throws {
        let size = Size(width: 160, height: 48)
        let site = Site(name: "lab", isLab: true, xenserverURL: "x", cloudstackURL: "c", razorURL: "r")
        var app = AppState(now: Date(timeIntervalSince1970: 1_790_000_000), sites: [site])
        let xen = BackendID(site: "lab", kind: .xenserver)
        for i in 0..<10_000 {
            app.machines[xen, default: [:]]["vm-\(i)"] = MachineRecord(
                id: "vm-\(i)", name: String(format: "build-%05d", i), powerState: i % 3 == 0 ? .halted : .running, vcpus: i % 16 + 1,
                memoryMiB: 1024 * (i % 8 + 1), ipAddresses: ["10.\(i / 65536).\(i / 256 % 256).\(i % 256)"],
                macAddresses: [String(format: "02:00:00:00:%02x:%02x", i / 256 % 256, i % 256)], location: "pool", sourceTemplate: "win2022")
        }
        app.health[xen] = .ok(since: app.now, staleAfter: nil)
        let box = Box(app)
        let terminal = VirtualTerminal(size: size)
        let program = DashboardProgram(shell: ShellStore(state: DashboardProgram.initialShellState(size: size)),
                                       source: { box.state }, dispatch: { _ in })
        program.handle(.key(.char("2")))
        terminal.present(program.render(size: size))

        // Key press → finished frame.
        let clock = ContinuousClock()
        var samples: [Duration] = []
        for i in 0..<60 {
            samples.append(clock.measure {
                program.handle(.key(i % 20 < 10 ? .char("j") : .pageDown))
                terminal.present(program.render(size: size))
            })
        }
        samples.sort()
        let median = samples[samples.count / 2], worst = samples.last!

        // One machine changes in the model.
        let visible = program.shell.state.visibleRows(.machines)[program.shell.state.table(.machines).top + 2]
        let id = String(visible.id.split(separator: ":").last!)
        box.state.machines[xen]![id]!.powerState = .paused
        let modelTime = clock.measure {
            program.receive(.modelChanged(nil))
            terminal.present(program.render(size: size))
        }
        let oneRow = terminal.lastBytesWritten
        let full = ANSIEncoder.encode(program.render(size: size).diff(from: nil)).count

        // Idle: the real loop with 100 ms ticks and a model clock tick every 200 ms for 3 s.
        let counting = VirtualTerminal(size: size)
        let loop = MainLoop<DashboardProgram.Message>(terminal: counting, inputFD: nil, tickInterval: .milliseconds(100), signals: [])
        let mailbox = loop.mailbox
        var idleBytes = 0
        var presented = 0
        let watcher = Task { @MainActor in
            try? await Task.sleep(for: .milliseconds(300))
            let baseline = counting.framesPresented, baseBytes = counting.totalBytesWritten
            for _ in 0..<15 {
                box.state.now = box.state.now.addingTimeInterval(1)
                mailbox.send(.modelChanged(nil))
                try? await Task.sleep(for: .milliseconds(200))
            }
            presented = counting.framesPresented - baseline
            idleBytes = counting.totalBytesWritten - baseBytes
            mailbox.stop()
        }
        await loop.run(program)
        await watcher.value

        func ms(_ d: Duration) -> String { String(format: "%.2f ms", Double(d.components.attoseconds) / 1e15 + Double(d.components.seconds) * 1000) }
        print("dashboard \(size), 10,000 machines in the machines pane")
        print("  key press → finished frame, median     \(ms(median))   worst \(ms(worst))   (60 presses of j / PgDn)")
        print("  one machine changes → frame             \(ms(modelTime))")
        print("  bytes, one row changed                  \(oneRow)")
        print("  bytes, full repaint (reference)         \(full)")
        print(String(format: "  one-row change / full repaint           %.4f", Double(oneRow) / Double(max(1, full))))
        print("  idle: frames presented in 3 s           \(presented)  bytes written \(idleBytes)  → \(idleBytes / 3) bytes/s (goal 0)")
    }

    @MainActor final class Box {
        var state: AppState
        init(_ state: AppState) { self.state = state }
    }
}
