import BackendKit
import Foundation
import LabRazor
import Testing
@testable import VizorModel
import VizorExposure
@testable import LabXAPI
import VizorLab
import VizorMedia
import VizorProvisioning
import VizorStore

/// One install through the orchestrator against the lab, with the artefacts
/// the production publisher renders and serves, and the guest that runs
/// them watched while it lives (a VM that became a template is forgotten).
struct GuestInstall {
    var job: JournalJob
    /// The job log's messages, oldest first.
    var log: [String]
    var node: String
    /// `stage_done` names as the job log has them, oldest first.
    var stages: [String]
    /// The guest as last seen.
    var guest: LabGuestStatus?
    /// Artefacts the server handed out for the job (among its latest deliveries).
    var delivered: [ArtefactDelivery]
    /// What the job's artefacts were rendered as, for the bound node.
    var bundle: ArtefactBundle?
    var production: LabInstallBackends.Production
    /// Razor's `/svc` base, as the artefacts write it.
    var razorService: String
    /// Requests the media and artefact server answered, tokens hidden, and when the job was bound to its node.
    var served: [InstallRequestLog.Entry]
    var boundAt: Date?

    var requests: [String] { guest?.requests ?? [] }
    var summary: String { "\(job.status.rawValue) \(job.error ?? "")\nstages: \(stages)\nguest: \(guest?.activity ?? "gone")\nrequests:\n" + requests.joined(separator: "\n") + "\nlog:\n" + log.suffix(12).joined(separator: "\n") }
}

/// The latest status of a clone's guest.
actor CloneWatch {
    var last: LabGuestStatus?
    func keep(_ status: LabGuestStatus?) { if let status { last = status } }
}

extension XAPILab {
    /// `VM.clone` of the template named `template` (its disk a child of the template's), with the CD drive
    /// emptied and the disk first in the boot order, as an operator deploys a template; then `VM.start`.
    /// Returns the clone's uuid.
    func cloneAndStart(template: String, name: String) throws -> String {
        guard let source = db.find("vm", where: { $0["name_label"]?.s == template && $0["is_a_template"]?.b == true }).first else {
            throw LabSambaError(message: "no template named \(template)")
        }
        let vm = try cloneVM(source, name: name, sr: nil)
        db.update(vm) { fields in
            fields["is_a_template"] = .bool(false)
            var boot = fields["HVM_boot_params"]?.map ?? [:]
            boot["order"] = .str("cd")
            fields["HVM_boot_params"] = .map(boot)
        }
        for vbd in db.get(vm)?.fields["VBDs"]?.strings ?? [] where db.get(vbd)?.fields["type"]?.s == "CD" {
            db.update(vbd) { $0["empty"] = .bool(true); $0["VDI"] = .null }
        }
        try start(vm)
        return db.get(vm)?.fields["uuid"]?.s ?? ""
    }
}

/// Latest status of one guest, kept while a test's install runs.
actor GuestWatch {
    var last: LabGuestStatus?
    var bundle: ArtefactBundle?
    var boundAt: Date?
    func keep(_ status: LabGuestStatus?) { if let status { last = status } }
    func keep(bundle: ArtefactBundle?, boundAt: Date?) {
        if let bundle { self.bundle = bundle }
        if let boundAt { self.boundAt = boundAt }
    }
}

enum GuestInstallRun {
    static let desktop = "Windows Server 2022 Standard (Desktop Experience)"
    static let core = "Windows Server 2022 Standard"

    /// Installs `edition` of the sample Server 2022 ISO on `kind`; a failed job is retried up to `retries` times.
    static func run(_ kind: HypervisorKind, iso: String = "Windows_Server_2022_x64_en-US.iso", edition: String = desktop,
                    options: LabSimulationOptions = .fastest, samba: SambaShareManager? = nil,
                    winPECurl: WinPECurlFiles = WinPECurlFiles(), stallTimeout: TimeInterval = 20, retries: Int = 0, timeout: TimeInterval = 90,
                    configure: (inout InstallRequest, LabInstallBackends.Production) throws -> Void = { _, _ in },
                    whileRunning: @escaping @Sendable (LabSuite) async -> Void = { _ in },
                    afterwards: (LabSuite, GuestInstall) async throws -> Void = { _, _ in }) async throws -> GuestInstall {
        let suite = try await LabSuite.start(simulation: options)
        let backends: LabInstallBackends
        do { backends = try LabInstallBackends(suite: suite, productionArtefacts: true, iso: iso, samba: samba, winPECurl: winPECurl) } catch {
            await suite.stop()
            throw error
        }
        do {
            let result = try await run(kind, suite: suite, backends: backends, edition: edition, stallTimeout: stallTimeout,
                                       retries: retries, timeout: timeout, configure: configure, whileRunning: whileRunning)
            try await afterwards(suite, result)
            await backends.finish()
            await suite.stop()
            return result
        } catch {
            await backends.finish()
            await suite.stop()
            throw error
        }
    }

    private static func run(_ kind: HypervisorKind, suite: LabSuite, backends: LabInstallBackends, edition: String,
                            stallTimeout: TimeInterval, retries: Int, timeout: TimeInterval,
                            configure: (inout InstallRequest, LabInstallBackends.Production) throws -> Void,
                            whileRunning: @escaping @Sendable (LabSuite) async -> Void) async throws -> GuestInstall {
        let production = try #require(backends.production)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-guest-\(UUID().uuidString)")
        let journal = try InstallJournal(url: dir.appendingPathComponent("vizor.sqlite"))
        let orchestrator = InstallOrchestrator(
            journal: journal, backends: backends,
            configuration: OrchestratorConfiguration(leaseTTL: 6, pollInterval: 0.05, stallTimeout: stallTimeout, outageLimit: 20))
        var request = try LabInstallTests().request(kind, production: production, edition: edition)
        try configure(&request, production)
        let jobID = InstallOrchestrator.newJobID()
        try production.secrets.save(JobSecrets(administratorPassword: "Lab-only-Pass1!"), job: jobID)
        let job = try await orchestrator.submit(request, id: jobID)
        let watch = GuestWatch()
        let side = Task { await whileRunning(suite) }
        defer { side.cancel() }
        let watcher = Task {
            while !Task.isCancelled {
                let created = try? await journal.steps(job.id).reduce(into: [String: String]()) { $0.merge($1.created) { $1 } }
                if let mac = created?["mac"] { await watch.keep(await suite.simulator?.status(forMAC: mac)) }
                await watch.keep(bundle: await production.serving.registry.bundle(job: job.id),
                                 boundAt: await production.serving.registry.boundAt(job: job.id))
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        var finished = try #require(try await withTimeout(timeout, clock: SystemClock(), backend: "test") {
            try await orchestrator.drive(job.id)
        }.job)
        var left = retries
        while finished.status == .failed, left > 0 {
            left -= 1
            _ = try await orchestrator.retry(job.id)
            finished = try #require(try await withTimeout(timeout, clock: SystemClock(), backend: "test") {
                try await orchestrator.drive(job.id)
            }.job)
        }
        watcher.cancel()
        let log = try await journal.log(job.id).map(\.message)
        let node = try await journal.steps(job.id).first { $0.step == .provision }?.created["node"] ?? ""
        return GuestInstall(job: finished, log: log, node: node,
                            stages: log.filter { $0.hasPrefix("stage_done ") }.map { String($0.dropFirst("stage_done ".count)) },
                            guest: await watch.last, delivered: await production.serving.registry.deliveries(job: job.id),
                            bundle: await watch.bundle, production: production,
                            razorService: RenderedArtefactPublisher.serviceURL(apiURL: backends.suite.endpoint(named: labRazorName)?.url ?? ""),
                            served: production.serving.requests.all, boundAt: await watch.boundAt)
    }
}

/// Installs whose guest runs what Vizor rendered, as a real machine would.
@Suite("The lab guest runs the rendered artefacts", .serialized)
struct LabGuestInstallTests {
    /// WinPE runs the injected winpeshl.ini and start-up: curl.exe asks Razor for the node id from the MACs,
    /// reports each stage through the URLs the script writes, and Setup installs the image the answer file names.
    @Test func winPEAndSetupRunTheInjectedFilesThroughTheURLsWrittenThere() async throws {
        let install = try await GuestInstallRun.run(.xenserver)
        #expect(install.job.status == .succeeded, "\(install.summary)")
        let id = try #require(Int(install.node.dropFirst("node".count)))
        let svc = install.razorService
        let mac = try #require(install.guest?.mac).uppercased().replacingOccurrences(of: ":", with: "-")
        let winpe = install.requests.filter { $0.contains(" curl ") }
        #expect(winpe == [
            "200 curl \(svc)/nodeid?net0=\(mac)",
            "204 curl \(svc)/log/\(id)?severity=info&msg=winpe_started_node_\(id)",
            "204 curl \(svc)/log/\(id)?severity=info&msg=net_use_try_1_exit_code_0",
            "204 curl \(svc)/log/\(id)?severity=info&msg=start_installer",
            "204 curl \(svc)/log/\(id)?severity=info&msg=setup_exit_code_0",
            "204 curl \(svc)/stage-done/\(id)?name=finished",
        ], "\(install.summary)")
        #expect(install.guest?.installedImage == "2 \(GuestInstallRun.desktop)")
        #expect(install.log.contains("log: winpe_started_node_\(id)"), "\(install.log.prefix(20))")
    }

    /// Finding 1: once Razor has bound the node, the artefact server answers only requests that name it. The
    /// runner download (FirstLogonCommands) and the runner's manifest are fetched inside Windows, where nothing
    /// rewrites URLs per node; unless they name the node, they are answered 403 and the sequence never starts.
    @Test func theBoundNodeGetsTheRunnerAndItsManifestAndTheSequenceStarts() async throws {
        let install = try await GuestInstallRun.run(.xenserver)
        let runner = install.requests.filter { $0.contains("/\(ArtefactName.runner)?") }
        #expect(runner.count == 1 && runner.allSatisfy { $0.hasPrefix("200 ") && $0.hasSuffix("&node=\(install.node)") },
                "\(install.summary)")
        let manifest = install.requests.filter { $0.contains("/artefacts/") && !$0.contains("/\(ArtefactName.runner)?") }
        #expect(manifest.count == 2 + 3 && manifest.allSatisfy { $0.hasPrefix("200 WebClient ") }, "\(manifest)")
        #expect(install.stages.contains("guest-tools_begins") && install.job.status == .succeeded, "\(install.summary)")
        let delivered = Set(install.delivered.map(\.name))
        #expect(delivered.isSuperset(of: [ArtefactName.runner, ArtefactName.regional, ArtefactName.sysprep]), "\(delivered)")
        #expect(install.delivered.allSatisfy { $0.node == install.node })
    }

    /// Finding 2: 32-bit Windows boots under UEFI only from 32-bit (IA32) firmware, whose iPXE can start an
    /// i386 EFI application only. The script must load `wimboot.i386` there: the x86_64 `wimboot` fails at
    /// iPXE's `boot` ("Exec format error"), the script goes to `:failed` and reboots for ever.
    @Test func on32BitUEFIIPXEStartsWimbootI386AndTheInstallRuns() async throws {
        var options = LabSimulationOptions.fastest
        options.uefiWidth = .ia32
        let install = try await GuestInstallRun.run(.xenserver, iso: "Windows_10_22H2_x86_en-US.iso", edition: "Windows 10 Pro",
                                                    options: options) { request, _ in
            request.firmware = .uefi
        }
        let kernel = install.guest?.fetches.first { $0.contains("/wimboot") }
        #expect(kernel?.hasPrefix("200 ") == true && kernel?.hasSuffix("/wimboot.i386") == true, "\(install.guest?.fetches ?? [])")
        #expect(install.guest?.bootFailures == [], "\(install.guest?.bootFailures ?? [])")
        #expect(install.guest?.installedImage == "2 Windows 10 Pro", "\(install.summary)")
        #expect(install.job.status == .succeeded, "\(install.summary)")
    }

    /// Finding 3: `sysprep /generalize` disables the built-in Administrator, and a client edition's OOBE
    /// stops at "create an account" unless the answer file creates an account or logs one on by itself.
    /// A clone of the client template (its disk a child of the sealed one) runs specialize and OOBE from
    /// the sysprep.xml that sealed it, and must reach Windows without anyone at the console.
    @Test func aCloneOfAClientEditionTemplateGetsPastOOBEByItself() async throws {
        let clone = CloneWatch()
        let install = try await GuestInstallRun.run(.xenserver, iso: "Windows_11_22H2_x64_en-US_de-DE.iso", edition: "Windows 11 Pro",
                                                    configure: { request, _ in
            request.options["productKey"] = "VK7JG-NPHTM-C97JM-9MPGT-3V66T"
            request.templateName = "w11-pro-template"
        }, afterwards: { suite, install in
            guard install.job.status == .succeeded else { return }
            let xapi = try #require(suite.servers.lazy.compactMap { $0 as? XAPILabServer }.first)
            let uuid = try await xapi.lab.cloneAndStart(template: "w11-pro-template", name: "clone-of-client-template")
            let simulator = try #require(suite.simulator)
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline {
                let status = await simulator.statuses().first { $0.vmID == uuid }
                await clone.keep(status)
                if let activity = status?.activity, activity.hasPrefix("Windows") && !activity.contains("specialize")
                    || activity.hasPrefix("OOBE") { return }
                try await Task.sleep(for: .milliseconds(20))
            }
        })
        #expect(install.job.status == .succeeded, "\(install.summary)")
        let seen = await clone.last
        #expect(seen?.activity == "Windows: Administrator logged on", "\(seen?.activity ?? "the clone was never seen")")
        #expect(seen?.installedImage == "3 Windows 11 Pro" && seen?.boots == 1)
    }

    /// `vizor lab serve --winpe razor-task`: every guest plays Razor's stock windows task, Vizor's own task
    /// included; it reads none of the rendered files (no curl.exe request, no FirstLogonCommands download).
    @Test func withTheRazorTaskDialectTheGuestPlaysRazorsWinPEAndReadsNoRenderedFile() async throws {
        var options = LabSimulationOptions.fastest
        options.winpe = .razorTask
        let install = try await GuestInstallRun.run(.xenserver, options: options)
        #expect(install.requests.isEmpty, "\(install.requests)")
        #expect(install.log.contains { $0.hasPrefix("log: start_installer: ") } && install.log.contains("log: exit_code=0"),
                "\(install.summary)")
        #expect(!install.log.contains { $0.contains("winpe_started_node_") }, "\(install.summary)")
    }

    /// Finding 5: no Microsoft document puts curl.exe in a Windows ISO's WinPE. In a WinPE without one, the
    /// start-up stops at once unless exposure.winpe_curl names a curl.exe, which iPXE loads and wimboot injects
    /// into System32; then the install runs.
    @Test func aWinPEWithoutCurlRunsTheStartUpWithTheConfiguredCurlOnly() async throws {
        var options = LabSimulationOptions.fastest
        options.winpeHasCurl = false
        let without = try await GuestInstallRun.run(.xenserver, options: options, stallTimeout: 5, timeout: 60)
        #expect(without.guest?.activity.contains("this WinPE has no curl.exe in System32") == true, "\(without.summary)")
        #expect(without.requests.isEmpty && without.job.status == .failed, "\(without.summary)")

        let curl = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-curl-\(UUID().uuidString.prefix(8)).exe")
        defer { try? FileManager.default.removeItem(at: curl) }
        try Data(LabWimbootStandIn.bytes(machine: 0x8664, bios: false, subsystem: 3)).write(to: curl)
        let with = try await GuestInstallRun.run(.xenserver, options: options, winPECurl: WinPECurlFiles(amd64: curl.path))
        #expect(with.guest?.fetches.contains { $0.hasPrefix("200 ") && $0.contains("/\(ArtefactName.winPECurl)?") } == true,
                "\(with.guest?.fetches ?? [])")
        #expect(with.job.status == .succeeded, "\(with.summary)")
    }

    /// Finding 7: Server Core has no Explorer, which is what runs the Run keys at logon. The sequence must go
    /// on after the guest-tools restart on every edition the catalogue offers, Core ones included.
    @Test func onServerCoreTheSequenceGoesOnAfterTheGuestToolsRestart() async throws {
        let install = try await GuestInstallRun.run(.xenserver, edition: GuestInstallRun.core)
        #expect(install.guest?.installedImage == "1 \(GuestInstallRun.core)")
        #expect(install.stages == ["finished", "guest-tools_begins", "guest-tools_ends", "regional-settings_begins",
                                   "regional-settings_ends", "seal_begins", "seal_ends", "postinstall_finished"], "\(install.summary)")
        #expect(install.job.status == .succeeded, "\(install.summary)")
    }

    /// Finding 11: at the first logon the network may not answer yet. The runner is downloaded in one
    /// command with retries and a deadline per attempt, so attempts that get no answer do not end the install.
    @Test func aRunnerDownloadThatGetsNoAnswerAtFirstIsRetriedAndTheSequenceRuns() async throws {
        var options = LabSimulationOptions.fastest
        options.faults = LabGuestFaults(unansweredRequestsAfterFirstLogon: 2)
        let install = try await GuestInstallRun.run(.xenserver, options: options)
        let runner = install.requests.filter { $0.contains("/\(ArtefactName.runner)?") }.map { $0.split(separator: " ").prefix(2).joined(separator: " ") }
        #expect(runner == ["error HttpWebRequest", "error HttpWebRequest", "200 HttpWebRequest"], "\(install.summary)")
        #expect(install.job.status == .succeeded && install.stages.last == "postinstall_finished", "\(install.summary)")
    }

    /// Finding 8: the sealing is reported in the order things happen. Sysprep fails once: the seal step is
    /// reported failed, nothing said "finished" before, and a retry runs the seal again, which succeeds.
    @Test func aSealThatFailsIsReportedBeforeAnyFinishAndARetrySealsTheMachine() async throws {
        var options = LabSimulationOptions.fastest
        options.faults = LabGuestFaults(failingStep: LabGuestStepFailure(step: "seal", mode: .once))
        let install = try await GuestInstallRun.run(.xenserver, options: options, retries: 1)
        let sealing = install.stages.filter { $0.hasPrefix("seal_") || $0 == "postinstall_finished" }
        #expect(sealing == ["seal_begins", "seal_failed", "seal_begins", "seal_ends", "postinstall_finished"], "\(install.summary)")
        #expect(install.log.contains { $0.contains("step seal failed: sysprep did not report success") }, "\(install.summary)")
        #expect(install.job.status == .succeeded, "\(install.summary)")
        #expect(install.guest?.sealed == true)
    }

    /// Finding 8: Store apps that update for a user make sysprep /generalize fail (KB2769827). On a client
    /// edition the Store's automatic updates stay off from the first logon until the machine is sealed.
    @Test func aClientEditionSealsForItsTemplateWithoutTheStoreUpdatingItsApps() async throws {
        let install = try await GuestInstallRun.run(.xenserver, iso: "Windows_11_22H2_x64_en-US_de-DE.iso", edition: "Windows 11 Pro") { request, _ in
            // Client media without ei.cfg stop at Setup's product key page without one (Microsoft's generic Pro key).
            request.options["productKey"] = "VK7JG-NPHTM-C97JM-9MPGT-3V66T"
        }
        #expect(install.guest?.installedImage == "3 Windows 11 Pro")
        #expect(install.stages.suffix(3) == ["seal_begins", "seal_ends", "postinstall_finished"], "\(install.summary)")
        #expect(install.job.status == .succeeded, "\(install.summary)")
    }

    /// Every URL written in every rendered artefact (as the bound node is served them) is fetched by the guest
    /// exactly as written, and the server's access log shows each one answered 200 after the node was bound.
    /// The case covers a template, guest tools, a language pack, a UI language and a custom step.
    @Test func everyURLInEveryArtefactIsFetchedAsWrittenAndAnswered200AfterTheBind() async throws {
        let install = try await GuestInstallRun.run(.xenserver, iso: "Windows_11_22H2_x64_en-US_de-DE.iso", edition: "Windows 11 Pro") { request, production in
            request.options["productKey"] = "VK7JG-NPHTM-C97JM-9MPGT-3V66T"
            request.options["uiLanguage"] = "fr-FR"
            request.customSteps = [RequestedCustomStep(name: "hello", script: "Write-Output 'hello'\n", source: "hello.ps1")]
            let isos = try SampleLibrary.ensure(in: production.root.appendingPathComponent("media"), realisticSizes: false)
            let packs = InstallChoices.languagePacks(in: isos.map { MediaAnalyzer().analyze($0) })
            request.languagePacks = packs.filter { $0.language == "fr-FR" && $0.build == 22621 }
        }
        #expect(install.job.status == .succeeded, "\(install.summary)")
        let bundle = try #require(install.bundle)
        let boundAt = try #require(install.boundAt)
        #expect(bundle.context.node == install.node)
        var urls = Set<String>()
        for artefact in bundle.artefacts.values { urls.formUnion(Self.urls(in: artefact.text)) }
        // The Razor service base is written for scripts to append their paths to; nothing fetches it as it is.
        urls.remove(bundle.context.razorServiceURL)
        #expect(urls.contains { $0.contains("/langpacks/") } && urls.contains { $0.contains("-custom-hello.ps1?") }, "\(urls.sorted())")
        let server = try #require(URL(string: bundle.context.artefactBaseURL)).port
        for url in urls.sorted() {
            let parsed = try #require(URL(string: url), "\(url)")
            if parsed.port == server {
                let target = InstallRequestLog.hidingTokens(String(url.dropFirst(url.distance(from: url.startIndex, to: try #require(url.range(of: "/", range: url.index(url.startIndex, offsetBy: 8)..<url.endIndex)).lowerBound))))
                let answers = install.served.filter { $0.record.path == target }
                #expect(answers.contains { $0.record.status == 200 && $0.time >= boundAt }, "\(target): \(answers.map(\.record.line))")
                #expect(answers.allSatisfy { $0.record.status == 200 }, "\(target): \(answers.map(\.record.line))")
            } else {
                // Not Vizor's server (wimboot in Razor's repo store): the guest's own record of the answer.
                #expect(install.guest?.fetches.contains("200 \(LabIPXELoad(command: "", url: url).shownURL)") == true, "\(url)")
            }
        }
    }

    /// The http(s) URLs written in a file, XML entities decoded, XML namespace names left out.
    static func urls(in text: String) -> Set<String> {
        let decoded = text.replacingOccurrences(of: "&apos;", with: "'").replacingOccurrences(of: "&quot;", with: "\"")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
        var found = Set<String>()
        var rest = Substring(decoded)
        while let start = rest.range(of: "http") {
            let tail = rest[start.lowerBound...]
            let url = tail.prefix { !" \t\r\n\"'<>`".contains($0) }
            let before = decoded[..<start.lowerBound].suffix(12)
            if url.hasPrefix("http://") || url.hasPrefix("https://"), !before.contains("xmlns") {
                found.insert(String(url.hasSuffix(")") ? url.dropLast() : url))
            }
            rest = tail.dropFirst(4)
        }
        return found
    }

}

/// WinPE maps the install media share against a real Samba exposure (FUSE and smbd), with what the
/// start-up writes: the share Vizor exposed, and the credentials there (none for a guest share).
@Suite("The lab guest maps the share against Samba", .serialized)
struct LabGuestSambaTests {
    static func withSamba<T>(_ body: (LabSambaServer, SambaShareManager, LabSimulationOptions) async throws -> T) async throws -> T {
        let smbd = try LabSambaServer()
        defer {
            smbd.stop()
            smbd.remove()
        }
        var options = LabSimulationOptions.fastest
        options.samba = LabGuestSamba(port: smbd.port)
        return try await body(smbd, SambaShareManager(includeFile: smbd.includeFile, configFile: smbd.configFile), options)
    }

    /// WinPE's `net use` as Windows 10 1709 and later run it, against smbd: a logon Samba takes as its guest
    /// (a user it does not know) maps only after AllowInsecureGuestAuth (KB4046019); an account of Samba's own
    /// maps without it, and a wrong password fails without asking; a net use with no password asks, and only
    /// input from NUL keeps that question from waiting for ever.
    @Test func netUseMeetsSambaAsWindowsWould() async throws {
        let smbd = try LabSambaServer()
        defer {
            smbd.stop()
            smbd.remove()
        }
        let media = smbd.root.appendingPathComponent("media")
        try FileManager.default.createDirectory(at: media, withIntermediateDirectories: true)
        try Data("MZ".utf8).write(to: media.appendingPathComponent("setup.exe"))
        let shares = SambaShareManager(includeFile: smbd.includeFile, configFile: smbd.configFile)
        try await shares.add(SambaShare(name: "vizor-open", path: media.path, comment: "guest", access: .guest))
        try await shares.add(SambaShare(name: "vizor-account", path: media.path, comment: "account", access: .users(["root"])))
        // A Samba account in this smbd's own passdb (the Unix user must exist; the tests run as root).
        let password = "Acc0unt-" + UUID().uuidString.prefix(8)
        let add = Process()
        add.executableURL = URL(fileURLWithPath: "/usr/bin/smbpasswd")
        add.arguments = ["-c", smbd.configFile, "-s", "-a", "root"]
        let input = Pipe()
        add.standardInput = input
        add.standardOutput = FileHandle.nullDevice
        add.standardError = FileHandle.nullDevice
        try add.run()
        input.fileHandleForWriting.write(Data("\(password)\n\(password)\n".utf8))
        try input.fileHandleForWriting.close()
        add.waitUntilExit()
        try #require(add.terminationStatus == 0, "smbpasswd -a root")

        let samba = LabGuestSamba(port: smbd.port)
        func use(_ share: String, _ user: String?, _ password: String?, nul: Bool = true) -> LabWinPEStartup.NetUse {
            .init(share: #"\\127.0.0.1\"# + share, user: user, password: password, onlyAfterFailure: false, persistent: false, inputFromNUL: nul)
        }
        let guest = use("vizor-open", "vizor-guest", "vizor")
        #expect(await LabGuestSimulator.netUse(guest, allowsGuest: false, samba: samba) == .exit(2))
        #expect(await LabGuestSimulator.netUse(guest, allowsGuest: true, samba: samba) == .exit(0))
        let account = use("vizor-account", "root", password)
        #expect(await LabGuestSimulator.netUse(account, allowsGuest: false, samba: samba) == .exit(0))
        #expect(await LabGuestSimulator.netUse(use("vizor-account", "root", "wrong-" + password), allowsGuest: false, samba: samba) == .exit(2))
        #expect(await LabGuestSimulator.netUse(use("vizor-account", "vizor-guest", "vizor"), allowsGuest: true, samba: samba) == .exit(2),
                "a share for the account only does not admit Samba's guest")
        #expect(await LabGuestSimulator.netUse(use("vizor-account", "root", nil), allowsGuest: false, samba: samba) == .exit(2))
        #expect(await LabGuestSimulator.netUse(use("vizor-account", "root", nil, nul: false), allowsGuest: false, samba: samba)
                == .waitsAtPrompt(#"Type the password for \\127.0.0.1\vizor-account:"#))
        #expect(await LabGuestSimulator.netUse(use("vizor-account", nil, nil, nul: false), allowsGuest: false, samba: samba)
                == .waitsAtPrompt("Enter the user name for '127.0.0.1':"))
    }

    @Test func theShareVizorExposedIsMappedAndSetupRunsFromIt() async throws {
        let install = try await Self.withSamba { _, samba, options in
            try await GuestInstallRun.run(.xenserver, options: options, samba: samba)
        }
        let startup = try #require(install.bundle?.artefacts[ArtefactName.winPEStartup]).text
        #expect(startup.contains(#"set "VZ_SHARE=\\127.0.0.1\vizor-"#), "the Samba share Vizor exposed")
        #expect(install.log.contains("log: net_use_try_1_exit_code_0"), "\(install.summary)")
        #expect(install.job.status == .succeeded, "\(install.summary)")
    }

    @Test func withoutTheSambaServerNetUseFailsEveryTryAndWinPEStops() async throws {
        let install = try await Self.withSamba { smbd, samba, options in
            // smbd goes away while iPXE loads WinPE, before the start-up maps the share (at a pace that leaves time for it).
            var slower = options
            slower.pace = .install(taking: .seconds(20))
            return try await GuestInstallRun.run(.xenserver, options: slower, samba: samba, stallTimeout: 10, whileRunning: { suite in
                while !Task.isCancelled, await suite.simulator?.statuses().contains(where: { $0.activity.hasPrefix("iPXE") }) != true {
                    try? await Task.sleep(for: .milliseconds(10))
                }
                smbd.stop()
            })
        }
        #expect(install.log.contains("log: net_use_try_1_exit_code_2") && install.log.contains("log: net_use_try_30_exit_code_2"),
                "\(install.summary)")
        #expect(install.log.contains("log: map_network_share_failed"), "\(install.summary)")
        #expect(install.guest?.activity.contains("could not be mapped") == true, "\(install.guest?.activity ?? "")")
        #expect(install.job.status == .failed && !install.stages.contains("finished"))
        // Stopping the exposure with smbd gone still takes the image's FUSE mount down.
        let mounts = (try? String(contentsOfFile: "/proc/mounts", encoding: .utf8)) ?? ""
        #expect(!mounts.contains(install.production.root.path), "\(mounts)")
    }
}
