import Foundation
import VizorStore

/// Brings the install journal into `AppState.installs`: finished jobs as
/// history (they survive restarts because the journal does) and running jobs
/// live, whichever process drives them (`vizor install`, another dashboard).
/// The dashboard polls it; each poll reads only new log lines.
@MainActor
public final class JournalFeed {
    private let journal: InstallJournal
    private let store: Store
    private var cursors: [String: Int64] = [:]
    private var known: [String: InstallJob] = [:]
    private var task: Task<Void, Never>?

    public init(journal: InstallJournal, store: Store) {
        self.journal = journal
        self.store = store
    }

    /// Reads the journal now, then every `interval` seconds until `stop`.
    public func start(every interval: TimeInterval = 2) {
        task?.cancel()
        task = Task { [weak self] in
            while !Task.isCancelled {
                await self?.pollSoon()
                try? await Task.sleep(nanoseconds: UInt64(interval * 1_000_000_000))
            }
        }
    }

    public func stop() {
        task?.cancel()
        task = nil
    }

    private var polling = false
    private var pollAgain = false

    /// Reads the journal now, because something says it changed (the
    /// agent's event stream); calls that come while a pass runs are merged
    /// into one more pass, so passes never overlap.
    public func pollSoon() async {
        guard !polling else {
            pollAgain = true
            return
        }
        polling = true
        repeat {
            pollAgain = false
            await poll()
        } while pollAgain
        polling = false
    }

    /// One pass: every job's row, and the log lines written since the last pass.
    public func poll() async {
        guard let jobs = try? await journal.jobs() else { return }
        for row in jobs {
            var job = known[row.id] ?? Self.installJob(row)
            let fresh = Self.installJob(row)
            job.phase = fresh.phase
            job.progress = fresh.progress
            job.error = fresh.error
            job.machineID = fresh.machineID
            if let lines = try? await journal.log(row.id, after: cursors[row.id] ?? 0, limit: 5_000), let last = lines.last {
                cursors[row.id] = last.sequence
                job.events += lines.map { InstallEvent(time: $0.time, severity: $0.severity, source: $0.source, message: $0.message) }
                if job.events.count > AppState.eventLimit { job.events.removeFirst(job.events.count - AppState.eventLimit) }
            }
            if job != known[row.id] {
                known[row.id] = job
                store.send(.installUpdated(job))
            }
        }
    }

    /// The journal's row as the model's job (request fields decoded when readable).
    public static func installJob(_ row: JournalJob) -> InstallJob {
        let request = try? InstallRequest.decode(row.request)
        return InstallJob(id: row.id, site: row.site, machineName: request?.machineName ?? row.id, imageID: request?.imageID ?? row.imageKey,
                          editionIndex: request?.editionIndex ?? 0, makeTemplate: request?.makeTemplate ?? false,
                          phase: phase(row), progress: row.status == .succeeded ? 1 : (row.progress ?? Double(row.step.index) / 7),
                          machineID: row.resources["machineID"], error: row.error)
    }

    static func phase(_ row: JournalJob) -> InstallPhase {
        switch row.status {
        case .succeeded: return .done
        case .failed: return .failed
        case .cancelled: return .cancelled
        case .queued: return .queued
        case .running, .cancelling:
            switch row.step {
            case .exposeMedia: return .exposingMedia
            case .renderArtefacts: return .renderingArtefacts
            case .createContainer: return .creatingMachine
            case .provision: return .provisioning
            case .bootAndFollow: return .installing
            case .template: return .converting
            case .cleanup: return .cleaningUp
            }
        }
    }
}
