import BackendKit
import Foundation
import GRDB
import VizorMedia

/// One catalogued file as the store keeps it: the analysis plus whether the
/// file was still there at the last scan.
public struct CatalogEntry: Sendable, Codable, Equatable, Identifiable {
    public var image: MediaImage
    /// The file vanished at a later scan; kept so an operator sees what went away.
    public var missing: Bool
    public var source: String
    public var scannedAt: Date
    public var id: String { image.id }
}

/// Criteria for searching the catalogue; nil fields match anything.
public struct CatalogQuery: Sendable, Equatable {
    /// Matches path, label or edition name (substring, case-insensitive).
    public var text: String?
    /// Edition id or edition name (e.g. `Professional`, `Windows 11 Pro`).
    public var edition: String?
    /// A language tag carried by an edition or the media (`fr-FR`).
    public var language: String?
    /// A build prefix: `22621` or `10.0.22621`.
    public var build: String?
    public var architecture: WindowsArchitecture?
    public var includeMissing: Bool

    public init(text: String? = nil, edition: String? = nil, language: String? = nil, build: String? = nil,
                architecture: WindowsArchitecture? = nil, includeMissing: Bool = true) {
        self.text = text
        self.edition = edition
        self.language = language
        self.build = build
        self.architecture = architecture
        self.includeMissing = includeMissing
    }
}

/// The media catalogue in SQLite (GRDB `DatabasePool`, so WAL: readers never
/// wait for a scan that writes). Safe to share across tasks.
public final class MediaCatalogStore: Sendable {
    public let database: DatabasePool
    public let url: URL

    /// Opens (creating and migrating) the database at `url`.
    public init(url: URL) throws {
        self.url = url
        do {
            database = try VizorMigrations.openDatabase(at: url)
        } catch let error as BackendError {
            throw error
        } catch {
            throw BackendError(.invalidInput, backend: "store", message: "cannot open the catalogue at \(url.path): \(error)",
                               hint: "check that the directory is writable")
        }
    }

    /// The default place: `$XDG_DATA_HOME/vizor/vizor.sqlite`.
    public static func defaultURL(paths: XDGPaths = XDGPaths()) -> URL {
        paths.data.appendingPathComponent("vizor.sqlite")
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()

    private static func decode(_ text: String) throws -> MediaImage {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return try decoder.decode(MediaImage.self, from: Data(text.utf8))
    }

    /// Inserts or replaces the record of one file and marks it present.
    public func save(_ image: MediaImage, source: String, at date: Date = Date()) async throws {
        let record = String(decoding: try Self.encoder.encode(image), as: UTF8.self)
        try await database.write { db in
            try db.execute(sql: "DELETE FROM media_image WHERE path = ? AND id != ?", arguments: [image.path, image.id])
            try db.execute(sql: """
                INSERT INTO media_image (id, path, source, size, mtime, inode, kind, label, error, missing, scannedAt, bytesRead, record)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET path = excluded.path, source = excluded.source, size = excluded.size,
                  mtime = excluded.mtime, inode = excluded.inode, kind = excluded.kind, label = excluded.label,
                  error = excluded.error, missing = 0, scannedAt = excluded.scannedAt, bytesRead = excluded.bytesRead,
                  record = excluded.record
                """, arguments: [image.id, image.path, source, Int64(bitPattern: image.size),
                                 image.modified.timeIntervalSince1970, Int64(bitPattern: image.inode),
                                 image.kind.rawValue, image.volumeLabel, image.error, date.timeIntervalSince1970,
                                 Int64(bitPattern: image.bytesRead), record])
            try db.execute(sql: "DELETE FROM media_edition WHERE imageID = ?", arguments: [image.id])
            for edition in image.editions {
                try db.execute(sql: """
                    INSERT INTO media_edition (imageID, idx, name, editionID, arch, build, languages) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [image.id, edition.index, edition.name, edition.editionID,
                                     edition.architecture?.rawValue, edition.version?.description,
                                     " " + edition.languages.joined(separator: " ") + " "])
            }
        }
    }

    /// Size, mtime and inode of every present file under a source, by path.
    public func stamps(source: String) async throws -> [String: FileStamp] {
        try await database.read { db in
            var result: [String: FileStamp] = [:]
            let rows = try Row.fetchAll(db, sql: "SELECT path, size, mtime, inode FROM media_image WHERE source = ? AND missing = 0",
                                        arguments: [source])
            for row in rows {
                let size: Int64 = row["size"]
                let inode: Int64 = row["inode"]
                let mtime: Double = row["mtime"]
                result[row["path"]] = FileStamp(size: UInt64(bitPattern: size),
                                                modified: Date(timeIntervalSince1970: mtime), inode: UInt64(bitPattern: inode))
            }
            return result
        }
    }

    /// Marks files of a source that a scan no longer found; returns how many.
    @discardableResult
    public func markMissing(source: String, except present: Set<String>) async throws -> Int {
        try await database.write { db in
            let paths = try String.fetchAll(db, sql: "SELECT path FROM media_image WHERE source = ? AND missing = 0",
                                            arguments: [source])
            var count = 0
            for path in paths where !present.contains(path) {
                try db.execute(sql: "UPDATE media_image SET missing = 1 WHERE path = ?", arguments: [path])
                count += 1
            }
            return count
        }
    }

    public func entries(_ query: CatalogQuery = CatalogQuery()) async throws -> [CatalogEntry] {
        try await database.read { db in
            var clauses: [String] = []
            var arguments: [(any DatabaseValueConvertible)?] = []
            if !query.includeMissing { clauses.append("i.missing = 0") }
            if let text = query.text {
                clauses.append("(i.path LIKE ? OR i.label LIKE ? OR EXISTS (SELECT 1 FROM media_edition e WHERE e.imageID = i.id AND e.name LIKE ?))")
                arguments += Array(repeating: "%\(text)%", count: 3)
            }
            var editionClauses: [String] = []
            if let edition = query.edition {
                editionClauses.append("(e.name LIKE ? OR e.editionID LIKE ?)")
                arguments += [edition, edition]
            }
            if let language = query.language {
                editionClauses.append("e.languages LIKE ?")
                arguments.append("% \(language) %")
            }
            if let build = query.build {
                editionClauses.append("(e.build LIKE ? OR e.build LIKE ?)")
                arguments += ["\(build)%", "%.\(build)%"]
            }
            if let arch = query.architecture {
                editionClauses.append("e.arch = ?")
                arguments.append(arch.rawValue)
            }
            if !editionClauses.isEmpty {
                clauses.append("EXISTS (SELECT 1 FROM media_edition e WHERE e.imageID = i.id AND "
                               + editionClauses.joined(separator: " AND ") + ")")
            }
            let whereClause = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
            let rows = try Row.fetchAll(db, sql: "SELECT record, missing, source, scannedAt FROM media_image i \(whereClause) ORDER BY path",
                                        arguments: StatementArguments(arguments.map { $0?.databaseValue ?? .null }))
            return try rows.map(Self.entry)
        }
    }

    public func entry(id: String) async throws -> CatalogEntry? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT record, missing, source, scannedAt FROM media_image WHERE id = ?",
                             arguments: [id]).map(Self.entry)
        }
    }

    private static func entry(_ row: Row) throws -> CatalogEntry {
        let scanned: Double = row["scannedAt"]
        return CatalogEntry(image: try decode(row["record"]), missing: row["missing"], source: row["source"],
                            scannedAt: Date(timeIntervalSince1970: scanned))
    }
}
