import ArgumentParser
import Foundation
import VizorModel
import VizorProvisioning

/// The boot ISO on every hypervisor, against the ISO `boot-iso build` makes
/// now (built into the cache to learn its checksum).
@MainActor
func bootISOChecks(_ runtime: VizorRuntime, _ connected: ConnectedSites) async -> [DoctorCheck] {
    var expected: [String: String?] = [:]
    let scratch = runtime.paths.cache.appendingPathComponent("boot-iso")
    for site in connected.sites {
        guard let razor = site.razorURL, let service = BootISOScript.serviceBase(razor) else {
            expected[site.name] = .some(nil)
            continue
        }
        let output = scratch.appendingPathComponent("doctor-\(site.name).iso")
        let image = try? await BootISOBuilder(inputs: runtime.config?.bootISO.inputs ?? .debian,
                                              script: BootISOScript(razorService: service, site: site.name))
            .build(output: output, scratch: scratch)
        try? FileManager.default.removeItem(at: output)
        expected[site.name] = .some(image?.sha256)
    }
    return await Doctor.bootISOChecks(connected, name: runtime.config?.bootISO.name ?? BootISOConfig().name, expected: expected)
}

struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Reach every configured backend and media source and report what works.",
        discussion: helpText("Exit codes: 0 all reached, 1 a check failed, 4 a backend is unreachable or timed out.",
                             examples: ["vizor doctor", "vizor doctor --site prod --timeout 5 --json"])
    )

    @OptionGroup var options: SiteOptions
    @Option(help: "Seconds to wait for each backend.") var timeout: Double = 15

    mutating func run() async throws { try await Self.execute(options, timeout: timeout) }

    @MainActor static func execute(_ options: SiteOptions, timeout: Double) async throws {
        try await withRuntime(polling: false) { runtime in
            var connected = runtime.connected
            if let name = options.site {
                let site = try resolveSite(runtime, name)
                connected.sites = [site]
            }
            var checks = await Doctor.run(connected, timeout: timeout,
                                          winPECurl: runtime.config?.exposure.winPECurl ?? WinPECurlFiles())
            checks += await bootISOChecks(runtime, connected)
            if options.json {
                try printJSON(checks)
            } else {
                if runtime.config == nil { print("configuration: none; using the built-in lab (run by the agent)") }
                else if let file = runtime.config?.file { print("configuration: \(file)") }
                printTable(["SITE", "BACKEND", "STATUS", "TIME", "TARGET", "DETAIL"], checks.map { check in
                    [check.site, check.backend, check.ok ? "ok" : "FAILED", "\(check.milliseconds) ms", check.target,
                     check.detail + (check.hint.map { " — \($0)" } ?? "")]
                })
            }
            let failed = checks.filter { !$0.ok }
            if failed.contains(where: { $0.errorKind == "unreachable" || $0.errorKind == "timeout" }) {
                throw CLIError(.unreachable, "\(failed.count) of \(checks.count) checks failed: a backend is unreachable")
            }
            if !failed.isEmpty { throw CLIError(.failure, "\(failed.count) of \(checks.count) checks failed") }
        }
    }
}
