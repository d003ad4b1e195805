import BackendKit
import Foundation
import VizorAgent
import VizorModel
import VizorStore
import VizorTUI

/// Journal-to-screen latency of install steps: the time from a step being
/// journaled (its start in the journal) to the dashboard's content showing
/// it. Two dashboards in miniature watch the same installs in the same run:
/// one reads the journal when the agent's event stream says a job changed
/// (the agent design), the other polls the journal every 2 s (the design
/// before the agent, kept as the backstop). The installs run in a real
/// `vizor agent run` (the `vizor` binary beside this one) against its lab.
enum AgentBench {
    static let installs = 4

    static func run() async throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("vizor").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            print("no vizor binary beside vizor-bench (\(binary)): build both (swift build -c release)")
            return
        }
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-bench-agent-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: home) }
        var environment = ProcessInfo.processInfo.environment
        for (key, dir) in [("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_STATE_HOME", "state"), ("XDG_CACHE_HOME", "cache")] {
            try FileManager.default.createDirectory(at: home.appendingPathComponent(dir), withIntermediateDirectories: true)
            environment[key] = home.appendingPathComponent(dir).path
        }
        environment["XDG_RUNTIME_DIR"] = nil
        environment["VIZOR_AGENT_SOCKET"] = nil
        environment["VIZOR_LAB_PACE"] = "20"
        environment["VIZOR_ADMIN_PASSWORD"] = "Bench-Passw0rd!2026"

        let agent = Process()
        agent.executableURL = URL(fileURLWithPath: binary)
        agent.arguments = ["agent", "run"]
        agent.environment = environment
        agent.standardOutput = FileHandle.nullDevice
        agent.standardError = FileHandle.nullDevice
        try agent.run()
        defer { if agent.isRunning { kill(agent.processIdentifier, SIGTERM); agent.waitUntilExit() } }
        let socket = home.appendingPathComponent("state/vizor/agent.sock").path
        let client = AgentClient(socketPath: socket)
        var up = false
        for _ in 0..<600 where !up {
            up = (try? await client.hello(timeout: .seconds(1))) != nil
            if !up { try await Task.sleep(for: .milliseconds(100)) }
        }
        guard up else { print("the agent did not answer on \(socket)"); return }
        let journal = try InstallJournal(url: home.appendingPathComponent("data/vizor/vizor.sqlite"))

        let watchers = await MainActor.run { () -> (push: Watcher, poll: Watcher) in
            let push = Watcher(journal: journal)
            let poll = Watcher(journal: journal)
            poll.feed.start(every: 2)
            return (push, poll)
        }
        let events = Task { @MainActor in
            do {
                for try await event in client.events(purpose: "bench") where event.kind == .job {
                    await watchers.push.feed.pollSoon()
                }
            } catch {}
        }

        for index in 0..<installs {
            let start = Process()
            start.executableURL = URL(fileURLWithPath: binary)
            start.arguments = ["install", "start", "--site", "lab", "--backend", index % 2 == 0 ? "xenserver" : "cloudstack"]
                + (index % 2 == 0 ? [] : ["--zone", "lab-zone-1", "--offering", "Medium Instance"])
                + ["--image", "Windows_Server_2022_x64_en-US.iso", "--edition", "2", "--hostname", "bench-\(index)"]
            start.environment = environment
            start.standardOutput = FileHandle.nullDevice
            start.standardError = FileHandle.nullDevice
            try start.run()
            start.waitUntilExit()
        }
        let deadline = Date().addingTimeInterval(300)
        while Date() < deadline {
            let jobs = try await journal.jobs()
            if jobs.count == installs, jobs.allSatisfy(\.status.isFinished) { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        try await Task.sleep(for: .seconds(2.5))   // one more poll of the 2 s design
        events.cancel()

        // The journal's time of each step's start, against what each watcher saw when.
        var starts: [String: Date] = [:]
        for job in try await journal.jobs() {
            for step in try await journal.steps(job.id) where step.attempt == 1 {
                starts["\(job.id)#\(Self.phase(step.step).rawValue)"] = step.startedAt
            }
        }
        let (push, poll) = await MainActor.run { (watchers.push.seen, watchers.poll.seen) }
        func latencies(_ seen: [String: Date]) -> [Double] {
            starts.compactMap { key, journaled in seen[key].map { max(0, $0.timeIntervalSince(journaled) * 1000) } }.sorted()
        }
        let pushed = latencies(push)
        let polled = latencies(poll)
        let succeeded = try await journal.jobs().filter { $0.status == .succeeded }.count
        print("\(installs) lab installs in one agent (\(succeeded) succeeded), \(starts.count) journaled step starts")
        print("design                                 shown   median ms      p99 ms      max ms")
        func row(_ name: String, _ values: [Double]) {
            print(name.padding(toLength: 38, withPad: " ", startingAt: 0)
                  + String(format: "%6d  %10.1f  %10.1f  %10.1f", values.count, percentile(values, 0.5), percentile(values, 0.99),
                           values.last ?? 0))
        }
        row("agent event stream (this design)", pushed)
        row("journal polled every 2 s (reference)", polled)
        if percentile(pushed, 0.99) > 0 {
            print(String(format: "p99 ratio, polling / event stream: %.1f×", percentile(polled, 0.99) / percentile(pushed, 0.99)))
        }
        print("(a step that began and ended between two polls is never shown by the polling design: \(starts.count - polled.count) of \(starts.count))")
        _ = try? await client.shutdown()
    }

    static func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * fraction).rounded(.up)))]
    }

    /// The phase the installs pane shows while a step runs (as `JournalFeed` maps it).
    static func phase(_ step: InstallStep) -> InstallPhase {
        switch step {
        case .exposeMedia: .exposingMedia
        case .renderArtefacts: .renderingArtefacts
        case .createContainer: .creatingMachine
        case .provision: .provisioning
        case .bootAndFollow: .installing
        case .template: .converting
        case .cleanup: .cleaningUp
        }
    }

    /// A dashboard in miniature: a store fed by the journal, and the time it
    /// first computed the installs pane's content showing each job's phase.
    @MainActor
    final class Watcher {
        let store: Store
        let feed: JournalFeed
        private(set) var seen: [String: Date] = [:]
        private var token: ObservationToken?

        init(journal: InstallJournal) {
            store = Store(runner: EffectRunner(backends: BackendSet()))
            feed = JournalFeed(journal: journal, store: store)
            token = store.observe { [weak self] state in
                let rows = ModelProjection.panes(state)[.installs]?.rows.count ?? 0
                guard rows > 0 else { return }
                let now = Date()
                for job in state.installs.values where self?.seen["\(job.id)#\(job.phase.rawValue)"] == nil {
                    self?.seen["\(job.id)#\(job.phase.rawValue)"] = now
                }
            }
        }
    }
}
