import BackendKit
import Foundation
import VizorProvisioning
import VizorStore

/// The seven steps of one job, each idempotent: before creating anything a
/// step looks for what an earlier attempt created (journaled identifiers
/// first, then Vizor's ownership tags and names), so a crash at any point
/// never leads to a second VM, template or Razor policy.
actor InstallStepRunner {
    /// Ownership tag carrying the job id on every VM and template Vizor creates.
    static let jobTag = "vizor.job"
    static let ownerTag = "vizor.owner"
    /// Backend name of errors the guest itself causes (a failed step, a hang): never retried as an outage.
    static let guestBackend = "guest"

    let jobID: String
    let request: InstallRequest
    let owner: String
    let journal: InstallJournal
    let clock: any ModelClock
    let configuration: OrchestratorConfiguration
    let backends: any InstallBackends
    private var media: MediaExposureHandle?
    private var published: PublishedArtefacts?

    init(jobID: String, request: InstallRequest, owner: String, orchestrator: InstallOrchestrator) {
        self.jobID = jobID
        self.request = request
        self.owner = owner
        journal = orchestrator.journal
        clock = orchestrator.clock
        configuration = orchestrator.configuration
        backends = orchestrator.backends
    }

    /// Names of everything the job creates, derived from its id so a re-run finds them.
    var containerName: String { "vizor-\(jobID)" }
    var razorName: String { "vizor-\(jobID)" }
    var ownerTags: [String: String] { [Self.jobTag: jobID, Self.ownerTag: "vizor"] }

    func run(_ step: InstallStep, job: JournalJob) async throws {
        switch step {
        case .exposeMedia: _ = try await exposeMedia()
        case .renderArtefacts: _ = try await render()
        case .createContainer: try await createContainer(job)
        case .provision: try await provision(job)
        case .bootAndFollow: try await bootAndFollow(job)
        case .template: try await makeTemplate(job)
        case .cleanup:
            try await teardown(job, removeTemplate: false)
            try configuration.failpoints.hit(.after, .cleanup)
        }
    }

    /// A resumed job serves its media and artefacts again from this process.
    func reattach(_ job: JournalJob) async throws {
        _ = try await render()
        if let node = job.resources["node"] { try await backends.artefacts.bind(jobID: jobID, node: node) }
    }

    private func record(_ step: InstallStep, _ values: [String: String]) async throws {
        try await journal.recordResources(jobID, step: step, owner: owner, values, now: clock.now())
    }

    private func log(_ message: String, severity: String = "info", source: String = "vizor") async throws {
        try await journal.appendLog(jobID, time: clock.now(), severity: severity, source: source, message: message)
    }

    // MARK: 1 + 2

    private func exposeMedia() async throws -> MediaExposureHandle {
        if let media { return media }
        let handle = try await backends.media.expose(imageID: request.imageID, isoPath: request.imagePath, job: jobID)
        try configuration.failpoints.hit(.after, .exposeMedia)
        var values = ["exposureID": handle.exposureID, "mediaURL": handle.httpURL]
        if let share = handle.smbShare { values["smbShare"] = share }
        try await record(.exposeMedia, values)
        media = handle
        return handle
    }

    private func render() async throws -> PublishedArtefacts {
        if let published { return published }
        let handle = try await exposeMedia()
        let artefacts = try await backends.artefacts.publish(jobID: jobID, request: request, media: handle)
        try configuration.failpoints.hit(.after, .renderArtefacts)
        try await record(.renderArtefacts, ["task": artefacts.taskName, "stages": String(artefacts.expectedStages.count)])
        published = artefacts
        return artefacts
    }

    // MARK: 3

    private func createContainer(_ job: JournalJob) async throws {
        let hypervisor = try await backends.hypervisor(site: request.site, kind: request.hypervisor)
        let existing = try await ownedMachines(hypervisor, job: job)
        if let keep = existing.first(where: { $0.id == job.resources["machineID"] }) ?? existing.first {
            for extra in existing where extra.id != keep.id {
                try await log("removing duplicate VM \(extra.id) left by an interrupted attempt", severity: "warn")
                try await destroyMachine(hypervisor, extra)
            }
            guard let mac = keep.macAddresses.first ?? job.resources["mac"] else {
                throw BackendError(.protocolViolation, backend: hypervisor.kind.rawValue,
                                   message: "VM \(keep.id) has no network interface", hint: "check the network of the site")
            }
            try await record(.createContainer, ["machineID": keep.id, "mac": mac.lowercased()])
            try await log("found VM \(keep.id) created by an earlier attempt")
            return
        }
        let spec = request.containerSpec(name: containerName, ownerTags: ownerTags)
        let created = try await hypervisor.createContainer(spec)
        try configuration.failpoints.hit(.after, .createContainer)
        try await record(.createContainer, ["machineID": created.machineID, "mac": created.mac.lowercased()])
        try await log("created VM \(created.machineID) (MAC \(created.mac))")
    }

    /// VMs this job created: by journaled id, by ownership tag, or by name (a crash between create and tag).
    private func ownedMachines(_ hypervisor: any Hypervisor, job: JournalJob) async throws -> [MachineRecord] {
        var found = try await hypervisor.findMachines(taggedWith: Self.jobTag, value: jobID)
        let templateID = job.resources["templateID"]
        if found.isEmpty {
            found = try await hypervisor.listMachines().filter { $0.name == containerName }
        }
        return found.filter { $0.id != templateID }
    }

    private func destroyMachine(_ hypervisor: any Hypervisor, _ machine: MachineRecord) async throws {
        do {
            if machine.powerState == .running || machine.powerState == .paused || machine.powerState == .starting {
                try await hypervisor.stop(machineID: machine.id, force: true)
            }
            try await hypervisor.destroy(machineID: machine.id)
        } catch let error as BackendError where error.kind == .notFound {}
    }

    // MARK: 4

    private func provision(_ job: JournalJob) async throws {
        let artefacts = try await render()
        let handle = try await exposeMedia()
        guard let mac = job.resources["mac"] else {
            throw BackendError(.invalidInput, backend: "vizor", message: "no MAC journaled for job \(jobID)", hint: "retry the job")
        }
        let server = try await backends.provisioning(site: request.site)
        let plan = ProvisioningPlan(repoName: razorName, repoURL: handle.httpURL, taskName: artefacts.taskName,
                                    taskDefinition: artefacts.taskDefinition, tagName: razorName, mac: mac,
                                    policyName: razorName, hostname: Self.hostname(request.machineName),
                                    rootPassword: artefacts.rootPassword, metadata: artefacts.metadata)
        let made = try await server.provision(plan)
        try configuration.failpoints.hit(.after, .provision)
        var values: [String: String] = [:]
        values["repo"] = made.repoName
        values["tag"] = made.tagName
        values["policy"] = made.policyName
        values["node"] = made.nodeName
        if let task = made.taskName { values["razorTask"] = task }
        try await record(.provision, values)
        if let node = made.nodeName { try await backends.artefacts.bind(jobID: jobID, node: node) }
        try await log("Razor repo, tag, node \(made.nodeName ?? "?") and policy \(made.policyName ?? "?") in place")
    }

    static func hostname(_ name: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-")
        let cleaned = String(name.lowercased().map { allowed.contains($0) ? $0 : "-" }).trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        // NetBIOS names are at most 15 characters and must not end with '-' after the cut either.
        let cut = String((cleaned.isEmpty ? "vizor" : cleaned).prefix(15)).trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        return cut.isEmpty ? "vizor" : cut
    }

    // MARK: 5

    private func bootAndFollow(_ job: JournalJob) async throws {
        let hypervisor = try await backends.hypervisor(site: request.site, kind: request.hypervisor)
        let server = try await backends.provisioning(site: request.site)
        let stages = try await render().expectedStages
        guard let machineID = job.resources["machineID"], let node = job.resources["node"] else {
            throw BackendError(.invalidInput, backend: "vizor", message: "job \(jobID) has no VM or Razor node journaled", hint: "retry the job")
        }
        var cursor = NodeLogCursor(seen: Int(job.resources["logCursor"] ?? "") ?? 0)
        var boots = Int(job.resources["boots"] ?? "") ?? 0
        var stageCount = Int(job.resources["stageCount"] ?? "") ?? 0
        var cdSwapped = job.resources["cdSwapped"] != nil
        var winPERunning = cdSwapped || job.resources["winPE"] != nil
        var finished = job.resources["sequenceFinished"] != nil
        var lastStage = job.resources["lastStage"]
        if let failed = job.resources["guestFailed"] {
            try await log("post-install step \(failed) failed before; restarting the guest to run the sequence again")
            let machine = try await machineState(hypervisor, machineID)
            if machine.powerState == .halted { try await hypervisor.start(machineID: machineID) } else {
                try await hypervisor.reboot(machineID: machineID)
            }
            try await journal.forgetResources(jobID, owner: owner, keys: ["guestFailed"], now: clock.now())
        }
        if job.resources["started"] == nil {
            let machine = try await machineState(hypervisor, machineID)
            if machine.powerState != .running { try await hypervisor.start(machineID: machineID) }
            try configuration.failpoints.hit(.after, .bootAndFollow)
            try await record(.bootAndFollow, ["started": "1"])
            try await log("VM \(machineID) started")
        }
        var lastChange = clock.now()
        var lastPower: PowerState?
        while true {
            if try await journal.job(jobID)?.cancelRequested == true { throw CancelRequested() }
            let read = try await server.readLog(node: node, after: cursor)
            var lines: [(time: Date, severity: String, source: String, message: String)] = []
            var failure: String?
            for entry in read.entries {
                lines.append((entry.timestamp, entry.severity, "razor", Self.describe(entry)))
                if entry.event == "boot" { boots += 1 }
                if Self.winPEEvents.contains(entry.event) || entry.fields["stage"] == "finished" { winPERunning = true }
                guard entry.event == "stage_done", let stage = entry.fields["stage"] else { continue }
                lastStage = stage
                if let index = stages.firstIndex(of: stage) { stageCount = max(stageCount, index + 1) }
                switch StageEvent(stageName: stage) {
                case .sequenceFinished?: finished = true
                case .stepFailed(let step)?: failure = step
                case .sequenceFailed?: failure = failure ?? lastStage ?? "post-install"
                default: break
                }
            }
            cursor = read.cursor
            if !read.entries.isEmpty {
                lastChange = clock.now()
                try await journal.appendLog(jobID, lines: lines)
                var values = ["logCursor": String(cursor.seen), "boots": String(boots), "stageCount": String(stageCount)]
                if finished { values["sequenceFinished"] = "1" }
                if let lastStage { values["lastStage"] = lastStage }
                if winPERunning { values["winPE"] = "1" }
                if let failure { values["guestFailed"] = failure }
                try await record(.bootAndFollow, values)
                let fraction = stages.isEmpty ? nil : Double(stageCount) / Double(stages.count)
                try await journal.setProgress(jobID, progress: fraction, subStage: lastStage)
            }
            if let failure {
                throw BackendError(.remoteFailure, backend: Self.guestBackend, message: "post-install step \(failure) failed",
                                   hint: "see `vizor install logs \(jobID)`; `vizor install retry \(jobID)` runs the sequence again")
            }
            // A process that resumes after the sequence ended has nothing to swap the CD for.
            if winPERunning, !cdSwapped, !finished, let tools = request.guestToolsISO {
                // WinPE runs from RAM: the iPXE CD is no longer needed, the tools ISO is for the post-install steps.
                try? await hypervisor.ejectCD(machineID: machineID)
                try await hypervisor.insertCD(machineID: machineID, iso: tools)
                cdSwapped = true
                try await record(.bootAndFollow, ["cdSwapped": "1"])
                try await log("WinPE is running: CD swapped to \(tools)")
            }
            let machine = try await machineState(hypervisor, machineID)
            if machine.powerState != lastPower {
                if lastPower != nil { lastChange = clock.now() }
                lastPower = machine.powerState
            }
            if finished, machine.powerState == .halted {
                try await log("post-install sequence finished and VM powered off")
                return
            }
            let quiet = clock.now().timeIntervalSince(lastChange)
            if quiet >= configuration.stallTimeout {
                throw BackendError(.timeout, backend: Self.guestBackend,
                                   message: "no install progress for \(InstallProgress.duration(quiet)) (last stage: \(lastStage ?? "none"), VM \(machine.powerState.rawValue))",
                                   hint: "open the VM console to see where it hangs; `vizor install cleanup \(jobID)` removes the job's leftovers")
            }
            try await clock.sleep(seconds: configuration.pollInterval)
        }
    }

    private func machineState(_ hypervisor: any Hypervisor, _ machineID: String) async throws -> MachineRecord {
        let mine = try await hypervisor.findMachines(taggedWith: Self.jobTag, value: jobID)
        if let machine = mine.first(where: { $0.id == machineID }) { return machine }
        if let machine = try await hypervisor.listMachines().first(where: { $0.id == machineID }) { return machine }
        throw BackendError(.notFound, backend: hypervisor.kind.rawValue, message: "VM \(machineID) of job \(jobID) has vanished",
                           hint: "someone removed it; `vizor install cleanup \(jobID)` then start again")
    }

    /// Node-log events that only a running WinPE produces (it fetches its second stage and templates).
    static let winPEEvents: Set<String> = ["get_raw_file", "get_file"]

    static func describe(_ entry: NodeLogEntry) -> String {
        var text = entry.event
        if let stage = entry.fields["stage"] { text += " \(stage)" }
        if let url = entry.fields["url"] ?? entry.fields["template"] { text += " \(url)" }
        if !entry.message.isEmpty { text += ": \(entry.message)" }
        return text
    }

    // MARK: 6

    private func makeTemplate(_ job: JournalJob) async throws {
        guard request.makeTemplate else { return }
        let hypervisor = try await backends.hypervisor(site: request.site, kind: request.hypervisor)
        var template = try await ownedTemplates(hypervisor, job: job).first
        if let template {
            try await log("found template \(template.id) made by an earlier attempt")
        } else {
            guard let machineID = job.resources["machineID"] else {
                throw BackendError(.invalidInput, backend: "vizor", message: "job \(jobID) has no VM journaled", hint: "retry the job")
            }
            let made = try await hypervisor.convertToTemplate(
                machineID: machineID,
                request: TemplateRequest(name: request.templateName, osType: request.osTemplate, makePublic: request.makePublic,
                                         featured: request.featured, instant: request.instant,
                                         copyToLocations: request.copyToLocations, ownerTags: ownerTags))
            try configuration.failpoints.hit(.after, .template)
            template = made
            try await log("template \(made.id) made from VM \(machineID)")
        }
        guard let template else { return }
        try await record(.template, ["templateID": template.id])
        // XenServer has no permissions: `instant` is set by the conversion itself.
        if hypervisor.kind == .cloudstack, request.makePublic || request.featured, template.isPublic != request.makePublic || template.isFeatured != request.featured {
            try await hypervisor.setPublished(templateID: template.id, isPublic: request.makePublic, featured: request.featured)
            try await log("template \(template.id) published (public: \(request.makePublic), featured: \(request.featured))")
        }
    }

    private func ownedTemplates(_ hypervisor: any Hypervisor, job: JournalJob) async throws -> [TemplateRecord] {
        let all = try await hypervisor.listTemplates()
        return all.filter { $0.id == job.resources["templateID"] || $0.tags[Self.jobTag] == jobID }
    }

    // MARK: 7

    /// Removes the Razor artefacts and the exposure; the VM too unless it is the product
    /// (a VM install) or became the template (XenServer); the template only on cancel or clean-up.
    func teardown(_ job: JournalJob, removeTemplate: Bool) async throws {
        let server = try await backends.provisioning(site: request.site)
        // The task Vizor defined for the job (never an operator's stock task); Razor keeps it, having no delete-task.
        let stockTask = request.options["razorTask"].flatMap { $0.isEmpty ? nil : $0 }
        let task = job.resources["razorTask"] ?? (stockTask == nil ? razorName : nil)
        try await server.remove(ProvisionedArtefacts(repoName: job.resources["repo"] ?? razorName, taskName: task,
                                                     tagName: job.resources["tag"] ?? razorName,
                                                     policyName: job.resources["policy"] ?? razorName,
                                                     nodeName: job.resources["node"]))
        await backends.artefacts.revoke(jobID: jobID)
        try await backends.media.release(imageID: request.imageID, job: jobID)
        let hypervisor = try await backends.hypervisor(site: request.site, kind: request.hypervisor)
        let keepVM = !removeTemplate && !request.makeTemplate
        if !keepVM {
            for machine in try await ownedMachines(hypervisor, job: job) { try await destroyMachine(hypervisor, machine) }
        }
        if removeTemplate {
            for template in try await ownedTemplates(hypervisor, job: job) {
                do { try await hypervisor.deleteTemplate(templateID: template.id) } catch let error as BackendError where error.kind == .notFound {}
            }
        }
        var gone = ["repo", "tag", "policy", "node", "exposureID", "mediaURL", "smbShare"]
        if !keepVM { gone.append("machineID") }
        if removeTemplate { gone.append("templateID") }
        try await journal.forgetResources(jobID, owner: owner, keys: gone, now: clock.now())
        try await log("Razor artefacts, exposure\(keepVM ? "" : " and VM") removed")
    }
}
