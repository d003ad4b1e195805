import BackendKit
import Testing
import VizorProvisioning

@Suite struct ValidationTests {
    static var valid: InstallSpec { Fixtures.cases[0].spec }

    /// Validation fails with `.invalidInput`, names the field, says why, and nothing is rendered.
    func expectRejected(_ spec: InstallSpec, field: String, mentioning words: [String]) {
        let issues = spec.issues()
        let issue = issues.first { $0.field.hasPrefix(field) }
        #expect(issue != nil, "expected an issue for \(field), got \(issues)")
        for word in words {
            #expect(issue?.message.contains(word) == true, "'\(issue?.message ?? "")' should mention \(word)")
        }
        do {
            let bundle = try ArtefactBundle.render(spec, context: Fixtures.context())
            Issue.record("rendered \(bundle.names.count) artefacts from an invalid spec")
        } catch let error as BackendError {
            #expect(error.kind == .invalidInput)
            #expect(error.backend == "provisioning")
            #expect(error.message.contains(field))
            #expect(error.hint?.contains("nothing was rendered") == true)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func validSpecPasses() throws {
        #expect(Self.valid.issues().isEmpty)
        #expect(try Self.valid.validate().edition.index == 2)
    }

    @Test(arguments: ["ABCDEFGHIJKLMNOP", "a-very-long-hostname"])
    func overLongHostnameIsRejected(_ hostname: String) {
        var spec = Self.valid
        spec.hostname = hostname
        expectRejected(spec, field: "hostname", mentioning: ["1-15 characters", String(hostname.count)])
    }

    @Test(arguments: ["web_01", "bad name", "sérveur", "dot.ted"])
    func hostnameWithInvalidCharactersIsRejected(_ hostname: String) {
        var spec = Self.valid
        spec.hostname = hostname
        expectRejected(spec, field: "hostname", mentioning: ["letters, digits and '-'"])
    }

    @Test(arguments: ["", "-leading", "trailing-", "123456"])
    func malformedHostnameIsRejected(_ hostname: String) {
        var spec = Self.valid
        spec.hostname = hostname
        expectRejected(spec, field: "hostname", mentioning: [])
    }

    @Test func editionIndexNotInImageIsRejected() {
        var spec = Self.valid
        spec.editionIndex = 7
        expectRejected(spec, field: "editionIndex", mentioning: ["7", "win2019-x64", "1 (Windows Server 2019 SERVERSTANDARDCORE)"])
    }

    @Test(arguments: ["Mars/Olympus_Mons", "Pacific Time", "GMT+1"])
    func unknownTimeZoneIsRejected(_ zone: String) {
        var spec = Self.valid
        spec.timeZone = zone
        expectRejected(spec, field: "timeZone", mentioning: [zone, "Windows time-zone id", "IANA"])
    }

    @Test func ianaTimeZoneIsMappedToWindows() throws {
        var spec = Self.valid
        spec.timeZone = "America/Los_Angeles"
        #expect(try spec.validate().windowsTimeZone == "Pacific Standard Time")
    }

    @Test func languagePackForAnotherBuildIsRejected() {
        var spec = Self.valid
        spec.uiLanguage = "fr-FR"
        spec.languagePacks = [LanguagePack(locale: "fr-FR", build: 19041, architecture: .amd64, url: "http://x/lp.cab")]
        expectRejected(spec, field: "languagePacks[0]", mentioning: ["build 19041", "build 17763"])
    }

    @Test func languagePackForAnotherArchitectureIsRejected() {
        var spec = Self.valid
        spec.languagePacks = [LanguagePack(locale: "fr-FR", build: 17763, architecture: .x86, url: "http://x/lp.cab")]
        expectRejected(spec, field: "languagePacks[0]", mentioning: ["x86", "amd64"])
    }

    @Test func uiLanguageWithoutPackIsRejected() {
        var spec = Self.valid
        spec.uiLanguage = "ja-JP"
        expectRejected(spec, field: "uiLanguage", mentioning: ["ja-JP", "no language pack"])
    }

    @Test(arguments: [("systemLocale", "xx-YY"), ("userLocale", "english"), ("inputLocale", "0409-00000409")])
    func unknownLocaleIsRejected(_ field: String, _ value: String) {
        var spec = Self.valid
        switch field {
        case "systemLocale": spec.systemLocale = value
        case "userLocale": spec.userLocale = value
        default: spec.inputLocale = value
        }
        expectRejected(spec, field: field, mentioning: [value])
    }

    @Test func badProductKeyAccountsAndStepsAreRejected() {
        var spec = Self.valid
        spec.productKey = "ABCDE-12345"
        expectRejected(spec, field: "productKey", mentioning: ["XXXXX-XXXXX"])
        spec = Self.valid
        spec.users = [LocalUser(name: "Administrator", password: "x")]
        expectRejected(spec, field: "users[0]", mentioning: ["Administrator"])
        spec = Self.valid
        spec.customSteps = [CustomStep(name: "Seal", script: "Write-Output 1"), CustomStep(name: "empty", script: "  \n")]
        expectRejected(spec, field: "customSteps[0]", mentioning: ["a-z"])
        expectRejected(spec, field: "customSteps[1]", mentioning: ["empty script"])
    }

    @Test func everyProblemIsReportedAtOnce() {
        var spec = Self.valid
        spec.hostname = "this-name-is-far-too-long"
        spec.editionIndex = 9
        spec.timeZone = "Nowhere"
        let fields = Set(spec.issues().map(\.field))
        #expect(fields.isSuperset(of: ["hostname", "editionIndex", "timeZone"]))
    }

    @Test func unusableServingContextIsRejected() throws {
        var context = Fixtures.context()
        context.token = "short"
        context.razorServiceURL = "razor:8150/svc"
        let fields = context.issues().map(\.field)
        #expect(fields.contains("token") && fields.contains("razorServiceURL"))
        #expect(throws: BackendError.self) { try ArtefactBundle.render(Self.valid, context: context) }
    }
}

@Suite struct ArchitectureValidationTests {
    static let arm64 = ImageFacts(imageID: "win11-arm64", editions: [EditionFacts(
        index: 1, name: "Windows 11 Pro", editionID: "Professional", architecture: .arm64, build: 22631,
        languages: ["en-US"], installationType: "Client")])

    @Test func arm64NeedsUEFIAndNoGuestTools() throws {
        var spec = InstallSpec(jobID: "arm", image: Self.arm64, editionIndex: 1, firmware: .bios, hostname: "ARM",
                               administratorPassword: "x", guestTools: .xenserver)
        let fields = spec.issues().map(\.field)
        #expect(fields.contains("firmware") && fields.contains("guestTools"))
        spec.firmware = .uefi
        spec.guestTools = .none
        let install = try spec.validate()
        let bundle = try ArtefactBundle.render(install, context: Fixtures.context())
        #expect(bundle.artefacts["boot.ipxe"]!.text.contains("efi/boot/bootaa64.efi bootaa64.efi"))
        #expect(bundle.artefacts["autounattend.xml"]!.text.contains(#"processorArchitecture="arm64""#))
    }

    @Test func wimArchitectureNumbersMap() {
        #expect(WindowsArchitecture(wimArch: 0) == .x86)
        #expect(WindowsArchitecture(wimArch: 9) == .amd64)
        #expect(WindowsArchitecture(wimArch: 12) == .arm64)
        #expect(WindowsArchitecture(wimArch: 5) == nil)
    }
}
