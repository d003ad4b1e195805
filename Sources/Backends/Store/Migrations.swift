import Foundation
import GRDB

/// Every schema migration of Vizor's database, in order. Each concern adds
/// its own named migrations here (the media catalog first; the install
/// journal appends after it), so one database file carries them all and
/// GRDB applies only the ones a given file lacks.
public enum VizorMigrations {
    public static func registerAll(_ migrator: inout DatabaseMigrator) {
        MediaCatalogMigrations.register(&migrator)
        InstallJournalMigrations.register(&migrator)
    }

    public static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        registerAll(&migrator)
        return migrator
    }
}

/// Schema of the media catalog.
public enum MediaCatalogMigrations {
    public static func register(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v1-media-catalog") { db in
            try db.create(table: "media_image") { t in
                t.primaryKey("id", .text)
                t.column("path", .text).notNull().unique()
                t.column("source", .text).notNull()
                t.column("size", .integer).notNull()
                t.column("mtime", .double).notNull()
                t.column("inode", .integer).notNull()
                t.column("kind", .text).notNull()
                t.column("label", .text)
                t.column("error", .text)
                t.column("missing", .boolean).notNull().defaults(to: false)
                t.column("scannedAt", .double).notNull()
                t.column("bytesRead", .integer).notNull()
                t.column("record", .text).notNull()
            }
            try db.create(table: "media_edition") { t in
                t.column("imageID", .text).notNull().references("media_image", onDelete: .cascade)
                t.column("idx", .integer).notNull()
                t.column("name", .text).notNull()
                t.column("editionID", .text)
                t.column("arch", .text)
                t.column("build", .text)
                t.column("languages", .text).notNull()
                t.primaryKey(["imageID", "idx"])
            }
            try db.create(index: "media_edition_name", on: "media_edition", columns: ["name"])
            try db.create(index: "media_edition_build", on: "media_edition", columns: ["build"])
        }
    }
}

extension VizorMigrations {
    /// Opens the shared database file (WAL through `DatabasePool`, foreign
    /// keys on, a 10 s busy wait for other vizor processes), creating its
    /// private directory and applying the migrations it lacks. The catalog
    /// and the install journal both open it this way.
    static func openDatabase(at url: URL) throws -> DatabasePool {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        let database = try DatabasePool(path: url.path, configuration: configuration)
        try migrator.migrate(database)
        return database
    }
}
