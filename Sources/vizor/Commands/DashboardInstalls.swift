import BackendKit
import Foundation
import VizorModel
import VizorTUI

/// Starts installs from the dashboard's wizard: maps the wizard's values to
/// the same `InstallRequest` `vizor install start` builds, keeps the
/// Administrator password in the job's secret store (never the journal),
/// submits the job and drives it in a background task of this process, so
/// the installs pane (fed by the journal) shows it live while the UI loop
/// keeps running. The dashboard's install session is shared when it has one;
/// otherwise one is made on the first install.
@MainActor
final class DashboardInstalls {
    let runtime: VizorRuntime
    /// Tells the operator (a flash through the loop's mailbox) when a job ends.
    let announce: @MainActor (String) -> Void
    private var session: InstallSession?
    private var drivers: [String: Task<Void, Never>] = [:]

    init(runtime: VizorRuntime, session: InstallSession? = nil, announce: @escaping @MainActor (String) -> Void) {
        self.runtime = runtime
        self.session = session
        self.announce = announce
    }

    /// The request for the wizard's values, with the CLI's defaults for what
    /// the wizard does not ask (firmware, install template, boot and tools ISOs).
    static func request(_ values: [String: String], edition: EditionChoice, defaultSite: String) throws -> InstallRequest {
        guard let kind = HypervisorKind(rawValue: values["backend"] ?? "") else {
            throw BackendError(.invalidInput, backend: values["backend"] ?? "", message: "the wizard's hypervisor must be xenserver or cloudstack")
        }
        let hostname = values["hostname"] ?? ""
        var options = ["locale": values["locale"] ?? "en-US", "timeZone": values["timeZone"] ?? "UTC", "hostname": hostname]
        if let keyboard = values["keyboard"], !keyboard.isEmpty { options["keyboard"] = keyboard }
        // The wizard's "default" network is the backend's own choice: the
        // CLI's empty --network.
        let network = values["network"].map { $0 == "default" ? "" : $0 } ?? ""
        let makeTemplate = values["template"] == "yes"
        let templateName = values["templateName"].flatMap { $0.isEmpty ? nil : $0 }
        return InstallRequest(
            site: values["site"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultSite, hypervisor: kind, location: values["location"] ?? "",
            network: network, serviceOffering: nil, diskOffering: nil,
            vcpus: Int(values["vcpus"] ?? "") ?? 2, memoryMiB: Int(values["memory"] ?? "") ?? 4096, diskGiB: Int(values["disk"] ?? "") ?? 40,
            firmware: .bios, osTemplate: "Windows Server 2022 (64-bit)", bootISO: "ipxe.iso",
            guestToolsISO: values["guestTools"] == "no" ? nil : "guest-tools.iso",
            imageID: edition.imageID, imagePath: edition.imagePath, editionIndex: edition.index, editionName: edition.label,
            machineName: hostname, makeTemplate: makeTemplate, templateName: makeTemplate ? templateName : nil,
            makePublic: makeTemplate && values["public"] == "yes", featured: makeTemplate && values["featured"] == "yes",
            instant: false, copyToLocations: [], options: options)
    }

    /// Journals the job's secret, then submits and drives it in the background.
    /// Returns the flash text (the job id, or why nothing started).
    func start(_ values: [String: String], edition: EditionChoice?) -> String {
        guard let edition else { return "no image edition chosen; nothing was started" }
        guard let password = values["password"], !password.isEmpty else { return "no Administrator password; nothing was started" }
        let request: InstallRequest
        let session: InstallSession
        do {
            request = try Self.request(values, edition: edition, defaultSite: runtime.store.state.sites.first?.name ?? "lab")
            session = try self.session ?? InstallSession.start(runtime)
        } catch {
            return "cannot start the install: \(error)"
        }
        self.session = session
        let jobID = InstallOrchestrator.newJobID()
        do {
            try session.secrets.save(JobSecrets(administratorPassword: password), job: jobID)
        } catch {
            return "cannot keep the Administrator password: \(error); nothing was started"
        }
        let orchestrator = session.orchestrator
        let secrets = session.secrets
        drivers[jobID] = Task { @MainActor [weak self] in
            let outcome: String
            do {
                _ = try await orchestrator.submit(request, id: jobID)
                let finished = try await orchestrator.runAll([jobID])
                if let job = finished.first(where: { $0.id == jobID }) {
                    if job.status != .failed { secrets.remove(job: jobID) }
                    let template = job.resources["templateID"].map { ", template \($0)" } ?? ""
                    outcome = "install \(jobID) \(job.status.rawValue)\(template)\(job.error.map { ": \($0)" } ?? "")"
                } else {
                    outcome = "install \(jobID) ended"
                }
            } catch {
                outcome = "install \(jobID) failed: \(error)"
            }
            self?.drivers[jobID] = nil
            self?.announce(outcome)
        }
        return "install job \(jobID) started for \(request.machineName) on \(request.hypervisor.rawValue); see the installs pane"
    }

    /// Stops driving (the jobs stay in the journal; `vizor install resume` continues them).
    func stop() async {
        for task in drivers.values { task.cancel() }
        drivers = [:]
        await session?.serving.stop()
    }
}
