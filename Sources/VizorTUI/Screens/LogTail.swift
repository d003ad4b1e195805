import Foundation

/// One line of a job's log as the tail keeps it.
public struct LogLine: Hashable, Sendable {
    public var time: Date
    public var severity: String
    public var source: String
    public var message: String
    public init(time: Date, severity: String, source: String, message: String) {
        self.time = time
        self.severity = severity
        self.source = source
        self.message = message
    }
}

/// A less-like view of a job's log: follow mode, search with n/N, a filter
/// that hides other lines, wrap and timestamp toggles, severity colours. The
/// buffer is bounded (oldest lines dropped) and every operation looks only at
/// what is visible or new, so thousands of lines per second stay cheap.
public struct LogTail: Hashable, Sendable {
    public enum Entry: Hashable, Sendable { case none, search, filter }

    public private(set) var lines: [LogLine] = []
    /// Lines dropped from the front so far (keeps positions meaningful).
    public private(set) var dropped = 0
    public let capacity: Int
    public var follow = true
    public var wrap = false
    public var timestamps = true
    public var search = ""
    public var filter = ""
    public var entry: Entry = .none
    public var typed = ""
    /// Index (into `shown`) of the first line on screen.
    public var top = 0
    /// Index (into `shown`) of the current search hit.
    public var hit: Int?
    /// Indices into `lines` that pass the filter (all when the filter is empty).
    private var filtered: [Int]?
    public var message: String?

    public init(capacity: Int = 100_000) { self.capacity = max(10, capacity) }

    public var shownCount: Int { filtered?.count ?? lines.count }
    func shownLine(_ index: Int) -> LogLine { lines[filtered?[index] ?? index] }

    /// Appends lines; drops the oldest past the capacity (in batches, so the
    /// cost per line stays constant).
    public mutating func append(_ new: [LogLine]) {
        guard !new.isEmpty else { return }
        let start = lines.count
        lines.append(contentsOf: new)
        if !filter.isEmpty {
            filtered?.append(contentsOf: (start..<lines.count).filter { Self.matches(lines[$0], filter) })
        }
        let overflow = lines.count - capacity
        if overflow > 0, overflow >= max(1, capacity / 10) || lines.count > capacity + 1000 {
            lines.removeFirst(overflow)
            dropped += overflow
            if filtered != nil { filtered = filtered!.compactMap { $0 >= overflow ? $0 - overflow : nil } }
            top = max(0, top - overflow)
            hit = nil
        }
    }

    static func matches(_ line: LogLine, _ needle: String) -> Bool {
        line.message.range(of: needle, options: .caseInsensitive) != nil || line.source.range(of: needle, options: .caseInsensitive) != nil
    }

    // MARK: Keys

    /// Handles a key; returns false when the tail does not use it (Esc / q close it).
    public mutating func handle(_ key: Key, pageHeight: Int) -> Bool {
        message = nil
        if entry != .none {
            switch key {
            case .enter:
                if entry == .search { search = typed; find(forward: true, from: top) } else { setFilter(typed) }
                entry = .none
            case .escape: entry = .none
            case .backspace: if typed.isEmpty { entry = .none } else { typed.removeLast() }
            case .char(let c): typed.append(c)
            default: break
            }
            return true
        }
        switch key {
        case .char("F"): follow = true; top = maxTop(pageHeight)
        case .char(" "), .char("p"): follow.toggle(); if follow { top = maxTop(pageHeight) }
        case .char("/"): entry = .search; typed = ""
        case .char("&"): entry = .filter; typed = filter
        case .char("n"): find(forward: true, from: (hit ?? top) + 1)
        case .char("N"): find(forward: false, from: (hit ?? top) - 1)
        case .char("w"): wrap.toggle()
        case .char("t"): timestamps.toggle()
        case .char("g"), .home: follow = false; top = 0
        case .char("G"), .end: follow = true; top = maxTop(pageHeight)
        case .char("j"), .down: scroll(1, pageHeight)
        case .char("k"), .up: scroll(-1, pageHeight)
        case .pageDown, .ctrl("f"): scroll(pageHeight, pageHeight)
        case .pageUp, .ctrl("b"): scroll(-pageHeight, pageHeight)
        default: return false
        }
        return true
    }

    mutating func scroll(_ delta: Int, _ page: Int) {
        top = min(max(0, top + delta), maxTop(page))
        follow = top >= maxTop(page)
    }

    func maxTop(_ page: Int) -> Int { max(0, shownCount - page) }

    public mutating func setFilter(_ text: String) {
        filter = text
        filtered = text.isEmpty ? nil : lines.indices.filter { Self.matches(lines[$0], text) }
        top = 0
        hit = nil
        if follow { top = Int.max / 2 }
    }

    /// Moves to the next (or previous) line matching the search, wrapping.
    public mutating func find(forward: Bool, from start: Int) {
        guard !search.isEmpty, shownCount > 0 else { return }
        let count = shownCount
        var index = ((start % count) + count) % count
        for _ in 0..<count {
            if Self.matches(shownLine(index), search) {
                hit = index
                top = index
                follow = false
                return
            }
            index = forward ? (index + 1) % count : (index - 1 + count) % count
        }
        hit = nil
        message = "pattern not found: \(search)"
    }

    // MARK: Drawing

    public func draw(into grid: inout CellGrid, x: Int, y: Int, width: Int, height: Int, title: String) {
        guard width > 4, height > 2 else { return }
        let page = height - 2
        var flags = [follow ? "FOLLOW" : "PAUSED"]
        if wrap { flags.append("wrap") }
        if !filter.isEmpty { flags.append("filter &\(filter)") }
        if !search.isEmpty { flags.append("search /\(search)") }
        let head = " \(title) — \(shownCount) lines\(dropped > 0 ? " (\(dropped) dropped)" : "") — " + flags.joined(separator: " · ")
        grid.fill(x: x, y: y, width: width, height: 1, style: Style(.columnHeader, bold: true))
        grid.put(head, x: x, y: y, maxWidth: width, style: Style(.columnHeader, bold: true))
        var first = follow ? maxTop(page) : min(top, maxTop(page))
        if follow && wrap {
            // Wrapped lines take several rows: walk back from the end until the page is full.
            var rows = 0
            first = shownCount
            while first > 0 {
                let needed = TextLayout.hardWrap(render(shownLine(first - 1)), width: width).count
                if rows + needed > page { break }
                rows += needed
                first -= 1
            }
        }
        var row = y + 1
        var index = first
        while row < y + 1 + page, index < shownCount {
            let line = shownLine(index)
            let text = render(line)
            let style = Style(Self.role(line.severity), bold: false, reverse: index == hit)
            let pieces = wrap ? TextLayout.hardWrap(text, width: width) : [text]
            for piece in pieces where row < y + 1 + page {
                grid.put(piece, x: x, y: row, maxWidth: width, style: style)
                row += 1
            }
            index += 1
        }
        if shownCount == 0 {
            grid.put(filter.isEmpty ? "no log lines yet" : "no line matches &\(filter)", x: x + 1, y: y + 1, maxWidth: width - 1, style: Style(.dim))
        }
        let bottom = y + height - 1
        grid.fill(x: x, y: bottom, width: width, height: 1)
        switch entry {
        case .search: grid.put("/" + typed + "▏", x: x, y: bottom, maxWidth: width, style: Style(.accent, bold: true))
        case .filter: grid.put("&" + typed + "▏", x: x, y: bottom, maxWidth: width, style: Style(.accent, bold: true))
        case .none:
            let text = message ?? "F follow  Space pause  / search  n N next/prev  & filter  w wrap  t time  g G top/end  Esc close"
            grid.put(text, x: x, y: bottom, maxWidth: width, style: Style(message == nil ? .dim : .warning))
        }
    }

    func render(_ line: LogLine) -> String {
        (timestamps ? ModelTime.stamp(line.time) + " " : "") + "[\(line.source)] " + line.message
    }

    public static func role(_ severity: String) -> Role {
        switch severity.lowercased() {
        case "error", "fatal", "critical": .bad
        case "warning", "warn": .caution
        case "debug", "trace": .dim
        default: .normal
        }
    }
}

/// Times as the dashboard prints them (UTC, so snapshots are stable).
public enum ModelTime {
    public static func stamp(_ date: Date) -> String { ModelProjection.clock(date) }
}
