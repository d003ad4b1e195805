import ArgumentParser
import BackendKit
import Foundation
import VizorModel
import VizorProvisioning

/// `--razor-url`, shared by build and publish.
struct RazorURLOption: ParsableArguments {
    @Option(name: .customLong("razor-url"), help: "The Razor the script chains to (default: the site's razor.url); http://host:port, …/api or …/svc.")
    var razorURL: String?
}

/// `vizor boot-iso ...`: the iPXE ISO every install boots.
struct BootISOCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "boot-iso",
        abstract: "Build and publish the iPXE boot ISO that every install boots.",
        discussion: "Exit codes: 0 ok, 1 failure, 2 usage, 3 not found, 4 backend unreachable.",
        subcommands: [Build.self, Publish.self]
    )

    struct Build: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make the hybrid BIOS and UEFI boot ISO that chains to the site's Razor.",
            discussion: helpText(
                "Uses Debian's ipxe (ipxe.lkrn, ipxe.efi), isolinux and syslinux-common, and mtools for the EFI partition; the configuration's boot_iso section names other paths. The same inputs give the same bytes.",
                "The embedded iPXE script does DHCP on each NIC in turn and chains to <razor>/svc/boot with that NIC's MAC; when Razor fails it says so on the console and tries again.",
                "Default output: $XDG_DATA_HOME/vizor/boot-iso/<site>/<boot_iso.name>, where `vizor boot-iso publish` looks for it.",
                examples: ["vizor boot-iso build", "vizor boot-iso build --site prod --razor-url http://10.0.2.2:8150 --output /tmp/ipxe.iso --json"]))
        @OptionGroup var options: SiteOptions
        @OptionGroup var razor: RazorURLOption
        @Option(help: "Where to write the ISO.") var output: String?

        mutating func run() async throws { try await Self.execute(options, razorURL: razor.razorURL, output: output) }

        @MainActor static func execute(_ options: SiteOptions, razorURL: String?, output: String?) async throws {
            try await withRuntime(polling: false) { runtime in
                let site = try resolveSite(runtime, options.site)
                let image = try await buildBootISO(runtime, site: site, razorURL: razorURL, output: output)
                if options.json {
                    try printJSON(image)
                } else {
                    printBootISO(image)
                }
            }
        }
    }
}

extension BootISOCommand {
    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put the boot ISO on every hypervisor of the site and wait until it is ready.",
            discussion: helpText(
                "Builds the ISO first (the same bytes `vizor boot-iso build` makes), then, per hypervisor: nothing when every copy named boot_iso.name already has its SHA-256; otherwise publishes it. A copy with another checksum (or none) is replaced only with --replace.",
                "CloudStack: registerIso with a URL Vizor's media server (exposure.http_bind, advertise_host) serves while this runs, bootable, OS type Other (64-bit), every zone, checksum {SHA-256}<hex> (a replaced copy is deleted first); waits until listIsos says it is ready in each zone. XenServer: imported into the pool's first ISO library (VDI.create with other_config:vizor-sha256, then PUT /import_raw_vdi).",
                "Exit codes: 0 every hypervisor has it, 1 one failed or holds another ISO under that name, 4 one is unreachable.",
                examples: ["vizor boot-iso publish", "vizor boot-iso publish --site prod --replace --json"]))
        @OptionGroup var options: SiteOptions
        @OptionGroup var razor: RazorURLOption
        @Flag(help: "Replace a copy whose checksum differs from the ISO built now.") var replace = false

        mutating func run() async throws { try await Self.execute(options, razorURL: razor.razorURL, replace: replace) }

        @MainActor static func execute(_ options: SiteOptions, razorURL: String?, replace: Bool) async throws {
            try await withRuntime(polling: false) { runtime in
                let site = try resolveSite(runtime, options.site)
                let image = try await buildBootISO(runtime, site: site, razorURL: razorURL, output: nil)
                let serving = try await installServing(runtime)
                let statuses: [BootISOStatus]
                do {
                    statuses = try await BootISOPublisher.publish(image, name: runtime.config?.bootISO.name ?? BootISOConfig().name,
                                                                  site: site, connected: runtime.connected, serving: serving,
                                                                  replace: replace)
                } catch let error as BackendError {
                    throw CLIError(ExitStatus(error), error.operatorText)
                }
                await serving.stop()
                if options.json {
                    try printJSON(statuses)
                } else {
                    printTable(["SITE", "BACKEND", "ACTION", "STATUS"], statuses.map {
                        [$0.site, $0.backend, $0.error == nil ? ($0.action ?? "") : "FAILED", $0.summary]
                    })
                }
                try bootISOExit(statuses)
            }
        }
    }
}

/// Refuses installs whose hypervisor lacks their boot ISO, before any job
/// exists (exit 3), naming the commands that put it there.
@MainActor
func checkBootISO(_ requests: [InstallRequest], connected: ConnectedSites) async throws {
    var asked = Set<String>()
    for request in requests where asked.insert("\(request.site)/\(request.hypervisor.rawValue)/\(request.bootISO)").inserted {
        if let missing = await BootISOPublisher.missing(connected, site: request.site, kind: request.hypervisor, name: request.bootISO) {
            throw CLIError(.notFound, missing.operatorText)
        }
    }
}

/// Exit 4 when a hypervisor was unreachable, 1 when one failed, else 0.
func bootISOExit(_ statuses: [BootISOStatus]) throws {
    let failed = statuses.filter { $0.error != nil }
    if failed.contains(where: { $0.error?.kind == .unreachable || $0.error?.kind == .timeout }) {
        throw CLIError(.unreachable, "\(failed.count) of \(statuses.count) hypervisors failed: one is unreachable")
    }
    if !failed.isEmpty { throw CLIError(.failure, "\(failed.count) of \(statuses.count) hypervisors failed") }
}

/// The media server, as install jobs set it up (exposure section, or the
/// lab's loopback). The Samba account's password is resolved (and registered
/// for redaction) like the sites' secrets.
@MainActor
func installServing(_ runtime: VizorRuntime) async throws -> InstallServing {
    var sambaPassword: Secret?
    if let reference = runtime.config?.exposure.sambaPassword {
        do {
            sambaPassword = try await SecretResolver(redactor: CLIEnvironment.redactor).resolve(reference)
        } catch {
            throw CLIError(.failure, "exposure.samba_password: \(error.message)")
        }
    }
    return InstallServing(configuration: InstallServingConfiguration(exposure: runtime.config?.exposure,
                                                                     stateDirectory: runtime.paths.state,
                                                                     sambaPassword: sambaPassword))
}

/// Where `build` writes a site's ISO by default and `publish` finds it.
@MainActor
func defaultBootISOPath(_ runtime: VizorRuntime, site: Site) -> URL {
    runtime.paths.data.appendingPathComponent("boot-iso").appendingPathComponent(site.name)
        .appendingPathComponent(runtime.config?.bootISO.name ?? BootISOConfig().name)
}

@MainActor
func buildBootISO(_ runtime: VizorRuntime, site: Site, razorURL: String?, output: String?) async throws -> BootISOImage {
    guard let given = razorURL ?? site.razorURL else {
        throw CLIError(.usage, "site \(site.name) has no razor.url: give the Razor the ISO chains to with --razor-url")
    }
    guard let service = BootISOScript.serviceBase(given) else {
        throw CLIError(.usage, "--razor-url: expected an http(s) URL such as http://razor.example:8150, found \"\(given)\"")
    }
    let destination = output.map { URL(fileURLWithPath: $0) } ?? defaultBootISOPath(runtime, site: site)
    let builder = BootISOBuilder(inputs: runtime.config?.bootISO.inputs ?? .debian,
                                 script: BootISOScript(razorService: service, site: site.name))
    do {
        return try await builder.build(output: destination, scratch: runtime.paths.cache.appendingPathComponent("boot-iso"))
    } catch let error as BackendError {
        throw CLIError(ExitStatus(error), error.description)
    }
}

func printBootISO(_ image: BootISOImage) {
    let rows: [(String, String)] = [
        ("path", image.path), ("size", "\(image.bytes) bytes"), ("sha256", image.sha256), ("site", image.site),
        ("razor", image.razorService + "/boot"), ("ipxe", image.ipxeVersion), ("volume set", image.volumeSetID),
        ("uefi", image.efiRunsScript ? "ipxe.efi runs the script (autoexec.ipxe)"
            : "this ipxe.efi predates autoexec.ipxe: UEFI guests use iPXE's DHCP autoboot (the DHCP server must name Razor's bootstrap)"),
    ]
    for (key, value) in rows { print(key.padding(toLength: 11, withPad: " ", startingAt: 0) + value) }
}
