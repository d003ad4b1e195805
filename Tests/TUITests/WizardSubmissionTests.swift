import BackendKit
import Foundation
import Testing
import VizorModel
import VizorTUI

/// The wizard's values through the shared `InstallChoices` mapping: nothing
/// the operator typed is dropped on the way to the journaled request.
@Suite("Wizard to install request")
struct WizardSubmissionTests {
    let catalog = [ModelFixtures.server, ModelFixtures.client, ModelFixtures.broken]

    func values(_ edition: EditionChoice, backend: String) -> [String: String] {
        ["site": "lab", "backend": backend, "location": "", "vcpus": "4", "memory": "8192", "disk": "80", "network": "default",
         "media": edition.label, "hostname": "w11-fr", "password": "Xx-12345678", "uiLanguage": "fr-FR", "locale": "fr-FR",
         "keyboard": "fr-FR", "timeZone": "Romance Standard Time", "productKey": "VK7JG-NPHTM-C97JM-9MPGT-3V66T",
         "languagePacks": "fr-FR", "guestTools": "yes", "customSteps": "", "template": "yes", "templateName": "w11-fr-tpl",
         "public": "yes", "featured": "no"]
    }

    @Test func aWindows11WizardRequestCarriesEveryChoiceAndTheWindows11OSType() throws {
        let editions = EditionChoice.from(catalog)
        let w11 = try #require(editions.first { $0.imageID == "img-w11" })
        // de-DE is already in the image: only fr-FR is offered.
        #expect(w11.languagePacks == ["fr-FR"])
        for (backend, osType) in [("xenserver", "Windows 11"), ("cloudstack", "Windows 11 (64-bit)")] {
            let request = try Wizard.choices(values(w11, backend: backend), edition: w11, defaultSite: "lab")
                .request(available: InstallChoices.languagePacks(in: catalog))
            #expect(request.osTemplate == osType)
            #expect(request.network == "", "the wizard's default network is the backend's choice")
            #expect(request.vcpus == 4 && request.memoryMiB == 8192 && request.diskGiB == 80)
            #expect(request.options["uiLanguage"] == "fr-FR" && request.options["productKey"] == "VK7JG-NPHTM-C97JM-9MPGT-3V66T")
            #expect(request.options["timeZone"] == "Romance Standard Time" && request.options["keyboard"] == "fr-FR")
            #expect(request.languagePacks.map(\.language) == ["fr-FR"] && request.languagePacks[0].imageID == "img-w11")
            #expect(request.makeTemplate && request.templateName == "w11-fr-tpl" && request.makePublic && !request.featured)
            #expect(!(try request.encoded()).contains("Xx-12345678"), "the password is not in the request")
        }
    }

    @Test func aTypedOSTemplateWinsAndIsNotRememberedForTheNextVM() throws {
        let w11 = try #require(EditionChoice.from(catalog).first { $0.imageID == "img-w11" })
        var typed = values(w11, backend: "cloudstack")
        typed["osTemplate"] = "Windows 10 (64-bit)"
        let request = try Wizard.choices(typed, edition: w11, defaultSite: "lab").request(available: InstallChoices.languagePacks(in: catalog))
        #expect(request.osTemplate == "Windows 10 (64-bit)")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-mem-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: dir) }
        let memory = WizardMemory(directory: dir)
        try memory.save(typed, site: "lab")
        let remembered = memory.load(site: "lab")
        #expect(remembered["osTemplate"] == nil && remembered["productKey"] == nil && remembered["password"] == nil)
        #expect(remembered["hostname"] == "w11-fr")
    }

    @Test func customStepFilesAreReadAtSubmitAndBadOnesAreFieldErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-wiz-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = dir.appendingPathComponent("Join Domain.ps1")
        try "Add-Computer -DomainName corp.example\n".write(to: script, atomically: true, encoding: .utf8)
        let server = try #require(EditionChoice.from(catalog).first { $0.imageID == "img-ws2022" })
        var wizard = Wizard(context: WizardContext(sites: ["lab"], backends: ["lab": ["xenserver"]], editions: [server]), site: "lab",
                            preset: ["customSteps": "\(script.path), agent=\(dir.path)/missing.ps1"])
        #expect(wizard.error("customSteps") == "cannot read \(dir.path)/missing.ps1")
        wizard = Wizard(context: wizard.context, site: "lab", preset: ["customSteps": "notes.txt"])
        #expect(wizard.error("customSteps")?.contains("not a .ps1 file") == true)
        wizard = Wizard(context: wizard.context, site: "lab", preset: ["customSteps": script.path, "media": server.label, "hostname": "s1"])
        #expect(wizard.error("customSteps") == nil)
        #expect(wizard.plannedActions().contains { $0.contains("custom step(s) join-domain") })
        var values = wizard.values
        values["backend"] = "xenserver"
        let request = try Wizard.choices(values, edition: server, defaultSite: "lab").request()
        #expect(request.customSteps == [RequestedCustomStep(name: "join-domain", script: "Add-Computer -DomainName corp.example\n",
                                                            source: script.path)])
        #expect(request.osTemplate == "Windows Server 2022 (64-bit)")
    }
}
