import ArgumentParser
import BackendKit
import Foundation
import VizorModel
import VizorStore

/// `vizor install`: the install journal from the command line.
struct InstallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Start, resume, list, inspect, follow, cancel, retry and clean up install jobs.",
        discussion: "Jobs live in the install journal ($XDG_DATA_HOME/vizor/vizor.sqlite); any vizor process can resume them.",
        subcommands: [Start.self, Resume.self, List.self, Show.self, Logs.self, Cancel.self, Retry.self, Cleanup.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List install jobs, newest first.",
            discussion: helpText("With --json, each job carries its request as a nested object.",
                                 examples: ["vizor install list --active", "vizor install list --site prod --json | jq '.[].request.machineName'"]))
        @Flag(name: .long, help: "Only queued, running and cancelling jobs.") var active = false
        @Option(name: .long, help: "Only jobs of this site.", completion: .custom(siteCompletions)) var site: String?
        @Flag(name: .long, help: "Print JSON.") var json = false

        mutating func run() async throws {
            let journal = try openJournal()
            let jobs = try await call { try await journal.jobs(unfinishedOnly: active, site: site) }
            try await output(jobs, journal: journal)
            // What is, first; then a new agent for jobs whose agent died.
            await AgentRevival.reviveIfNeeded(journal)
        }

        func output(_ jobs: [JournalJob], journal: InstallJournal) async throws {
            if json { try printJSON(jobs.map(JobOutput.init)); return }
            let now = Date()
            var rows: [[String]] = []
            for job in jobs {
                let history = try await call { try await journal.durations(imageKey: job.imageKey) }
                let progress = InstallProgress(job: job, history: history, now: now)
                rows.append([job.id, job.site, job.hypervisor, job.status.rawValue, progress.line,
                             job.isLeased(at: now) ? (job.leaseOwner ?? "") : "-"])
            }
            printTable(["JOB", "SITE", "HYPERVISOR", "STATUS", "PROGRESS", "DRIVEN BY"], rows)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one job: steps, identifiers, progress.",
            discussion: helpText("A job id prefix is enough when it is unique.", examples: ["vizor install show 7f3c", "vizor install show 7f3c --json"]))
        @Argument(help: "Job id or a unique prefix.", completion: .custom(jobCompletions)) var job: String
        @Flag(name: .long, help: "Print JSON.") var json = false

        mutating func run() async throws {
            let journal = try openJournal()
            try await show(journal)
            // What is, first; then a new agent for jobs whose agent died.
            await AgentRevival.reviveIfNeeded(journal)
        }

        func show(_ journal: InstallJournal) async throws {
            let wanted = self.job
            let job = try await call { try await journal.resolve(wanted) }
            let steps = try await call { try await journal.steps(job.id) }
            let history = try await call { try await journal.durations(imageKey: job.imageKey) }
            let progress = InstallProgress(job: job, history: history, now: Date())
            if json {
                try printJSON(ShowOutput(job: JobOutput(job: job), steps: steps, progress: progress))
                return
            }
            print("job        \(job.id)")
            print("site       \(job.site) (\(job.hypervisor))")
            print("image      \(job.imageKey)")
            print("status     \(job.status.rawValue)\(job.cancelRequested ? " (cancel requested)" : "")")
            print("progress   \(progress.line)")
            if let error = job.error { print("error      \(error)") }
            if let owner = job.leaseOwner, job.isLeased(at: Date()) { print("driven by  \(owner)") }
            for key in job.resources.keys.sorted() { print("  \(key) = \(job.resources[key] ?? "")") }
            printTable(["STEP", "ATTEMPT", "OUTCOME", "BY", "ERROR"],
                       steps.map { [$0.step.title, String($0.attempt), $0.outcome.rawValue, $0.owner, $0.error ?? ""] })
        }
    }

    struct Logs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a job's log (steps and Razor node-log entries).",
            discussion: helpText("With --json each line is one JSON object (JSON Lines): sequence, jobID, time, severity, source, message; with --follow too, one line as each entry is journaled.",
                                 examples: ["vizor install logs 7f3c --follow", "vizor install logs 7f3c --follow --json | jq -r .message"]))
        @Argument(help: "Job id or a unique prefix.", completion: .custom(jobCompletions)) var job: String
        @Flag(name: [.short, .long], help: "Keep printing new lines until the job ends.") var follow = false
        @Flag(name: .long, help: "One JSON object per line (JSON Lines).") var json = false

        mutating func run() async throws {
            let journal = try openJournal()
            await AgentRevival.reviveIfNeeded(journal)
            let wanted = self.job
            let id = try await call { try await journal.resolve(wanted) }.id
            var last: Int64 = 0
            let formatter = ISO8601DateFormatter()
            let json = self.json
            func emit(_ line: JournalLogLine) throws {
                if json { try printJSONLine(line); return }
                let text = "\(formatter.string(from: line.time)) \(line.severity.padding(toLength: 5, withPad: " ", startingAt: 0)) \(line.source): \(line.message)\n"
                FileHandle.standardOutput.write(Data(text.utf8))
            }
            while true {
                let after = last
                for line in try await call({ try await journal.log(id, after: after) }) {
                    try emit(line)
                    last = line.sequence
                }
                guard follow else { return }
                if try await call({ try await journal.job(id) })?.status.isFinished == true {
                    let tail = last
                    for line in try await call({ try await journal.log(id, after: tail) }) { try emit(line) }
                    return
                }
                try await Task.sleep(nanoseconds: 500_000_000)
            }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ask for a job to be cancelled; the process driving it stops it and removes what it created.",
            discussion: helpText("A job that has already ended cannot be cancelled (exit code 1).", examples: ["vizor install cancel 7f3c"]))
        @Argument(help: "Job id or a unique prefix.", completion: .custom(jobCompletions)) var job: String
        @Flag(name: .long, help: "Print the job as JSON.") var json = false

        mutating func run() async throws {
            let journal = try openJournal()
            let wanted = self.job
            let job = try await call { try await journal.resolve(wanted) }
            guard !job.status.isFinished else { throw CLIError(.failure, "job \(job.id) has already \(job.status.rawValue)") }
            _ = try await call { try await journal.requestCancel(job.id, now: Date()) }
            try await call { try await journal.appendLog(job.id, time: Date(), severity: "warn", source: "vizor", message: "cancel requested from the CLI") }
            if json {
                if let updated = try await call({ try await journal.job(job.id) }) { try printJSON(JobOutput(job: updated)) }
            } else if job.isLeased(at: Date()) {
                print("cancel requested; \(job.leaseOwner ?? "the driving process") stops job \(job.id) and cleans up")
            } else {
                print("cancel requested; job \(job.id) is cleaned up by the next vizor process that resumes it")
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue a failed job again from the step that failed.",
            discussion: helpText("Only a failed job whose leftovers were not cleaned up can be retried; `vizor install resume` then drives it.",
                                 examples: ["vizor install retry 7f3c && vizor install resume 7f3c"]))
        @Argument(help: "Job id or a unique prefix.", completion: .custom(jobCompletions)) var job: String
        @Flag(name: .long, help: "Print the job as JSON.") var json = false

        mutating func run() async throws {
            let journal = try openJournal()
            let wanted = self.job
            let job = try await call { try await journal.resolve(wanted) }
            guard job.status == .failed, job.resources["cleanedUp"] == nil else {
                throw CLIError(.failure, "job \(job.id) is \(job.status.rawValue)\(job.resources["cleanedUp"] != nil ? " and cleaned up" : ""); only a failed job with its leftovers can be retried")
            }
            try await call { try await journal.setStatus(job.id, owner: nil, status: .queued, now: Date()) }
            try await call { try await journal.appendLog(job.id, time: Date(), source: "vizor", message: "retry from \(job.step.title) (CLI)") }
            if json {
                if let updated = try await call({ try await journal.job(job.id) }) { try printJSON(JobOutput(job: updated)) }
                return
            }
            print("job \(job.id) queued again at step \(job.step.index + 1)/7 (\(job.step.title))")
        }
    }
}

struct ShowOutput: Encodable {
    var job: JobOutput
    var steps: [JournalStep]
    var progress: InstallProgress
}

/// The journal in the XDG data directory.
func openJournal() throws -> InstallJournal {
    do { return try InstallJournal(url: InstallJournal.defaultURL()) } catch let error as BackendError {
        throw CLIError(ExitStatus(error), error.operatorText)
    }
}

/// Turns backend errors into exit codes with the operator's message.
func call<T>(_ body: () async throws -> T) async throws -> T {
    do { return try await body() } catch let error as BackendError {
        throw CLIError(ExitStatus(error), error.operatorText)
    }
}
