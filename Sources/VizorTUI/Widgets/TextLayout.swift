/// Word wrapping and boxes measured in display columns.
public enum TextLayout {
    /// Splits `text` into lines of at most `width` columns, breaking at spaces
    /// and cutting words longer than a line.
    public static func wrap(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [] }
        var lines: [String] = []
        var line = ""
        var lineWidth = 0
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            var word = String(word)
            var wordWidth = DisplayWidth.of(word)
            if lineWidth > 0, lineWidth + 1 + wordWidth <= width {
                line += " " + word
                lineWidth += 1 + wordWidth
                continue
            }
            if lineWidth > 0 { lines.append(line); line = ""; lineWidth = 0 }
            while wordWidth > width {
                var head = "", used = 0
                for character in word {
                    let w = DisplayWidth.of(character)
                    if used + w > width { break }
                    head.append(character)
                    used += w
                }
                if head.isEmpty { word = ""; wordWidth = 0; break }
                lines.append(head)
                word = String(word.dropFirst(head.count))
                wordWidth = DisplayWidth.of(word)
            }
            line = word
            lineWidth = wordWidth
        }
        if lineWidth > 0 { lines.append(line) }
        return lines
    }
}

extension CellGrid {
    /// Draws a single-line box with an optional title, filling its inside.
    public mutating func box(x: Int, y: Int, width w: Int, height h: Int, title: String = "", style: Style = Style(.overlay)) {
        guard w >= 2, h >= 2 else { return }
        fill(x: x, y: y, width: w, height: h, style: style)
        put("┌" + String(repeating: "─", count: w - 2) + "┐", x: x, y: y, style: style)
        for row in (y + 1)..<(y + h - 1) {
            put("│", x: x, y: row, style: style)
            put("│", x: x + w - 1, y: row, style: style)
        }
        put("└" + String(repeating: "─", count: w - 2) + "┘", x: x, y: y + h - 1, style: style)
        if !title.isEmpty, w > 6 {
            put(" " + DisplayWidth.truncate(title, to: w - 6) + " ", x: x + 2, y: y, style: Style(.overlay, bold: true))
        }
    }
}

extension TextLayout {
    /// Cuts `text` into pieces of at most `width` display columns, without
    /// looking for word breaks (log lines are not prose).
    public static func hardWrap(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [] }
        var pieces: [String] = [], current = "", used = 0
        for character in text {
            let w = DisplayWidth.of(String(character))
            if used + w > width { pieces.append(current); current = ""; used = 0 }
            current.append(character)
            used += w
        }
        pieces.append(current)
        return pieces
    }
}
