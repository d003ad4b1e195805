import Foundation

/// A table column as a pane declares it. Widths are hints: the table widget
/// gives each column at least `minWidth` and shares the rest by `weight`.
public struct Column: Hashable, Sendable {
    public enum Kind: Hashable, Sendable { case text, number }
    public var title: String
    public var minWidth: Int
    public var weight: Int
    public var kind: Kind
    public init(_ title: String, minWidth: Int = 6, weight: Int = 1, kind: Kind = .text) {
        self.title = title
        self.minWidth = max(1, minWidth)
        self.weight = max(0, weight)
        self.kind = kind
    }
}

/// One row with a stable identity: selection follows `id`, not the position,
/// so refreshes and re-sorts never move the operator's cursor to another item.
public struct Row: Hashable, Sendable, Identifiable {
    public var id: String
    public var cells: [String]
    /// Colour role per cell (e.g. a power state); nil cells use the row's style.
    public var roles: [Int: Role]
    public init(id: String, cells: [String], roles: [Int: Role] = [:]) {
        self.id = id
        self.cells = cells
        self.roles = roles
    }
}

/// What a pane shows: a table, or an empty state that says what will appear
/// there and how. Panes render from this plain value only; the dashboard fills
/// it from the model.
public enum PaneContent: Hashable, Sendable {
    case table(columns: [Column], rows: [Row])
    case empty(title: String, detail: String)

    public var columns: [Column] {
        if case .table(let columns, _) = self { return columns }
        return []
    }
    public var rows: [Row] {
        if case .table(_, let rows) = self { return rows }
        return []
    }
}

/// Sort and filter applied to a pane's rows, in the order the table shows them.
public enum RowOrdering {
    /// Rows whose cells contain `filter` (case-insensitive), sorted by `sort`.
    /// The sort is stable and ties are broken by id so the order is total.
    public static func visibleRows(_ content: PaneContent, filter: String, sort: SortOrder?) -> [Row] {
        var rows = content.rows
        let needle = filter.trimmingCharacters(in: .whitespaces)
        if !needle.isEmpty {
            rows = rows.filter { row in row.cells.contains { $0.range(of: needle, options: [.caseInsensitive, .diacriticInsensitive]) != nil } }
        }
        guard let sort, sort.column < content.columns.count else { return rows }
        let numeric = content.columns[sort.column].kind == .number
        let column = sort.column
        return rows.sorted { a, b in
            let x = column < a.cells.count ? a.cells[column] : ""
            let y = column < b.cells.count ? b.cells[column] : ""
            let order: ComparisonResult
            if numeric, let dx = Double(x), let dy = Double(y) {
                order = dx < dy ? .orderedAscending : (dx > dy ? .orderedDescending : .orderedSame)
            } else {
                order = x.compare(y, options: [.caseInsensitive, .numeric])
            }
            if order == .orderedSame { return a.id < b.id }
            return sort.ascending ? order == .orderedAscending : order == .orderedDescending
        }
    }
}

/// A table's sort key: a column index and a direction.
public struct SortOrder: Hashable, Sendable {
    public var column: Int
    public var ascending: Bool
    public init(column: Int, ascending: Bool = true) {
        self.column = column
        self.ascending = ascending
    }
}
