/// A confirmation for something that cannot be undone or interrupts work.
/// It says what will happen and asks for a deliberate answer a stray Enter
/// cannot give: the object's name typed in full (delete), or a function key
/// (stop, reboot, unpublish), as xsconsole does.
public struct Confirmation: Hashable, Sendable {
    public enum Guard: Hashable, Sendable {
        case typeName(String)
        case functionKey(Int)
    }

    public var title: String
    public var consequences: [String]
    public var guardedBy: Guard
    public var typed = ""

    public init(title: String, consequences: [String], guardedBy: Guard) {
        self.title = title
        self.consequences = consequences
        self.guardedBy = guardedBy
    }

    public enum Outcome: Hashable, Sendable { case pending, confirmed, cancelled }

    /// Feeds a key; Enter confirms only when the typed name matches exactly.
    public mutating func handle(_ key: Key) -> Outcome {
        switch (key, guardedBy) {
        case (.escape, _): return .cancelled
        case (.function(let n), .functionKey(let wanted)) where n == wanted: return .confirmed
        case (.enter, .typeName(let name)): return typed == name ? .confirmed : .pending
        case (.backspace, .typeName): if !typed.isEmpty { typed.removeLast() }
        case (.char(let c), .typeName): typed.append(c)
        default: break
        }
        return .pending
    }

    public func draw(into grid: inout CellGrid) {
        let width = min(grid.width - 4, 70)
        var lines = consequences.flatMap { TextLayout.wrap("• " + $0, width: width - 4) }
        lines.append("")
        switch guardedBy {
        case .typeName(let name):
            lines.append("Type the name \(name) and press Enter to confirm; Esc cancels.")
            lines.append("> " + typed + "▏" + (typed.isEmpty || name.hasPrefix(typed) ? "" : "  (does not match)"))
        case .functionKey(let n):
            lines.append("Press F\(n) to confirm; Esc cancels. Enter does nothing here.")
        }
        let height = min(grid.height - 2, lines.count + 2)
        let x = max(0, (grid.width - width) / 2), y = max(1, (grid.height - height) / 2)
        grid.box(x: x, y: y, width: width, height: height, title: title, style: Style(.overlay))
        for (i, line) in lines.prefix(height - 2).enumerated() {
            let role: Role = i >= lines.count - 2 ? .warning : .overlay
            grid.put(line, x: x + 2, y: y + 1 + i, maxWidth: width - 4, style: Style(role, bold: role == .warning))
        }
    }
}
