import Foundation
import Testing
import VizorModel
import VizorTUI

@Suite("VM creation wizard")
struct WizardTests {
    static var context: WizardContext { WizardContext.from(ModelFixtures.state) }

    static func typed(_ wizard: inout Wizard, _ text: String) { for c in text { _ = wizard.handle(.char(c)) } }

    @Test func hostNamesAreCheckedAsTyped() {
        #expect(WizardValidation.hostname("srv-01") == nil)
        #expect(WizardValidation.hostname("a-name-that-is-too-long")?.contains("15") == true)
        #expect(WizardValidation.hostname("bad_name") != nil)
        #expect(WizardValidation.hostname("12345") != nil)
        #expect(WizardValidation.hostname("-x") != nil)
        #expect(WizardValidation.productKey("ABCDE-12345-ABCDE-12345-ABCDE") == nil)
        #expect(WizardValidation.productKey("ABCDE-12345") != nil)
        #expect(WizardValidation.password(WizardValidation.generatePassword()) == nil)
    }

    @Test func aCloudWithSeveralZonesMustBeAnsweredFromItsListBeforeTheMediaStep() {
        var context = Self.context
        context.locations = ["lab/cloudstack": ["lab-zone-1", "lab-zone-2"], "lab/xenserver": ["lab"]]
        var wizard = Wizard(context: context, site: "lab", preset: ["backend": "cloudstack"])
        _ = wizard.handle(.enter)
        #expect(wizard.step == 0, "no zone named")
        #expect(wizard.message == "Zone or pool: several to choose from: lab-zone-1, lab-zone-2")
        _ = wizard.handle(.tab)
        _ = wizard.handle(.tab)
        Self.typed(&wizard, "zone-2")
        #expect(wizard.options(wizard.fields(0)[2]) == ["lab-zone-2"], "type-ahead narrows the zones")
        #expect(wizard.error("location") == "Enter picks lab-zone-2")
        _ = wizard.handle(.enter)
        #expect(wizard.values["location"] == "lab-zone-2")
        #expect(wizard.step == 1)
        // Back on the target step, a XenServer pool of one needs no answer; the cloud's zone is dropped.
        _ = wizard.handle(.escape)
        _ = wizard.handle(.tab)
        _ = wizard.handle(.left)
        #expect(wizard.values["backend"] == "xenserver")
        #expect(wizard.values["location"] == "", "a zone of the cloud means nothing to the pool")
        #expect(wizard.error("location") == nil)
    }

    @Test func stepsAdvanceOnlyWhenValidAndEscGoesBack() {
        var wizard = Wizard(context: Self.context, site: "lab")
        _ = wizard.handle(.enter)
        #expect(wizard.step == 1)
        _ = wizard.handle(.enter)              // no edition picked yet? the list picks the first option
        #expect(wizard.selectedEdition != nil)
        #expect(wizard.step == 2)
        _ = wizard.handle(.enter)              // host name empty: stays
        #expect(wizard.step == 2)
        #expect(wizard.message?.contains("Host name") == true)
        Self.typed(&wizard, "srv-01")
        _ = wizard.handle(.escape)
        #expect(wizard.step == 1)
        _ = wizard.handle(.escape)
        #expect(wizard.step == 0)
        #expect(wizard.handle(.escape) == .closed)
    }

    @Test func typeAheadPicksAnEditionAndDiskMustFitIt() {
        var w2 = Wizard(context: Self.context, site: "lab")
        _ = w2.handle(.enter)
        Self.typed(&w2, "datacenter")
        _ = w2.handle(.enter)
        #expect(w2.selectedEdition?.editionID == "ServerDatacenter")
        #expect(WizardValidation.disk("12", edition: w2.selectedEdition)?.contains("GiB") == true)
        #expect(WizardValidation.disk("64", edition: w2.selectedEdition) == nil)
        // The target step is re-checked against the edition: 12 GiB no longer passes F10.
        var small = Wizard(context: Self.context, site: "lab", preset: ["disk": "12", "media": w2.selectedEdition!.label, "hostname": "srv-01"])
        for _ in 0..<4 { _ = small.handle(.enter) }
        #expect(small.step == 0)
        #expect(small.error("disk")?.contains("needs") == true)
    }

    @Test func timeZoneMustBeKnownAndTabMovesBetweenFields() {
        var wizard = Wizard(context: Self.context, site: "lab", preset: ["media": Self.context.editions[0].label, "hostname": "srv-01"])
        _ = wizard.handle(.enter); _ = wizard.handle(.enter)
        #expect(wizard.step == 2)
        for _ in 0..<5 { _ = wizard.handle(.tab) }
        #expect(wizard.fields(2)[wizard.focus].key == "timeZone")
        _ = wizard.handle(.ctrl("u"))
        for _ in 0..<3 { _ = wizard.handle(.backspace) }
        Self.typed(&wizard, "Mars")
        #expect(wizard.error("timeZone") != nil)
        _ = wizard.handle(.backTab)
        #expect(wizard.fields(2)[wizard.focus].key == "keyboard")
    }

    @Test func reviewListsTheActionsAndOnlyF10Starts() {
        var wizard = Wizard(context: Self.context, site: "lab", preset: ["hostname": "srv-01", "template": "yes", "templateName": "ws-std"])
        for _ in 0..<4 { _ = wizard.handle(.enter) }
        #expect(wizard.step == 4)
        #expect(wizard.plannedActions().contains { $0.contains("Convert to template ws-std") })
        #expect(wizard.handle(.enter) == .editing)
        guard case .submitted(let values) = wizard.handle(.function(10)) else { Issue.record("F10 submits"); return }
        #expect(values["hostname"] == "srv-01")
    }

    @MainActor @Test func theWizardStartsFromTheConfiguredInstallDefaultsAndTheirPasswordPolicy() throws {
        let (program, _) = ModelFixtures.dashboard(Size(width: 120, height: 40))
        program.installDefaults = InstallDefaults(locale: "de-DE", keyboard: nil, timeZone: "Europe/Berlin",
                                                  passwordPolicy: PasswordPolicy(minLength: 16, requireClasses: 4))
        program.openWizard(selectedRow: nil)
        guard case .wizard(let wizard) = program.overlay else { Issue.record("the wizard opens"); return }
        #expect(wizard.values["locale"] == "de-DE" && wizard.values["keyboard"] == "de-DE")
        #expect(wizard.values["timeZone"] == "W. Europe Standard Time", "the IANA zone as the Windows id the field lists")
        #expect(wizard.error("password") == nil, "the generated password meets the policy")
        let short = Wizard(context: wizard.context, site: "lab", password: "Short-pass1")
        #expect(short.error("password") == "at least 16 characters")
        let plain = Wizard(context: wizard.context, site: "lab", password: "longerbutlowercase1!")
        #expect(plain.error("password") == "use all four of: upper case, lower case, digits, symbols (Windows complexity rule)")
    }

    @Test func lastValuesAreRememberedPerSiteWithoutSecrets() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wizard-\(UUID())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let memory = WizardMemory(directory: dir)
        try memory.save(["hostname": "srv-01", "password": "S3cret!pass", "productKey": "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE", "vcpus": "4"], site: "lab")
        let loaded = memory.load(site: "lab")
        #expect(loaded == ["hostname": "srv-01", "vcpus": "4"])
        #expect(memory.load(site: "other").isEmpty)
        let wizard = Wizard(context: Self.context, site: "lab", remembered: loaded)
        #expect(wizard.values["vcpus"] == "4")
        #expect(wizard.values["password"] != "S3cret!pass")
    }
}
