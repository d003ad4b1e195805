import BackendKit
import Foundation
import Testing
import VizorProvisioning

/// Compares Vizor's answer file, field by field, with a public known-good one
/// rendered for the same settings.
///
/// Reference: joefitzgerald/packer-windows, `answer_files/10_insider_uefi/Autounattend.xml`
/// at commit 7142a778b89643861817ff8dbac1ffd672fb6751 (Windows 10 x64, UEFI/GPT,
/// en-US, "Pacific Standard Time", computer name vagrant-10, owner and organisation
/// "Vagrant"). The expected values below were read from that file; its text is not copied.
/// Deliberate differences, not compared: it selects the image by `/IMAGE/NAME`
/// (Vizor by `/IMAGE/INDEX`), keeps passwords in plain text (Vizor hides them),
/// sets `ProtectYourPC` 1 (Vizor 3) and uses a Dvorak input profile.
@Suite struct ReferenceAnswerFileTests {
    struct Field: Sendable, CustomStringConvertible {
        var pass: String
        var component: String
        var path: String
        var expected: String
        var description: String { "\(pass)/\(component)/\(path)" }
    }

    static let setup = "Microsoft-Windows-Setup"
    static let winPE = "Microsoft-Windows-International-Core-WinPE"
    static let shell = "Microsoft-Windows-Shell-Setup"
    static let partitions = "DiskConfiguration/Disk/CreatePartitions/CreatePartition"

    static let referenceFields: [Field] = [
        Field(pass: "windowsPE", component: setup, path: "DiskConfiguration/Disk/DiskID", expected: "0"),
        Field(pass: "windowsPE", component: setup, path: "DiskConfiguration/Disk/WillWipeDisk", expected: "true"),
        Field(pass: "windowsPE", component: setup, path: partitions + "[1]/Order", expected: "1"),
        Field(pass: "windowsPE", component: setup, path: partitions + "[1]/Size", expected: "500"),
        Field(pass: "windowsPE", component: setup, path: partitions + "[1]/Type", expected: "EFI"),
        Field(pass: "windowsPE", component: setup, path: partitions + "[2]/Order", expected: "2"),
        Field(pass: "windowsPE", component: setup, path: partitions + "[2]/Size", expected: "128"),
        Field(pass: "windowsPE", component: setup, path: partitions + "[2]/Type", expected: "MSR"),
        Field(pass: "windowsPE", component: setup, path: partitions + "[3]/Order", expected: "3"),
        Field(pass: "windowsPE", component: setup, path: partitions + "[3]/Extend", expected: "true"),
        Field(pass: "windowsPE", component: setup, path: partitions + "[3]/Type", expected: "Primary"),
        Field(pass: "windowsPE", component: setup, path: "UserData/AcceptEula", expected: "true"),
        Field(pass: "windowsPE", component: setup, path: "UserData/FullName", expected: "Vagrant"),
        Field(pass: "windowsPE", component: setup, path: "UserData/Organization", expected: "Vagrant"),
        Field(pass: "windowsPE", component: setup, path: "ImageInstall/OSImage/InstallTo/DiskID", expected: "0"),
        Field(pass: "windowsPE", component: setup, path: "ImageInstall/OSImage/InstallTo/PartitionID", expected: "3"),
        Field(pass: "windowsPE", component: setup, path: "ImageInstall/OSImage/WillShowUI", expected: "OnError"),
        Field(pass: "windowsPE", component: setup, path: "ImageInstall/OSImage/InstallToAvailablePartition", expected: "false"),
        Field(pass: "windowsPE", component: winPE, path: "SetupUILanguage/UILanguage", expected: "en-US"),
        Field(pass: "windowsPE", component: winPE, path: "SystemLocale", expected: "en-US"),
        Field(pass: "windowsPE", component: winPE, path: "UILanguage", expected: "en-US"),
        Field(pass: "windowsPE", component: winPE, path: "UILanguageFallback", expected: "en-US"),
        Field(pass: "windowsPE", component: winPE, path: "UserLocale", expected: "en-US"),
        Field(pass: "specialize", component: shell, path: "ComputerName", expected: "vagrant-10"),
        Field(pass: "specialize", component: shell, path: "TimeZone", expected: "Pacific Standard Time"),
        Field(pass: "specialize", component: "Microsoft-Windows-Security-SPP-UX", path: "SkipAutoActivation", expected: "true"),
        Field(pass: "oobeSystem", component: "Microsoft-Windows-International-Core", path: "SystemLocale", expected: "en-US"),
        Field(pass: "oobeSystem", component: "Microsoft-Windows-International-Core", path: "UILanguage", expected: "en-US"),
        Field(pass: "oobeSystem", component: "Microsoft-Windows-International-Core", path: "UserLocale", expected: "en-US"),
        Field(pass: "oobeSystem", component: shell, path: "OOBE/HideEULAPage", expected: "true"),
        Field(pass: "oobeSystem", component: shell, path: "OOBE/HideWirelessSetupInOOBE", expected: "true"),
        Field(pass: "oobeSystem", component: shell, path: "AutoLogon/Enabled", expected: "true"),
    ]

    /// The reference's component identity attributes (every component, amd64).
    static let referenceComponentAttributes = [
        "processorArchitecture": "amd64", "publicKeyToken": "31bf3856ad364e35", "language": "neutral",
        "versionScope": "nonSxS",
    ]

    static func rendered() throws -> ParsedXML {
        let spec = InstallSpec(jobID: "reference", image: Fixtures.windows10x64, editionIndex: 3, firmware: .uefi,
                               hostname: "vagrant-10", administratorPassword: "vagrant", timeZone: "Pacific Standard Time",
                               owner: "Vagrant", organization: "Vagrant")
        return try ParsedXML(AnswerFileRenderer.autounattend(try spec.validate(), context: Fixtures.context()))
    }

    @Test(arguments: referenceFields)
    func fieldMatchesTheKnownGoodAnswerFile(_ field: Field) throws {
        let xml = try Self.rendered()
        #expect(try xml.value(field.pass, field.component, field.path) == field.expected)
    }

    @Test func componentIdentityMatchesTheKnownGoodAnswerFile() throws {
        let xml = try Self.rendered()
        for (attribute, expected) in Self.referenceComponentAttributes {
            let values = try xml.texts("//*[local-name()='component']/@\(attribute)")
            #expect(!values.isEmpty && values.allSatisfy { $0 == expected }, "\(attribute)")
        }
    }
}
