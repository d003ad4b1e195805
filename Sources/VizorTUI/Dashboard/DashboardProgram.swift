import BackendKit
import Foundation
import VizorModel
import VizorProvisioning

/// The dashboard as a loop program: the shell (panes, keys, filter, help)
/// over the model's `AppState`, plus the dashboard's own overlays
/// (confirmations, the job view, the log tail). Model changes arrive through
/// the mailbox as `.modelChanged`, so the loop never waits on the model; the
/// program reads the newest state when the message is handled.
@MainActor
public final class DashboardProgram: LoopProgram {
    public enum Message: Sendable {
        /// The model changed; `flag` is cleared when the message is handled.
        case modelChanged(PendingFlag?)
        case shell(ShellAction)
    }

    /// Coalesces model-change messages (main actor only).
    @MainActor public final class PendingFlag: Sendable {
        var pending = false
        public init() {}
    }

    /// What covers the panes, if anything.
    public enum Overlay: Hashable, Sendable {
        case confirm(Confirmation)
        /// The job view: timeline of steps above the live log.
        case job(String)
        /// The log tail of a job, full screen.
        case log(String)
        /// The VM creation wizard.
        case wizard(Wizard)
        /// Every catalog field of one ISO or edition.
        case catalogDetail(CatalogDetail)
        /// The notifications list.
        case notifications(NotificationsView)
    }

    public let shell: ShellStore
    public private(set) var app: AppState
    public private(set) var overlay: Overlay?
    /// Log tails per job, kept while the dashboard runs.
    public private(set) var tails: [String: LogTail] = [:]
    private var ingested: [String: Int] = [:]
    /// When each job was first seen at each step (1...7), for the timeline.
    public private(set) var stepTimes: [String: [Int: Date]] = [:]
    private var pendingAction: Action?
    /// A job operation waiting for its confirmation.
    private var pendingJobOperation: (PaneCommand, String)?
    /// Retry, cancel and clean-up of install jobs (nil: not connected).
    public var installControl: (any InstallControl)?
    /// Delivers messages to this program through the loop's mailbox (so an
    /// effect's outcome wakes the loop); nil handles them directly.
    public var post: (@Sendable (Message) -> Void)?
    /// Install-control effects in flight or done (tests await them).
    public private(set) var effects: [Task<Void, Never>] = []
    private var lastNotification = 0
    private let logCapacity: Int
    private let source: () -> AppState
    private let dispatch: (Action) -> Void
    /// Where the wizard remembers its last values per site (nil: nowhere).
    public var wizardMemory: WizardMemory?
    /// The configuration's `install_defaults`: the wizard's starting locale,
    /// keyboard and time zone (under what it remembers per site) and the
    /// rule the Administrator password must meet.
    public var installDefaults = InstallDefaults()
    /// Starts an install from the wizard's values; returns what to tell the operator.
    public var startInstall: ([String: String], EditionChoice?) -> String = { _, _ in
        "the install orchestrator is not connected to this dashboard yet; nothing was started"
    }

    /// - Parameters:
    ///   - source: the newest model state (the store's `state`).
    ///   - dispatch: sends a model action (the store's `send`).
    public init(shell: ShellStore, logCapacity: Int = 100_000, source: @escaping () -> AppState, dispatch: @escaping (Action) -> Void) {
        self.shell = shell
        self.logCapacity = logCapacity
        self.source = source
        self.dispatch = dispatch
        self.app = source()
        lastNotification = app.notifications.last?.id ?? 0
        sync()
    }

    /// Connects to a model store: every change schedules one `.modelChanged`.
    public static func observing(_ store: Store, mailbox: Mailbox<Message>) -> ObservationToken {
        // Several model changes between two frames cost one message: the
        // program reads the newest state when it handles it.
        let flag = PendingFlag()
        return store.observe { _ in
            guard !flag.pending else { return }
            flag.pending = true
            mailbox.send(.modelChanged(flag))
        }
    }

    /// Shell state for a new dashboard: the catalog keeps its tree order (no sort).
    public static func initialShellState(size: Size) -> ShellState {
        var state = ShellState(size: size)
        state.tables[.catalog] = TableState(sort: nil)
        // Installs: newest first, as the projection orders them.
        state.tables[.installs] = TableState(sort: nil)
        return state
    }

    public var isFinished: Bool { shell.state.quitRequested }

    public func receive(_ message: Message) {
        switch message {
        case .modelChanged(let flag):
            flag?.pending = false
            app = source()
            sync()
        case .shell(let action): shell.send(action).forEach(handleRequest)
        }
    }

    public func tick() {}

    public func handle(_ event: InputEvent) {
        guard case .key(let key) = event else {
            // Clicks belong to the panes; an overlay (wizard, confirmation) takes keys only.
            if case .mouse = event, overlay != nil { return }
            shell.handle(event).forEach(handleRequest)
            return
        }
        switch overlay {
        case .confirm(var confirmation):
            switch confirmation.handle(key) {
            case .pending: overlay = .confirm(confirmation)
            case .cancelled: overlay = nil; pendingAction = nil; pendingJobOperation = nil; shell.send(.flash("cancelled"))
            case .confirmed:
                overlay = nil
                if let action = pendingAction { dispatch(action) }
                if let (command, id) = pendingJobOperation { perform(command, jobID: id) }
                pendingAction = nil
                pendingJobOperation = nil
            }
        case .wizard(var wizard):
            switch wizard.handle(key) {
            case .editing: overlay = .wizard(wizard)
            case .closed: overlay = nil
            case .submitted(let values):
                overlay = nil
                let site = values["site"] ?? ModelProjection.site(app)
                try? wizardMemory?.save(values, site: site)
                shell.send(.flash(startInstall(values, wizard.selectedEdition)))
            }
        case .notifications(var view):
            if view.handle(key, count: app.notifications.count, page: NotificationsView.pageHeight(for: shell.state.size)) {
                overlay = .notifications(view)
            } else {
                overlay = nil
            }
        case .catalogDetail(var detail):
            if key == .escape || key == .char("q") || key == .enter { overlay = nil; return }
            if detail.scroll(key, page: CatalogDetail.pageHeight(for: shell.state.size)) { overlay = .catalogDetail(detail) }
        case .job(let id), .log(let id):
            if key == .escape || key == .char("q"), tails[id]?.entry == LogTail.Entry.none {
                overlay = nil
                return
            }
            if case .job = overlay, key == .char("l") { overlay = .log(id); return }
            // The job view takes the installs pane's job keys (not while typing a log search).
            if case .job = overlay, tails[id]?.entry ?? LogTail.Entry.none == LogTail.Entry.none,
               let command = [Key.char("R"): PaneCommand.retry, .char("X"): .cancel, .char("C"): .cleanup][key] {
                jobCommand(command, id)
                return
            }
            var tail = tails[id] ?? LogTail(capacity: logCapacity)
            _ = tail.handle(key, pageHeight: logPage)
            tails[id] = tail
        case nil:
            shell.handle(event).forEach(handleRequest)
        }
    }

    private var logPage: Int { max(1, shell.state.size.height - (overlay.map { if case .job = $0 { 13 } else { 4 } } ?? 4)) }

    // MARK: Model → view

    /// Refreshes everything the view derives from `app`.
    func sync() {
        shell.send(.setHeader(site: ModelProjection.site(app), badges: ModelProjection.badges(app)))
        let names = app.sites.map(\.name)
        if shell.state.knownSites != names, !names.isEmpty { shell.send(.setKnownSites(names)) }
        for (pane, content) in ModelProjection.panes(app) where shell.state.content(pane) != content {
            shell.send(.setContent(pane, content))
        }
        for job in app.installs.values {
            if let step = InstallSteps.number(job.phase), stepTimes[job.id]?[step] == nil {
                stepTimes[job.id, default: [:]][step] = job.events.last?.time ?? app.now
            }
            let seen = ingested[job.id] ?? 0
            if job.events.count > seen {
                var tail = tails[job.id] ?? LogTail(capacity: logCapacity)
                tail.append(job.events[seen...].map { LogLine(time: $0.time, severity: $0.severity, source: $0.source, message: $0.message) })
                tails[job.id] = tail
                ingested[job.id] = job.events.count
            }
        }
        let activity = ModelProjection.scanActivity(app)
        if shell.state.activity != activity { shell.send(.setActivity(activity)) }
        let unread = app.unacknowledgedJobNotifications
        let failures = unread.filter { $0.job?.outcome == .failed }.count
        if shell.state.unreadNotices != unread.count || shell.state.unreadFailures != failures {
            shell.send(.setNotices(unread: unread.count, failures: failures))
        }
        if let newest = app.notifications.last, newest.id > lastNotification {
            lastNotification = newest.id
            shell.send(.flash(newest.text))
        }
    }

    // MARK: Requests from the shell

    private func handleRequest(_ request: ShellRequest) {
        switch request {
        case .quit: break
        case .showDetails(let pane, let rowID):
            // ISOs and editions get the full catalog detail instead of the generic describe.
            if pane == .catalog, let detail = CatalogDetail.of(rowID: rowID, in: app) {
                shell.send(.back)
                overlay = .catalogDetail(detail)
            }
        case .switchSite(let name):
            if app.site(named: name) == nil {
                shell.send(.flash("no site named \(name) (sites: \(app.sites.map(\.name).joined(separator: ", ")))"))
            } else {
                dispatch(.selectSite(name))
                app = source()
                sync()
            }
        case .paneCommand(let command, let pane, let rowID):
            paneCommand(command, pane, rowID)
        }
    }

    private func paneCommand(_ command: PaneCommand, _ pane: PaneID, _ rowID: String?) {
        let site = ModelProjection.site(app)
        if command == .notifications { openNotifications(); return }
        if command == .newMachine, pane != .catalog { openWizard(selectedRow: nil); return }
        if command == .rescan {
            dispatch(.refresh(BackendID(site: site, kind: .media)))
            shell.send(.flash("rescanning the media sources of \(site)…"))
            return
        }
        guard let rowID else { shell.send(.flash("nothing selected")); return }
        switch pane {
        case .machines:
            guard let item = app.machines(site: site).first(where: { ModelProjection.machineRowID($0.backend, $0.record.id) == rowID }) else { return }
            let r = item.record
            let on = "\(r.name) on \(ModelProjection.displayName(item.backend.kind)) (\(r.location.isEmpty ? site : r.location))"
            switch command {
            case .start: dispatch(.machineCommand(site: site, machineID: r.id, .start)); shell.send(.flash("starting \(r.name)…"))
            case .stop:
                ask(.machineCommand(site: site, machineID: r.id, .stop), Confirmation(
                    title: "Stop \(r.name)?", consequences: ["Shuts down \(on) (clean shutdown; the guest is asked first).",
                                                             "Work in progress inside the guest may be lost."], guardedBy: .functionKey(10)))
            case .reboot:
                ask(.machineCommand(site: site, machineID: r.id, .reboot), Confirmation(
                    title: "Reboot \(r.name)?", consequences: ["Restarts \(on).", "Sessions on the guest are cut."], guardedBy: .functionKey(10)))
            case .delete:
                ask(.machineCommand(site: site, machineID: r.id, .delete), Confirmation(
                    title: "Delete \(r.name)?", consequences: ["Destroys \(on) and its disks: \(r.vcpus) vCPU, \(r.memoryMiB) MiB.",
                                                               "This cannot be undone."], guardedBy: .typeName(r.name)))
            case .openJob:
                if let job = app.installs.values.first(where: { $0.machineID == r.id }) { overlay = .job(job.id) } else { shell.send(.flash("\(r.name) has no install job")) }
            default: break
            }
        case .templates:
            guard let item = app.templates(site: site).first(where: { ModelProjection.machineRowID($0.backend, $0.record.id) == rowID }) else { return }
            let t = item.record
            switch command {
            case .publish: dispatch(.templateCommand(site: site, templateID: t.id, .publish(featured: false))); shell.send(.flash("publishing \(t.name)…"))
            case .unpublish:
                ask(.templateCommand(site: site, templateID: t.id, .unpublish), Confirmation(
                    title: "Unpublish \(t.name)?", consequences: ["Other accounts can no longer deploy from \(t.name).", "Existing VMs are not touched."],
                    guardedBy: .functionKey(10)))
            case .delete:
                ask(.templateCommand(site: site, templateID: t.id, .delete), Confirmation(
                    title: "Delete template \(t.name)?", consequences: ["Removes \(t.name) from \(ModelProjection.displayName(item.backend.kind)) \(t.location).",
                                                                        "VMs deployed from it keep running; this cannot be undone."], guardedBy: .typeName(t.name)))
            default: break
            }
        case .installs:
            switch command {
            case .openJob: overlay = .job(rowID)
            case .openLog: overlay = .log(rowID)
            case .retry, .cancel, .cleanup: jobCommand(command, rowID)
            default: break
            }
        case .catalog:
            if command == .newMachine { openWizard(selectedRow: rowID) }
        }
    }

    /// Opens the wizard with the site's remembered values and, when an
    /// edition row is selected in the catalog, that edition.
    public func openWizard(selectedRow: String?) {
        let site = ModelProjection.site(app)
        var context = WizardContext.from(app)
        context.passwordPolicy = installDefaults.passwordPolicy
        var preset: [String: String] = [:]
        if let row = selectedRow, row.hasPrefix("edition:") {
            let parts = row.dropFirst("edition:".count).split(separator: ":")
            if parts.count == 2, let choice = context.editions.first(where: { $0.imageID == parts[0] && "\($0.index)" == parts[1] }) {
                preset["media"] = choice.label
            }
        }
        let remembered = Self.wizardDefaults(installDefaults, context: context)
            .merging(wizardMemory?.load(site: site) ?? [:]) { _, remembered in remembered }
        overlay = .wizard(Wizard(context: context, site: site, remembered: remembered, preset: preset))
    }

    /// The wizard's fields for `install_defaults`: the time zone as the Windows
    /// id the field lists; values the fields would refuse are left out.
    static func wizardDefaults(_ defaults: InstallDefaults, context: WizardContext) -> [String: String] {
        var values: [String: String] = [:]
        if context.locales.contains(defaults.locale) {
            values["locale"] = defaults.locale
            values["keyboard"] = defaults.locale
        }
        if let keyboard = defaults.keyboard, context.locales.contains(keyboard) { values["keyboard"] = keyboard }
        if let zone = TimeZoneTable.windowsID(for: defaults.timeZone), context.timeZones.contains(zone) { values["timeZone"] = zone }
        return values
    }

    /// Opens the notifications list and acknowledges what it shows.
    public func openNotifications() {
        overlay = .notifications(NotificationsView(unseen: Set(app.notifications.filter { !$0.acknowledged }.map(\.id))))
        dispatch(.acknowledgeNotifications)
        app = source()
        sync()
    }

    // MARK: Install jobs: retry, cancel, clean up

    private func jobCommand(_ command: PaneCommand, _ id: String) {
        guard let job = app.installs[id] else { shell.send(.flash("no such job")); return }
        let name = job.machineName.isEmpty ? id : job.machineName
        switch command {
        case .retry:
            guard job.phase == .failed else { shell.send(.flash("only a failed job can be retried (\(name) is \(job.phase.rawValue))")); return }
            perform(.retry, jobID: id)
        case .cancel:
            guard !job.phase.isFinished else { shell.send(.flash("\(name) has already \(job.phase.rawValue); nothing to cancel")); return }
            pendingJobOperation = (.cancel, id)
            overlay = .confirm(Confirmation(
                title: "Cancel the install of \(name)?",
                consequences: ["Stops job \(id) at \(job.phase.rawValue); the process driving it removes what it created (VM, Razor policy, media exposure).",
                               "The install cannot be resumed afterwards; start a new one instead."],
                guardedBy: .functionKey(10)))
        case .cleanup:
            guard job.phase == .failed || job.phase == .cancelled else {
                shell.send(.flash("clean up only failed or cancelled jobs (\(name) is \(job.phase.rawValue))")); return
            }
            pendingJobOperation = (.cleanup, id)
            overlay = .confirm(Confirmation(
                title: "Clean up the leftovers of \(name)?",
                consequences: ["Destroys the VM \(name) and its disks, any template the job made, its Razor node and policy, and the media exposure.",
                               "The job can no longer be retried; this cannot be undone."],
                guardedBy: .typeName(name)))
        default: break
        }
    }

    /// Runs a job operation as an effect off the UI loop; its outcome comes
    /// back as a notification (flash) through the mailbox.
    func perform(_ command: PaneCommand, jobID: String) {
        guard let control = installControl else {
            shell.send(.flash("install control is not connected to this dashboard; use vizor install \(command.rawValue) \(jobID)"))
            return
        }
        let verb = command == .retry ? "retrying" : command == .cancel ? "cancelling" : "cleaning up"
        shell.send(.flash("\(verb) job \(jobID)…"))
        let post = self.post
        let task = Task { @MainActor [weak self] in
            let outcome: InstallControlOutcome = await Self.run(control, command, jobID)
            let text = (outcome.succeeded ? "" : "✗ ") + outcome.message
            if let post { post(.shell(.flash(text))) } else { self?.shell.send(.flash(text)) }
        }
        effects.append(task)
        if effects.count > 8 { effects.removeFirst(effects.count - 8) }
    }

    nonisolated private static func run(_ control: any InstallControl, _ command: PaneCommand, _ id: String) async -> InstallControlOutcome {
        switch command {
        case .retry: await control.retry(id)
        case .cancel: await control.cancel(id)
        default: await control.cleanup(id)
        }
    }

    private func ask(_ action: Action, _ confirmation: Confirmation) {
        pendingAction = action
        overlay = .confirm(confirmation)
    }

    // MARK: Drawing

    public func render(size: Size) -> CellGrid {
        if shell.state.size != size { shell.send(.resize(size)) }
        var grid = shell.render()
        switch overlay {
        case .confirm(let confirmation): confirmation.draw(into: &grid)
        case .wizard(let wizard): wizard.draw(into: &grid)
        case .catalogDetail(let detail): detail.draw(into: &grid)
        case .notifications(let view): view.draw(into: &grid, notifications: app.notifications)
        case .job(let id): JobView.draw(into: &grid, job: app.installs[id], tail: tails[id] ?? LogTail(capacity: logCapacity),
                                        stepTimes: stepTimes[id] ?? [:], now: app.now)
        case .log(let id):
            let layout = ShellLayout(size)
            grid.fill(x: 0, y: layout.bodyTop, width: size.width, height: layout.bodyHeight + 2)
            (tails[id] ?? LogTail(capacity: logCapacity)).draw(into: &grid, x: 0, y: layout.bodyTop, width: size.width,
                                                               height: layout.bodyHeight + 2, title: "log \(app.installs[id]?.machineName ?? id)")
        case nil: break
        }
        return grid
    }
}
