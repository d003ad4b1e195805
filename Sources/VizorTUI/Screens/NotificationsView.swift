import VizorModel

/// The notifications list (`N`): install jobs that ended, failed commands,
/// backends lost and found; newest first, job outcomes marked, the ones the
/// operator had not seen yet flagged. Opening it acknowledges them (the
/// header badge goes), as k9s' flash and htop's footer leave the screen
/// quiet once read.
public struct NotificationsView: Hashable, Sendable {
    /// Notification ids unseen when the list was opened (drawn with a dot).
    public var unseen: Set<Int>
    public var top = 0

    public init(unseen: Set<Int>) { self.unseen = unseen }

    /// Scroll keys; false when the key closes the list.
    public mutating func handle(_ key: Key, count: Int, page: Int) -> Bool {
        switch key {
        case .escape, .enter, .char("q"), .char("N"): return false
        case .down, .char("j"): top = min(top + 1, max(0, count - page))
        case .up, .char("k"): top = max(0, top - 1)
        case .pageDown: top = min(top + page, max(0, count - page))
        case .pageUp: top = max(0, top - page)
        default: break
        }
        return true
    }

    public static func pageHeight(for size: Size) -> Int { max(1, min(size.height - 2, 30) - 2) }

    public func draw(into grid: inout CellGrid, notifications: [VizorModel.Notification]) {
        let width = min(grid.width - 2, 110)
        let height = min(grid.height - 2, 30)
        guard width > 10, height > 2 else { return }
        let x = (grid.width - width) / 2, y = max(1, (grid.height - height) / 2)
        grid.box(x: x, y: y, width: width, height: height, title: "Notifications (\(notifications.count)) — Esc closes")
        let page = height - 2
        let newest = Array(notifications.reversed())
        if newest.isEmpty {
            grid.put("Nothing yet: install jobs that end and failed commands are listed here.", x: x + 2, y: y + 1,
                     maxWidth: width - 4, style: Style(.dim))
            return
        }
        for (row, note) in newest.dropFirst(top).prefix(page).enumerated() {
            let mark = unseen.contains(note.id) ? "•" : " "
            var cx = grid.put("\(mark) \(ModelProjection.clock(note.time)) ", x: x + 2, y: y + 1 + row, maxWidth: width - 4,
                              style: Style(.overlay, bold: unseen.contains(note.id)))
            let (symbol, role) = Self.symbol(note)
            cx += grid.put(symbol + " ", x: x + 2 + cx, y: y + 1 + row, style: Style(role, bold: true))
            grid.put(note.text, x: x + 2 + cx, y: y + 1 + row, maxWidth: max(0, width - 4 - cx), style: Style(.overlay))
        }
    }

    static func symbol(_ note: VizorModel.Notification) -> (String, Role) {
        switch note.job?.outcome {
        case .succeeded: return ("✔", .good)
        case .failed: return ("✖", .bad)
        case .cancelled: return ("⊘", .caution)
        case nil:
            switch note.level {
            case .info: return ("i", .accent)
            case .warning: return ("!", .caution)
            case .error: return ("✖", .bad)
            }
        }
    }
}
