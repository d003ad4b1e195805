/// The pure renderer of the shell: `render(state) -> CellGrid` at
/// `state.size`. It lays out at 80x24 and larger, degrades down to 40x10 and
/// below that says the terminal is too small; it draws something for every
/// size, 0x0 included.
public struct ShellRenderer: Sendable {
    public var keymap: Keymap
    public init(keymap: Keymap = .standard) { self.keymap = keymap }

    public func render(_ state: ShellState) -> CellGrid {
        var grid = CellGrid(size: state.size)
        let layout = ShellLayout(state.size)
        if layout.isTooSmall {
            drawTooSmall(&grid)
            return grid
        }
        drawHeader(&grid, state)
        drawTabs(&grid, state, layout)
        // Filter and sort once per frame; body and status line share the result.
        let rows = state.visibleRows(state.activePane)
        drawBody(&grid, state, layout, rows)
        drawStatus(&grid, state, layout, rows)
        drawFooter(&grid, state, layout)
        switch state.mode {
        case .help: HelpOverlay(keymap: keymap).draw(into: &grid, state: state)
        case .details(let id): drawDetails(&grid, state, rowID: id)
        default: break
        }
        return grid
    }

    private func drawTooSmall(_ grid: inout CellGrid) {
        let lines = ["Terminal too small: \(grid.size)", "vizor needs at least \(ShellLayout.minimum)", "q quits"]
        let top = max(0, (grid.height - lines.count) / 2)
        for (i, line) in lines.enumerated() where top + i < grid.height {
            let text = DisplayWidth.truncate(line, to: grid.width)
            grid.put(text, x: max(0, (grid.width - DisplayWidth.of(text)) / 2), y: top + i, style: Style(i == 0 ? .warning : .normal, bold: i == 0))
        }
    }

    // MARK: Header: program, site, one badge per backend

    private func drawHeader(_ grid: inout CellGrid, _ state: ShellState) {
        let style = Style(.header)
        grid.fill(x: 0, y: 0, width: grid.width, height: 1, style: style)
        var x = grid.put(" vizor ", x: 0, y: 0, style: Style(.header, bold: true))
        x += grid.put("site \(DisplayWidth.truncate(state.site, to: 16)) ", x: x, y: 0, style: style)
        var room = grid.width - x - 1
        room -= drawNoticeBadge(&grid, state, minimumX: x + 12)
        if state.badges.isEmpty {
            grid.put("│ no backends configured", x: x, y: 0, maxWidth: room, style: style)
            return
        }
        let waiting = state.badges.allSatisfy { $0.status == .unknown }
        var forms = [state.badges.map { badgeText($0, detailed: true) }, state.badges.map { badgeText($0, detailed: false) },
                     state.badges.map { Self.symbol($0.status) + String($0.name.prefix(2)) }]
        if waiting { forms.insert(forms[1] + ["health shows after the first poll"], at: 0) }
        let chosen = forms.first { form in form.reduce(0) { $0 + DisplayWidth.of($1) + 2 } + 1 <= room } ?? forms.last!
        x += grid.put("│", x: x, y: 0, style: style)
        for (i, text) in chosen.enumerated() {
            let badgeStyle = i < state.badges.count ? Style(Self.role(state.badges[i].status), bold: true) : Style(.header)
            x += grid.put(" ", x: x, y: 0, style: style)
            x += grid.put(text, x: x, y: 0, maxWidth: grid.width - x, style: i < state.badges.count ? badgeStyle : style)
            x += grid.put(" ", x: x, y: 0, style: style)
        }
    }

    /// "✉ 2 new N" at the right end of the header while job notifications are
    /// unacknowledged (red when one is a failure). Returns the columns used.
    private func drawNoticeBadge(_ grid: inout CellGrid, _ state: ShellState, minimumX: Int) -> Int {
        guard state.unreadNotices > 0 else { return 0 }
        let forms = ["✉ \(state.unreadNotices) new (N) ", "✉ \(state.unreadNotices) "]
        guard let text = forms.first(where: { grid.width - DisplayWidth.of($0) >= minimumX + 20 }) ?? forms.last,
              grid.width - DisplayWidth.of(text) >= minimumX else { return 0 }
        let width = DisplayWidth.of(text)
        grid.put(text, x: grid.width - width, y: 0, style: Style(state.unreadFailures > 0 ? .failing : .ok, bold: true))
        return width
    }

    private func badgeText(_ badge: HealthBadge, detailed: Bool) -> String {
        let symbol = Self.symbol(badge.status)
        switch badge.status {
        case .unknown: return detailed ? "\(symbol)\(badge.name) waiting" : "\(symbol)\(badge.name)"
        case .ok: return "\(symbol)\(badge.name) ok"
        case .stale(let detail): return detailed ? "\(symbol)\(badge.name) stale \(DisplayWidth.truncate(detail, to: 12))" : "\(symbol)\(badge.name) stale"
        case .failing(let detail): return detailed ? "\(symbol)\(badge.name) failing: \(DisplayWidth.truncate(detail, to: 24))" : "\(symbol)\(badge.name) failing"
        }
    }

    static func symbol(_ status: HealthStatus) -> String {
        switch status {
        case .unknown: "○ "
        case .ok: "● "
        case .stale: "◐ "
        case .failing: "✖ "
        }
    }

    static func role(_ status: HealthStatus) -> Role {
        switch status {
        case .unknown: .unknown
        case .ok: .ok
        case .stale: .stale
        case .failing: .failing
        }
    }

    // MARK: Tabs

    private func drawTabs(_ grid: inout CellGrid, _ state: ShellState, _ layout: ShellLayout) {
        for tab in ShellLayout.tabSpans(width: grid.width, active: state.activePane) {
            let active = tab.pane == state.activePane
            grid.put(tab.label, x: tab.span.lowerBound, y: layout.tabsRow, style: Style(active ? .activeTab : .tab, bold: active))
        }
    }

    // MARK: Body: a table, or the empty state

    private func drawBody(_ grid: inout CellGrid, _ state: ShellState, _ layout: ShellLayout, _ rows: [Row]) {
        let pane = state.activePane
        switch state.content(pane) {
        case .empty(let title, let detail):
            drawEmpty(&grid, title: title, detail: detail, layout: layout)
        case .table(let columns, _):
            if rows.isEmpty {
                let filter = state.filter(pane)
                drawEmpty(&grid, title: filter.isEmpty ? "Nothing to show" : "No rows match /\(filter)",
                          detail: filter.isEmpty ? "The list is empty for now; it refreshes by itself." : "Esc clears the filter.", layout: layout)
                return
            }
            let table = state.table(pane)
            TableView(columns: columns, rows: rows, sort: table.sort, selectedIndex: state.selectedIndex(pane, in: rows), top: table.top)
                .draw(into: &grid, x: 1, y: layout.bodyTop, width: grid.width - 2, height: layout.bodyHeight)
        }
    }

    private func drawEmpty(_ grid: inout CellGrid, title: String, detail: String, layout: ShellLayout) {
        let width = min(grid.width - 4, 64)
        var lines = [(DisplayWidth.truncate(title, to: width), Style(.normal, bold: true)), ("", Style.plain)]
        lines += TextLayout.wrap(detail, width: width).map { ($0, Style(.dim)) }
        lines += [("", .plain), (DisplayWidth.truncate("? lists the keys, : switches panes and sites", to: width), Style(.dim))]
        let shown = lines.prefix(layout.bodyHeight)
        let top = layout.bodyTop + max(0, (layout.bodyHeight - shown.count) / 2)
        for (i, line) in shown.enumerated() {
            grid.put(line.0, x: max(0, (grid.width - DisplayWidth.of(line.0)) / 2), y: top + i, style: line.1)
        }
    }

    // MARK: Status line and footer

    private func drawStatus(_ grid: inout CellGrid, _ state: ShellState, _ layout: ShellLayout, _ rows: [Row]) {
        let y = layout.statusRow
        let pane = state.activePane
        switch state.mode {
        case .command:
            let typed = ":" + state.commandText
            var x = grid.put(typed, x: 0, y: y, style: Style(.accent, bold: true))
            x += grid.put(" ", x: x, y: y, style: Style(.normal, reverse: true))
            let options = ShellCommand.candidates(for: state.commandText, sites: state.knownSites)
            if !options.isEmpty {
                grid.put("  " + options.map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "  "), x: x, y: y, maxWidth: grid.width - x, style: Style(.dim))
            }
            return
        case .filter:
            let x = grid.put("/" + state.filter(pane), x: 0, y: y, style: Style(.accent, bold: true))
            grid.put(" ", x: x, y: y, style: Style(.normal, reverse: true))
        default:
            if let flash = state.flash {
                // A running activity (rescan progress) stays visible before the message.
                let x = state.activity.map { grid.put($0 + "  ", x: 0, y: y, maxWidth: grid.width / 2, style: Style(.accent, bold: true)) } ?? 0
                grid.put(flash, x: x, y: y, maxWidth: max(0, grid.width - x), style: Style(.warning, bold: true))
                return
            }
            var x = 0
            if !state.filter(pane).isEmpty {
                x = grid.put("filter /" + state.filter(pane) + "  ", x: 0, y: y, maxWidth: grid.width / 2, style: Style(.accent))
            }
            if let activity = state.activity {
                grid.put(activity, x: x, y: y, maxWidth: max(0, grid.width / 2 - x), style: Style(.accent, bold: true))
            }
        }
        guard case .table(let columns, let all) = state.content(pane) else { return }
        var position = rows.isEmpty ? "0 of \(all.count)" : "\((state.selectedIndex(pane, in: rows) ?? 0) + 1)/\(rows.count)"
        if rows.count != all.count { position += " (\(all.count) total)" }
        if let sort = state.table(pane).sort, sort.column < columns.count {
            position = "sort \(columns[sort.column].title)\(sort.ascending ? "▲" : "▼")  " + position
        }
        position = DisplayWidth.truncate(position, to: grid.width / 2)
        grid.put(position, x: grid.width - DisplayWidth.of(position) - 1, y: y, style: Style(.dim))
    }

    private func drawFooter(_ grid: inout CellGrid, _ state: ShellState, _ layout: ShellLayout) {
        let y = layout.footerRow
        var x = 0
        for hint in keymap.hints(for: state) {
            let needed = DisplayWidth.of(hint.keys) + DisplayWidth.of(hint.text) + 3
            if x + needed > grid.width { break }
            x += grid.put(" " + hint.keys, x: x, y: y, style: Style(.accent, bold: true))
            x += grid.put(" " + hint.text + " ", x: x, y: y, style: Style(.dim))
        }
    }

    // MARK: Details overlay

    private func drawDetails(_ grid: inout CellGrid, _ state: ShellState, rowID: String) {
        let content = state.content(state.activePane)
        guard let row = content.rows.first(where: { $0.id == rowID }) else { return }
        let width = min(grid.width - 4, 72)
        let labelWidth = min(18, max(6, content.columns.map { DisplayWidth.of($0.title) }.max() ?? 6))
        var lines: [String] = []
        for (i, column) in content.columns.enumerated() {
            let value = i < row.cells.count ? row.cells[i] : ""
            lines.append(DisplayWidth.pad(column.title, to: labelWidth) + "  " + value)
        }
        lines.append("")
        lines.append("id  " + row.id)
        let height = min(grid.height - 2, lines.count + 2)
        let x = (grid.width - width) / 2, y = max(1, (grid.height - height) / 2)
        grid.box(x: x, y: y, width: width, height: height, title: "\(state.activePane.title) details — Esc back")
        for (i, line) in lines.prefix(height - 2).enumerated() {
            grid.put(line, x: x + 2, y: y + 1 + i, maxWidth: width - 4, style: Style(.overlay))
        }
    }
}
