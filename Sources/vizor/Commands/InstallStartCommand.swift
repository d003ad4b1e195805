import ArgumentParser
import BackendKit
import Foundation
import VizorAgent
import VizorMedia
import VizorModel
import VizorStore

extension InstallCommand {
    /// `vizor install start`: journals one install and, with `--wait`, drives it.
    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start an install: from a catalogued ISO edition to a VM or a published template.",
            discussion: helpText(
                "Everything that can be checked is checked before the password is asked for and before anything is journaled: the site, the image and edition, the language packs, the zone, and what the hypervisor must have (install template or OS type, boot ISO, network, offerings).",
                "The job goes to the Vizor agent (started if none runs), which journals it and drives it to its end whatever happens to this terminal; the command returns the job id at once. With --wait it follows the job to its end (progress on stderr) and exits non-zero if it fails; Ctrl-C stops the following, not the job. With --no-agent this process drives the job itself. Without a configuration the lab is the one the agent runs, shared by every vizor command. The Administrator password is read from $VIZOR_ADMIN_PASSWORD (see --password-env), --password-file or a prompt, never from arguments, and reaches the agent over its socket only.",
                examples: ["vizor install start --backend xenserver --image win2022.iso --edition 4 --hostname web01 --wait",
                           "vizor install start --site prod --backend cloudstack --zone zone-1 --image 3f2a --edition \"Pro\" --hostname pc01 --ui-language fr-FR --language-pack fr-FR"]))

        @Option(name: .long, help: "Site (default: the configuration's default, or the lab).",
                completion: .custom(siteCompletions)) var site: String?
        @Option(name: .long, help: "The hypervisor platform of the site to install on.") var backend: HypervisorKind
        @Option(name: .long, help: "CloudStack zone.") var zone: String?
        @Option(name: .long, help: "XenServer pool or host.") var pool: String?
        @Option(name: .long, help: "CloudStack service offering.") var offering: String?
        @Option(name: .long, help: "CloudStack disk offering (for a custom disk size).") var diskOffering: String?
        @Option(name: .long, help: "vCPUs (when no offering).") var vcpus = 2
        @Option(name: .long, help: "Memory in MiB (when no offering).") var memory = 4096
        @Option(name: .long, help: "Disk size in GiB.") var disk = 40
        @Option(name: .long, help: "Network name or id.") var network = ""
        @Option(name: .long, help: "The VM's firmware.") var firmware: Firmware = .bios
        @Option(name: .long, help: "XenServer install template or CloudStack OS type (default: from the edition, e.g. \"Windows 11\" / \"Windows 11 (64-bit)\", \"Windows Server 2022 (64-bit)\").")
        var osTemplate: String?
        @Option(name: .long, help: "The iPXE boot ISO known to the platform (default: the configuration's boot_iso.name, ipxe.iso).")
        var bootIso: String?
        @Option(name: .long, help: "Guest tools ISO inserted after the first boot ('none' to leave the CD).") var toolsIso = "guest-tools.iso"
        @Option(name: .long, help: "Image: catalog id, unique id prefix or ISO file name.",
                completion: .custom(imageCompletions)) var image: String
        @Option(name: .long, help: "Edition: WIM index or (part of) its name.") var edition: String
        @Option(name: .long, help: "VM name and hostname.") var hostname: String
        @Option(name: .long, help: "Locale (UI, system, user), e.g. de-CH (default: install_defaults.locale, else en-US).")
        var locale: String?
        @Option(name: .long, help: "Keyboard: a locale or an input profile (default: install_defaults.keyboard).") var keyboard: String?
        @Option(name: .long, help: "Time zone: Windows id or IANA name (default: install_defaults.time_zone, else UTC).")
        var timeZone: String?
        @Option(name: .long, help: "Windows display language, e.g. fr-FR (default: the edition's own; others need a --language-pack).")
        var uiLanguage: String?
        @Option(name: .long, help: "Product key XXXXX-XXXXX-XXXXX-XXXXX-XXXXX (journaled; see --product-key-file).") var productKey: String?
        @Option(name: .long, help: "File whose first line is the product key (keeps it out of process listings).") var productKeyFile: String?
        @Option(name: .long, help: "Add a language pack from the catalog's language-pack media (repeatable), e.g. fr-FR.")
        var languagePack: [String] = []
        @Option(name: .long, help: "Run a PowerShell file after setup (repeatable): PATH.ps1 or NAME=PATH.ps1. Its content is journaled: no secrets.")
        var customStep: [String] = []
        @Option(name: .long, help: "Template name (default: the hostname).") var templateName: String?
        @Flag(name: .long, help: "Keep the installed VM instead of making a template.") var noTemplate = false
        @Flag(name: .long, help: "Make the template public.") var `public` = false
        @Flag(name: .long, help: "CloudStack: mark the template featured.") var featured = false
        @Flag(name: .long, help: "XenServer: mark the template instant (other_config:instant).") var instant = false
        @Option(name: .long, help: "CloudStack: copy the template to these zones too.") var copyTo: [String] = []
        @OptionGroup var password: PasswordOptions
        @Flag(name: .long, help: "Follow the job until it ends: progress on stderr, the exit code from its outcome.") var wait = false
        @Flag(name: .long, help: "Journal and drive the job in this process, without the agent (implies --wait); if this process dies, a later `vizor install resume` or the agent takes the job over.")
        var noAgent = false
        @Flag(name: .long, help: "Print the job as JSON.") var json = false

        mutating func run() async throws {
            if let problem = InstallChoices.hostnameProblem(hostname) { throw CLIError(.usage, "--hostname \(hostname): \(problem)") }
            try await Self.execute(self)
        }

        /// Everything that can be checked is checked before the password is
        /// asked for and before anything is journaled: site, image, edition,
        /// language packs, the request itself, the zone and what the
        /// hypervisor must have (install template or OS type, ISO, network).
        @MainActor static func execute(_ options: Start) async throws {
            try await withRuntime(polling: false) { runtime in
                let site = try resolveSite(runtime, options.site)
                let found = try await findImage(options.image, site: site, paths: runtime.paths)
                let chosen = try Self.edition(options.edition, in: found)
                let packs = options.languagePack.isEmpty ? [] : try await Self.catalogLanguagePacks(site: site, paths: runtime.paths)
                let defaults = runtime.config?.installDefaults ?? InstallDefaults()
                var request = try Self.request(options, kind: options.backend, firmware: options.firmware, site: site.name,
                                               image: found, edition: chosen, available: packs, defaults: defaults)
                if options.bootIso == nil, let name = runtime.config?.bootISO.name { request.bootISO = name }
                let session = try await InstallSession.start(runtime)
                try await Self.checkLocation(request, session: session)
                try await Self.checkHypervisor(request, session: session)
                let secret = try options.password.read()
                guard defaults.passwordPolicy.accepts(secret) else {
                    let policy = defaults.passwordPolicy
                    throw CLIError(.usage, "the Administrator password does not meet install_defaults.password_policy: at least "
                                   + "\(policy.minLength) characters of \(policy.requireClasses) of the classes lower case, upper case, digits, symbols")
                }
                let jobID = InstallOrchestrator.newJobID()
                guard options.noAgent else {
                    // The agent journals and drives it; this process only hands it over (and follows it with --wait).
                    let job = try await submitToAgent(AgentSubmission(id: jobID, request: request, administratorPassword: secret))
                    await session.serving.stop()
                    guard options.wait else {
                        if options.json { try printJSON(JobOutput(job: job)) } else {
                            print("job \(job.id) started; the Vizor agent drives it. Follow it with `vizor install logs \(job.id) --follow`")
                        }
                        return
                    }
                    if isatty(STDERR_FILENO) != 0 && !options.json {
                        FileHandle.standardError.write(Data("job \(job.id): Ctrl-C stops following; the job goes on (`vizor install cancel \(job.id)` cancels it)\n".utf8))
                    }
                    let done = try await followThroughAgent(job.id, journal: session.journal, quiet: options.json)
                    try finish([done], json: options.json)
                    return
                }
                try call { try session.secrets.save(JobSecrets(administratorPassword: secret), job: jobID) }
                let job = try await onMain { try await session.orchestrator.submit(request, id: jobID) }
                let done = try await session.drive([job.id], quiet: options.json)
                await session.serving.stop()
                try finish(done, json: options.json)
            }
        }

        /// Refuses a missing or unknown CloudStack zone before anything is
        /// created (else the job would fail at its third step). A cloud that
        /// cannot list its zones now is not refused here: the job waits for it.
        @MainActor static func checkLocation(_ request: InstallRequest, session: InstallSession) async throws {
            guard request.hypervisor == .cloudstack,
                  let hypervisor = try? await session.backends.hypervisor(site: request.site, kind: request.hypervisor),
                  let known = try? await hypervisor.listLocations() else { return }
            if let problem = InstallChoices.locationProblem(request.location, known: known, flag: "--zone") {
                throw CLIError(.usage, "--zone: \(problem)")
            }
        }

        /// Refuses a request the hypervisor cannot satisfy (no such install
        /// template, OS type, boot ISO, network or offering) before a job
        /// exists; an unreachable platform is not refused: the job waits for it.
        @MainActor static func checkHypervisor(_ request: InstallRequest, session: InstallSession) async throws {
            guard let hypervisor = try? await session.backends.hypervisor(site: request.site, kind: request.hypervisor) else { return }
            try await checkBootISO([request], connected: session.runtime.connected)
            do {
                try await hypervisor.preflight(request.containerSpec(name: request.machineName))
            } catch let error as BackendError where error.kind == .unreachable || error.kind == .timeout {
                return
            } catch let error as BackendError {
                throw CLIError(ExitStatus(error), "\(request.site) (\(request.hypervisor.rawValue)) cannot run this install: \(error.operatorText)")
            }
        }

        /// The request for these flags, through the mapping the wizard and
        /// batch plans share (`InstallChoices`).
        static func request(_ options: Start, kind: HypervisorKind, firmware: Firmware, site: String, image: MediaImage,
                            edition: Edition, available: [RequestedLanguagePack],
                            defaults: InstallDefaults = InstallDefaults()) throws -> InstallRequest {
            var choices = InstallChoices(site: site, hypervisor: kind, edition: .init(edition, of: image), machineName: options.hostname)
            choices.location = (kind == .cloudstack ? options.zone : options.pool) ?? ""
            choices.network = options.network
            choices.serviceOffering = options.offering
            choices.diskOffering = options.diskOffering
            choices.vcpus = options.vcpus
            choices.memoryMiB = options.memory
            choices.diskGiB = options.disk
            choices.firmware = firmware
            choices.osTemplate = options.osTemplate
            choices.bootISO = options.bootIso ?? BootISOConfig().name
            choices.guestToolsISO = options.toolsIso == "none" ? nil : options.toolsIso
            choices.locale = options.locale ?? defaults.locale
            choices.keyboard = options.keyboard ?? (options.locale == nil ? defaults.keyboard : nil)
            choices.timeZone = options.timeZone ?? defaults.timeZone
            choices.uiLanguage = options.uiLanguage
            choices.productKey = try productKey(options)
            choices.languagePacks = options.languagePack
            choices.customSteps = try call { try options.customStep.map(InstallChoices.parseCustomStep) }
            choices.makeTemplate = !options.noTemplate
            choices.templateName = options.templateName
            choices.makePublic = options.public
            choices.featured = options.featured
            choices.instant = options.instant
            choices.copyToLocations = options.copyTo
            return try call { try choices.request(available: available) }
        }

        /// From --product-key-file (first line), else --product-key; checked for its shape.
        static func productKey(_ options: Start) throws -> String? {
            var key = options.productKey
            if let file = options.productKeyFile {
                guard options.productKey == nil else { throw CLIError(.usage, "give --product-key or --product-key-file, not both") }
                guard let text = try? String(contentsOfFile: file, encoding: .utf8),
                      let first = text.split(separator: "\n", omittingEmptySubsequences: false).first else {
                    throw CLIError(.usage, "cannot read a product key from \(file)")
                }
                key = first.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            guard let key, !key.isEmpty else { return nil }
            let groups = key.split(separator: "-", omittingEmptySubsequences: false)
            guard groups.count == 5, groups.allSatisfy({ $0.count == 5 && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } }) else {
                throw CLIError(.usage, "the product key must be five groups of five letters or digits: XXXXX-XXXXX-XXXXX-XXXXX-XXXXX")
            }
            return key.uppercased()
        }

        /// The language packs on the language-pack media of the site's
        /// catalogue (brought up to date by `findImage` just before).
        static func catalogLanguagePacks(site: Site, paths: XDGPaths) async throws -> [RequestedLanguagePack] {
            let store = try call { try MediaCatalogStore(url: MediaCatalogStore.defaultURL(paths: paths)) }
            let images = try await call { try await SiteCatalog(store: store, sources: site.mediaSources).images() }
            return InstallChoices.languagePacks(in: images)
        }

        static func edition(_ wanted: String, in image: MediaImage) throws -> Edition {
            if let index = Int(wanted) {
                guard let found = image.editions.first(where: { $0.index == index }) else {
                    throw CLIError(.notFound, "image \(image.id) has no edition \(index); editions: \(list(image))")
                }
                return found
            }
            let matches = image.editions.filter { $0.name.localizedCaseInsensitiveContains(wanted) }
            if let exact = matches.first(where: { $0.name.caseInsensitiveCompare(wanted) == .orderedSame }) { return exact }
            guard matches.count == 1, let found = matches.first else {
                throw CLIError(matches.isEmpty ? .notFound : .usage,
                               "\(matches.isEmpty ? "no" : "more than one") edition of \(image.id) matches \(wanted); editions: \(list(image))")
            }
            return found
        }

        static func list(_ image: MediaImage) -> String {
            image.editions.map { "\($0.index) \($0.name)" }.joined(separator: ", ")
        }
    }

    /// `vizor install resume`: drives unfinished jobs in this process.
    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Drive queued or interrupted jobs (one, or every unfinished one) in this process until they end.",
            discussion: helpText("A job whose lease another live process holds is watched and taken over if that process dies.",
                                 examples: ["vizor install resume", "vizor install resume 7f3c --json"]))
        @Argument(help: "Job id or a unique prefix (default: every unfinished job).", completion: .custom(jobCompletions)) var job: String?
        @Flag(name: .long, help: "Print the jobs as JSON at the end.") var json = false

        mutating func run() async throws {
            try await Self.execute(job, json: json)
        }

        @MainActor static func execute(_ wanted: String?, json: Bool) async throws {
            try await withRuntime(polling: false) { runtime in
                let session = try await InstallSession.start(runtime)
                var ids: [String]
                if let wanted {
                    ids = [try await onMain { try await session.journal.resolve(wanted) }.id]
                } else {
                    ids = try await onMain { try await session.journal.jobs(unfinishedOnly: true) }.map(\.id)
                }
                guard !ids.isEmpty else { print("no unfinished install jobs"); return }
                let done = try await session.drive(ids, quiet: json)
                await session.serving.stop()
                try finish(done, json: json)
            }
        }
    }

    /// `vizor install cleanup`: removes a failed job's leftovers.
    struct Cleanup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove what a failed or cancelled job left: VM, Razor repo/tag/policy/node, media exposure.",
            discussion: helpText("A cleaned-up job can no longer be retried.", examples: ["vizor install cleanup 7f3c"]))
        @Argument(help: "Job id or a unique prefix.", completion: .custom(jobCompletions)) var job: String
        @Flag(name: .long, help: "Print the job as JSON.") var json = false

        mutating func run() async throws {
            try await Self.execute(job, json: json)
        }

        @MainActor static func execute(_ wanted: String, json: Bool) async throws {
            try await withRuntime(polling: false) { runtime in
                let session = try await InstallSession.start(runtime)
                let id = try await onMain { try await session.journal.resolve(wanted) }.id
                let cleaned = try await onMain { try await session.orchestrator.cleanup(id) }
                session.secrets.remove(job: id)
                await session.serving.stop()
                if json { try printJSON(JobOutput(job: cleaned)) } else {
                    print("job \(cleaned.id) \(cleaned.status.rawValue); leftovers removed")
                }
            }
        }
    }
}

/// Prints the outcome; throws (exit 1) when a job did not succeed.
func finish(_ jobs: [JournalJob], json: Bool) throws {
    if json {
        if jobs.count == 1, let job = jobs.first { try printJSON(JobOutput(job: job)) } else { try printJSON(jobs.map(JobOutput.init)) }
    } else {
        for job in jobs {
            let template = job.resources["templateID"].map { " template \($0)" } ?? ""
            print("job \(job.id) \(job.status.rawValue)\(template)\(job.error.map { ": \($0)" } ?? "")")
        }
    }
    let failed = jobs.filter { $0.status != .succeeded }
    if !failed.isEmpty {
        throw CLIError(.failure, failed.map { "job \($0.id) \($0.status.rawValue)\($0.error.map { ": \($0)" } ?? "")" }
            .joined(separator: "\n"))
    }
}

/// Synchronous variant of `call` for local file work.
func call<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as BackendError { throw CLIError(ExitStatus(error), error.operatorText) }
}
