import BackendKit
import Foundation
import Testing
import VizorProvisioning

@Suite struct SequenceAndBootTests {
    @Test func customStepsAreInsertedWhereTheSpecSays() throws {
        let plan = PostInstallPlan(try Fixtures.cases[1].spec.validate())
        #expect(plan.steps.map(\.name) == [
            "custom-set-power-plan", "guest-tools", "custom-check-pv-drivers", "language-packs", "regional-settings",
            "windows-update-1", "windows-update-2", "custom-clean-temp", "seal",
        ])
        #expect(plan.steps.filter(\.seals).map(\.name) == ["seal"])
        #expect(plan.steps.map(\.fileName).first == "step-01-custom-set-power-plan.ps1")
    }

    @Test func stepsThatDoNotApplyAreLeftOut() throws {
        let plan = PostInstallPlan(try Fixtures.cases[3].spec.validate())
        #expect(plan.steps.map(\.name) == ["regional-settings", "seal"])
    }

    @Test func runnerRunsThePlanInOrderAndResumesFromStateFiles() throws {
        let goldenCase = Fixtures.cases[1]
        let bundle = try Fixtures.bundle(goldenCase)
        let runner = bundle.artefacts["vizor-runner.ps1"]!.text
        var position = runner.startIndex
        for step in bundle.plan.steps {
            let range = try #require(runner.range(of: "Name = '\(step.name)'; File = '\(step.fileName)'", range: position..<runner.endIndex))
            position = range.upperBound
        }
        for needle in ["Get-VizorStepState", "'running'", "'done'", "Restart-Computer -Force", "VizorRunner",
                       "/stage-done/", "/log/", "/nodeid?", "_begins", "_ends", "_failed", "postinstall_finished"] {
            #expect(runner.contains(needle), "runner lacks \(needle)")
        }
        #expect(bundle.plan.expectedStages.first == "finished")
        #expect(bundle.plan.expectedStages.last == "postinstall_finished")
        #expect(bundle.plan.expectedStages.count == 2 + 2 * bundle.plan.steps.count)
    }

    /// Run keys are processed by Explorer, which Server Core lacks: the runner resumes through a Task
    /// Scheduler task with a logon trigger, registered through the COM API (Windows 7 on, no password asked).
    @Test func theRunnerResumesThroughALogonTaskOnEveryEditionNotARunKey() throws {
        let runner = try Fixtures.bundle(Fixtures.cases[0]).artefacts["vizor-runner.ps1"]!.text
        for needle in ["New-Object -ComObject 'Schedule.Service'", "$task.Triggers.Create(9)", "$task.Principal.LogonType = 3",
                       "RegisterTaskDefinition($VizorTaskName, $task, 6, $user, $null, 3)", "DeleteTask($VizorTaskName, 0)"] {
            #expect(runner.contains(needle), "\(needle)")
        }
        #expect(!runner.contains(#"CurrentVersion\Run"#))
        let register = try #require(runner.range(of: "\nRegister-VizorResume\n"))
        let loop = try #require(runner.range(of: "\nforeach ($step in $VizorSteps) {"))
        #expect(register.upperBound <= loop.lowerBound, "registered before the first step can restart the machine")
    }

    @Test func stageNamesReadBack() {
        #expect(StageEvent(stageName: "finished") == .setupFinished)
        #expect(StageEvent(stageName: "guest-tools_begins") == .stepBegan("guest-tools"))
        #expect(StageEvent(stageName: "windows-update-2_ends") == .stepEnded("windows-update-2"))
        #expect(StageEvent(stageName: "custom-x_failed") == .stepFailed("custom-x"))
        #expect(StageEvent(stageName: "postinstall_finished") == .sequenceFinished)
        #expect(StageEvent(stageName: "_begins") == nil)
        #expect(StageEvent(stageName: "stage_0_whatever") == nil)
    }

    @Test func xenServerToolsUseTheResearchedMSIProperties() throws {
        let bundle = try Fixtures.bundle(Fixtures.cases[0])
        let step = bundle.artefacts["step-01-guest-tools.ps1"]!.text
        for property in ["/qn", "/norestart", "ALLOWAUTOUPDATE=NO", "ALLOWDRIVERINSTALL=YES", "ALLOWDRIVERUPDATE=NO",
                         "IDENTIFYAUTOUPDATE=NO", "managementagentx64.msi", "Request-VizorReboot"] {
            #expect(step.contains(property), "\(property)")
        }
        let x86 = try Fixtures.bundle(Fixtures.cases[2]).artefacts["step-01-guest-tools.ps1"]!.text
        #expect(x86.contains("setup.exe") && x86.contains("REBOOT=R") && !x86.contains("setup64.exe"))
    }

    @Test func languagePacksGoThroughDISMThenRegionalSettings() throws {
        let bundle = try Fixtures.bundle(Fixtures.cases[1])
        let packs = bundle.artefacts["step-04-language-packs.ps1"]!.text
        #expect(packs.contains("'/Online', '/Add-Package'"))
        #expect(packs.contains("Microsoft-Windows-Server-Language-Pack_x64_fr-fr.cab"))
        let regional = bundle.artefacts["step-05-regional-settings.ps1"]!.text
        #expect(regional.contains("intl.cpl,,/f:") && regional.contains("'Romance Standard Time'"))
        #expect(regional.contains("Request-VizorReboot"), "a new display language needs a new logon")
    }

    /// Finding 10: on Windows 8 / Server 2012 and later, intl.cpl does not set the
    /// user language list; the International cmdlets do. The list keeps every
    /// installed language (the packs and the image's own), so that Windows does
    /// not remove a pack whose language is missing from every list. intl.cpl stays
    /// for systems without the cmdlets.
    @Test func regionalSettingsUseTheInternationalCmdletsAndKeepInstalledPacks() throws {
        let windows10 = try Fixtures.bundle(try #require(Fixtures.cases.first { $0.name == "bios-x86-langpacks-custom" }))
        let client = windows10.artefacts["step-04-regional-settings.ps1"]!.text
        for needle in ["Get-Command -Name 'Set-WinUserLanguageList'", "$languages = @('de-DE', 'en-US')",
                       "Set-WinUserLanguageList -LanguageList $list -Force", "Set-WinSystemLocale -SystemLocale 'de-DE'",
                       "Set-Culture -CultureInfo 'de-CH'", "Set-WinHomeLocation -GeoId 223",
                       "Set-WinUILanguageOverride -Language 'de-DE'", "Set-WinDefaultInputMethodOverride -InputTip '0807:00000807'"] {
            #expect(client.contains(needle), "\(needle)")
        }
        let cmdlets = try #require(client.range(of: "Set-WinUserLanguageList -LanguageList"))
        let intl = try #require(client.range(of: "intl.cpl,,/f:"))
        #expect(intl.lowerBound > cmdlets.lowerBound, "intl.cpl is the fallback, not the first choice")
        let server = try Fixtures.bundle(Fixtures.cases[1]).artefacts["step-05-regional-settings.ps1"]!.text
        #expect(server.contains("$languages = @('fr-FR', 'de-DE', 'en-US')"), "every installed pack stays in the list")
    }

    @Test func sealingSyspreps_orPowersOff() throws {
        let sysprep = try Fixtures.bundle(Fixtures.cases[0]).artefacts["step-03-seal.ps1"]!.text
        #expect(sysprep.contains("'/generalize', '/oobe', '/quit'") && sysprep.contains("sysprep.xml"))
        #expect(sysprep.contains("if (-not (Test-Path $tag))") && sysprep.contains("throw 'sysprep did not report success"))
        let powerOff = try Fixtures.bundle(Fixtures.cases[2]).artefacts["step-05-seal.ps1"]!.text
        #expect(!powerOff.contains("sysprep.exe"))
        // The step only seals: resuming, auto-logon, the files and the power-off are the runner's, once it succeeded.
        for step in [sysprep, powerOff] {
            #expect(!step.contains("Stop-Computer") && !step.contains("AutoAdminLogon") && !step.contains("Remove-Item -Path $VizorDir"))
        }
    }

    /// The end is reported in the order things happen: `<seal>_ends` and `postinstall_finished` only after the
    /// seal step succeeded; until then the resume task and the auto-logon stay, so a failed seal runs again.
    /// Store updates are off from the start of the sequence (KB2769827) until the machine is sealed.
    @Test func theEndIsReportedOnlyAfterTheSealSucceededAndTheSequenceStaysResumableUntilThen() throws {
        let runner = try Fixtures.bundle(Fixtures.cases[0]).artefacts["vizor-runner.ps1"]!.text
        func position(_ needle: String) throws -> String.Index { try #require(runner.range(of: needle), "\(needle)").lowerBound }
        let main = try position("\nNew-Item -ItemType Directory -Force -Path $VizorStateDir")
        let mainText = String(runner[main...])
        func inMain(_ needle: String) throws -> String.Index { try #require(mainText.range(of: needle), "\(needle)").lowerBound }
        #expect(try inMain("Disable-VizorStoreUpdates") < inMain("foreach ($step in $VizorSteps)"))
        #expect(try inMain("& (Join-Path $VizorDir $step.File)") < inMain("if ($failure) {"))
        #expect(try inMain("if ($failure) {") < inMain("Send-VizorStage 'postinstall_finished'"))
        #expect(try inMain("Send-VizorStage 'postinstall_finished'") < inMain("Complete-VizorSequence"))
        #expect(!mainText.contains("Unregister-VizorResume\n    Send-VizorStage"), "no resume removal before the end")
        let complete = String(runner[try position("function Complete-VizorSequence {")...])
        let body = String(complete[..<(try #require(complete.range(of: "\n}\n")).lowerBound)])
        for (first, then) in [("Unregister-VizorResume", "Stop-Computer -Force"), ("'AutoAdminLogon' -Value '0'", "Stop-Computer -Force"),
                              ("Remove-ItemProperty -Path $VizorStorePolicy -Name 'AutoDownload'", "Stop-Computer -Force"),
                              ("Remove-Item -Path $VizorDir -Recurse", "Stop-Computer -Force")] {
            let a = try #require(body.range(of: first), "\(first)"), b = try #require(body.range(of: then), "\(then)")
            #expect(a.lowerBound < b.lowerBound, "\(first) before \(then)")
        }
        #expect(runner.contains("Set-ItemProperty -Path $VizorStorePolicy -Name 'AutoDownload' -Value 2 -Type DWord"))
    }

    @Test func customStepReadsTheOperatorsFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-step-\(UUID().uuidString).ps1")
        try Data("Write-Output 'hello'\n".utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let step = try CustomStep(name: "hello", contentsOf: url.path, position: .first)
        #expect(step.script == "Write-Output 'hello'\n")
        #expect(throws: BackendError.self) { try CustomStep(name: "gone", contentsOf: url.path + ".missing") }
    }

    @Test(arguments: [Firmware.bios, .uefi])
    func bootScriptLoadsTheISOsOwnBootFilesThroughWimboot(_ firmware: Firmware) throws {
        let goldenCase = Fixtures.cases.first { $0.spec.firmware == firmware && $0.spec.image.imageID == "win2019-x64" }!
        let script = try Fixtures.bundle(goldenCase).artefacts["boot.ipxe"]!.text
        let lines = script.split(separator: "\n").map(String.init)
        #expect(lines.first == "#!ipxe")
        #expect(lines.contains("kernel http://192.0.2.10:8160/static/wimboot || goto failed"))
        let media = "http://192.0.2.10:8160/media/win2019-x64"
        var expected = ["\(media)/boot/boot.sdi boot.sdi", "\(media)/sources/boot.wim boot.wim"]
        switch firmware {
        case .bios: expected += ["\(media)/bootmgr bootmgr", "\(media)/boot/bcd BCD"]
        case .uefi: expected += ["\(media)/efi/boot/bootx64.efi bootx64.efi", "\(media)/efi/microsoft/boot/bcd BCD"]
        }
        let token = Fixtures.context().token
        for name in ["winpeshl.ini", "vizor-winpe.cmd", "autounattend.xml"] {
            expected.append("http://192.0.2.10:8160/artefacts/\(goldenCase.spec.jobID)/\(name)?token=\(token) \(name)")
        }
        for file in expected { #expect(lines.contains("initrd \(file) || goto failed"), "\(file)") }
        #expect(lines.contains("boot || goto failed"))
    }

    /// Finding 2: 32-bit UEFI iPXE cannot run the x86_64 EFI image of `wimboot`;
    /// wimboot ships `wimboot.i386` (BIOS and 32-bit UEFI) and `wimboot.arm64` for
    /// that. BIOS runs either; the x86_64 build's BIOS entry is i386 code.
    @Test(arguments: [(Firmware.uefi, WindowsArchitecture.x86, "wimboot.i386"), (.uefi, .amd64, "wimboot"),
                      (.uefi, .arm64, "wimboot.arm64"), (.bios, .x86, "wimboot"), (.bios, .amd64, "wimboot")])
    func theBootScriptLoadsTheWimbootBuildTheFirmwareCanRun(_ firmware: Firmware, _ arch: WindowsArchitecture,
                                                           _ binary: String) throws {
        let image = ImageFacts(imageID: "img-\(arch.rawValue)", editions: [EditionFacts(
            index: 1, name: "Windows 10 Pro", editionID: "Professional", architecture: arch, build: 19041,
            languages: ["en-US"], installationType: "Client")])
        let spec = InstallSpec(jobID: "wimboot", image: image, editionIndex: 1, firmware: firmware, hostname: "WB",
                               administratorPassword: "x")
        let script = BootScriptRenderer.render(try spec.validate(), context: Fixtures.context())
        let kernels = script.split(separator: "\n").filter { $0.hasPrefix("kernel ") }
        #expect(kernels == ["kernel http://192.0.2.10:8160/static/\(binary) || goto failed"])
    }

    /// Finding 4: WinPE runs the start-up in a console nobody sees, so `net use`
    /// must never wait at a prompt. Every attempt names a user and a password
    /// (none asks for one), keeps nothing (`/persistent:no`), and reads its
    /// input from NUL, so that any question it might still ask fails at once.
    @Test func netUseNeverWaitsAtAnInvisiblePrompt() throws {
        func netUses(_ goldenCase: Fixtures.GoldenCase) throws -> [String] {
            try Fixtures.bundle(goldenCase).artefacts["vizor-winpe.cmd"]!.text
                .components(separatedBy: "\r\n").filter { $0.contains("net use Z: \"%VZ_SHARE%\"") }
        }
        let account = try netUses(Fixtures.cases[2])
        #expect(account == [#"net use Z: "%VZ_SHARE%" "Sh4re-S3cret" /user:"media-reader" /persistent:no < NUL >> "%VZ_LOG%" 2>&1"#])
        let guest = try netUses(Fixtures.cases[0])
        #expect(!guest.isEmpty)
        for line in guest {
            #expect(line.contains(" /user:") && line.contains(" /persistent:no < NUL "), "\(line)")
        }
    }

    @Test func winPEStartupFindsItsNodeMapsTheShareAndReports() throws {
        let goldenCase = Fixtures.cases[2]
        let bundle = try Fixtures.bundle(goldenCase)
        let startup = bundle.artefacts["vizor-winpe.cmd"]!.text
        #expect(startup.hasSuffix("\r\n") && !startup.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "CRLF only")
        for needle in ["wpeutil InitializeNetwork", "%VZ_SVC%/nodeid?!VZ_HWID!", #"set "VZ_SHARE=\\192.0.2.10\vizor-win10-x86""#,
                       ":map_share", "if !VZ_TRY! GEQ 30", "net_use_try_!VZ_TRY!_exit_code_!VZ_RC!",
                       #"Z:\setup.exe /unattend:"%VZ_ANSWER%" /noreboot"#, "/stage-done/!VZ_ID!?name=finished",
                       "unexpected_exit_code_!VZ_RC!", "/log/!VZ_ID!?severity=%~1&msg=%~2", "wpeutil reboot",
                       #"/user:"media-reader""#] {
            #expect(startup.contains(needle), "\(needle)")
        }
        #expect(bundle.artefacts["vizor-winpe.cmd"]!.carriesSecrets)
        let guest = try Fixtures.bundle(Fixtures.cases[0]).artefacts["vizor-winpe.cmd"]!
        #expect(!guest.carriesSecrets && guest.text.contains(#"/user:"vizor-guest""#))
        let shell = bundle.artefacts["winpeshl.ini"]!.text
        #expect(shell.hasPrefix("[LaunchApps]\r\n") && shell.contains(#"cmd.exe, /k %SYSTEMROOT%\System32\vizor-winpe.cmd"#))
    }
}
