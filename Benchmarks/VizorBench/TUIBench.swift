import Foundation
import VizorTUI

/// The dashboard's frame cost: a 10,000-row table in a 200x60 grid. Prints
/// time per frame and the bytes a frame sends for a one-row change next to a
/// full repaint of the same screen (the reference), as a ratio.
enum TUIBench {
    static func run() async throws {
        let size = Size(width: 200, height: 60)
        let columns = [
            Column("Name", minWidth: 16, weight: 3), Column("Hypervisor", minWidth: 12, weight: 1),
            Column("State", minWidth: 8, weight: 0), Column("CPU", minWidth: 4, weight: 0, kind: .number),
            Column("Memory MB", minWidth: 9, weight: 0, kind: .number), Column("Template", minWidth: 16, weight: 2),
        ]
        var rows = (0..<10_000).map { i in
            Row(id: "vm-\(i)", cells: ["build-\(i)", i % 2 == 0 ? "xen-pool-a" : "cloudstack-z1", i % 3 == 0 ? "Stopped" : "Running",
                                       "\(i % 16 + 1)", "\(1024 * (i % 8 + 1))", "win2022-std-\(i % 40)"])
        }
        var state = ShellState(size: size)
        ShellReducer.reduce(&state, .setContent(.machines, .table(columns: columns, rows: rows)))
        ShellReducer.reduce(&state, .selectPane(.machines))
        let renderer = ShellRenderer()

        // Frames while the operator moves down the list: reduce, render, diff, encode.
        var previous = renderer.render(state)
        let frames = 30
        var renderTime = Duration.zero, diffTime = Duration.zero
        var movedBytes = 0
        let clock = ContinuousClock()
        for _ in 0..<frames {
            ShellReducer.reduce(&state, .moveSelection(1))
            var grid = previous
            renderTime += clock.measure { grid = renderer.render(state) }
            diffTime += clock.measure { movedBytes = ANSIEncoder.encode(grid.diff(from: previous)).count }
            previous = grid
        }

        // One row's data changes (a refresh from the model).
        let visibleRow = state.visibleRows(.machines)[state.table(.machines).top + 3]
        let index = rows.firstIndex { $0.id == visibleRow.id }!
        rows[index].cells[2] = "Migrating"
        ShellReducer.reduce(&state, .setContent(.machines, .table(columns: columns, rows: rows)))
        let changed = renderer.render(state)
        let oneRowBytes = ANSIEncoder.encode(changed.diff(from: previous)).count
        var fullBytes = 0
        let fullTime = clock.measure { fullBytes = ANSIEncoder.encode(changed.diff(from: nil)).count }
        let idleBytes = ANSIEncoder.encode(changed.diff(from: changed)).count

        func ms(_ d: Duration) -> String { String(format: "%.2f ms", Double(d.components.attoseconds) / 1e15 + Double(d.components.seconds) * 1000) }
        print("grid \(size), 10,000 rows, \(frames) frames moving the selection")
        print("  render (filter+sort+layout) per frame  \(ms(renderTime / frames))")
        print("  diff + encode per frame                \(ms(diffTime / frames))   full repaint encode \(ms(fullTime))")
        print("  bytes, selection moved one row         \(movedBytes)")
        print("  bytes, one row's data changed          \(oneRowBytes)")
        print("  bytes, full repaint (reference)        \(fullBytes)")
        print("  bytes, nothing changed                 \(idleBytes)")
        print(String(format: "  one-row change / full repaint          %.4f  (%.0fx fewer bytes)",
                     Double(oneRowBytes) / Double(fullBytes), Double(fullBytes) / Double(max(1, oneRowBytes))))
    }
}
