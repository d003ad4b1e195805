import ArgumentParser
import BackendKit
import Foundation
import VizorModel

/// `vizor build PLAN.yaml`: a batch of installs crossing images, editions,
/// targets and locales, run within each site's concurrency limit.
struct BuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Expand a batch build plan (YAML) into install jobs.",
        discussion: """
            A plan lists images with their editions, targets (site, hypervisor, zone or pool, offering)
            and locales; every combination becomes one job. --dry-run prints the jobs as a table.
            """)

    @Argument(help: "The plan file.") var plan: String
    @Flag(name: .long, help: "Print the jobs the plan makes without starting any.") var dryRun = false
    @Flag(name: .long, help: "Print JSON.") var json = false

    mutating func run() async throws {
        guard let text = try? String(contentsOfFile: plan, encoding: .utf8) else {
            throw CLIError(.notFound, "cannot read the plan file \(plan)")
        }
        let requests = try call { try BuildPlan.parse(text).requests() }
        guard dryRun else {
            throw CLIError(.usage, "running a plan needs the media-exposure and artefact wiring of `vizor install start`, not in this build; use --dry-run")
        }
        if json { try printJSON(requests); return }
        printTable(BuildReport.header, BuildReport.rows(requests, jobs: Array(repeating: nil, count: requests.count)))
        print("\(requests.count) job(s)")
    }
}

private func call<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as BackendError { throw CLIError(ExitStatus(error), error.description) }
}
