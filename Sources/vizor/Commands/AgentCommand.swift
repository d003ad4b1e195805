import ArgumentParser
import BackendKit
import Foundation
import Logging
import VizorAgent
import VizorModel
import VizorStore

/// `vizor agent`: the per-user process that drives installs and keeps the
/// sites' pollers (and, with no configuration, the lab) beyond any terminal.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "The Vizor agent: drives installs and serves the dashboards and the CLI over a Unix socket.",
        discussion: helpText(
            "Any vizor command that needs the agent starts it when none answers; it then exits after 10 minutes with no job and no client. Under systemd (`vizor agent run`) it never exits by itself. Its socket is $XDG_RUNTIME_DIR/vizor/agent.sock, else agent.sock in the XDG state directory; its log is agent.log in the XDG state directory.",
            examples: ["vizor agent status", "vizor agent restart"]),
        subcommands: [Run.self, Start.self, Stop.self, Restart.self, Status.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the agent in the foreground (what systemd and the auto-start run).",
            discussion: helpText("Stops on SIGINT or SIGTERM, or after --idle-exit seconds with no job and no client. Jobs it was driving stay in the journal where they are; the next agent takes them up.",
                                 examples: ["vizor agent run", "vizor agent run --idle-exit 600"]))
        @Option(name: .long, help: "Exit after this many seconds with no job and no client (default: never).")
        var idleExit: Double?
        @Option(name: .long, help: "A group whose members may use the agent too (a shared appliance); the socket becomes 0660.")
        var group: String?

        func validate() throws {
            if let idleExit, idleExit < 1 { throw ValidationError("--idle-exit must be at least 1 second") }
        }

        mutating func run() async throws {
            let signals = await TerminationSignals.trap()
            try await Self.execute(idleExit: idleExit, group: group, signals: signals)
        }

        @MainActor static func execute(idleExit: TimeInterval?, group: String?, signals: TerminationSignals) async throws {
            var policy = AgentPeerPolicy()
            if let group {
                guard let entry = getgrnam(group) else { throw CLIError(.usage, "--group \(group): no such group") }
                policy.groupID = entry.pointee.gr_gid
            }
            let paths = AgentPaths()
            let logger = Logger(label: "vizor.agent")
            let runtime: VizorRuntime
            do {
                runtime = try await VizorRuntime.start(paths: XDGPaths(), resolver: SecretResolver(redactor: CLIEnvironment.redactor),
                                                       settings: PollerSettings(requestTimeout: 15))
            } catch let errors as ConfigErrors {
                throw CLIError(.failure, "the configuration is invalid:\n" + errors.description)
            } catch let error as BackendError {
                throw CLIError(ExitStatus(error), error.operatorText)
            }
            let session = try await InstallSession.start(runtime, owner: AgentRevival.agentOwner())
            let host = AgentHost(runtime: runtime, session: session, idleExit: idleExit)
            let server: AgentServer
            do {
                server = try await AgentServer.start(service: host, paths: paths, policy: policy, logger: logger)
            } catch let error as BackendError {
                await session.serving.stop()
                await runtime.stop()
                throw CLIError(error.kind == .conflict ? .failure : ExitStatus(error), error.operatorText)
            }
            host.socketPath = server.socketPath
            host.start()
            SystemdNotify.send("READY=1\nMAINPID=\(getpid())")
            let banner = "vizor agent \(BuildInfo.version) pid \(getpid()) listening on \(server.socketPath)"
                + (runtime.lab != nil ? " (lab)" : "") + (idleExit.map { ", idle exit after \(Int($0)) s" } ?? "")
            logger.info("\(banner)")
            FileHandle.standardOutput.write(Data((banner + "\n").utf8))
            await signals.run(until: { await host.waitUntilEnded() })
            SystemdNotify.send("STOPPING=1")
            logger.info("agent stopping")
            await host.stop()
            await server.stop()
            await session.serving.stop()
            await runtime.stop()
        }
    }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start the agent in the background unless one runs.",
            discussion: helpText("The started agent exits after --idle-exit seconds with no job and no client.",
                                 examples: ["vizor agent start", "vizor agent start --idle-exit 3600 --json"]))
        @Option(name: .long, help: "Seconds with no job and no client before the agent exits (default: $VIZOR_AGENT_IDLE_EXIT, else 600).")
        var idleExit: Double?
        @Flag(name: .long, help: "Print the agent's status as JSON.") var json = false

        mutating func run() async throws {
            let client = try await agentClient(idleExit: idleExit)
            let status = try await call { try await client.status() }
            if json { try printJSON(status) } else { print("agent running: pid \(status.hello.pid), socket \(client.socketPath)") }
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop the agent; the jobs it drives stay in the journal and resume with the next agent.",
            discussion: helpText("Exits 0 when no agent was running.", examples: ["vizor agent stop"]))

        mutating func run() async throws {
            let launcher = AgentLauncher()
            guard let client = try await call({ try await launcher.running() }) else {
                print("no agent was running")
                return
            }
            let pid = try await call { try await client.hello() }.pid
            try await stopAgent(client, pid: pid)
            print("agent stopped (pid \(pid))")
        }
    }

    struct Restart: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop the agent and start one of this vizor's version.",
            discussion: helpText("What to run after upgrading vizor, or when a client says the agent speaks another protocol.",
                                 examples: ["vizor agent restart"]))
        @Option(name: .long, help: "Seconds with no job and no client before the new agent exits (default: $VIZOR_AGENT_IDLE_EXIT, else 600).")
        var idleExit: Double?

        mutating func run() async throws {
            let launcher = AgentLauncher()
            let path = try call { try launcher.paths.checkedSocketPath() }
            // Any agent, even one of another protocol: hello is the same in every version.
            if let hello = try? await AgentClient(socketPath: path).hello(timeout: .seconds(2)) {
                try await stopAgent(AgentClient(socketPath: path), pid: hello.pid)
            }
            let client = try await agentClient(idleExit: idleExit)
            let hello = try await call { try await client.hello() }
            print("agent running: pid \(hello.pid), socket \(client.socketPath)")
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the agent: pid, uptime, version, sites and their health, the jobs it drives, connected clients.",
            discussion: helpText("Exits 3 when no agent runs (it does not start one).", examples: ["vizor agent status", "vizor agent status --json"]))
        @Flag(name: .long, help: "Print the status as JSON.") var json = false

        mutating func run() async throws {
            let launcher = AgentLauncher()
            guard let client = try await call({ try await launcher.running() }) else {
                throw CLIError(.notFound, "no agent runs (its socket would be \(launcher.paths.socket.path)); `vizor agent start` starts one")
            }
            let status = try await call { try await client.status() }
            if json { try printJSON(status); return }
            print("pid        \(status.hello.pid)")
            print("version    \(status.hello.vizorVersion) (protocol \(status.hello.protocolVersion))")
            print("uptime     \(Self.duration(status.uptimeSeconds))")
            print("socket     \(client.socketPath)")
            print("idle exit  \(status.idleExitSeconds.map { "after \(Int($0)) s with no job and no client" } ?? "never")")
            print("lab        \(status.lab ? "yes (no configuration)" : "no")")
            printTable(["SITE", "BACKEND", "HEALTH"], status.sites.flatMap { site in
                site.backends.map { [site.name, $0.kind, $0.health + ($0.message.map { ": \($0)" } ?? "")] }
            })
            print("")
            printTable(["JOB", "STATUS", "STEP", "SITE"], status.jobs.map { [$0.id, $0.status, $0.step, $0.site] })
            print("")
            printTable(["CLIENT", "PURPOSE", "PID", "SINCE"], status.clients.map {
                [String($0.id), $0.purpose, $0.pid.map(String.init) ?? "", ISO8601DateFormatter().string(from: $0.connectedAt)]
            })
        }

        static func duration(_ seconds: Double) -> String {
            let total = Int(seconds)
            return total >= 3600 ? "\(total / 3600) h \(total % 3600 / 60) min" : total >= 60 ? "\(total / 60) min \(total % 60) s" : "\(total) s"
        }
    }
}

/// Asks the agent to stop and waits (30 s at most) until its process is gone.
func stopAgent(_ client: AgentClient, pid: Int32) async throws {
    try await call { try await client.shutdown() }
    let deadline = Date().addingTimeInterval(30)
    while Date() < deadline, kill(pid, 0) == 0 { try await Task.sleep(for: .milliseconds(50)) }
    guard kill(pid, 0) != 0 else { throw CLIError(.failure, "the agent (pid \(pid)) did not stop within 30 s") }
}

/// The user's agent, started now when none answers (exit 4 when none can
/// start). An agent started here never inherits the variable holding the
/// Administrator password (`VIZOR_ADMIN_PASSWORD`, or the one this command's
/// `--password-env` names).
/// - Parameter afterADeath: the agent is started again after one died under
///   this command: it does not inherit `VIZOR_FAILPOINTS` (that killed it).
/// - Parameter idleExit: the started agent's idle exit; nil: `VIZOR_AGENT_IDLE_EXIT`, else 600 s.
func agentClient(idleExit: TimeInterval? = nil, afterADeath: Bool = false) async throws -> AgentClient {
    let configured = ProcessInfo.processInfo.environment["VIZOR_AGENT_IDLE_EXIT"].flatMap(Double.init).flatMap { $0 >= 1 ? $0 : nil }
    var launcher = AgentLauncher(idleExit: idleExit ?? configured ?? 600)
    if afterADeath { launcher.withheld.insert("VIZOR_FAILPOINTS") }
    let arguments = CommandLine.arguments
    for (index, argument) in arguments.enumerated() {
        if argument == "--password-env", index + 1 < arguments.count { launcher.withheld.insert(arguments[index + 1]) }
        if argument.hasPrefix("--password-env=") { launcher.withheld.insert(String(argument.dropFirst("--password-env=".count))) }
    }
    do {
        return try await launcher.connect()
    } catch let error as BackendError {
        throw CLIError(ExitStatus(error), "cannot reach or start the Vizor agent: " + error.operatorText)
    }
}

/// Hands a job to the agent. An agent that started before the configuration
/// changed refuses it and exits; the job then goes to a new agent, started
/// now, that reads the new configuration.
func submitToAgent(_ submission: AgentSubmission) async throws -> JournalJob {
    for attempt in 1...2 {
        let agent = try await agentClient()
        do {
            return try await agent.submit(submission)
        } catch let error as BackendError where error.kind == .conflict && attempt == 1 && error.message.contains("configuration changed") {
            let deadline = Date().addingTimeInterval(15)
            while Date() < deadline, (try? await AgentLauncher().running()) != nil { try await Task.sleep(for: .milliseconds(100)) }
        } catch let error as BackendError {
            throw CLIError(ExitStatus(error), "the agent did not take the job: " + error.operatorText)
        }
    }
    throw CLIError(.failure, "the agent did not take the job")
}
