import Foundation
import Testing

/// Runs the built `vizor` binary as an operator would, with empty XDG
/// directories, and checks what it leaves in the journal and on the lab.
@Suite("vizor install start / resume against the lab", .serialized)
struct InstallCLITests {
    static let binary = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build/debug/vizor").path

    /// Empty XDG directories and the Administrator password in the environment (never argv).
    struct Home {
        let root: URL
        var environment: [String: String]

        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-cli-\(UUID().uuidString.prefix(8))")
            var env = ProcessInfo.processInfo.environment
            for (key, dir) in [("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_STATE_HOME", "state"),
                               ("XDG_CACHE_HOME", "cache")] {
                let url = root.appendingPathComponent(dir)
                try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
                env[key] = url.path
            }
            env["VIZOR_ADMIN_PASSWORD"] = "Lab-Passw0rd!2026"
            env["VIZOR_LAB_PACE"] = "3"
            // The agent a command starts goes 30 s after this test's last command.
            env["VIZOR_AGENT_IDLE_EXIT"] = "30"
            environment = env
        }
    }

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Starts the binary; output goes to files so a large output never blocks it.
    static func launch(_ arguments: [String], _ home: Home, extra: [String: String] = [:]) throws -> (Process, URL, URL) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.environment = home.environment.merging(extra) { $1 }
        let out = home.root.appendingPathComponent("out-\(UUID().uuidString.prefix(6))")
        let err = home.root.appendingPathComponent("err-\(UUID().uuidString.prefix(6))")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, out, err)
    }

    static func run(_ arguments: [String], _ home: Home, timeout: TimeInterval = 120) throws -> Run {
        let (process, out, err) = try launch(arguments, home)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(50_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            Issue.record("vizor \(arguments.joined(separator: " ")) did not end within \(Int(timeout)) s")
        }
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                   stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    static func json(_ text: String) -> Any? {
        try? JSONSerialization.jsonObject(with: Data(text.utf8))
    }

    static let startXen = ["install", "start", "--site", "lab", "--backend", "xenserver",
                           "--image", "Windows_Server_2022_x64_en-US.iso", "--edition", "2", "--locale", "de-CH",
                           "--time-zone", "Europe/Zurich", "--instant"]
    static let startCloud = ["install", "start", "--site", "lab", "--backend", "cloudstack", "--zone", "lab-zone-1",
                             "--offering", "Medium Instance", "--disk-offering", "Custom", "--disk", "32",
                             "--image", "Windows_Server_2022_x64_en-US.iso", "--edition", "Windows Server 2022 Datacenter",
                             "--public", "--featured"]

    // MARK: no configuration: the in-process lab

    @Test(arguments: ["xenserver", "cloudstack"])
    func aNewUserWithoutConfigurationBuildsATemplateInTheLabAndExitsZero(backend: String) throws {
        let home = try Home()
        defer { try? FileManager.default.removeItem(at: home.root) }
        let args = (backend == "xenserver" ? Self.startXen : Self.startCloud)
            + ["--hostname", "w2022-\(backend.prefix(3))", "--template-name", "w2022-\(backend)", "--wait", "--json"]
        let run = try Self.run(args, home)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let job = try #require(Self.json(run.stdout) as? [String: Any], "stdout: \(run.stdout)")
        #expect(job["status"] as? String == "succeeded")
        let resources = try #require(job["resources"] as? [String: String])
        #expect(!(resources["templateID"] ?? "").isEmpty, "no template id journaled: \(resources)")
        #expect(resources["sequenceFinished"] == "1")
        // The journal outlives the process: every step succeeded once.
        let id = try #require(job["id"] as? String)
        let show = try Self.run(["install", "show", id, "--json"], home, timeout: 30)
        let shown = try #require(Self.json(show.stdout) as? [String: Any])
        let steps = try #require(shown["steps"] as? [[String: Any]])
        #expect(steps.count == 7 && steps.allSatisfy { $0["outcome"] as? String == "succeeded" }, "\(steps)")
        // The password never reached the journal or the log.
        let logs = try Self.run(["install", "logs", id], home, timeout: 30)
        #expect(!logs.stdout.contains("Lab-Passw0rd!2026") && !show.stdout.contains("Lab-Passw0rd!2026"))
        // Nothing exposed any more, and the job's secrets are gone.
        let exposures = home.root.appendingPathComponent("state/vizor/exposure/exposures.json")
        let records = (try? Data(contentsOf: exposures)).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [Any] } ?? []
        #expect(records.isEmpty, "exposures left: \(records)")
        let secrets = (try? FileManager.default.contentsOfDirectory(atPath: home.root.appendingPathComponent("state/vizor/install-secrets").path)) ?? []
        #expect(secrets.isEmpty, "secrets left: \(secrets)")
    }

    @Test func aBuildPlanRunsEveryJobInTheLabAndReportsATable() throws {
        let home = try Home()
        defer { try? FileManager.default.removeItem(at: home.root) }
        // The sample library is written under XDG data when the runtime starts, before any job exposes it.
        let iso = home.root.appendingPathComponent("data/vizor/lab-media/Windows_Server_2022_x64_en-US.iso").path
        let plan = """
            name: "{edition}-{locale}-{hypervisor}"
            options: {timezone: "W. Europe Standard Time"}
            images:
              - image: w2022
                path: \(iso)
                editions:
                  - {index: 1, name: Windows Server 2022 Standard}
                  - {index: 3, name: Windows Server 2022 Datacenter}
            targets:
              - {site: lab, hypervisor: cloudstack, zone: lab-zone-1, offering: Medium Instance}
              - {site: lab, hypervisor: xenserver}
            locales: [fr-FR]
            """
        let file = home.root.appendingPathComponent("plan.yaml")
        try plan.write(to: file, atomically: true, encoding: .utf8)
        let run = try Self.run(["build", file.path], home, timeout: 150)
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let rows = run.stdout.split(separator: "\n").dropFirst()
        #expect(rows.count == 4 && rows.allSatisfy { $0.contains("succeeded") }, "\(run.stdout)")
        #expect(rows.contains { $0.contains("windows-server-2022-datacenter-fr-FR-xenserver") })
    }

    @Test func withoutAPasswordSourceStartRefusesAndJournalsNothing() throws {
        var home = try Home()
        defer { try? FileManager.default.removeItem(at: home.root) }
        home.environment["VIZOR_ADMIN_PASSWORD"] = nil
        let run = try Self.run(Self.startXen + ["--hostname", "w1", "--wait"], home, timeout: 30)
        #expect(run.status == 2)
        #expect(run.stderr.contains("VIZOR_ADMIN_PASSWORD"), "\(run.stderr)")
        let list = try Self.run(["install", "list", "--json"], home, timeout: 30)
        #expect((Self.json(list.stdout) as? [Any])?.isEmpty == true, "\(list.stdout)")
    }

    @Test func aBadHostNameOrAMissingZoneIsRefusedBeforeAnythingIsCreated() throws {
        let home = try Home()
        defer { try? FileManager.default.removeItem(at: home.root) }
        let badName = try Self.run(Self.startXen + ["--hostname", "bad_name", "--wait"], home, timeout: 60)
        #expect(badName.status == 2)
        #expect(badName.stderr.contains("--hostname bad_name: '_' is not allowed"), "\(badName.stderr)")
        var noZone = Self.startCloud
        noZone.removeSubrange(6...7)    // --zone lab-zone-1
        let missing = try Self.run(noZone + ["--hostname", "w1", "--wait"], home, timeout: 60)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("--zone: several to choose from (lab-zone-1, lab-zone-2)"), "\(missing.stderr)")
        #expect(!missing.stderr.contains("vizor: vizor:"), "vizor's own errors carry no second prefix")
        let unknown = try Self.run(noZone + ["--zone", "mars", "--hostname", "w1", "--wait"], home, timeout: 60)
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("no zone or pool named mars"), "\(unknown.stderr)")
        let list = try Self.run(["install", "list", "--json"], home, timeout: 30)
        #expect((Self.json(list.stdout) as? [Any])?.isEmpty == true, "nothing journaled: \(list.stdout)")
    }

    @Test func aMissingInstallTemplateIsRefusedBeforeAnythingIsJournaledOrExposed() throws {
        let home = try Home()
        defer { try? FileManager.default.removeItem(at: home.root) }
        let run = try Self.run(["install", "start", "--site", "lab", "--backend", "xenserver", "--image",
                                "Windows_10_22H2_x64_en-US.iso", "--edition", "1", "--hostname", "w10", "--wait", "--json",
                                "--os-template", "no such install template"], home)
        #expect(run.status == 3, "\(run.stdout)\n\(run.stderr)")
        #expect(run.stderr.contains("no template named \"no such install template\"") && run.stderr.contains("vizor template list"),
                "\(run.stderr)")
        let list = try Self.run(["install", "list", "--json"], home, timeout: 30)
        #expect((Self.json(list.stdout) as? [Any])?.isEmpty == true, "nothing journaled: \(list.stdout)")
        let exposures = home.root.appendingPathComponent("state/vizor/exposure/exposures.json")
        let records = (try? Data(contentsOf: exposures)).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [Any] } ?? []
        #expect(records.isEmpty, "nothing exposed: \(records)")
    }

    @Test(arguments: ["xenserver", "cloudstack"])
    func anInstallWhoseBootISOIsMissingIsRefusedWithTheCommandThatPublishesIt(backend: String) throws {
        let home = try Home()
        defer { try? FileManager.default.removeItem(at: home.root) }
        let start = backend == "xenserver" ? Self.startXen : Self.startCloud
        let run = try Self.run(start + ["--hostname", "noboot", "--boot-iso", "vizor-missing.iso", "--wait"], home, timeout: 60)
        #expect(run.status == 3, "\(run.stdout)\n\(run.stderr)")
        #expect(run.stderr.contains("the boot ISO vizor-missing.iso is not on lab (\(backend))"), "\(run.stderr)")
        #expect(run.stderr.contains("vizor boot-iso build --site lab") && run.stderr.contains("vizor boot-iso publish --site lab"),
                "\(run.stderr)")
        let list = try Self.run(["install", "list", "--json"], home, timeout: 30)
        #expect((Self.json(list.stdout) as? [Any])?.isEmpty == true, "nothing journaled: \(list.stdout)")
        // A build plan naming the same ISO is refused as a whole, before any job.
        let plan = home.root.appendingPathComponent("plan.yaml")
        let iso = home.root.appendingPathComponent("data/vizor/lab-media/Windows_Server_2022_x64_en-US.iso").path
        let zone = backend == "cloudstack" ? ", zone: lab-zone-1, offering: Medium Instance" : ""
        try """
            name: "{edition}-{hypervisor}"
            images:
              - image: w2022
                path: \(iso)
                editions:
                  - {index: 1, name: Windows Server 2022 Standard}
            targets:
              - {site: lab, hypervisor: \(backend)\(zone), boot_iso: vizor-missing.iso}
            """.write(to: plan, atomically: true, encoding: .utf8)
        let build = try Self.run(["build", plan.path], home, timeout: 60)
        #expect(build.status == 3, "\(build.stdout)\n\(build.stderr)")
        #expect(build.stderr.contains("vizor boot-iso publish --site lab"), "\(build.stderr)")
        let after = try Self.run(["install", "list", "--json"], home, timeout: 30)
        #expect((Self.json(after.stdout) as? [Any])?.isEmpty == true, "nothing journaled: \(after.stdout)")
    }

    @Test func aFailingInstallExitsNonZeroAndCleanupRemovesItsLeftovers() throws {
        var home = try Home()
        defer { try? FileManager.default.removeItem(at: home.root) }
        // The container step fails once its VM exists, after media and artefacts are up.
        home.environment["VIZOR_FAILPOINTS"] = "end:create-container=error"
        let run = try Self.run(["install", "start", "--site", "lab", "--backend", "xenserver", "--image",
                                "Windows_10_22H2_x64_en-US.iso", "--edition", "1", "--hostname", "w10", "--wait", "--json"], home)
        home.environment["VIZOR_FAILPOINTS"] = nil
        #expect(run.status == 1, "\(run.stdout)\n\(run.stderr)")
        let job = try #require(Self.json(run.stdout) as? [String: Any], "stdout: \(run.stdout)")
        #expect(job["status"] as? String == "failed")
        let id = try #require(job["id"] as? String)
        let cleanup = try Self.run(["install", "cleanup", id], home)
        #expect(cleanup.status == 0, "\(cleanup.stderr)")
        let exposures = home.root.appendingPathComponent("state/vizor/exposure/exposures.json")
        let records = (try? Data(contentsOf: exposures)).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [Any] } ?? []
        #expect(records.isEmpty, "exposures left: \(records)")
    }

    @Test func startCarriesUILanguageProductKeyLanguagePacksAndCustomStepsIntoTheJournal() throws {
        let home = try Home()
        defer { try? FileManager.default.removeItem(at: home.root) }
        let keyFile = home.root.appendingPathComponent("key.txt")
        try "vk7jg-nphtm-c97jm-9mpgt-3v66t\n".write(to: keyFile, atomically: true, encoding: .utf8)
        let step = home.root.appendingPathComponent("hello.ps1")
        try "Write-Output 'hello'\n".write(to: step, atomically: true, encoding: .utf8)
        let base = ["install", "start", "--site", "lab", "--backend", "cloudstack", "--zone", "lab-zone-1",
                    "--offering", "Medium Instance", "--image", "Windows_11_22H2_x64_en-US_de-DE.iso", "--edition", "Windows 11 Pro",
                    "--hostname", "w11-fr", "--locale", "fr-FR", "--ui-language", "fr-FR", "--json"]
        // Without --wait the job is only journaled: its request is what the flags asked for.
        let run = try Self.run(base + ["--product-key-file", keyFile.path, "--language-pack", "fr-FR", "--language-pack", "ja-JP",
                                       "--custom-step", "greet=\(step.path)"], home, timeout: 60)
        #expect(run.status == 0, "\(run.stderr)")
        let job = try #require(Self.json(run.stdout) as? [String: Any], "stdout: \(run.stdout)")
        let request = try #require(job["request"] as? [String: Any], "the request is an object, not a string: \(run.stdout)")
        #expect(request["osTemplate"] as? String == "Windows 11 (64-bit)", "the edition picks the OS type: \(request)")
        let options = try #require(request["options"] as? [String: String])
        #expect(options["uiLanguage"] == "fr-FR" && options["productKey"] == "VK7JG-NPHTM-C97JM-9MPGT-3V66T")
        let packs = try #require(request["languagePacks"] as? [[String: Any]])
        #expect(packs.compactMap { $0["language"] as? String } == ["fr-FR", "ja-JP"])
        let steps = try #require(request["customSteps"] as? [[String: Any]])
        #expect(steps.first?["name"] as? String == "greet" && steps.first?["script"] as? String == "Write-Output 'hello'\n")

        // A pack the catalog lacks for this build, or both key sources, start nothing.
        let missing = try Self.run(base + ["--language-pack", "it-IT"], home, timeout: 60)
        #expect(missing.status != 0 && missing.stderr.contains("no language pack it-IT"), "\(missing.stderr)")
        let both = try Self.run(base + ["--product-key", "VK7JG-NPHTM-C97JM-9MPGT-3V66T", "--product-key-file", keyFile.path],
                                home, timeout: 60)
        #expect(both.status == 2, "\(both.stderr)")
        let list = try Self.run(["install", "list", "--json"], home, timeout: 30)
        #expect((Self.json(list.stdout) as? [Any])?.count == 1, "only the first start journaled a job: \(list.stdout)")
    }

    @Test func aWindows11EditionInstallsFromTheLabsWindows11TemplateWithALanguagePack() throws {
        let home = try Home()
        defer { try? FileManager.default.removeItem(at: home.root) }
        let step = home.root.appendingPathComponent("hello.ps1")
        try "Write-Output 'hello'\n".write(to: step, atomically: true, encoding: .utf8)
        // Client media without ei.cfg stop at Setup's product key page unless a key is given (Microsoft's generic Pro key here).
        let run = try Self.run(["install", "start", "--site", "lab", "--backend", "xenserver", "--image",
                                "Windows_11_22H2_x64_en-US_de-DE.iso", "--edition", "Windows 11 Pro", "--hostname", "w11-x",
                                "--ui-language", "fr-FR", "--language-pack", "fr-FR", "--custom-step", step.path,
                                "--product-key", "VK7JG-NPHTM-C97JM-9MPGT-3V66T", "--wait", "--json"], home)
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let job = try #require(Self.json(run.stdout) as? [String: Any], "stdout: \(run.stdout)")
        #expect(job["status"] as? String == "succeeded")
        let request = try #require(job["request"] as? [String: Any])
        #expect(request["osTemplate"] as? String == "Windows 11", "the lab's XenServer install template for Windows 11")
        // The language-pack ISO was exposed for the job and released with it.
        let exposures = home.root.appendingPathComponent("state/vizor/exposure/exposures.json")
        let records = (try? Data(contentsOf: exposures)).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [Any] } ?? []
        #expect(records.isEmpty, "exposures left: \(records)")
    }
}
