import BackendKit
import VizorAgent
import Foundation
import VizorMedia
import VizorModel
import VizorTUI

/// Starts installs from the dashboard's wizard: maps the wizard's values to
/// the same `InstallRequest` `vizor install start` builds and hands the job,
/// with its Administrator password, to the Vizor agent over its socket. The
/// agent journals and drives it, so quitting the dashboard or losing its
/// terminal never stops a job; the installs pane (fed by the journal) shows
/// it live.
@MainActor
final class DashboardInstalls {
    let runtime: VizorRuntime
    /// Tells the operator (a flash through the loop's mailbox) how the hand-over went.
    let announce: @MainActor (String) -> Void
    private var submissions: [String: Task<Void, Never>] = [:]

    init(runtime: VizorRuntime, announce: @escaping @MainActor (String) -> Void) {
        self.runtime = runtime
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

    /// Hands the job to the agent in the background (the UI loop never
    /// waits on the socket). Returns the flash text (the job id, or why nothing started).
    func start(_ values: [String: String], edition: EditionChoice?) -> String {
        guard let edition else { return "no image edition chosen; nothing was started" }
        guard let password = values["password"], !password.isEmpty else { return "no Administrator password; nothing was started" }
        let request: InstallRequest
        do {
            var made = try Self.request(values, edition: edition, defaultSite: runtime.store.state.sites.first?.name ?? "lab",
                                        catalog: runtime.store.state.catalog)
            // The configuration's boot_iso.name (the wizard has no field for it).
            if let name = runtime.config?.bootISO.name { made.bootISO = name }
            request = made
        } catch {
            return "cannot start the install: \(error)"
        }
        let jobID = InstallOrchestrator.newJobID()
        let submission = AgentSubmission(id: jobID, request: request, administratorPassword: password)
        let connected = runtime.connected
        submissions[jobID] = Task { @MainActor [weak self] in
            do {
                // A site without its boot ISO is refused before anything is created.
                if let missing = await BootISOPublisher.missing(connected, site: request.site, kind: request.hypervisor,
                                                                name: request.bootISO) {
                    self?.announce("install \(jobID) refused, nothing was created: \(missing.operatorText)")
                    self?.submissions[jobID] = nil
                    return
                }
                _ = try await submitToAgent(submission)
            } catch let error as CLIError {
                self?.announce("install \(jobID) was not started: \(error.message)")
            } catch let error as BackendError {
                self?.announce("install \(jobID) was not started: \(error.operatorText)")
            } catch {
                self?.announce("install \(jobID) was not started: \(error)")
            }
            self?.submissions[jobID] = nil
        }
        return "install job \(jobID) for \(request.machineName) on \(request.hypervisor.rawValue) handed to the agent; see the installs pane"
    }

    /// Waits for hand-overs in flight (a job handed over is the agent's: quitting never stops it).
    func stop() async {
        for task in submissions.values { await task.value }
        submissions = [:]
    }
}
