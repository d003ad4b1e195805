import BackendKit
import Foundation
import VizorProvisioning

/// Sample catalog facts and specs shared by the tests.
enum Fixtures {
    static let server2019 = ImageFacts(imageID: "win2019-x64", editions: [
        EditionFacts(index: 1, name: "Windows Server 2019 SERVERSTANDARDCORE", editionID: "ServerStandardCore",
                     architecture: .amd64, build: 17763, languages: ["en-US"], installationType: "Server Core"),
        EditionFacts(index: 2, name: "Windows Server 2019 SERVERSTANDARD", editionID: "ServerStandard",
                     architecture: .amd64, build: 17763, languages: ["en-US"], installationType: "Server"),
    ])

    static let windows10x86 = ImageFacts(imageID: "win10-x86", editions: [
        EditionFacts(index: 1, name: "Windows 10 Pro", editionID: "Professional", architecture: .x86, build: 19041,
                     languages: ["en-US"], installationType: "Client"),
    ])

    static let windows10x64 = ImageFacts(imageID: "win10-x64", editions: [
        EditionFacts(index: 3, name: "Windows 10 Enterprise", editionID: "Enterprise", architecture: .amd64,
                     build: 19041, languages: ["en-US"], installationType: "Client"),
    ])

    /// Where a job's node finds things; the media are those of `image`, exposed
    /// as Vizor exposes an ISO (`/media/<image>/`, share `vizor-<image>`).
    static func context(smbCredentials: Bool = false, image: ImageFacts = server2019) -> ServingContext {
        ServingContext(mediaBaseURL: "http://192.0.2.10:8160/media/\(image.imageID)/",
                       razorServiceURL: "http://192.0.2.20:8150/svc",
                       artefactBaseURL: "http://192.0.2.10:8160/artefacts",
                       wimbootURL: "http://192.0.2.10:8160/static/wimboot",
                       smbShare: #"\\192.0.2.10\vizor-"# + image.imageID,
                       smbUser: smbCredentials ? "media-reader" : nil,
                       smbPassword: smbCredentials ? "Sh4re-S3cret" : nil,
                       token: "tok-0123456789abcdef0123")
    }

    static let adminPassword = "Adm1n-S3cret!"
    static let userPassword = "Us3r-S3cret"

    struct GoldenCase: Sendable, CustomStringConvertible {
        var name: String
        var spec: InstallSpec
        var context: ServingContext
        var description: String { name }
    }

    static let customFirst = CustomStep(name: "set-power-plan", script: """
        # Operator: high performance power plan.
        & powercfg.exe /setactive 8c5e7fda-e8bf-4a96-9a85-a6e23a8c635c
        Write-Output 'power plan set'
        """, position: .first)
    static let customAfterTools = CustomStep(name: "check-pv-drivers", script: """
        $drivers = @(Get-WmiObject Win32_PnPSignedDriver | Where-Object { $_.DeviceName -like '*Xen*' })
        if ($drivers.Count -eq 0) {
            throw 'no Xen PV drivers found'
        }
        Write-Output ('{0} Xen drivers present' -f $drivers.Count)
        """, position: .after(.guestTools))
    static let customBeforeSeal = CustomStep(name: "clean-temp", script: """
        Remove-Item -Path (Join-Path $env:TEMP '*') -Recurse -Force -ErrorAction SilentlyContinue
        """, position: .beforeSeal)
    static let customAfterLanguage = CustomStep(name: "set-keyboard-list", script: """
        $list = New-WinUserLanguageList -Language 'de-DE'
        Set-WinUserLanguageList -LanguageList $list -Force
        """, position: .after(.languagePacks))

    static let cases: [GoldenCase] = [
        GoldenCase(name: "bios-x64-plain", spec: InstallSpec(
            jobID: "job-bios-x64", image: server2019, editionIndex: 2, firmware: .bios, hostname: "WS2019-BIOS",
            administratorPassword: adminPassword, timeZone: "W. Europe Standard Time", guestTools: .xenserver),
            context: context(image: server2019)),
        GoldenCase(name: "uefi-x64-langpacks-custom", spec: InstallSpec(
            jobID: "job-uefi-x64", image: server2019, editionIndex: 2, firmware: .uefi, hostname: "ws2019-fr",
            administratorPassword: adminPassword,
            users: [LocalUser(name: "operator", password: userPassword, group: "Administrators", displayName: "Operator")],
            productKey: "N69G4-B89J2-4G8F4-WWYCC-J464C", uiLanguage: "fr-FR", systemLocale: "fr-FR",
            userLocale: "fr-FR", inputLocale: "fr-FR", timeZone: "Europe/Paris", owner: "Ops", organization: "Example SA",
            languagePacks: [
                LanguagePack(locale: "fr-FR", build: 17763, architecture: .amd64,
                             url: "http://192.0.2.10:8160/media/lp-1809/x64/langpacks/Microsoft-Windows-Server-Language-Pack_x64_fr-fr.cab"),
                LanguagePack(locale: "de-DE", build: 17763, architecture: .amd64,
                             url: "http://192.0.2.10:8160/media/lp-1809/x64/langpacks/Microsoft-Windows-Server-Language-Pack_x64_de-de.cab"),
            ],
            guestTools: .xenserver, windowsUpdateRounds: 2,
            customSteps: [customFirst, customAfterTools, customBeforeSeal]),
            context: context(image: server2019)),
        GoldenCase(name: "bios-x86-langpacks-custom", spec: InstallSpec(
            jobID: "job-bios-x86", image: windows10x86, editionIndex: 1, firmware: .bios, hostname: "W10-X86-DE",
            administratorPassword: adminPassword, uiLanguage: "de-DE", systemLocale: "de-DE", userLocale: "de-CH",
            inputLocale: "0807:00000807", timeZone: "Europe/Zurich",
            languagePacks: [LanguagePack(locale: "de-DE", build: 19041, architecture: .x86,
                                         url: "http://192.0.2.10:8160/media/lp-2004/x86/langpacks/Microsoft-Windows-Client-Language-Pack_x86_de-de.cab")],
            guestTools: .vmware, customSteps: [customAfterLanguage], sysprepForTemplate: false),
            context: context(smbCredentials: true, image: windows10x86)),
        GoldenCase(name: "uefi-x86-plain", spec: InstallSpec(
            jobID: "job-uefi-x86", image: windows10x86, editionIndex: 1, firmware: .uefi, hostname: "W10-X86-UEFI",
            administratorPassword: adminPassword, timeZone: "America/New_York"),
            context: context(image: windows10x86)),
    ]

    /// The test target's own directory, for golden files.
    static let testDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let goldenDirectory = testDirectory.appendingPathComponent("Golden")

    static func bundle(_ goldenCase: GoldenCase) throws -> ArtefactBundle {
        try ArtefactBundle.render(goldenCase.spec, context: goldenCase.context)
    }
}
