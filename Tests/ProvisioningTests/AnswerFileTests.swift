import BackendKit
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import VizorProvisioning

@Suite struct AnswerFileTests {
    static let componentAttributes = ["processorArchitecture", "publicKeyToken", "language", "versionScope"]

    @Test(arguments: Fixtures.cases)
    func everyXMLArtefactIsWellFormed(_ goldenCase: Fixtures.GoldenCase) throws {
        let bundle = try Fixtures.bundle(goldenCase)
        let xmlFiles = bundle.names.filter { $0.hasSuffix(".xml") }
        #expect(xmlFiles.count >= 2)
        for name in xmlFiles {
            let text = bundle.artefacts[name]!.text
            #expect(isWellFormed(text), "\(goldenCase.name)/\(name) is not well-formed")
            _ = try ParsedXML(text)
        }
    }

    @Test(arguments: Fixtures.cases)
    func autounattendHasWhatWindowsSetupRequires(_ goldenCase: Fixtures.GoldenCase) throws {
        let install = try goldenCase.spec.validate()
        let xml = try ParsedXML(try Fixtures.bundle(goldenCase).artefacts["autounattend.xml"]!.text)
        let root = try #require(xml.document.rootElement())
        #expect(root.name == "unattend")
        #expect(root.uri == "urn:schemas-microsoft-com:unattend")
        #expect(try xml.texts("/*/*[local-name()='settings']/@pass") == ["windowsPE", "specialize", "oobeSystem"])

        // Every component: the image's architecture and Microsoft's identity attributes.
        let components = try xml.document.nodes(forXPath: "//*[local-name()='component']")
        #expect(components.count == 6)
        for attribute in Self.componentAttributes {
            #expect(try xml.texts("//*[local-name()='component']/@\(attribute)").count == components.count, "\(attribute)")
        }
        #expect(try xml.texts("//*[local-name()='component']/@processorArchitecture").allSatisfy { $0 == install.architecture.rawValue })
        #expect(try xml.texts("//*[local-name()='component']/@publicKeyToken").allSatisfy { $0 == "31bf3856ad364e35" })
        // wcm:action items carry the WMIConfig namespace and "add".
        let wcm = "http://schemas.microsoft.com/WMIConfig/2002/State"
        let actions = try xml.texts("//@*[local-name()='action' and namespace-uri()='\(wcm)']")
        #expect(actions.count >= 3 && actions.allSatisfy { $0 == "add" })
        #expect(try xml.texts("//@*[local-name()='action']").count == actions.count)

        let spec = goldenCase.spec
        #expect(try xml.value("windowsPE", "Microsoft-Windows-Setup", "ImageInstall/OSImage/InstallFrom/MetaData/Key") == "/IMAGE/INDEX")
        #expect(try xml.value("windowsPE", "Microsoft-Windows-Setup", "ImageInstall/OSImage/InstallFrom/MetaData/Value") == String(spec.editionIndex))
        #expect(try xml.value("windowsPE", "Microsoft-Windows-Setup", "UserData/AcceptEula") == "true")
        let key = spec.productKey ?? (install.edition.isClient
            ? KMSClientKeys.key(editionID: install.edition.editionID, build: install.edition.build) ?? "" : nil)
        #expect(try xml.value("windowsPE", "Microsoft-Windows-Setup", "UserData/ProductKey/Key") == key)
        #expect(try xml.value("windowsPE", "Microsoft-Windows-International-Core-WinPE", "SetupUILanguage/UILanguage") == install.setupUILanguage)
        #expect(try xml.value("windowsPE", "Microsoft-Windows-International-Core-WinPE", "SystemLocale") == spec.systemLocale)
        #expect(try xml.value("windowsPE", "Microsoft-Windows-International-Core-WinPE", "UserLocale") == spec.userLocale)
        #expect(try xml.value("specialize", "Microsoft-Windows-Shell-Setup", "ComputerName") == spec.hostname)
        #expect(try xml.value("specialize", "Microsoft-Windows-Shell-Setup", "TimeZone") == install.windowsTimeZone)
        #expect(TimeZoneTable.windowsIDs.contains(install.windowsTimeZone))

        let disk = ParsedXML.path(ParsedXML.component("windowsPE", "Microsoft-Windows-Setup"), "DiskConfiguration/Disk")
        let types = try xml.texts(ParsedXML.path(disk, "CreatePartitions/CreatePartition/Type"))
        let installTo = try xml.value("windowsPE", "Microsoft-Windows-Setup", "ImageInstall/OSImage/InstallTo/PartitionID")
        switch spec.firmware {
        case .uefi:
            #expect(types == ["EFI", "MSR", "Primary"])
            #expect(installTo == "3")
            #expect(try xml.texts(ParsedXML.path(disk, "ModifyPartitions/ModifyPartition/Format")) == ["FAT32", "NTFS"])
        case .bios:
            #expect(types == ["Primary", "Primary"])
            #expect(installTo == "2")
            #expect(try xml.texts(ParsedXML.path(disk, "ModifyPartitions/ModifyPartition/Active")) == ["true"])
        }
        #expect(try xml.text(ParsedXML.path(disk, "WillWipeDisk")) == "true")

        // oobeSystem: accounts with hidden passwords, auto-logon, the runner started at first logon.
        let shell = ParsedXML.component("oobeSystem", "Microsoft-Windows-Shell-Setup")
        #expect(try xml.text(ParsedXML.path(shell, "UserAccounts/AdministratorPassword/Value"))
                == WindowsPassword.encode(spec.administratorPassword, for: .administratorPassword))
        #expect(try xml.texts(ParsedXML.path(shell, "UserAccounts/AdministratorPassword/PlainText")) == ["false"])
        #expect(try xml.texts(ParsedXML.path(shell, "UserAccounts/LocalAccounts/LocalAccount/Name")) == spec.users.map(\.name))
        #expect(try xml.texts(ParsedXML.path(shell, "UserAccounts/LocalAccounts/LocalAccount/Password/Value"))
                == spec.users.map { WindowsPassword.encode($0.password, for: .password) })
        #expect(try xml.text(ParsedXML.path(shell, "AutoLogon/Enabled")) == "true")
        #expect(try xml.text(ParsedXML.path(shell, "AutoLogon/Password/Value")) == WindowsPassword.encode(spec.administratorPassword, for: .password))
        #expect(try xml.text(ParsedXML.path(shell, "OOBE/HideEULAPage")) == "true")
        let commands = try xml.texts(ParsedXML.path(shell, "FirstLogonCommands/SynchronousCommand/CommandLine"))
        #expect(try xml.texts(ParsedXML.path(shell, "FirstLogonCommands/SynchronousCommand/Order")) == ["1", "2", "3"])
        #expect(commands.contains { $0.contains(goldenCase.context.artefactURL(job: spec.jobID, name: "vizor-runner.ps1")) })
        #expect(commands.allSatisfy { $0.count <= 1024 }, "Setup truncates CommandLine beyond 1024 characters")
        // No password appears in clear.
        let text = try Fixtures.bundle(goldenCase).artefacts["autounattend.xml"]!.text
        #expect(!text.contains(spec.administratorPassword))
    }

    @Test(arguments: Fixtures.cases)
    func sysprepAndRegionalFilesCarryTheSettings(_ goldenCase: Fixtures.GoldenCase) throws {
        let install = try goldenCase.spec.validate()
        let bundle = try Fixtures.bundle(goldenCase)
        if goldenCase.spec.sysprepForTemplate {
            let xml = try ParsedXML(bundle.artefacts["sysprep.xml"]!.text)
            #expect(try xml.texts("/*/*[local-name()='settings']/@pass") == ["generalize", "specialize", "oobeSystem"])
            #expect(try xml.value("specialize", "Microsoft-Windows-Shell-Setup", "ComputerName") == "*")
            #expect(try xml.value("generalize", "Microsoft-Windows-PnpSysprep", "PersistAllDeviceInstalls") == "true")
            #expect(try xml.value("oobeSystem", "Microsoft-Windows-Shell-Setup", "UserAccounts/AdministratorPassword/PlainText") == "false")
            let archs = try xml.texts("//*[local-name()='component']/@processorArchitecture")
            #expect(!archs.isEmpty && archs.allSatisfy { $0 == install.architecture.rawValue })
        } else {
            #expect(bundle.artefacts["sysprep.xml"] == nil)
        }
        let regional = try ParsedXML(bundle.artefacts["l18n.xml"]!.text)
        #expect(try regional.text("//*[local-name()='MUILanguage']/@Value") == goldenCase.spec.uiLanguage)
        #expect(try regional.text("//*[local-name()='SystemLocale']/@Name") == goldenCase.spec.systemLocale)
        #expect(try regional.text("//*[local-name()='Locale']/@Name") == goldenCase.spec.userLocale)
        #expect(try regional.texts("//*[local-name()='InputLanguageID']/@ID") == install.inputProfiles)
        #expect(try regional.text("//*[local-name()='GeoID']/@Value") == String(install.geoID))
    }

    /// Finding 9: retail and volume client media stop at the key page in WinPE when
    /// the answer file names no key. Client editions get the edition's KMS client
    /// setup key (GVLK, from Microsoft's published table) and never show the page;
    /// an edition without a published GVLK (Home, evaluation) gets `<Key/>`.
    @Test func clientMediaWithoutAKeyNeverStopsAtTheProductKeyPage() throws {
        func productKey(_ edition: EditionFacts) throws -> (key: String?, ui: String?, elements: Int) {
            let spec = InstallSpec(jobID: "key", image: ImageFacts(imageID: "img", editions: [edition]), editionIndex: edition.index,
                                   firmware: .uefi, hostname: "KEY", administratorPassword: "x")
            let xml = try ParsedXML(AnswerFileRenderer.autounattend(try spec.validate(), context: Fixtures.context()))
            let base = ParsedXML.path(ParsedXML.component("windowsPE", "Microsoft-Windows-Setup"), "UserData/ProductKey")
            return (try xml.text(ParsedXML.path(base, "Key")), try xml.text(ParsedXML.path(base, "WillShowUI")),
                    try xml.texts(base).count)
        }
        let enterprise = try productKey(Fixtures.windows10x64.editions[0])
        #expect(enterprise.key == "NPPR9-FWDCX-D2C8J-H872K-2YT43" && enterprise.ui == "Never")
        let pro = try productKey(Fixtures.windows10x86.editions[0])
        #expect(pro.key == "W269N-WFGWX-YVC9B-4J6C9-T83GX" && pro.ui == "Never")
        let home = try productKey(EditionFacts(index: 1, name: "Windows 10 Home", editionID: "Core", architecture: .amd64,
                                               build: 19041, languages: ["en-US"], installationType: "Client"))
        #expect(home.elements == 1 && home.key == "" && home.ui == "Never", "an empty Key, as for evaluation media")
        let server = try productKey(Fixtures.server2019.editions[1])
        #expect(server.elements == 0, "Server media install without a key, as before")
    }

    /// Finding 3: `sysprep /generalize` disables the built-in Administrator, and
    /// HideLocalAccountScreen applies only to Server editions, so OOBE on a clone of
    /// a client template would stop at "create an account". The client sysprep.xml
    /// logs the Administrator on once (AutoLogon as Administrator enables the account).
    @Test func clonesOfAClientTemplateLogOnWithoutTheAccountPage() throws {
        let spec = InstallSpec(jobID: "client", image: Fixtures.windows10x64, editionIndex: 3, firmware: .uefi,
                               hostname: "W10-TPL", administratorPassword: Fixtures.adminPassword)
        let client = try ParsedXML(AnswerFileRenderer.sysprep(try spec.validate()))
        let shell = ParsedXML.component("oobeSystem", "Microsoft-Windows-Shell-Setup")
        #expect(try client.text(ParsedXML.path(shell, "AutoLogon/Username")) == "Administrator")
        #expect(try client.text(ParsedXML.path(shell, "AutoLogon/Enabled")) == "true")
        #expect(try client.text(ParsedXML.path(shell, "AutoLogon/LogonCount")) == "1")
        #expect(try client.text(ParsedXML.path(shell, "AutoLogon/Password/Value"))
                == WindowsPassword.encode(Fixtures.adminPassword, for: .password))
        #expect(try client.text(ParsedXML.path(shell, "OOBE/HideLocalAccountScreen")) == nil, "a Server-only setting")

        let server = try ParsedXML(AnswerFileRenderer.sysprep(try Fixtures.cases[0].spec.validate()))
        #expect(try server.text(ParsedXML.path(shell, "OOBE/HideLocalAccountScreen")) == "true")
        #expect(try server.text(ParsedXML.path(shell, "AutoLogon/Username")) == nil)
    }

    /// Finding 6: by the time sysprep runs, the language pack the spec asked for is
    /// installed, so the clones keep its display language instead of the image's.
    @Test func clonesKeepTheDisplayLanguageOfTheInstalledPack() throws {
        let goldenCase = try #require(Fixtures.cases.first { $0.name == "uefi-x64-langpacks-custom" })
        #expect(goldenCase.spec.uiLanguage == "fr-FR" && goldenCase.spec.image.editions[1].defaultLanguage == "en-US")
        let sysprep = try ParsedXML(try Fixtures.bundle(goldenCase).artefacts["sysprep.xml"]!.text)
        #expect(try sysprep.value("oobeSystem", "Microsoft-Windows-International-Core", "UILanguage") == "fr-FR")
        // Setup itself still starts in a language the image has.
        let answer = try ParsedXML(try Fixtures.bundle(goldenCase).artefacts["autounattend.xml"]!.text)
        #expect(try answer.value("windowsPE", "Microsoft-Windows-International-Core-WinPE", "UILanguage") == "en-US")
    }

    @Test func windowsBeforeEightGetsNoOOBEScreensItDoesNotKnow() throws {
        let windows7 = ImageFacts(imageID: "win7", editions: [EditionFacts(
            index: 1, name: "Windows 7 ENTERPRISE", editionID: "Enterprise", architecture: .amd64, build: 7601,
            languages: ["en-US"], installationType: "Client")])
        let spec = InstallSpec(jobID: "w7", image: windows7, editionIndex: 1, firmware: .bios, hostname: "W7",
                               administratorPassword: "x")
        let xml = try ParsedXML(AnswerFileRenderer.autounattend(try spec.validate(), context: Fixtures.context()))
        let oobe = ParsedXML.path(ParsedXML.component("oobeSystem", "Microsoft-Windows-Shell-Setup"), "OOBE")
        #expect(try xml.text(ParsedXML.path(oobe, "HideOnlineAccountScreens")) == nil)
        #expect(try xml.text(ParsedXML.path(oobe, "HideEULAPage")) == "true")
    }
}
