/// A horizontal run of cells to write at (x, y): the unit of output of a diff.
public struct CellRun: Hashable, Sendable {
    public var x: Int
    public var y: Int
    public var cells: [Cell]
    public init(x: Int, y: Int, cells: [Cell]) {
        self.x = x
        self.y = y
        self.cells = cells
    }
}

extension CellGrid {
    /// The runs to write so that a screen showing `previous` shows `self`.
    /// With no previous frame (or a different size) every row is one run: a
    /// full repaint. Identical frames give no runs, so an idle screen writes
    /// nothing. Gaps of up to `mergeGap` unchanged cells are bridged because
    /// rewriting them is cheaper than a cursor move.
    public func diff(from previous: CellGrid?, mergeGap: Int = 4) -> [CellRun] {
        guard let previous, previous.size == size else {
            return (0..<height).map { y in CellRun(x: 0, y: y, cells: Array(cells[(y * width)..<((y + 1) * width)])) }
        }
        var runs: [CellRun] = []
        for y in 0..<height {
            let base = y * width
            var x = 0
            var start = -1, end = -1
            while x < width {
                if cells[base + x] != previous.cells[base + x] {
                    var first = x
                    while first > 0, cells[base + first].isContinuation { first -= 1 }
                    var last = x
                    if cells[base + x].width == 2, x + 1 < width { last = x + 1 }
                    if start >= 0, first - end - 1 <= mergeGap {
                        end = max(end, last)
                    } else {
                        if start >= 0 { runs.append(CellRun(x: start, y: y, cells: Array(cells[(base + start)...(base + end)]))) }
                        start = first
                        end = last
                    }
                    x = last + 1
                } else {
                    x += 1
                }
            }
            if start >= 0 { runs.append(CellRun(x: start, y: y, cells: Array(cells[(base + start)...(base + end)]))) }
        }
        return runs
    }
}

/// Turns runs into the ANSI/ECMA-48 byte stream a terminal would receive
/// (cursor positioning, SGR, UTF-8 text). The benchmark and the virtual
/// terminal use it to count what a frame costs on the wire.
public enum ANSIEncoder {
    public static func encode(_ runs: [CellRun]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(runs.reduce(0) { $0 + $1.cells.count + 8 })
        var current: Style? = nil
        var cursor: (x: Int, y: Int)? = nil
        for run in runs {
            if cursor == nil || cursor! != (run.x, run.y) {
                out.append(contentsOf: Array("\u{1B}[\(run.y + 1);\(run.x + 1)H".utf8))
            }
            var column = run.x
            for cell in run.cells where !cell.isContinuation {
                if current != cell.style {
                    out.append(contentsOf: Array(sgr(cell.style).utf8))
                    current = cell.style
                }
                out.append(contentsOf: Array(String(cell.character).utf8))
                column += Int(cell.width)
            }
            cursor = (column, run.y)
        }
        return out
    }

    /// The SGR sequence for a style with the default 16-colour palette.
    static func sgr(_ style: Style) -> String {
        var codes = ["0"]
        if style.bold { codes.append("1") }
        if style.underline { codes.append("4") }
        if style.reverse { codes.append("7") }
        switch style.role {
        case .normal, .overlay: break
        case .header: codes.append(contentsOf: ["30", "46"])
        case .tab: codes.append("36")
        case .activeTab: codes.append(contentsOf: ["30", "43"])
        case .selected: codes.append(contentsOf: ["30", "47"])
        case .columnHeader: codes.append("1")
        case .ok, .good: codes.append("32")
        case .stale, .caution: codes.append("33")
        case .failing, .bad: codes.append("31")
        case .unknown, .dim: codes.append("2")
        case .accent: codes.append("36")
        case .warning: codes.append("33")
        }
        return "\u{1B}[" + codes.joined(separator: ";") + "m"
    }
}
