import BackendKit
import Foundation
import GRDB

/// The install journal: every job, every step attempt (before and after it
/// runs, with the identifiers it created) and every log line, in SQLite.
/// Several `vizor` processes may open the same file (WAL); a lease per job
/// decides which one drives it, and every write a driver makes is fenced by
/// its lease, so a process that lost its lease cannot overwrite the new
/// driver's progress.
public final class InstallJournal: Sendable {
    public let database: DatabasePool
    public let url: URL
    private let counter = WriteCounter()
    private let signal = WriteSignal()

    /// Opens (creating and migrating) the journal at `url`; the catalog shares the file.
    public init(url: URL) throws {
        self.url = url
        do {
            database = try VizorMigrations.openDatabase(at: url)
        } catch {
            throw BackendError(.invalidInput, backend: "journal", message: "cannot open the install journal at \(url.path): \(error)",
                               hint: "check that the directory is writable")
        }
    }

    /// The default place, shared with the catalog: `$XDG_DATA_HOME/vizor/vizor.sqlite`.
    public static func defaultURL(paths: XDGPaths = XDGPaths()) -> URL {
        paths.data.appendingPathComponent("vizor.sqlite")
    }

    /// How many write transactions this instance has committed (for benchmarks).
    public var writeCount: Int { counter.value }

    /// A tick after every write transaction this instance commits, for a
    /// process that publishes what its own drivers journal the moment they
    /// do (the agent). Ticks that come faster than they are read are merged
    /// into one. Writes by other processes do not tick: SQLite tells nobody.
    public func writes() -> AsyncStream<Void> {
        signal.subscribe()
    }

    // MARK: jobs

    /// Records a new queued job.
    public func createJob(id: String, site: String, hypervisor: String, imageKey: String, request: String,
                          now: Date) async throws -> JournalJob {
        try await write { db in
            try db.execute(sql: """
                INSERT INTO install_job (id, site, hypervisor, imageKey, request, status, step, createdAt, updatedAt)
                VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?)
                """, arguments: [id, site, hypervisor, imageKey, request, InstallStep.exposeMedia.rawValue,
                                 now.timeIntervalSince1970, now.timeIntervalSince1970])
        }
        guard let job = try await job(id) else { throw Self.missing(id) }
        return job
    }

    public func job(_ id: String) async throws -> JournalJob? {
        try await read { db in try Row.fetchOne(db, sql: "SELECT * FROM install_job WHERE id = ?", arguments: [id]).map(Self.job) }
    }

    /// Jobs newest first; `unfinishedOnly` keeps queued, running and cancelling ones.
    public func jobs(unfinishedOnly: Bool = false, site: String? = nil) async throws -> [JournalJob] {
        try await read { db in
            var sql = "SELECT * FROM install_job WHERE 1"
            var arguments: StatementArguments = []
            if unfinishedOnly { sql += " AND status IN ('queued', 'running', 'cancelling')" }
            if let site { sql += " AND site = ?"; arguments += [site] }
            sql += " ORDER BY createdAt DESC, id"
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.job)
        }
    }

    /// Resolves a job id or a unique prefix of one.
    public func resolve(_ idOrPrefix: String) async throws -> JournalJob {
        if let exact = try await job(idOrPrefix) { return exact }
        let matches = try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM install_job WHERE id LIKE ? ESCAPE '\\' LIMIT 2",
                             arguments: [Self.likePrefix(idOrPrefix)]).map(Self.job)
        }
        guard matches.count == 1 else {
            throw BackendError(matches.isEmpty ? .notFound : .invalidInput, backend: "journal",
                               message: matches.isEmpty ? "no install job \(idOrPrefix)" : "job id prefix \(idOrPrefix) is ambiguous",
                               hint: "see `vizor install list`")
        }
        return matches[0]
    }

    // MARK: leases

    /// Takes the job's lease for `owner` if it is free, lapsed or already `owner`'s,
    /// and the site runs fewer than `siteLimit` other live-leased jobs.
    /// A live lease whose holder `holderIsGone` (see `LeaseHolder.isProvablyDead`)
    /// is taken at once, and such leases do not count against the site limit.
    public func claim(_ id: String, owner: String, now: Date, ttl: TimeInterval, siteLimit: Int?,
                      holderIsGone: (@Sendable (String) -> Bool)? = nil) async throws -> LeaseClaim {
        try await write { db -> LeaseClaim in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM install_job WHERE id = ?", arguments: [id]) else { return .notFound }
            let job = Self.job(row)
            if job.status.isFinished { return .finished(job.status) }
            if let holder = job.leaseOwner, holder != owner, let until = job.leaseExpiresAt, until > now,
               holderIsGone?(holder) != true {
                return .heldBy(owner: holder, until: until)
            }
            if let siteLimit {
                let holders = try String.fetchAll(db, sql: """
                    SELECT leaseOwner FROM install_job WHERE site = ? AND id != ? AND status IN ('running', 'cancelling')
                    AND leaseOwner IS NOT NULL AND leaseExpiresAt > ?
                    """, arguments: [job.site, id, now.timeIntervalSince1970])
                let live = holders.filter { holderIsGone?($0) != true }.count
                if live >= siteLimit { return .siteFull(limit: siteLimit) }
            }
            let status = job.status == .queued ? JournalJobStatus.running : job.status
            try db.execute(sql: """
                UPDATE install_job SET leaseOwner = ?, leaseExpiresAt = ?, status = ?, updatedAt = ?,
                startedAt = COALESCE(startedAt, ?) WHERE id = ?
                """, arguments: [owner, now.addingTimeInterval(ttl).timeIntervalSince1970, status.rawValue,
                                 now.timeIntervalSince1970, now.timeIntervalSince1970, id])
            guard let updated = try Row.fetchOne(db, sql: "SELECT * FROM install_job WHERE id = ?", arguments: [id]) else { return .notFound }
            return .claimed(Self.job(updated))
        }
    }

    /// Extends `owner`'s lease; false when the lease was taken over or released.
    public func renew(_ id: String, owner: String, now: Date, ttl: TimeInterval) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "UPDATE install_job SET leaseExpiresAt = ? WHERE id = ? AND leaseOwner = ?",
                           arguments: [now.addingTimeInterval(ttl).timeIntervalSince1970, id, owner])
            return db.changesCount == 1
        }
    }

    /// Gives the lease up so another process may take the job at once.
    public func release(_ id: String, owner: String) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE install_job SET leaseOwner = NULL, leaseExpiresAt = NULL WHERE id = ? AND leaseOwner = ?",
                           arguments: [id, owner])
        }
    }

    // MARK: steps (fenced by the lease)

    /// Journals the start of a step attempt; returns the attempt number.
    public func beginStep(_ id: String, step: InstallStep, owner: String, now: Date) async throws -> Int {
        try await write { db in
            try Self.fence(db, id, owner)
            let attempt = (try Int.fetchOne(db, sql: "SELECT MAX(attempt) FROM install_step WHERE jobID = ? AND step = ?",
                                            arguments: [id, step.rawValue]) ?? 0) + 1
            try db.execute(sql: """
                INSERT INTO install_step (jobID, step, attempt, owner, startedAt, outcome) VALUES (?, ?, ?, ?, ?, 'running')
                """, arguments: [id, step.rawValue, attempt, owner, now.timeIntervalSince1970])
            try db.execute(sql: "UPDATE install_job SET step = ?, updatedAt = ?, error = NULL WHERE id = ?",
                           arguments: [step.rawValue, now.timeIntervalSince1970, id])
            return attempt
        }
    }

    /// Merges identifiers into the job's resources (and the running attempt's record) as soon as they exist.
    public func recordResources(_ id: String, step: InstallStep, owner: String, _ values: [String: String], now: Date) async throws {
        guard !values.isEmpty else { return }
        try await write { db in
            try Self.fence(db, id, owner)
            let current = try String.fetchOne(db, sql: "SELECT resources FROM install_job WHERE id = ?", arguments: [id]) ?? "{}"
            let merged = Self.decodeMap(current).merging(values) { _, new in new }
            try db.execute(sql: "UPDATE install_job SET resources = ?, updatedAt = ? WHERE id = ?",
                           arguments: [Self.encodeMap(merged), now.timeIntervalSince1970, id])
            let attempt = try Row.fetchOne(db, sql: """
                SELECT attempt, created FROM install_step WHERE jobID = ? AND step = ? ORDER BY attempt DESC LIMIT 1
                """, arguments: [id, step.rawValue])
            if let attempt {
                let created = Self.decodeMap(attempt["created"] as String? ?? "{}").merging(values) { _, new in new }
                try db.execute(sql: "UPDATE install_step SET created = ? WHERE jobID = ? AND step = ? AND attempt = ?",
                               arguments: [Self.encodeMap(created), id, step.rawValue, attempt["attempt"] as Int? ?? 0])
            }
        }
    }

    /// Removes identifiers of things that no longer exist (after clean-up).
    public func forgetResources(_ id: String, owner: String, keys: [String], now: Date) async throws {
        try await write { db in
            try Self.fence(db, id, owner)
            let current = try String.fetchOne(db, sql: "SELECT resources FROM install_job WHERE id = ?", arguments: [id]) ?? "{}"
            var map = Self.decodeMap(current)
            for key in keys { map[key] = nil }
            try db.execute(sql: "UPDATE install_job SET resources = ?, updatedAt = ? WHERE id = ?",
                           arguments: [Self.encodeMap(map), now.timeIntervalSince1970, id])
        }
    }

    /// Journals the end of a step attempt and, on success, moves the job to `nextStep`.
    public func finishStep(_ id: String, step: InstallStep, attempt: Int, owner: String, outcome: StepOutcome,
                           error: String? = nil, nextStep: InstallStep?, now: Date) async throws {
        try await write { db in
            try Self.fence(db, id, owner)
            try db.execute(sql: """
                UPDATE install_step SET outcome = ?, error = ?, finishedAt = ? WHERE jobID = ? AND step = ? AND attempt = ?
                """, arguments: [outcome.rawValue, error, now.timeIntervalSince1970, id, step.rawValue, attempt])
            if outcome == .succeeded, let nextStep {
                try db.execute(sql: "UPDATE install_job SET step = ?, updatedAt = ? WHERE id = ?",
                               arguments: [nextStep.rawValue, now.timeIntervalSince1970, id])
            }
        }
    }

    /// Ends the job (or puts it back in the queue) and releases the lease.
    public func setStatus(_ id: String, owner: String?, status: JournalJobStatus, error: String? = nil,
                          step: InstallStep? = nil, now: Date) async throws {
        try await write { db in
            if let owner { try Self.fence(db, id, owner) }
            let finished: Double? = status.isFinished ? now.timeIntervalSince1970 : nil
            try db.execute(sql: """
                UPDATE install_job SET status = ?, error = ?, step = COALESCE(?, step), updatedAt = ?, finishedAt = ?,
                leaseOwner = CASE WHEN ? THEN NULL ELSE leaseOwner END,
                leaseExpiresAt = CASE WHEN ? THEN NULL ELSE leaseExpiresAt END,
                cancelRequested = CASE WHEN ? = 'queued' THEN 0 ELSE cancelRequested END
                WHERE id = ?
                """, arguments: [status.rawValue, error, step?.rawValue, now.timeIntervalSince1970, finished,
                                 status.isFinished, status.isFinished, status.rawValue, id])
        }
    }

    /// Progress for watchers; not fenced (a stale driver's progress is harmless and soon overwritten).
    public func setProgress(_ id: String, progress: Double?, subStage: String?) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE install_job SET progress = ?, subStage = ? WHERE id = ?",
                           arguments: [progress, subStage, id])
        }
    }

    /// Marks a job for cancellation; the driver (or `cancel` itself) acts on it.
    public func requestCancel(_ id: String, now: Date) async throws -> JournalJob? {
        try await write { db in
            try db.execute(sql: """
                UPDATE install_job SET cancelRequested = 1, updatedAt = ?,
                status = CASE WHEN status IN ('queued', 'running') THEN 'cancelling' ELSE status END
                WHERE id = ? AND status IN ('queued', 'running', 'cancelling', 'failed')
                """, arguments: [now.timeIntervalSince1970, id])
        }
        return try await job(id)
    }

    public func steps(_ id: String) async throws -> [JournalStep] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM install_step WHERE jobID = ? ORDER BY startedAt, attempt",
                             arguments: [id]).compactMap(Self.step)
        }
    }

    // MARK: log

    public func appendLog(_ id: String, time: Date, severity: String = "info", source: String, message: String) async throws {
        try await appendLog(id, lines: [(time, severity, source, message)])
    }

    public func appendLog(_ id: String, lines: [(time: Date, severity: String, source: String, message: String)]) async throws {
        guard !lines.isEmpty else { return }
        try await write { db in
            for line in lines {
                try db.execute(sql: "INSERT INTO install_log (jobID, time, severity, source, message) VALUES (?, ?, ?, ?, ?)",
                               arguments: [id, line.time.timeIntervalSince1970, line.severity, line.source, line.message])
            }
        }
    }

    /// Log lines after `sequence`, oldest first.
    public func log(_ id: String, after sequence: Int64 = 0, limit: Int = 10_000) async throws -> [JournalLogLine] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM install_log WHERE jobID = ? AND seq > ? ORDER BY seq LIMIT ?",
                             arguments: [id, sequence, limit]).map { row in
                JournalLogLine(sequence: row["seq"], jobID: row["jobID"], time: Date(timeIntervalSince1970: row["time"]),
                               severity: row["severity"], source: row["source"], message: row["message"])
            }
        }
    }

    // MARK: statistics

    /// Durations (start to finish) of earlier succeeded installs of the same image and edition, newest first.
    public func durations(imageKey: String, limit: Int = 10) async throws -> [TimeInterval] {
        try await read { db in
            try Double.fetchAll(db, sql: """
                SELECT finishedAt - startedAt FROM install_job WHERE imageKey = ? AND status = 'succeeded'
                AND startedAt IS NOT NULL AND finishedAt IS NOT NULL ORDER BY finishedAt DESC LIMIT ?
                """, arguments: [imageKey, limit])
        }
    }

    // MARK: helpers

    private func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let value = try await database.write(body)
        counter.increment()
        signal.fire()
        return value
    }

    private func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await database.read(body)
    }

    private static func fence(_ db: Database, _ id: String, _ owner: String) throws {
        let holder = try String.fetchOne(db, sql: "SELECT leaseOwner FROM install_job WHERE id = ?", arguments: [id])
        guard holder == owner else {
            throw JournalLeaseLost(jobID: id, owner: owner, holder: holder)
        }
    }

    private static func missing(_ id: String) -> BackendError {
        BackendError(.notFound, backend: "journal", message: "no install job \(id)", hint: "see `vizor install list`")
    }

    static func likePrefix(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_") + "%"
    }

    static func decodeMap(_ text: String) -> [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))) ?? [:]
    }

    static func encodeMap(_ map: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(map)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    private static func date(_ value: Double?) -> Date? { value.map(Date.init(timeIntervalSince1970:)) }

    static func job(_ row: Row) -> JournalJob {
        JournalJob(
            id: row["id"], site: row["site"], hypervisor: row["hypervisor"], imageKey: row["imageKey"], request: row["request"],
            status: JournalJobStatus(rawValue: row["status"]) ?? .failed,
            step: InstallStep(rawValue: row["step"]) ?? .cleanup, error: row["error"],
            createdAt: Date(timeIntervalSince1970: row["createdAt"]), updatedAt: Date(timeIntervalSince1970: row["updatedAt"]),
            startedAt: date(row["startedAt"]), finishedAt: date(row["finishedAt"]), leaseOwner: row["leaseOwner"],
            leaseExpiresAt: date(row["leaseExpiresAt"]), cancelRequested: row["cancelRequested"],
            resources: decodeMap(row["resources"]), progress: row["progress"], subStage: row["subStage"])
    }

    static func step(_ row: Row) -> JournalStep? {
        guard let step = InstallStep(rawValue: row["step"]) else { return nil }
        return JournalStep(jobID: row["jobID"], step: step, attempt: row["attempt"], owner: row["owner"],
                           startedAt: Date(timeIntervalSince1970: row["startedAt"]), finishedAt: date(row["finishedAt"]),
                           outcome: StepOutcome(rawValue: row["outcome"]) ?? .failed, error: row["error"],
                           created: decodeMap(row["created"]))
    }
}

/// A driver's write was refused because another process now holds the job's lease.
public struct JournalLeaseLost: Error, Sendable, Equatable, CustomStringConvertible {
    public var jobID: String
    public var owner: String
    public var holder: String?
    public init(jobID: String, owner: String, holder: String?) {
        self.jobID = jobID
        self.owner = owner
        self.holder = holder
    }
    public var description: String {
        "install job \(jobID): lease of \(owner) lost" + (holder.map { " to \($0)" } ?? "")
    }
}

/// Counts committed write transactions.
final class WriteCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}

/// Fans a tick out to every subscriber of `InstallJournal.writes()`.
final class WriteSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var subscribers: [UUID: AsyncStream<Void>.Continuation] = [:]

    func subscribe() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = UUID()
        lock.withLock { subscribers[id] = continuation }
        continuation.onTermination = { [weak self] _ in self?.remove(id) }
        return stream
    }

    func fire() {
        for continuation in lock.withLock({ Array(subscribers.values) }) { continuation.yield() }
    }

    private func remove(_ id: UUID) {
        lock.withLock { subscribers[id] = nil }
    }
}
