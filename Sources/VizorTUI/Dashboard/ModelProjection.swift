import BackendKit
import Foundation
import VizorMedia
import VizorModel

/// Turns the model's `AppState` into what the shell draws: pane tables, the
/// header badges and the site list. Pure, so snapshot tests can feed it a
/// hand-built state and the dashboard recomputes it on every model change.
public enum ModelProjection {
    /// The site the panes show: the model's current site, else the first.
    public static func site(_ state: AppState) -> String {
        state.currentSite ?? state.sites.first?.name ?? "lab"
    }

    public static func badges(_ state: AppState) -> [HealthBadge] {
        guard let site = state.site(named: site(state)) else { return [] }
        return site.backends.map { id in
            HealthBadge(name: displayName(id.kind), status: status(state.health[id] ?? .connecting, now: state.now))
        }
    }

    static func displayName(_ kind: BackendKindName) -> String {
        switch kind {
        case .xenserver: "XenServer"
        case .cloudstack: "CloudStack"
        case .razor: "Razor"
        case .media: "Media"
        }
    }

    static func status(_ health: BackendHealth, now: Date) -> HealthStatus {
        switch health {
        case .connecting: .unknown
        case .ok: .ok
        case .stale(let since): .stale(detail: "since " + clock(since))
        case .failing(let error, _, let retryAt, _):
            .failing(detail: "\(error.message) — retry in \(max(0, Int(retryAt.timeIntervalSince(now).rounded(.up)))) s")
        }
    }

    /// Every pane's content for the current site.
    public static func panes(_ state: AppState) -> [PaneID: PaneContent] {
        let site = site(state)
        return [.catalog: catalog(state, site: site), .machines: machines(state, site: site),
                .templates: templates(state, site: site), .installs: installs(state, site: site)]
    }

    // MARK: Catalog: source → ISO → editions

    public static let catalogColumns = [
        Column("Name", minWidth: 18, weight: 4), Column("Edition", minWidth: 10, weight: 3), Column("Arch", minWidth: 5, weight: 0),
        Column("Build", minWidth: 6, weight: 0, kind: .number), Column("Languages", minWidth: 9, weight: 1),
        Column("Size", minWidth: 9, weight: 0, kind: .number), Column("Boot", minWidth: 9, weight: 0), Column("Status", minWidth: 7, weight: 0),
    ]

    static func catalog(_ state: AppState, site: String) -> PaneContent {
        guard !state.catalog.isEmpty else { return PaneID.catalog.placeholder }
        let sources = state.site(named: site)?.mediaSources ?? []
        var groups: [(name: String, images: [MediaImage])] = sources.map { ($0.name, []) }
        for image in state.catalog.sorted(by: { $0.path < $1.path }) {
            let owner = sources.firstIndex { image.path.hasPrefix($0.path) }
            if let owner { groups[owner].images.append(image) } else {
                if groups.last?.name != "other" { groups.append(("other", [])) }
                groups[groups.count - 1].images.append(image)
            }
        }
        var rows: [Row] = []
        for group in groups where !group.images.isEmpty {
            rows.append(Row(id: "source:\(group.name)", cells: ["▾ \(group.name)", "", "", "", "", "", "", "\(group.images.count) ISO"],
                            roles: [0: .accent]))
            for image in group.images {
                let name = (image.path as NSString).lastPathComponent
                let status = imageStatus(image)
                let build = image.editions.first?.version.map { "\($0.build)" } ?? ""
                rows.append(Row(id: "image:\(image.id)",
                                cells: ["  \(name)", "\(image.editions.count) editions", image.buildArchitecture?.rawValue ?? "",
                                        build, image.mediaLanguages.joined(separator: ","), bytes(image.size),
                                        image.bootable.map(\.rawValue).joined(separator: "+"), status],
                                roles: [7: status == "ok" ? .good : .bad]))
                for edition in image.editions {
                    rows.append(Row(id: "edition:\(image.id):\(edition.index)",
                                    cells: ["    \(edition.index) \(edition.displayName ?? edition.name)", edition.editionID ?? "",
                                            edition.architecture?.rawValue ?? "", edition.version.map { "\($0.build)" } ?? "",
                                            edition.languages.joined(separator: ","), edition.totalBytes.map { bytes($0) } ?? "", "", ""]))
                }
            }
        }
        return .table(columns: catalogColumns, rows: rows)
    }

    /// ok, missing (the file went away) or error (it cannot be read).
    public static func imageStatus(_ image: MediaImage) -> String {
        guard let error = image.error?.lowercased() else { return "ok" }
        return ["no such file", "not found", "missing", "vanished"].contains { error.contains($0) } ? "missing" : "error"
    }

    /// The status-line text of a media rescan under way on the current
    /// site ("rescanning 3/12 · ws2022.iso"), nil when none runs.
    public static func scanActivity(_ state: AppState) -> String? {
        let site = site(state)
        guard let (_, progress) = state.scans.filter({ $0.key.site == site }).min(by: { $0.key.kind.rawValue < $1.key.kind.rawValue }) else { return nil }
        let file = progress.current.map { " · " + ($0 as NSString).lastPathComponent } ?? ""
        return "rescanning \(progress.done)/\(progress.total)\(file)"
    }

    // MARK: Machines

    public static let machineColumns = [
        Column("Name", minWidth: 12, weight: 3), Column("Backend", minWidth: 10, weight: 0), Column("Power", minWidth: 8, weight: 0),
        Column("vCPU", minWidth: 4, weight: 0, kind: .number), Column("MiB", minWidth: 6, weight: 0, kind: .number),
        Column("IP", minWidth: 9, weight: 1), Column("MAC", minWidth: 17, weight: 0), Column("Template", minWidth: 8, weight: 2),
        Column("Job", minWidth: 6, weight: 1), Column("Site", minWidth: 4, weight: 0),
    ]

    static func machines(_ state: AppState, site: String) -> PaneContent {
        let list = state.machines(site: site)
        guard !list.isEmpty else { return PaneID.machines.placeholder }
        let jobs = Dictionary(state.installs.values.compactMap { job in job.machineID.map { ($0, job.id) } }, uniquingKeysWith: { a, _ in a })
        let rows = list.map { item -> Row in
            let r = item.record
            return Row(id: machineRowID(item.backend, r.id),
                       cells: [r.name, displayName(item.backend.kind), r.powerState.rawValue, "\(r.vcpus)", "\(r.memoryMiB)",
                               r.ipAddresses.first ?? "", r.macAddresses.first ?? "", r.sourceTemplate ?? "", jobs[r.id] ?? "", site],
                       roles: [2: powerRole(r.powerState)])
        }
        return .table(columns: machineColumns, rows: rows)
    }

    public static func machineRowID(_ backend: BackendID, _ id: String) -> String { "\(backend.kind.rawValue):\(id)" }

    public static func powerRole(_ state: PowerState) -> Role {
        switch state {
        case .running: .good
        case .halted, .destroyed: .dim
        case .paused, .suspended, .starting, .stopping: .caution
        case .unknown: .dim
        }
    }

    // MARK: Templates

    public static let templateColumns = [
        Column("Name", minWidth: 12, weight: 3), Column("Backend", minWidth: 10, weight: 0), Column("OS", minWidth: 8, weight: 2),
        Column("Zone/Pool", minWidth: 9, weight: 1), Column("Public", minWidth: 6, weight: 0), Column("Featured", minWidth: 8, weight: 0),
        Column("Ready", minWidth: 5, weight: 0), Column("Size", minWidth: 8, weight: 0, kind: .number),
    ]

    static func templates(_ state: AppState, site: String) -> PaneContent {
        let list = state.templates(site: site)
        guard !list.isEmpty else { return PaneID.templates.placeholder }
        let rows = list.map { item -> Row in
            let t = item.record
            return Row(id: machineRowID(item.backend, t.id),
                       cells: [t.name, displayName(item.backend.kind), t.osType, t.location, yes(t.isPublic), yes(t.isFeatured),
                               yes(t.isReady), bytes(UInt64(max(0, t.sizeBytes)))],
                       roles: [6: t.isReady ? .good : .caution])
        }
        return .table(columns: templateColumns, rows: rows)
    }

    // MARK: Installs

    public static let installColumns = [
        Column("Target", minWidth: 12, weight: 2), Column("Image/Edition", minWidth: 12, weight: 2), Column("Step", minWidth: 14, weight: 0),
        Column("Progress", minWidth: 14, weight: 0), Column("Elapsed", minWidth: 7, weight: 0, kind: .number),
        Column("ETA", minWidth: 6, weight: 0, kind: .number), Column("Last log line", minWidth: 12, weight: 4),
    ]

    static func installs(_ state: AppState, site: String) -> PaneContent {
        let jobs = state.installs.values.filter { $0.site == site }
        guard !jobs.isEmpty else { return PaneID.installs.placeholder }
        let rows = jobs.sorted { ($0.events.first?.time ?? .distantPast, $0.id) > ($1.events.first?.time ?? .distantPast, $1.id) }.map { job -> Row in
            let image = state.catalog.first { $0.id == job.imageID }
            let edition = image?.editions.first { $0.index == job.editionIndex }
            let imageName = image.map { ($0.path as NSString).lastPathComponent } ?? job.imageID
            let started = job.events.first?.time
            let ended = job.phase.isFinished ? job.events.last?.time : state.now
            let elapsed = started.map { max(0, (ended ?? state.now).timeIntervalSince($0)) }
            let eta: String
            if let elapsed, job.progress > 0.01, !job.phase.isFinished {
                eta = duration(elapsed * (1 - job.progress) / job.progress)
            } else { eta = job.phase.isFinished ? "—" : "?" }
            let last = job.error ?? job.events.last?.message ?? ""
            return Row(id: job.id,
                       cells: [job.machineName, "\(imageName) #\(job.editionIndex) \(edition?.editionID ?? "")",
                               InstallSteps.number(job.phase).map { "\($0)/7 \(job.phase.rawValue)" } ?? job.phase.rawValue, progressBar(job.progress, width: 10),
                               elapsed.map(duration) ?? "", eta, last],
                       roles: [2: phaseRole(job.phase), 6: job.error != nil ? .bad : .normal])
        }
        return .table(columns: installColumns, rows: rows)
    }

    public static func phaseRole(_ phase: InstallPhase) -> Role {
        switch phase {
        case .done: .good
        case .failed: .bad
        case .cancelled: .dim
        default: .accent
        }
    }

    // MARK: Formatting

    public static func progressBar(_ fraction: Double, width: Int) -> String {
        let clamped = min(1, max(0, fraction.isFinite ? fraction : 0))
        let filled = Int((clamped * Double(width)).rounded())
        return String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled) + String(format: "%3d%%", Int(clamped * 100))
    }

    public static func duration(_ seconds: TimeInterval) -> String {
        let s = Int(seconds.rounded())
        if s >= 3600 { return "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m" }
        if s >= 60 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
        return "\(s)s"
    }

    public static func bytes(_ value: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var amount = Double(value), unit = 0
        while amount >= 1024, unit < units.count - 1 { amount /= 1024; unit += 1 }
        return unit == 0 ? "\(value) B" : String(format: "%.1f %@", amount, units[unit])
    }

    static func yes(_ flag: Bool) -> String { flag ? "yes" : "no" }

    public static func clock(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.hour, .minute, .second], from: date)
        return String(format: "%02d:%02d:%02d", c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
    }
}

/// The seven steps of the install pipeline (docs/architecture.md), as the
/// installs pane and the job view number them.
public enum InstallSteps {
    public static let titles = ["Resolve and expose media", "Render artefacts", "Create the VM stopped", "Razor repo, tag, policy",
                                "Start and install", "Convert and publish", "Clean up"]

    /// 1...7 for the phase's step; 0 while queued; nil once failed or
    /// cancelled (the phase no longer says which step it was).
    public static func number(_ phase: InstallPhase) -> Int? {
        switch phase {
        case .queued: 0
        case .exposingMedia: 1
        case .renderingArtefacts: 2
        case .creatingMachine: 3
        case .provisioning: 4
        case .booting, .installing: 5
        case .converting, .publishing: 6
        case .cleaningUp, .done: 7
        case .failed, .cancelled: nil
        }
    }
}
