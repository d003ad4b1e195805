import BackendKit
import Foundation
import VizorMedia
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
    /// Tells the operator (a flash through the loop's mailbox) when driving a job fails outside the journal.
    let announce: @MainActor (String) -> Void
    private var session: InstallSession?
    private var drivers: [String: Task<Void, Never>] = [:]

    init(runtime: VizorRuntime, session: InstallSession? = nil, announce: @escaping @MainActor (String) -> Void) {
        self.runtime = runtime
        self.session = session
        self.announce = announce
    }

    /// The request for the wizard's values, through the mapping the CLI and
    /// batch plans share (`InstallChoices`): OS template from the edition, the
    /// backend's default network, UI language, product key, language packs
    /// from the catalog, custom step files read now.
    static func request(_ values: [String: String], edition: EditionChoice, defaultSite: String,
                        catalog: [MediaImage]) throws -> InstallRequest {
        try Wizard.choices(values, edition: edition, defaultSite: defaultSite)
            .request(available: InstallChoices.languagePacks(in: catalog))
    }

    /// Journals the job's secret, then submits and drives it in the background.
    /// Returns the flash text (the job id, or why nothing started).
    func start(_ values: [String: String], edition: EditionChoice?) -> String {
        guard let edition else { return "no image edition chosen; nothing was started" }
        guard let password = values["password"], !password.isEmpty else { return "no Administrator password; nothing was started" }
        let request: InstallRequest
        let session: InstallSession
        do {
            var made = try Self.request(values, edition: edition, defaultSite: runtime.store.state.sites.first?.name ?? "lab",
                                        catalog: runtime.store.state.catalog)
            // The configuration's boot_iso.name (the wizard has no field for it).
            if let name = runtime.config?.bootISO.name { made.bootISO = name }
            request = made
            guard let started = self.session else {
                return "cannot start the install: the install machinery did not start (see the log)"
            }
            session = started
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
        // The end of the job reaches the operator as a notification from the
        // journal feed (as for jobs other processes drive); only a failure
        // outside the journal is announced here.
        let connected = runtime.connected
        drivers[jobID] = Task { @MainActor [weak self] in
            do {
                if let missing = await BootISOPublisher.missing(connected, site: request.site, kind: request.hypervisor,
                                                                name: request.bootISO) {
                    secrets.remove(job: jobID)
                    self?.announce("install \(jobID) refused, nothing was created: \(missing.operatorText)")
                    self?.drivers[jobID] = nil
                    return
                }
                _ = try await orchestrator.submit(request, id: jobID)
                let finished = try await orchestrator.runAll([jobID])
                if let job = finished.first(where: { $0.id == jobID }), job.status != .failed { secrets.remove(job: jobID) }
            } catch {
                self?.announce("install \(jobID) failed: \(error)")
            }
            self?.drivers[jobID] = nil
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
