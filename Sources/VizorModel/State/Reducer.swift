import BackendKit
import Foundation
import VizorMedia

/// The pure heart of the model: applies one action to the state and says
/// which effects to run. No I/O, no clock reads: time comes in actions.
public func reduce(_ state: AppState, _ action: Action) -> (AppState, [Effect]) {
    var next = state
    let effects = reduce(&next, action)
    return (next, effects)
}

/// In-place form of `reduce(_:_:)`, used by the store.
public func reduce(_ state: inout AppState, _ action: Action) -> [Effect] {
    switch action {
    case .sitesLoaded(let sites):
        return loadSites(&state, sites)

    case .selectSite(let name):
        if state.site(named: name) != nil { state.currentSite = name }
        return []

    case .tick(let now):
        state.now = now
        for (id, health) in state.health {
            if case .ok(let since, let staleAfter?) = health, now.timeIntervalSince(since) > staleAfter {
                state.health[id] = .stale(since: since)
            }
        }
        return []

    case .shutdown:
        let running = state.generations.keys.sorted()
        for id in running { state.generations[id, default: 0] += 1 }
        return running.map { .stopPoller($0) }

    case .hypervisorChanged(let tag, let change, let at):
        guard isCurrent(state, tag) else { return [] }
        apply(change, to: &state, backend: tag.backend)
        if case .ok(_, let staleAfter) = state.health[tag.backend] {
            state.health[tag.backend] = .ok(since: at, staleAfter: staleAfter)
        }
        return []

    case .locationsLoaded(let tag, let names):
        guard isCurrent(state, tag) else { return [] }
        state.locations[tag.backend] = names
        return []

    case .provisioningRefreshed(let tag, let counts, _):
        guard isCurrent(state, tag) else { return [] }
        state.provisioning[tag.backend] = counts
        return []

    case .mediaScanned(let tag, let images, _):
        guard isCurrent(state, tag) else { return [] }
        state.catalog = images
        state.scans[tag.backend] = nil
        return []

    case .mediaScanProgress(let tag, let progress):
        guard isCurrent(state, tag) else { return [] }
        state.scans[tag.backend] = progress.done < progress.total ? progress : nil
        return []

    case .backendReached(let tag, let at, let staleAfter):
        guard isCurrent(state, tag) else { return [] }
        if state.health[tag.backend]?.isFailing == true {
            notify(&state, .info, "\(tag.backend) is reachable again", at: at)
        }
        state.health[tag.backend] = .ok(since: at, staleAfter: staleAfter)
        return []

    case .backendFailed(let tag, let error, let at, let retryIn, let attempt):
        guard isCurrent(state, tag) else { return [] }
        state.scans[tag.backend] = nil
        var since = at
        if case .failing(_, let firstFailure, _, _) = state.health[tag.backend] {
            since = firstFailure
        } else {
            notify(&state, .error, "\(tag.backend): \(error.message)", at: at)
        }
        state.health[tag.backend] = .failing(error: error, since: since, retryAt: at.addingTimeInterval(retryIn),
                                             attempt: attempt)
        return []

    case .refresh(let id):
        return state.generations[id] == nil ? [] : [.pollNow(id)]

    case .machineCommand(let site, let machineID, let verb):
        let requestID = state.nextRequestID
        state.nextRequestID += 1
        guard let backend = state.machines.first(where: { $0.key.site == site && $0.value[machineID] != nil })?.key
        else {
            let error = BackendError(.notFound, backend: site, message: "no machine \(machineID) on site \(site)")
            state.requests[requestID] = .failed(error)
            notify(&state, .error, error.description, at: state.now)
            return []
        }
        state.requests[requestID] = .pending
        switch verb {
        case .start: state.machines[backend]?[machineID]?.powerState = .starting
        case .stop, .forceStop: state.machines[backend]?[machineID]?.powerState = .stopping
        case .reboot, .delete: break
        }
        return [.runMachineCommand(requestID: requestID, backend: backend, machineID: machineID, verb)]

    case .templateCommand(let site, let templateID, let verb):
        let requestID = state.nextRequestID
        state.nextRequestID += 1
        guard let backend = state.templates.first(where: { $0.key.site == site && $0.value[templateID] != nil })?.key
        else {
            let error = BackendError(.notFound, backend: site, message: "no template \(templateID) on site \(site)")
            state.requests[requestID] = .failed(error)
            notify(&state, .error, error.description, at: state.now)
            return []
        }
        state.requests[requestID] = .pending
        return [.runTemplateCommand(requestID: requestID, backend: backend, templateID: templateID, verb)]

    case .commandFinished(let requestID, let backend, let error, let at):
        guard state.requests[requestID] == .pending else { return [] }
        if let error {
            state.requests[requestID] = .failed(error)
            notify(&state, .error, error.description, at: at)
        } else {
            state.requests[requestID] = .succeeded
        }
        return state.generations[backend] == nil ? [] : [.pollNow(backend)]

    case .dismissNotification(let id):
        state.notifications.removeAll { $0.id == id }
        return []

    case .acknowledgeNotifications:
        for index in state.notifications.indices { state.notifications[index].acknowledged = true }
        return []

    case .installUpdated(let job):
        let previous = state.installs[job.id]
        state.installs[job.id] = job
        // A job seen running that is now finished, whichever process drove
        // it; jobs first seen finished are history and stay quiet.
        if let previous, !previous.phase.isFinished, let outcome = JobNotice.outcome(of: job.phase) {
            notifyJobEnded(&state, job, outcome)
        }
        return []

    case .installEvent(let jobID, let event):
        guard state.installs[jobID] != nil else { return [] }
        state.installs[jobID]?.events.append(event)
        if let count = state.installs[jobID]?.events.count, count > AppState.eventLimit {
            state.installs[jobID]?.events.removeFirst(count - AppState.eventLimit)
        }
        return []

    case .catalogLoaded(let images):
        state.catalog = images
        return []

    case .agentLinkChanged(let link):
        state.agent = link
        return []
    }
}

extension AppState {
    /// Events kept per install job; older ones live in the journal.
    public static let eventLimit = 500
    /// Notifications kept; the oldest fall off.
    public static let notificationLimit = 100
}

private func isCurrent(_ state: AppState, _ tag: PollerTag) -> Bool {
    state.generations[tag.backend] == tag.generation
}

private func loadSites(_ state: inout AppState, _ sites: [Site]) -> [Effect] {
    var effects: [Effect] = []
    let wanted = Set(sites.flatMap(\.backends))
    for id in state.generations.keys.sorted() where !wanted.contains(id) {
        effects.append(.stopPoller(id))
        state.generations[id] = nil
        state.health[id] = nil
        state.machines[id] = nil
        state.templates[id] = nil
        state.provisioning[id] = nil
    }
    state.sites = sites
    if state.currentSite.flatMap({ state.site(named: $0) }) == nil {
        state.currentSite = sites.first?.name
    }
    for id in sites.flatMap(\.backends) {
        let generation = (state.generations[id] ?? 0) + 1
        state.generations[id] = generation
        state.health[id] = .connecting
        effects.append(.startPoller(PollerTag(backend: id, generation: generation)))
    }
    return effects
}

private func apply(_ change: HypervisorChange, to state: inout AppState, backend: BackendID) {
    switch change {
    case .snapshot(let machines, let templates):
        state.machines[backend] = Dictionary(machines.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        state.templates[backend] = Dictionary(templates.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
    case .machineUpdated(let machine):
        state.machines[backend, default: [:]][machine.id] = machine
    case .machineRemoved(let id):
        state.machines[backend]?[id] = nil
    case .templateUpdated(let template):
        state.templates[backend, default: [:]][template.id] = template
    case .templateRemoved(let id):
        state.templates[backend]?[id] = nil
    }
}

private func notifyJobEnded(_ state: inout AppState, _ job: InstallJob, _ outcome: JobNotice.Outcome) {
    let name = job.machineName.isEmpty ? job.id : job.machineName
    let what = "install of \(name)"
    let text: String
    let level: Notification.Level
    switch outcome {
    case .succeeded: (text, level) = ("\(what) succeeded\(job.makeTemplate ? ": template ready" : "") (job \(job.id))", .info)
    case .failed: (text, level) = ("\(what) failed (job \(job.id))\(job.error.map { ": \($0)" } ?? "")", .error)
    case .cancelled: (text, level) = ("\(what) was cancelled (job \(job.id))", .warning)
    }
    let time = job.events.last.map { max($0.time, state.now) } ?? state.now
    notify(&state, level, text, at: time, job: JobNotice(jobID: job.id, outcome: outcome))
}

private func notify(_ state: inout AppState, _ level: Notification.Level, _ text: String, at time: Date, job: JobNotice? = nil) {
    state.notifications.append(Notification(id: state.nextNotificationID, time: time, level: level, text: text, job: job))
    state.nextNotificationID += 1
    if state.notifications.count > AppState.notificationLimit {
        state.notifications.removeFirst(state.notifications.count - AppState.notificationLimit)
    }
}
