/// The meaning of a piece of screen, not its colour: the terminal maps each
/// role to a colour pair (or to bare attributes when colour is off), so a
/// monochrome or NO_COLOR session still shows selection and status.
public enum Role: UInt8, Hashable, Sendable, CaseIterable {
    case normal, header, tab, activeTab, selected, columnHeader
    case ok, stale, failing, unknown
    case dim, accent, warning, overlay
    /// Status colours inside tables and views (no header background):
    /// running / done, transitional, failed.
    case good, caution, bad
}

/// How a cell is drawn.
public struct Style: Hashable, Sendable {
    public var role: Role
    public var bold: Bool
    public var reverse: Bool
    public var underline: Bool

    public init(_ role: Role = .normal, bold: Bool = false, reverse: Bool = false, underline: Bool = false) {
        self.role = role
        self.bold = bold
        self.reverse = reverse
        self.underline = underline
    }

    public static let plain = Style()
}

/// One screen cell. A wide character occupies its cell and the next one; the
/// next one is a *continuation* (`width == 0`) that is never written itself.
public struct Cell: Hashable, Sendable {
    public var character: Character
    public var width: UInt8
    public var style: Style

    public init(_ character: Character = " ", width: UInt8 = 1, style: Style = .plain) {
        self.character = character
        self.width = width
        self.style = style
    }

    public static let blank = Cell()
    static func continuation(_ style: Style) -> Cell { Cell(" ", width: 0, style: style) }
    public var isContinuation: Bool { width == 0 }
}

/// A frame: the pure result of rendering. Tests compare its text with
/// snapshot files; terminals diff two of them to know what to write.
public struct CellGrid: Hashable, Sendable {
    public let size: Size
    public private(set) var cells: [Cell]

    public init(size: Size, fill: Cell = .blank) {
        self.size = size
        self.cells = Array(repeating: fill, count: size.width * size.height)
    }

    public var width: Int { size.width }
    public var height: Int { size.height }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * size.width + x] }
        set { cells[y * size.width + x] = newValue }
    }

    public func contains(x: Int, y: Int) -> Bool { x >= 0 && y >= 0 && x < width && y < height }

    /// Writes `text` from column `x` on row `y`, clipped to `maxWidth` columns
    /// (and to the grid). A wide character that would straddle the limit is
    /// replaced by a space so no half character is ever written.
    /// Returns the number of columns used.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, maxWidth: Int? = nil, style: Style = .plain) -> Int {
        guard y >= 0, y < height, x < width else { return 0 }
        let limit = min(width, x + max(0, maxWidth ?? width))
        var column = x
        for character in text {
            let glyph = DisplayWidth.printable(character)
            let w = DisplayWidth.of(glyph)
            if w == 0 { continue }
            if column + w > limit {
                if column < limit, column >= 0 { setCell(x: column, y: y, Cell(" ", style: style)) }
                column = limit
                break
            }
            if column >= 0 {
                setCell(x: column, y: y, Cell(glyph, width: UInt8(w), style: style))
                if w == 2, column + 1 < width { setCell(x: column + 1, y: y, .continuation(style)) }
            }
            column += w
        }
        return max(0, column - x)
    }

    /// Sets one cell, repairing any wide character it overwrites half of.
    mutating func setCell(x: Int, y: Int, _ cell: Cell) {
        guard contains(x: x, y: y) else { return }
        let old = self[x, y]
        if old.isContinuation, !cell.isContinuation, x > 0, self[x - 1, y].width == 2 {
            self[x - 1, y] = Cell(" ", style: self[x - 1, y].style)
        }
        if old.width == 2, x + 1 < width, self[x + 1, y].isContinuation, cell.width != 2 {
            self[x + 1, y] = Cell(" ", style: old.style)
        }
        self[x, y] = cell
    }

    /// Fills a rectangle (clipped) with spaces in `style`.
    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, style: Style = .plain) {
        let x0 = max(0, x), y0 = max(0, y)
        let x1 = min(width, x + w), y1 = min(height, y + h)
        guard x0 < x1, y0 < y1 else { return }
        for row in y0..<y1 { for column in x0..<x1 { setCell(x: column, y: row, Cell(" ", style: style)) } }
    }

    /// Applies `style` to existing cells of a row segment, keeping their text.
    public mutating func restyle(x: Int, y: Int, width w: Int, style: Style) {
        guard y >= 0, y < height else { return }
        for column in max(0, x)..<max(max(0, x), min(width, x + w)) { self[column, y].style = style }
    }

    /// The row as text, continuation cells omitted, trailing spaces kept.
    public func line(_ y: Int) -> String {
        var out = ""
        for x in 0..<width where !self[x, y].isContinuation { out.append(self[x, y].character) }
        return out
    }

    /// The whole grid as text: one line per row, trailing spaces trimmed.
    public var text: String {
        (0..<height).map { y in
            var l = line(y)
            while l.last == " " { l.removeLast() }
            return l
        }.joined(separator: "\n")
    }
}
