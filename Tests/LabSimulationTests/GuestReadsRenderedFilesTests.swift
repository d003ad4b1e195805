import BackendKit
import Foundation
import Testing
import VizorLab
import VizorProvisioning

/// The lab's guest reads the files Vizor renders, and only them: what it
/// takes from each (URLs, share, credentials, image, disk, commands) and
/// that a file in a shape it does not know stops it rather than letting it guess.
@Suite struct GuestReadsRenderedFilesTests {
    static let server = ImageFacts(imageID: "w2019", editions: [
        EditionFacts(index: 1, name: "Windows Server 2019 SERVERSTANDARDCORE", editionID: "ServerStandard",
                     architecture: .amd64, build: 17763, languages: ["en-US"], installationType: "Server Core"),
        EditionFacts(index: 2, name: "Windows Server 2019 SERVERSTANDARD", editionID: "ServerStandard",
                     architecture: .amd64, build: 17763, languages: ["en-US"], installationType: "Server"),
    ])
    static let serverMedium = LabInstallMedium(images: [
        .init(index: 1, name: "Windows Server 2019 SERVERSTANDARDCORE", editionID: "ServerStandard", installationType: "Server Core",
              architecture: "amd64", languages: ["en-US"], build: 17763),
        .init(index: 2, name: "Windows Server 2019 SERVERSTANDARD", editionID: "ServerStandard", installationType: "Server",
              architecture: "amd64", languages: ["en-US"], build: 17763),
    ], hasKeyConfiguration: false)
    static let token = "tok-0123456789abcdef0123"

    static func context(smb: Bool = false) -> ServingContext {
        ServingContext(mediaBaseURL: "http://192.0.2.10:8160/media/w2019/", razorServiceURL: "http://192.0.2.20:8150/svc",
                       artefactBaseURL: "http://192.0.2.10:8160/artefacts", wimbootURL: "http://192.0.2.10:8160/wimboot",
                       smbShare: #"\\192.0.2.10\vizor-w2019"#, smbUser: smb ? "media-reader" : nil,
                       smbPassword: smb ? "Sh4re-S3cret" : nil, token: token)
    }

    static func bundle(index: Int = 2, firmware: Firmware = .uefi, productKey: String? = nil, smb: Bool = false,
                       image: ImageFacts = server) throws -> ArtefactBundle {
        try ArtefactBundle.render(InstallSpec(jobID: "job-7", image: image, editionIndex: index, firmware: firmware, hostname: "ws2019",
                                              administratorPassword: "Adm1n-S3cret!", productKey: productKey, guestTools: .xenserver,
                                              sysprepForTemplate: true), context: context(smb: smb))
    }

    static func text(_ bundle: ArtefactBundle, _ name: String) throws -> String {
        try #require(bundle.artefacts[name]).text
    }

    @Test func theWinPEStartUpGivesItsURLsTheShareAndTheCredentialsWrittenThere() throws {
        let startup = try LabWinPEStartup.parse(try Self.text(try Self.bundle(smb: true), ArtefactName.winPEStartup))
        #expect(try startup.expand(startup.nodeURL, runtime: ["VZ_HWID": "net0=52-54-00-AA-BB-01"])
                == "http://192.0.2.20:8150/svc/nodeid?net0=52-54-00-AA-BB-01")
        #expect(try startup.expand(startup.logURL, runtime: ["VZ_ID": "12"], arguments: ["info", "start_installer"])
                == "http://192.0.2.20:8150/svc/log/12?severity=info&msg=start_installer")
        #expect(try startup.expand(startup.finishedURL, runtime: ["VZ_ID": "12"]) == "http://192.0.2.20:8150/svc/stage-done/12?name=finished")
        #expect(startup.mapCommands == [.init(share: #"\\192.0.2.10\vizor-w2019"#, user: "media-reader", password: "Sh4re-S3cret",
                                              onlyAfterFailure: false, persistent: false, inputFromNUL: true)])
        #expect(!startup.allowsInsecureGuestAuth, "an account of Samba's own needs no guest logon")
        #expect(startup.nodeTries == 10 && startup.mapTries == 30 && startup.checksCurl && startup.rebootsAfterSetup)
        #expect(startup.answerFile == #"X:\Windows\System32\autounattend.xml"#)
        #expect(startup.reports[.setupFailed] == "error" && startup.reports[.started] == "info")
        #expect(LabWinPEStartup.nodeID(fromAnswer: #"{"id":12}"#) == "12")

        let guest = try LabWinPEStartup.parse(try Self.text(try Self.bundle(), ArtefactName.winPEStartup))
        // A guest share: one try as a user Samba does not know, never waiting at a prompt, after
        // AllowInsecureGuestAuth is set in WinPE's registry (KB4046019).
        #expect(guest.mapCommands == [.init(share: #"\\192.0.2.10\vizor-w2019"#, user: "vizor-guest", password: "vizor",
                                            onlyAfterFailure: false, persistent: false, inputFromNUL: true)])
        #expect(guest.allowsInsecureGuestAuth)
    }

    @Test func aStartUpLineOfAnotherShapeStopsWinPEInsteadOfBeingGuessed() throws {
        let text = try Self.text(try Self.bundle(), ArtefactName.winPEStartup)
        let changed = text.replacingOccurrences(of: #"curl.exe -fsS -o NUL "%VZ_SVC%/stage-done/"#, with: #"curl.exe -s -o NUL "%VZ_SVC%/stage-done/"#)
        #expect(changed != text)
        let failure = try #require(throws: LabGuestFailure.self) { try LabWinPEStartup.parse(changed) }
        #expect(failure.message.contains("vizor-winpe.cmd line ") && failure.message.contains("curl.exe -s -o NUL"))
        #expect(throws: LabGuestFailure.self) { try LabWinPEStartup.parse(text.replacingOccurrences(of: "\r\n", with: "\n")) }

        // reg.exe without /f asks before it overwrites: not a shape WinPE's console can answer.
        let reg = #"/d 1 /f >> "%VZ_LOG%" 2>&1"#
        #expect(text.contains(reg))
        #expect(throws: LabGuestFailure.self) { try LabWinPEStartup.parse(text.replacingOccurrences(of: reg, with: #"/d 1 >> "%VZ_LOG%" 2>&1"#)) }
        // AllowInsecureGuestAuth written after the share is mapped does not let that mapping in as a guest.
        let lines = text.components(separatedBy: "\r\n")
        let regLine = try #require(lines.first { $0.hasPrefix("reg add ") })
        let late = lines.filter { $0 != regLine }.flatMap { $0 == ":mapped" ? [$0, regLine] : [$0] }.joined(separator: "\r\n")
        #expect(try !LabWinPEStartup.parse(late).allowsInsecureGuestAuth)
        #expect(try LabWinPEStartup.parse(text).allowsInsecureGuestAuth)
        // net use without a password and without input from NUL: read as written, so the lab's WinPE can wait at its prompt.
        let prompting = text.replacingOccurrences(of: #""vizor" /user:"vizor-guest" /persistent:no < NUL"#, with: #"/user:"vizor-guest""#)
        #expect(prompting != text)
        let command = try #require(try LabWinPEStartup.parse(prompting).mapCommands.first)
        #expect(command.user == "vizor-guest" && command.password == nil && !command.inputFromNUL && command.persistent == nil)
        #expect(throws: LabGuestFailure.self) {
            try LabWinPEStartup.parse(text.replacingOccurrences(of: "/persistent:no < NUL", with: "/persistent:maybe < NUL"))
        }
    }

    @Test func winpeshlLaunchesWpeinitThenTheStartUpScript() throws {
        let shell = try LabWinPEShell.parse(try Self.text(try Self.bundle(), ArtefactName.winpeshl))
        #expect(shell.apps == [.init(path: #"X:\Windows\System32\wpeinit.exe"#, arguments: ""),
                               .init(path: #"X:\Windows\System32\cmd.exe"#, arguments: #"/k X:\Windows\System32\vizor-winpe.cmd"#)])
        #expect(throws: LabGuestFailure.self) { try LabWinPEShell.parse("[LaunchApps\r\nx.exe\r\n") }
    }

    @Test func setupTakesTheEditionDiskKeyAndLocaleFromTheAnswerFile() throws {
        let bundle = try Self.bundle(productKey: "N69G4-B89J2-4G8F4-WWYCC-J464C")
        let installed = try LabWindowsSetup.apply(answerFile: try Self.text(bundle, ArtefactName.autounattend), path: "X:\\a.xml",
                                                  medium: Self.serverMedium)
        #expect(installed.imageIndex == 2 && installed.installationType == "Server" && installed.hasExplorer)
        #expect(installed.partitions == ["EFI 500", "MSR 128", "Primary rest"] && installed.windowsPartition == 3)
        #expect(installed.productKeyGiven && installed.uiLanguage == "en-US" && installed.systemLocale == "en-US")
        #expect(installed.computerName == "ws2019")
        #expect(installed.autoLogon == .init(user: "Administrator", count: 999))
        let core = try LabWindowsSetup.apply(answerFile: try Self.text(try Self.bundle(index: 1, firmware: .bios), ArtefactName.autounattend),
                                             path: "X:\\a.xml", medium: Self.serverMedium)
        #expect(core.installationType == "Server Core" && !core.hasExplorer)
        #expect(core.partitions == ["Primary 500", "Primary rest"] && core.windowsPartition == 2 && !core.productKeyGiven)
    }

    /// OOBE after generalize, from the sysprep.xml a template was sealed with: a Server edition has its
    /// Administrator password; a client edition needs an account or an AutoLogon (finding 3).
    @Test func oobeOfAGeneralizedWindowsEndsOnlyWithAnAccountItCanUse() throws {
        let server = try LabWindowsSetup.apply(answerFile: try Self.text(try Self.bundle(), ArtefactName.autounattend),
                                               path: "X:\\a.xml", medium: Self.serverMedium)
        #expect(try LabOOBE.run(answerFile: try Self.text(try Self.bundle(), ArtefactName.sysprep), installed: server) == .logonScreen)

        var client = server
        client.installationType = "Client"
        let clientImage = ImageFacts(imageID: "w10", editions: [EditionFacts(index: 1, name: "Windows 10 Pro", editionID: "Professional",
                                                                              architecture: .amd64, build: 19045, languages: ["en-US"],
                                                                              installationType: "Client")])
        let sysprep = try Self.text(try Self.bundle(index: 1, image: clientImage), ArtefactName.sysprep)
        #expect(try LabOOBE.run(answerFile: sysprep, installed: client) == .autoLogon(user: "Administrator", count: 1))
        // Without the AutoLogon (the file before the fix), OOBE waits at "create an account".
        let start = try #require(sysprep.range(of: "<AutoLogon>")), end = try #require(sysprep.range(of: "</AutoLogon>"))
        let without = sysprep.replacingCharacters(in: start.lowerBound..<end.upperBound, with: "")
        let stop = try #require(throws: LabGuestFailure.self) { try LabOOBE.run(answerFile: without, installed: client) }
        #expect(stop.message.contains("create an account"))
        // A local account is as good.
        let account = without.replacingOccurrences(of: "<UserAccounts>", with:
            "<UserAccounts><LocalAccounts><LocalAccount><Name>vizor</Name><Group>Administrators</Group></LocalAccount></LocalAccounts>")
        #expect(try LabOOBE.run(answerFile: account, installed: client) == .logonScreen)
    }

    @Test func setupRefusesABadIndexAMalformedFileAMissingKeyAndAnotherArchitecture() throws {
        let answer = try Self.text(try Self.bundle(), ArtefactName.autounattend)
        let oneImage = LabInstallMedium(images: [Self.serverMedium.images[0]], hasKeyConfiguration: false)
        let index = try #require(throws: LabGuestFailure.self) {
            try LabWindowsSetup.apply(answerFile: answer, path: "X:\\a.xml", medium: oneImage)
        }
        #expect(index.message.contains("/IMAGE/INDEX = 2") && index.message.contains("waits"))
        let malformed = try #require(throws: LabGuestFailure.self) {
            try LabWindowsSetup.apply(answerFile: String(answer.dropLast(40)), path: "X:\\a.xml", medium: Self.serverMedium)
        }
        #expect(malformed.message.contains("could not parse or process the unattend answer file"))

        let client = ImageFacts(imageID: "w10", editions: [EditionFacts(index: 1, name: "Windows 10 Pro", editionID: "Professional",
                                                                         architecture: .amd64, build: 19045, languages: ["en-US"],
                                                                         installationType: "Client")])
        let clientMedium = LabInstallMedium(images: [.init(index: 1, name: "Windows 10 Pro", editionID: "Professional",
                                                           installationType: "Client", architecture: "amd64", languages: ["en-US"],
                                                           build: 19045)], hasKeyConfiguration: false)
        // Finding 9: a client edition with no key given gets its KMS client setup key and Setup goes on;
        // without the ProductKey element, Setup stops at its key page.
        let rendered = try Self.text(try Self.bundle(index: 1, image: client), ArtefactName.autounattend)
        #expect(try LabWindowsSetup.apply(answerFile: rendered, path: "X:\\a.xml", medium: clientMedium).productKeyGiven)
        let start = try #require(rendered.range(of: "<ProductKey>")), end = try #require(rendered.range(of: "</ProductKey>"))
        let keyless = rendered.replacingCharacters(in: start.lowerBound..<end.upperBound, with: "")
        let key = try #require(throws: LabGuestFailure.self) {
            try LabWindowsSetup.apply(answerFile: keyless, path: "X:\\a.xml", medium: clientMedium)
        }
        #expect(key.message.contains("product key page"))
        var withConfiguration = clientMedium
        withConfiguration.hasKeyConfiguration = true
        #expect(try LabWindowsSetup.apply(answerFile: keyless, path: "X:\\a.xml", medium: withConfiguration).imageIndex == 1)

        let x86 = answer.replacingOccurrences(of: #"processorArchitecture="amd64""#, with: #"processorArchitecture="x86""#)
        let architecture = try #require(throws: LabGuestFailure.self) {
            try LabWindowsSetup.apply(answerFile: x86, path: "X:\\a.xml", medium: Self.serverMedium)
        }
        #expect(architecture.message.contains("no Microsoft-Windows-Setup settings for amd64"))
    }

    @Test func theFirstLogonCommandsDownloadTheRunnerAndRunIt() throws {
        let bundle = try Self.bundle()
        let installed = try LabWindowsSetup.apply(answerFile: try Self.text(bundle, ArtefactName.autounattend), path: "X:\\a.xml",
                                                  medium: Self.serverMedium)
        let commands = try installed.firstLogonCommands.map { try LabFirstLogonCommand.parse($0) }
        let runner = #"C:\ProgramData\Vizor\vizor-runner.ps1"#
        guard case .download(let url, let path, _, _) = commands[1] else {
            Issue.record("the second command is not a download: \(commands)")
            return
        }
        #expect(url == Self.context().artefactURL(job: "job-7", name: ArtefactName.runner) && path == runner)
        #expect(commands.first == .makeDirectory(#"C:\ProgramData\Vizor"#) && commands.last == .runScript(runner))
        #expect(throws: LabGuestFailure.self) { try LabFirstLogonCommand.parse("cmd.exe /c start http://example/x.ps1") }
    }

    @Test func theRunnerGivesItsManifestStepsAndProgram() throws {
        let bundle = try Self.bundle()
        let runner = try LabRunnerScript.parse(try Self.text(bundle, ArtefactName.runner))
        #expect(runner.service == "http://192.0.2.20:8150/svc" && runner.directory == #"C:\ProgramData\Vizor"#)
        #expect(runner.files.map(\.name) == [ArtefactName.regional, ArtefactName.sysprep] + bundle.plan.steps.map(\.fileName))
        #expect(runner.files.allSatisfy { $0.url == Self.context().artefactURL(job: "job-7", name: $0.name) })
        #expect(runner.steps.map(\.name) == bundle.plan.steps.map(\.name))
        #expect(runner.steps.filter(\.seals).map(\.name) == ["seal"])
        #expect(runner.downloadTries == 10)
        #expect(runner.main.contains { if case .forEachStep = $0 { return true } else { return false } })
        let changed = try Self.text(bundle, ArtefactName.runner).replacingOccurrences(of: "Restart-Computer -Force", with: "shutdown /r /t 0")
        let failure = try #require(throws: LabGuestFailure.self) { try LabRunnerScript.parse(changed) }
        #expect(failure.message.contains("shutdown /r /t 0"))
    }
}
