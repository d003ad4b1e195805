/// The `?` overlay: every binding of the active pane, read from the keymap,
/// in sections; laid out in two columns when one does not fit.
struct HelpOverlay {
    var keymap: Keymap

    func draw(into grid: inout CellGrid, state: ShellState) {
        let pane = state.activePane
        var hasTable = false
        if case .table = state.content(pane) { hasTable = true }
        let sections = keymap.help(for: pane, hasTable: hasTable)
        let keyWidth = sections.flatMap(\.bindings).map { DisplayWidth.of($0.keyLabel) }.max() ?? 8
        var lines: [(String, Bool)] = []
        for (section, bindings) in sections {
            if !lines.isEmpty { lines.append(("", false)) }
            lines.append((section, true))
            for binding in bindings {
                lines.append((DisplayWidth.pad(binding.keyLabel, to: keyWidth) + " " + binding.description, false))
            }
        }
        let boxWidth = min(grid.width - 2, 100)
        let note = "Commands: " + ShellCommand.words.map { ":" + $0.name + ($0.argument.map { " " + $0 } ?? "") }.joined(separator: " ")
        // Rows inside the box: the bindings, then the commands note right under them.
        let inner = grid.height - 5
        let columns = lines.count > inner && boxWidth >= 60 ? 2 : 1
        let perColumn = columns == 2 ? splitPoint(lines, inner) : lines.count
        let second = columns == 2 ? Array(lines[(lines[perColumn].0.isEmpty ? perColumn + 1 : perColumn)...]) : []
        let height = min(grid.height - 2, max(perColumn, second.count) + 3)
        let x = (grid.width - boxWidth) / 2, y = max(1, (grid.height - height) / 2)
        grid.box(x: x, y: y, width: boxWidth, height: height, title: "Keys: \(pane.title) — Esc closes")
        let columnWidth = (boxWidth - 4 - (columns - 1) * 2) / columns
        let parts = columns == 2 ? [Array(lines[..<perColumn]), second] : [lines]
        grid.put(note, x: x + 2, y: y + height - 2, maxWidth: boxWidth - 4, style: Style(.dim))
        for (c, part) in parts.enumerated() {
            var visible = Array(part.prefix(height - 3))
            if visible.count < part.count, let last = visible.indices.last { visible[last] = ("… (more with a taller terminal)", false) }
            for (i, line) in visible.enumerated() {
                grid.put(line.0, x: x + 2 + c * (columnWidth + 2), y: y + 1 + i, maxWidth: columnWidth,
                         style: Style(line.1 ? .accent : .overlay, bold: line.1))
            }
        }
    }

    /// Splits at a section boundary near the middle so sections stay whole.
    private func splitPoint(_ lines: [(String, Bool)], _ inner: Int) -> Int {
        let middle = (lines.count + 1) / 2
        let blanks = lines.indices.filter { lines[$0].0.isEmpty }
        let best = blanks.min { abs($0 - middle) < abs($1 - middle) } ?? middle
        return max(1, min(lines.count - 1, best))
    }
}
