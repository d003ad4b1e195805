import ArgumentParser
import BackendKit
import Foundation
import VizorModel
import VizorStore

/// `vizor build PLAN.yaml`: a batch of installs crossing images, editions,
/// targets and locales, run within each site's concurrency limit.
struct BuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Expand a batch build plan (YAML) into install jobs.",
        discussion: helpText(
            "A plan lists images with their editions, targets (site, hypervisor, zone or pool, offering) and locales; every combination becomes one job. --dry-run prints the jobs as a table. Without it the jobs are journaled and this process drives them, within each site's concurrency limit, until all have ended, then prints the table; it exits non-zero if any job failed. The Administrator password (one for the batch) comes from $VIZOR_ADMIN_PASSWORD, --password-file or a prompt.",
            examples: ["vizor build nightly.yaml --dry-run", "VIZOR_ADMIN_PASSWORD=... vizor build nightly.yaml --json"]))

    @Argument(help: "The plan file.") var plan: String
    @Flag(name: .long, help: "Print the jobs the plan makes without starting any.") var dryRun = false
    @Flag(name: .long, help: "Print JSON.") var json = false
    @OptionGroup var password: PasswordOptions

    mutating func run() async throws {
        guard let text = try? String(contentsOfFile: plan, encoding: .utf8) else {
            throw CLIError(.notFound, "cannot read the plan file \(plan)")
        }
        // The configuration's boot_iso.name, for targets that name no boot ISO.
        let configured = try? ConfigLoader.load(VizorRuntime.configFile(XDGPaths()))
        let requests = try call { try BuildPlan.parse(text).requests(defaultBootISO: configured?.bootISO.name ?? BootISOConfig().name) }
        guard dryRun else {
            try await runPlan(requests)
            return
        }
        if json { try printJSON(requests); return }
        printTable(BuildReport.header, BuildReport.rows(requests, jobs: Array(repeating: nil, count: requests.count)))
        print("\(requests.count) job(s)")
    }

    /// Journals every job, drives them all in this process, prints the table.
    func runPlan(_ requests: [InstallRequest]) async throws {
        guard !requests.isEmpty else { throw CLIError(.usage, "the plan makes no job") }
        let secret = try password.read()
        try await Self.execute(requests, secret: secret, json: json)
    }

    @MainActor static func execute(_ requests: [InstallRequest], secret: String, json: Bool) async throws {
        try await withRuntime(polling: false) { runtime in
            try await checkBootISO(requests, connected: runtime.connected)
            let session = try await InstallSession.start(runtime)
            var ids: [String] = []
            for request in requests {
                let id = InstallOrchestrator.newJobID()
                try call { try session.secrets.save(JobSecrets(administratorPassword: secret), job: id) }
                ids.append(try await onMain { try await session.orchestrator.submit(request, id: id) }.id)
            }
            let done = try await session.drive(ids, quiet: json)
            await session.serving.stop()
            let byID = Dictionary(done.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            let jobs: [JournalJobLike?] = ids.map { byID[$0] }
            if json { try printJSON(done.map(JobOutput.init)) } else {
                printTable(BuildReport.header, BuildReport.rows(requests, jobs: jobs))
            }
            let failed = done.filter { $0.status != .succeeded }
            if !failed.isEmpty { throw CLIError(.failure, "\(failed.count) of \(ids.count) job(s) did not succeed") }
        }
    }
}
