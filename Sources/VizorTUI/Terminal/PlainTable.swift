/// Columns for the command line: cells padded by terminal display width, so
/// a Japanese edition name or an emoji in a VM name keeps later columns
/// aligned, which `String.count` padding does not.
public enum PlainTable {
    /// The header and rows as lines, two spaces between columns; lines carry
    /// no trailing blanks.
    public static func lines(_ header: [String], _ rows: [[String]]) -> [String] {
        var widths = header.map { DisplayWidth.of($0) }
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], DisplayWidth.of(cell))
            }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                guard index < cells.count - 1, index < widths.count else { return cell }
                return cell + String(repeating: " ", count: max(0, widths[index] - DisplayWidth.of(cell)))
            }.joined(separator: "  ").trimmingTrailingBlanks()
        }
        return [line(header)] + rows.map(line)
    }
}

private extension String {
    func trimmingTrailingBlanks() -> String {
        var end = endIndex
        while end > startIndex, self[index(before: end)] == " " { end = index(before: end) }
        return String(self[..<end])
    }
}
