import Foundation
import VizorMedia
import VizorModel

/// The detail view of one catalogued ISO or one of its editions: every field
/// the catalog holds, as labelled lines the operator can scroll. Why its own
/// view: the generic describe shows only the table's columns, and the fields
/// that matter when an install fails (install image path, solid/encrypted
/// WIM, language packs, the analysis error) are not columns.
public struct CatalogDetail: Hashable, Sendable {
    public var title: String
    public var lines: [String]
    /// First shown line.
    public var top = 0

    public init(title: String, lines: [String]) {
        self.title = title
        self.lines = lines
    }

    /// The detail of a catalog row (`image:ID` or `edition:ID:INDEX`), nil
    /// for other rows or when the image is no longer in the catalog.
    public static func of(rowID: String, in state: AppState) -> CatalogDetail? {
        let parts = rowID.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, let image = state.catalog.first(where: { $0.id == parts[1] }) else { return nil }
        let file = (image.path as NSString).lastPathComponent
        switch parts[0] {
        case "image" where parts.count == 2:
            return CatalogDetail(title: file, lines: imageLines(image))
        case "edition" where parts.count == 3:
            guard let index = Int(parts[2]), let edition = image.editions.first(where: { $0.index == index }) else { return nil }
            return CatalogDetail(title: "\(file) #\(index)", lines: editionLines(edition, of: image))
        default: return nil
        }
    }

    static func field(_ label: String, _ value: String?) -> String {
        label.padding(toLength: 16, withPad: " ", startingAt: 0) + " " + ((value?.isEmpty ?? true) ? "—" : value!)
    }

    static func imageLines(_ image: MediaImage) -> [String] {
        var lines = [
            field("Path", image.path),
            field("Size", "\(ModelProjection.bytes(image.size)) (\(image.size) bytes)"),
            field("Modified", ISO8601DateFormatter().string(from: image.modified)),
            field("Label", image.volumeLabel),
            field("Kind", image.kind.rawValue),
            field("Bootable", image.bootable.isEmpty ? "no" : image.bootable.map(\.rawValue).joined(separator: ", ")),
            field("File system", image.fileSystem),
            field("Status", ModelProjection.imageStatus(image)),
            field("Error", image.error),
            field("Install image", image.installImagePath.map { path in
                var notes = [String]()
                if image.installImageSolid { notes.append("solid") }
                if image.installImageEncrypted { notes.append("encrypted") }
                if image.installImageParts > 1 { notes.append("\(image.installImageParts) parts") }
                return notes.isEmpty ? path : "\(path) (\(notes.joined(separator: ", ")))"
            }),
            field("Boot WIM", image.hasBootWIM ? "yes" : "no"),
            field("Media languages", image.mediaLanguages.joined(separator: ", ")),
            field("Build lab", image.buildLab),
            field("Architecture", image.buildArchitecture?.rawValue),
            field("Bytes read", "\(image.bytesRead) (\(image.size == 0 ? 0 : Int((Double(image.bytesRead) / Double(image.size) * 100).rounded()))% of the file)"),
            field("Id", image.id),
        ]
        if let linux = image.linux {
            lines.append(field("Linux", [linux.distribution, linux.version, linux.architecture].compactMap { $0 }.joined(separator: " ")
                               + " (from \(linux.evidence))"))
        }
        lines.append("")
        lines.append("EDITIONS (\(image.editions.count))")
        if image.editions.isEmpty { lines.append("  none") }
        for e in image.editions {
            lines.append("  \(e.index)  \(e.displayName ?? e.name)  \(e.editionID ?? "—")  \(e.architecture?.rawValue ?? "—")  build \(e.version.map { "\($0)" } ?? "—")  \(e.languages.joined(separator: ","))")
        }
        lines.append("")
        lines.append(contentsOf: packLines(image.languagePacks))
        return lines
    }

    static func editionLines(_ e: Edition, of image: MediaImage) -> [String] {
        var lines = [
            field("Index", "\(e.index)"),
            field("Name", e.name),
            field("Display name", e.displayName),
            field("Description", e.description),
            field("Edition id", e.editionID),
            field("Product", e.productName),
            field("Installation", e.installationType),
            field("Architecture", e.architecture?.rawValue),
            field("Build", e.version.map { "\($0)" }),
            field("Languages", e.languages.joined(separator: ", ")),
            field("Default language", e.defaultLanguage),
            field("Size installed", e.totalBytes.map { "\(ModelProjection.bytes($0)) (\($0) bytes)" }),
            field("Created", e.created.map { ISO8601DateFormatter().string(from: $0) }),
            "",
            field("ISO", image.path),
            field("Label", image.volumeLabel),
            field("Bootable", image.bootable.isEmpty ? "no" : image.bootable.map(\.rawValue).joined(separator: ", ")),
            field("Install image", image.installImagePath),
            "",
        ]
        // The packs this edition can take: same architecture and build when known.
        let fitting = image.languagePacks.filter { pack in
            (pack.architecture == nil || e.architecture == nil || pack.architecture == e.architecture)
                && (pack.build == nil || e.version == nil || pack.build == e.version?.build)
        }
        lines.append(contentsOf: packLines(fitting))
        return lines
    }

    static func packLines(_ packs: [LanguagePack]) -> [String] {
        var lines = ["LANGUAGE PACKS (\(packs.count))"]
        if packs.isEmpty { lines.append("  none") }
        for pack in packs {
            lines.append("  \(pack.language)  \(pack.architecture?.rawValue ?? "—")  build \(pack.build.map(String.init) ?? "—")  \(pack.path)")
        }
        return lines
    }

    /// Scroll keys: j/k, Page Up/Down, g/G. Returns false when the key is not a scroll key.
    public mutating func scroll(_ key: Key, page: Int) -> Bool {
        let last = max(0, lines.count - page)
        switch key {
        case .char("j"), .down: top += 1
        case .char("k"), .up: top -= 1
        case .pageDown, .char(" "): top += page
        case .pageUp: top -= page
        case .char("g"), .home: top = 0
        case .char("G"), .end: top = last
        default: return false
        }
        top = min(max(0, top), last)
        return true
    }

    /// Visible lines inside the box for `grid`.
    public static func pageHeight(for size: Size) -> Int { max(1, size.height - 6) }

    public func draw(into grid: inout CellGrid) {
        let width = min(grid.width - 2, 110)
        let page = Self.pageHeight(for: Size(width: grid.width, height: grid.height))
        let height = min(grid.height - 2, min(lines.count, page) + 2)
        let x = max(0, (grid.width - width) / 2), y = max(1, (grid.height - height) / 2)
        let more = lines.count > page ? " \(top + 1)-\(min(lines.count, top + page))/\(lines.count) j/k" : ""
        grid.box(x: x, y: y, width: width, height: height, title: "\(title) — Esc back\(more)", style: Style(.overlay))
        for (i, line) in lines.dropFirst(top).prefix(height - 2).enumerated() {
            let heading = line.first.map { $0.isUppercase && line == line.uppercased() } ?? false
            grid.put(line, x: x + 2, y: y + 1 + i, maxWidth: width - 4, style: Style(heading ? .accent : .overlay, bold: heading))
        }
    }
}
