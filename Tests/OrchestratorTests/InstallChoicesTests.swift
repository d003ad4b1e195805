import BackendKit
import Foundation
import Testing
import VizorLab
import VizorMedia
@testable import VizorModel
import VizorProvisioning

/// The one mapping from operator choices to the journaled `InstallRequest`,
/// on the sample library's real ISOs (analysed by the catalog's reader).
@Suite("Operator choices to install requests")
struct InstallChoicesTests {
    /// The sample library analysed once per test: editions, builds, language-pack media.
    struct Library {
        let root: URL
        let catalog: [MediaImage]

        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-choices-\(UUID().uuidString.prefix(8))")
            let isos = try SampleLibrary.ensure(in: root.appendingPathComponent("media"), realisticSizes: false)
            catalog = isos.map { MediaAnalyzer().analyze($0) }
        }

        func edition(_ file: String, _ name: String) throws -> InstallChoices.EditionRef {
            let image = try #require(catalog.first { ($0.path as NSString).lastPathComponent == file })
            let edition = try #require(image.editions.first { $0.name == name })
            return InstallChoices.EditionRef(edition, of: image)
        }

        var packs: [RequestedLanguagePack] { InstallChoices.languagePacks(in: catalog) }

        func remove() { try? FileManager.default.removeItem(at: root) }
    }

    static let win11 = "Windows_11_22H2_x64_en-US_de-DE.iso"
    static let server = "Windows_Server_2022_x64_en-US.iso"

    @Test func aWindows11EditionGetsTheWindows11TemplateAndOSTypeNotServer2022() throws {
        let library = try Library()
        defer { library.remove() }
        let pro = try library.edition(Self.win11, "Windows 11 Pro")
        #expect(pro.isClient && pro.build == 22621)
        let xen = try InstallChoices(site: "lab", hypervisor: .xenserver, edition: pro, machineName: "w11").request()
        let cloud = try InstallChoices(site: "lab", hypervisor: .cloudstack, edition: pro, machineName: "w11").request()
        // XenServer's stock template has no bitness suffix; CloudStack's guest OS does.
        #expect(xen.osTemplate == "Windows 11")
        #expect(cloud.osTemplate == "Windows 11 (64-bit)")
        let datacenter = try library.edition(Self.server, "Windows Server 2022 Datacenter")
        let server = try InstallChoices(site: "lab", hypervisor: .xenserver, edition: datacenter, machineName: "s1").request()
        #expect(server.osTemplate == "Windows Server 2022 (64-bit)")
        let win10x86 = try library.edition("Windows_10_22H2_x86_en-US.iso", "Windows 10 Pro")
        #expect(InstallOSType.name(for: win10x86, on: .cloudstack) == "Windows 10 (32-bit)")
        // An explicit template wins over the edition's.
        var explicit = InstallChoices(site: "lab", hypervisor: .xenserver, edition: pro, machineName: "w11")
        explicit.osTemplate = "My Windows 11 template"
        #expect(try explicit.request().osTemplate == "My Windows 11 template")
    }

    @Test func theDefaultNetworkIsJournaledEmptyForTheBackendToChoose() throws {
        let edition = InstallChoices.EditionRef(imageID: "i", imagePath: "/i.iso", index: 1, name: "Windows Server 2022 Standard",
                                                installationType: "Server", build: 20348, architecture: .x64)
        var choices = InstallChoices(site: "lab", hypervisor: .cloudstack, edition: edition, machineName: "s1")
        choices.network = "default"
        #expect(try choices.request().network == "")
        choices.network = "lab-net-2"
        #expect(try choices.request().network == "lab-net-2")
    }

    @Test func aLanguagePackOfTheEditionsBuildIsCarriedAndOthersAreRefused() throws {
        let library = try Library()
        defer { library.remove() }
        let pro = try library.edition(Self.win11, "Windows 11 Pro")
        var choices = InstallChoices(site: "lab", hypervisor: .xenserver, edition: pro, machineName: "w11")
        choices.languagePacks = ["fr-FR"]
        let request = try choices.request(available: library.packs)
        let pack = try #require(request.languagePacks.first)
        #expect(request.languagePacks.count == 1)
        #expect(pack.language == "fr-FR" && pack.build == 22621 && pack.architecture == "x64")
        #expect(pack.imagePath.hasSuffix("CLIENT_LOF_PACKAGES_OEM.iso") && pack.path.hasSuffix("_fr-fr.cab"))

        // Not on the language-pack media of this build.
        choices.languagePacks = ["it-IT"]
        #expect(throws: BackendError.self) { try choices.request(available: library.packs) }
        // Already in the image (en-US and de-DE): no pack needed.
        choices.languagePacks = ["de-DE"]
        #expect(throws: BackendError.self) { try choices.request(available: library.packs) }
        // The 22621 packs do not fit Windows Server 2022 (build 20348).
        var server = InstallChoices(site: "lab", hypervisor: .xenserver,
                                    edition: try library.edition(Self.server, "Windows Server 2022 Standard"), machineName: "s1")
        server.languagePacks = ["fr-FR"]
        do {
            _ = try server.request(available: library.packs)
            Issue.record("a pack of another build was accepted")
        } catch let error as BackendError {
            #expect(error.message.contains("build 20348"), "\(error)")
        }
    }

    @Test func customStepFilesAreReadWhenTheRequestIsMade() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-steps-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let join = dir.appendingPathComponent("Join Domain.ps1")
        try Data([0xEF, 0xBB, 0xBF] + Array("Write-Output 'joined'\n".utf8)).write(to: join)
        let agent = dir.appendingPathComponent("agent.ps1")
        try "Install-Agent -Quiet\n".write(to: agent, atomically: true, encoding: .utf8)

        let files = try InstallChoices.parseCustomSteps("\(join.path), monitoring=\(agent.path)")
        let edition = InstallChoices.EditionRef(imageID: "i", imagePath: "/i.iso", index: 1, name: "Windows Server 2022 Standard")
        var choices = InstallChoices(site: "lab", hypervisor: .xenserver, edition: edition, machineName: "s1")
        choices.customSteps = files
        let steps = try choices.request().customSteps
        #expect(steps.map(\.name) == ["join-domain", "monitoring"])
        #expect(steps[0].script == "Write-Output 'joined'\n", "the byte-order mark is dropped")
        #expect(steps[1].script == "Install-Agent -Quiet\n" && steps[1].source == agent.path)

        choices.customSteps = [.init(path: dir.appendingPathComponent("missing.ps1").path)]
        #expect(throws: BackendError.self) { try choices.request() }
        choices.customSteps = [.init(name: "a", path: agent.path), .init(name: "a", path: join.path)]
        #expect(throws: BackendError.self) { try choices.request() }
        #expect(throws: BackendError.self) { try InstallChoices.parseCustomSteps("notes.txt") }
        #expect(throws: BackendError.self) { try InstallChoices.parseCustomStep("Bad Name=x.ps1") }
    }

    @Test func aRequestJournaledBeforeTheNewFieldsStillDecodes() throws {
        // A journal row as vizor wrote it before language packs and custom steps were fields.
        let old = """
            {"bootISO":"ipxe.iso","copyToLocations":[],"diskGiB":40,"editionIndex":2,"editionName":"Windows Server 2022 Standard",\
            "featured":false,"firmware":"bios","guestToolsISO":"guest-tools.iso","hypervisor":"xenserver","imageID":"abc",\
            "imagePath":"/srv/iso/w2022.iso","instant":false,"location":"","machineName":"w1","makePublic":false,\
            "makeTemplate":true,"memoryMiB":4096,"network":"","options":{"locale":"de-CH","timeZone":"UTC"},\
            "osTemplate":"Windows Server 2022 (64-bit)","site":"lab","templateName":"w1","vcpus":2}
            """
        let request = try InstallRequest.decode(old)
        #expect(request.machineName == "w1" && request.options["locale"] == "de-CH")
        #expect(request.languagePacks.isEmpty && request.customSteps.isEmpty)
        // And a new request round-trips with its new fields.
        var fresh = request
        fresh.customSteps = [RequestedCustomStep(name: "x", script: "Write-Output 1", source: "/x.ps1")]
        #expect(try InstallRequest.decode(fresh.encoded()) == fresh)
    }

    /// A wizard-shaped request (UI language from a pack, product key, custom
    /// step) rendered through the publisher's spec: unattend.xml and the
    /// post-install sequence carry every choice.
    @Test func theRenderedArtefactsCarryUILanguageProductKeyLanguagePackAndCustomStep() throws {
        let library = try Library()
        defer { library.remove() }
        let script = library.root.appendingPathComponent("hello.ps1")
        try "Write-Output 'hello from the operator'\n".write(to: script, atomically: true, encoding: .utf8)
        let pro = try library.edition(Self.win11, "Windows 11 Pro")
        var choices = InstallChoices(site: "lab", hypervisor: .xenserver, edition: pro, machineName: "w11-fr")
        choices.locale = "fr-FR"
        choices.keyboard = "fr-FR"
        choices.timeZone = "Romance Standard Time"
        choices.uiLanguage = "fr-FR"
        choices.productKey = "vk7jg-nphtm-c97jm-9mpgt-3v66t"
        choices.languagePacks = ["fr-FR"]
        choices.customSteps = [.init(name: "hello", path: script.path)]
        let request = try choices.request(available: library.packs)
        #expect(request.options["productKey"] == "VK7JG-NPHTM-C97JM-9MPGT-3V66T")

        let image = try #require(library.catalog.first { $0.id == request.imageID })
        let facts = try CatalogImageFacts.facts(for: image)
        let spec = RenderedArtefactPublisher.spec(jobID: "job1", request: request, facts: facts, password: "Lab-Passw0rd!",
                                                  mediaBaseURL: "http://10.0.0.5:8080")
        #expect(spec.uiLanguage == "fr-FR" && spec.productKey == "VK7JG-NPHTM-C97JM-9MPGT-3V66T")
        let pack = try #require(spec.languagePacks.first)
        #expect(pack.architecture == .amd64 && pack.build == 22621)
        #expect(pack.url == "http://10.0.0.5:8080/media/\(request.languagePacks[0].imageID)/\(request.languagePacks[0].path)")

        let context = ServingContext(mediaBaseURL: "http://10.0.0.5:8080/media/\(request.imageID)",
                                     razorServiceURL: "http://10.0.0.6:8150/svc", artefactBaseURL: "http://10.0.0.5:8080/artefacts",
                                     wimbootURL: "http://10.0.0.6:8150/svc/file/wimboot", smbShare: "\\\\10.0.0.5\\vizor-w11",
                                     token: "tok-0123456789abcdef")
        let bundle = try ArtefactBundle.render(spec, context: context)
        let unattend = try #require(bundle.artefacts.values.first { $0.name.hasSuffix("unattend.xml") }?.text)
        // Setup runs in a language the image has; fr-FR becomes the UI language
        // once its pack is in, through the regional settings the sequence applies.
        #expect(unattend.contains("<UILanguage>en-US</UILanguage>"))
        let regional = bundle.artefacts.values.map(\.text).joined(separator: "\n")
        #expect(regional.contains("<gs:MUILanguage Value=\"fr-FR\""), "the UI language is set after the pack")
        #expect(unattend.contains("<Key>VK7JG-NPHTM-C97JM-9MPGT-3V66T</Key>"))
        let scripts = bundle.powerShellFiles.map(\.text).joined(separator: "\n")
        #expect(scripts.contains(pack.url), "the language-pack step downloads the CAB")
        #expect(scripts.contains("Write-Output 'hello from the operator'"), "the custom step runs")
        #expect(bundle.plan.steps.contains { $0.name == "custom-hello" })
    }
}
