import Foundation
import VizorModel

/// One install job: the seven steps with when each started and how long it
/// took, above the job's live log.
public enum JobView {
    public static func draw(into grid: inout CellGrid, job: InstallJob?, tail: LogTail, stepTimes: [Int: Date], now: Date) {
        let layout = ShellLayout(grid.size)
        let top = layout.bodyTop, height = layout.bodyHeight + 2
        grid.fill(x: 0, y: top, width: grid.width, height: height)
        guard let job else {
            grid.put("This job is no longer known. Esc goes back.", x: 1, y: top, maxWidth: grid.width - 2, style: Style(.warning))
            return
        }
        // A failed job stopped at the last step the dashboard saw it run.
        let current = InstallSteps.number(job.phase) ?? stepTimes.keys.max() ?? 0
        let title = " \(job.machineName) — \(job.phase.rawValue) — \(ModelProjection.progressBar(job.progress, width: 20))  job \(job.id)"
        grid.fill(x: 0, y: top, width: grid.width, height: 1, style: Style(.columnHeader, bold: true))
        grid.put(title, x: 0, y: top, maxWidth: grid.width, style: Style(.columnHeader, bold: true))
        for (i, name) in InstallSteps.titles.enumerated() {
            let n = i + 1
            let y = top + 1 + i
            let state: (String, Role)
            if job.phase == .failed && n == current { state = ("✖ failed ", .bad) }
            else if job.phase == .done || n < current { state = ("✔ done   ", .good) }
            else if n == current && !job.phase.isFinished { state = ("▶ running", .accent) }
            else { state = ("· pending", .dim) }
            var line = "\(n). " + DisplayWidth.pad(name, to: 26) + " " + state.0
            if let started = stepTimes[n] {
                let end = stepTimes[n + 1] ?? (job.phase.isFinished ? started : now)
                line += "  " + ModelProjection.clock(started) + "  " + ModelProjection.duration(max(0, end.timeIntervalSince(started)))
            }
            grid.put(line, x: 1, y: y, maxWidth: grid.width - 2, style: Style(state.1, bold: n == current))
        }
        var logTop = top + 8
        if let error = job.error {
            grid.put("error: " + error + "   (R retry · C clean up)", x: 1, y: logTop, maxWidth: grid.width - 2, style: Style(.bad, bold: true))
            logTop += 1
        }
        tail.draw(into: &grid, x: 0, y: logTop, width: grid.width, height: top + height - logTop, title: "log (l full screen, Esc back)")
    }
}
