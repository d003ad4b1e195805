/// Draws a table: a column header with the sort key marked, then the rows
/// from `top`, the selected one highlighted. Widths are in display columns;
/// cells that do not fit end with "…".
public struct TableView {
    public var columns: [Column]
    public var rows: [Row]
    public var sort: SortOrder?
    public var selectedIndex: Int?
    public var top: Int

    public init(columns: [Column], rows: [Row], sort: SortOrder?, selectedIndex: Int?, top: Int) {
        self.columns = columns
        self.rows = rows
        self.sort = sort
        self.selectedIndex = selectedIndex
        self.top = top
    }

    /// Column widths for `width`: every column gets its minimum, the rest is
    /// shared by weight; trailing columns that cannot get their minimum are
    /// dropped (width 0) so the first columns stay readable.
    public static func widths(_ columns: [Column], width: Int) -> [Int] {
        var shown = columns.count
        while shown > 1, columns.prefix(shown).reduce(0, { $0 + $1.minWidth }) + (shown - 1) > width { shown -= 1 }
        guard shown > 0 else { return [] }
        var widths = columns.prefix(shown).map(\.minWidth)
        var spare = width - widths.reduce(0, +) - (shown - 1)
        if spare < 0 { widths[0] = max(1, widths[0] + spare); spare = 0 }
        let totalWeight = columns.prefix(shown).reduce(0) { $0 + $1.weight }
        if totalWeight > 0, spare > 0 {
            var given = 0
            for i in 0..<shown {
                let share = spare * columns[i].weight / totalWeight
                widths[i] += share
                given += share
            }
            if let last = (0..<shown).last(where: { columns[$0].weight > 0 }) { widths[last] += spare - given }
        }
        return widths + Array(repeating: 0, count: columns.count - shown)
    }

    public func draw(into grid: inout CellGrid, x: Int, y: Int, width: Int, height: Int) {
        guard width > 0, height > 0 else { return }
        let widths = Self.widths(columns, width: width)
        var column = x
        grid.fill(x: x, y: y, width: width, height: 1, style: Style(.columnHeader, bold: true))
        for (i, spec) in columns.enumerated() where widths[i] > 0 {
            var title = spec.title.uppercased()
            if let sort, sort.column == i {
                // The sort mark survives truncation: the key must stay visible.
                title = DisplayWidth.truncate(title, to: widths[i] - 1) + (sort.ascending ? "▲" : "▼")
            }
            grid.put(DisplayWidth.pad(title, to: widths[i], alignRight: spec.kind == .number), x: column, y: y,
                     style: Style(.columnHeader, bold: true, underline: sort?.column == i))
            column += widths[i] + 1
        }
        for line in 0..<(height - 1) {
            let index = top + line
            guard index < rows.count else { break }
            let row = rows[index]
            let selected = index == selectedIndex
            let style = Style(selected ? .selected : .normal)
            grid.fill(x: x, y: y + 1 + line, width: width, height: 1, style: style)
            column = x
            for (i, spec) in columns.enumerated() where widths[i] > 0 {
                let text = i < row.cells.count ? row.cells[i] : ""
                let cellStyle = selected ? style : (row.roles[i].map { Style($0, bold: true) } ?? style)
                grid.put(DisplayWidth.pad(text, to: widths[i], alignRight: spec.kind == .number), x: column, y: y + 1 + line, style: cellStyle)
                column += widths[i] + 1
            }
        }
    }
}
