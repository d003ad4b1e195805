import GRDB

/// Schema of the install journal; registered after the media catalog's
/// migrations so one database file carries both.
public enum InstallJournalMigrations {
    public static func register(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v1-install-journal") { db in
            try db.create(table: "install_job") { t in
                t.primaryKey("id", .text)
                t.column("site", .text).notNull()
                t.column("hypervisor", .text).notNull()
                t.column("imageKey", .text).notNull()
                t.column("request", .text).notNull()
                t.column("status", .text).notNull()
                t.column("step", .text).notNull()
                t.column("error", .text)
                t.column("createdAt", .double).notNull()
                t.column("updatedAt", .double).notNull()
                t.column("startedAt", .double)
                t.column("finishedAt", .double)
                t.column("leaseOwner", .text)
                t.column("leaseExpiresAt", .double)
                t.column("cancelRequested", .boolean).notNull().defaults(to: false)
                t.column("resources", .text).notNull().defaults(to: "{}")
                t.column("progress", .double)
                t.column("subStage", .text)
            }
            try db.create(index: "install_job_status", on: "install_job", columns: ["status", "site"])
            try db.create(index: "install_job_image", on: "install_job", columns: ["imageKey", "status"])
            try db.create(table: "install_step") { t in
                t.column("jobID", .text).notNull().references("install_job", onDelete: .cascade)
                t.column("step", .text).notNull()
                t.column("attempt", .integer).notNull()
                t.column("owner", .text).notNull()
                t.column("startedAt", .double).notNull()
                t.column("finishedAt", .double)
                t.column("outcome", .text).notNull()
                t.column("error", .text)
                t.column("created", .text).notNull().defaults(to: "{}")
                t.primaryKey(["jobID", "step", "attempt"])
            }
            try db.create(table: "install_log") { t in
                t.autoIncrementedPrimaryKey("seq")
                t.column("jobID", .text).notNull().references("install_job", onDelete: .cascade)
                t.column("time", .double).notNull()
                t.column("severity", .text).notNull()
                t.column("source", .text).notNull()
                t.column("message", .text).notNull()
            }
            try db.create(index: "install_log_job", on: "install_log", columns: ["jobID", "seq"])
        }
    }
}
