/// Draws the wizard over the panes: step indicator, the step's fields with
/// their errors as typed, the options of the focused list field, and the
/// review's action list.
extension Wizard {
    public func draw(into grid: inout CellGrid) {
        let layout = ShellLayout(grid.size)
        let top = layout.bodyTop, height = layout.bodyHeight + 2, width = grid.width
        grid.fill(x: 0, y: top, width: width, height: height)
        // Step indicator: ● done, ◉ current, ○ to come.
        var x = 1
        x += grid.put("New VM  ", x: x, y: top, style: Style(.accent, bold: true))
        for (i, title) in Self.stepTitles.enumerated() {
            let mark = i < step ? "●" : (i == step ? "◉" : "○")
            let text = width >= 80 ? "\(mark) \(i + 1) \(title)  " : "\(mark)\(i + 1) "
            x += grid.put(text, x: x, y: top, maxWidth: max(0, width - x), style: Style(i == step ? .activeTab : (i < step ? .good : .dim), bold: i == step))
        }
        var y = top + 2
        let bottom = top + height - 1
        if step == 4 {
            grid.put("These actions will be taken:", x: 1, y: y, maxWidth: width - 2, style: Style(.normal, bold: true))
            y += 1
            for (i, action) in plannedActions().enumerated() {
                for piece in TextLayout.wrap("\(i + 1). \(action)", width: width - 4) where y < bottom - 1 {
                    grid.put(piece, x: 2, y: y, maxWidth: width - 3)
                    y += 1
                }
            }
        } else {
            let list = fields(step)
            let labelWidth = min(24, (list.map { DisplayWidth.of($0.label) }.max() ?? 8) + 1)
            for (i, field) in list.enumerated() where y < bottom - 1 {
                let focused = i == focus
                grid.put(DisplayWidth.pad(field.label, to: labelWidth), x: 1, y: y, style: Style(focused ? .accent : .normal, bold: focused))
                let shown = display(field)
                let valueX = 2 + labelWidth
                let valueWidth = max(8, min(40, width - valueX - 2))
                grid.put(DisplayWidth.pad(shown, to: valueWidth), x: valueX, y: y, maxWidth: valueWidth, style: Style(focused ? .selected : .columnHeader))
                let afterX = valueX + valueWidth + 1
                if let problem = error(field.key) {
                    grid.put("✖ " + problem, x: afterX, y: y, maxWidth: max(0, width - afterX), style: Style(.bad))
                } else if !field.hint.isEmpty, afterX < width {
                    grid.put(field.hint, x: afterX, y: y, maxWidth: max(0, width - afterX), style: Style(.dim))
                }
                y += 1
                if focused, case .list = field.kind {
                    let options = options(field)
                    let cursor = self.cursor(field, in: options)
                    let room = max(0, min(step == 1 ? bottom - y - 1 : 5, options.count))
                    let first = max(0, min(cursor - room + 1, options.count - room))
                    for option in options.dropFirst(first).prefix(room) {
                        let selected = option == options[cursor]
                        grid.put((selected ? "▸ " : "  ") + option, x: valueX, y: y, maxWidth: width - valueX - 1, style: Style(selected ? .selected : .dim))
                        y += 1
                    }
                }
            }
        }
        let help: String
        if let message { help = message } else if step == 4 { help = "F10 start the install  Esc back" } else {
            help = "Tab/S-Tab field  Enter next step  Esc back" + (step == 0 ? " (closes)" : "") + "  ←→/Space change  ↑↓ pick"
        }
        grid.fill(x: 0, y: bottom, width: width, height: 1)
        grid.put(" " + help, x: 0, y: bottom, maxWidth: width, style: Style(message == nil ? .dim : .warning, bold: message != nil))
    }

    func display(_ field: WizardField) -> String {
        let value = values[field.key] ?? ""
        switch field.kind {
        case .secret: return revealed ? value : String(repeating: "•", count: min(value.count, 20))
        case .choice: return "◂ \(value) ▸"
        case .toggle: return value == "yes" ? "[x] yes" : "[ ] no"
        default: return value
        }
    }
}
