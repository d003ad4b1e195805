import ArgumentParser
import BackendKit
import Foundation
import Logging
import VizorAgent
import VizorModel
import VizorStore
import VizorTUI

/// Opens the dashboard: starts the model (the configuration's sites, or the
/// embedded lab when there is none), takes the terminal, and runs the
/// dashboard on the main actor until the operator quits. The terminal is
/// given back on every way out (normal exit, SIGINT/SIGTERM/SIGHUP through
/// the loop, fatal signals through the terminal's crash handler).
enum Dashboard {
    @MainActor
    /// - Parameter mouse: `--mouse` / `--no-mouse`; nil follows the configuration's `ui.mouse` (off by default).
    static func run(mouse: Bool? = nil) async throws {
        let runtime: VizorRuntime
        do {
            runtime = try await VizorRuntime.start(paths: XDGPaths(), resolver: SecretResolver(redactor: CLIEnvironment.redactor),
                                                   sharedLab: agentLab)
        } catch let errors as ConfigErrors {
            throw CLIError(.failure, "the configuration is invalid:\n" + errors.description)
        } catch let error as BackendError {
            throw CLIError(ExitStatus(error), error.operatorText)
        }
        runtime.store.startTicking()
        let terminal: NcursesTerminal
        do {
            var options = NcursesTerminal.Options()
            options.mouse = MouseSetting.enabled(flag: mouse, configured: runtime.config?.ui.mouse)
            terminal = try NcursesTerminal.start(options)
        } catch let error as NcursesTerminal.StartError {
            FileHandle.standardError.write(Data("vizor: \(error.description)\n".utf8))
            throw ExitCode(2)
        }
        defer { terminal.stop() }
        let store = runtime.store
        let shell = ShellStore(state: DashboardProgram.initialShellState(size: terminal.size))
        let loop = MainLoop<DashboardProgram.Message>(terminal: terminal)
        let program = DashboardProgram(shell: shell, logCapacity: runtime.config?.ui.logLines ?? UIConfig().logLines,
                                       source: { store.state }, dispatch: { store.send($0) })
        program.wizardMemory = WizardMemory(directory: runtime.paths.state.appendingPathComponent("wizard"))
        program.installDefaults = runtime.config?.installDefaults ?? InstallDefaults()
        let token = DashboardProgram.observing(store, mailbox: loop.mailbox)
        // Install jobs come from the journal: history across restarts, and
        // live progress of jobs any vizor process drives.
        let journal = try? InstallJournal(url: InstallJournal.defaultURL(paths: runtime.paths))
        let feed = journal.map { JournalFeed(journal: $0, store: store) }
        // Retry and cancel are journal requests, as `vizor install retry|cancel`
        // writes them; clean-up runs through this process's orchestrator.
        let session = try? await InstallSession.start(runtime)
        if let session {
            let secrets = session.secrets
            let orchestrator = session.orchestrator
            program.installControl = JournalInstallControl(journal: session.journal, cleanup: { id in
                let job = try await orchestrator.cleanup(id)
                secrets.remove(job: job.id)
                return job
            })
        } else {
            program.installControl = journal.map { JournalInstallControl(journal: $0) }
        }
        let mailbox = loop.mailbox
        program.post = { mailbox.send($0) }
        // The wizard's F10: the agent journals the job and drives it.
        let installs = DashboardInstalls(runtime: runtime) { mailbox.send(.shell(.flash($0))) }
        program.startInstall = { installs.start($0, edition: $1) }
        // A subscription to the agent while the dashboard is open: the agent
        // counts it as a client (it does not exit idle under an open dashboard).
        let presence = AgentPresence(purpose: "dashboard", onChange: { open in
            store.send(.agentLinkChanged(open ? .connected(since: Date()) : .reconnecting(since: Date())))
        }, onJob: {
            // A job changed in the agent: read the journal now (the poll every 2 s stays as a backstop).
            if let feed { Task { await feed.pollSoon() } }
        })
        presence.start()
        feed?.start()
        await loop.run(program)
        let logger = Logger(label: "vizor.dashboard")
        logger.info("dashboard closing")
        feed?.stop()
        await installs.stop()
        logger.debug("hand-overs to the agent done")
        presence.stop()
        await session?.serving.stop()
        logger.debug("install serving stopped")
        token.cancel()
        store.shutdown()
    }
}
