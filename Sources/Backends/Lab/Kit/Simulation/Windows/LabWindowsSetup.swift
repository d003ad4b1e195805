import Foundation
import VizorMedia

/// What the installation medium behind `Z:` offers Setup: the images of
/// `sources/install.wim` (from its XML, as Setup lists them) and whether
/// the medium carries an edition or key configuration (`sources/ei.cfg`,
/// `sources/pid.txt`), which spares client media the product key page.
public struct LabInstallMedium: Sendable, Equatable {
    /// One image of install.wim as its XML describes it.
    public struct Image: Sendable, Equatable {
        public var index: Int
        public var name: String
        public var description: String?
        public var editionID: String?
        public var installationType: String?
        /// Unattend's name of the architecture: `amd64`, `x86`, `arm64`.
        public var architecture: String
        public var languages: [String]
        public var build: Int?

        public init(index: Int, name: String, description: String? = nil, editionID: String?, installationType: String?,
                    architecture: String, languages: [String], build: Int?) {
            self.index = index
            self.name = name
            self.description = description
            self.editionID = editionID
            self.installationType = installationType
            self.architecture = architecture
            self.languages = languages
            self.build = build
        }

        init(_ image: WIMImage) {
            self.init(index: image.index, name: image.name, description: image.description, editionID: image.editionID,
                      installationType: image.installationType,
                      architecture: LabWindowsSetup.unattendArchitecture(image.architecture), languages: image.languages,
                      build: image.version?.build)
        }
    }

    public var images: [Image]
    public var hasKeyConfiguration: Bool

    public init(images: [Image], hasKeyConfiguration: Bool) {
        self.images = images
        self.hasKeyConfiguration = hasKeyConfiguration
    }
}

/// The Windows Setup applied to the disk, from the answer file's settings.
public struct LabInstalledWindows: Sendable, Equatable {
    public struct AutoLogon: Sendable, Equatable {
        public var user: String
        public var count: Int

        public init(user: String, count: Int) {
            self.user = user
            self.count = count
        }
    }

    public var imageIndex: Int
    public var imageName: String
    public var editionID: String?
    /// `INSTALLATIONTYPE` of the image: `Client`, `Server`, `Server Core`.
    public var installationType: String?
    public var architecture: String
    /// The image's build (`VERSION/BUILD`), when its XML has one.
    public var build: Int?
    public var uiLanguage: String
    public var systemLocale: String?
    public var userLocale: String?
    public var inputLocale: String?
    /// Whether a product key was given (the key itself is not kept).
    public var productKeyGiven: Bool
    /// The partitions created on disk 0, in order, e.g. `EFI 500`, `MSR 128`, `Primary rest`.
    public var partitions: [String]
    public var windowsPartition: Int
    public var computerName: String?
    public var timeZone: String?
    public var autoLogon: AutoLogon?
    /// The oobeSystem FirstLogonCommands' command lines, in their `Order`.
    public var firstLogonCommands: [String]

    /// Server Core has no Explorer, so nothing processes the Run keys at logon.
    public var hasExplorer: Bool { installationType?.lowercased() != "server core" }
    /// Client editions from Windows 8 on have the Store, which updates its apps for the logged-on user.
    public var hasStore: Bool { (installationType ?? "Client").lowercased() == "client" && (build ?? 0) >= 9200 }
}

/// Windows Setup's windowsPE pass as far as the lab can follow it: the
/// answer file decides the language, the disk, the image and the key, and
/// every setting Setup would have to ask for, it asks for: it stops at that
/// page or error dialog and waits for someone at the console. The result
/// carries the later passes' settings (specialize, oobeSystem) that the
/// installed Windows reads at its first boots.
public enum LabWindowsSetup {
    /// Unattend's name of an image architecture.
    static func unattendArchitecture(_ architecture: WindowsArchitecture?) -> String {
        switch architecture {
        case .x86?: return "x86"
        case .arm64?: return "arm64"
        case .ia64?: return "ia64"
        case .arm?: return "arm"
        default: return "amd64"
        }
    }

    public static func apply(answerFile text: String, path: String, medium: LabInstallMedium) throws(LabGuestFailure) -> LabInstalledWindows {
        let file = try LabAnswerFile.parse(text, path: path)
        guard let first = medium.images.first else {
            throw LabGuestFailure("Windows Setup found no images in sources\\install.wim of the installation medium")
        }
        // Setup runs in the medium's own WinPE: its architecture is the one of the medium's images.
        let architecture = first.architecture
        let windowsPE = file.components(pass: "windowsPE", architecture: architecture)
        guard let setup = windowsPE["Microsoft-Windows-Setup"] else {
            let others = file.architectures.sorted().joined(separator: ", ")
            throw LabGuestFailure("Windows Setup found no Microsoft-Windows-Setup settings for \(architecture) in the windowsPE pass "
                                  + "(the answer file has components for \(others.isEmpty ? "no architecture" : others)); it waits at its first page")
        }
        guard let international = windowsPE["Microsoft-Windows-International-Core-WinPE"],
              let setupLanguage = international.value("SetupUILanguage/UILanguage") ?? international.value("UILanguage") else {
            throw LabGuestFailure("Windows Setup has no setup language in the windowsPE pass; it waits at the language page")
        }

        // The image: InstallFrom metadata selects it among the medium's images.
        guard let osImage = setup.child("ImageInstall")?.child("OSImage") else {
            throw LabGuestFailure("Windows Setup has no ImageInstall/OSImage; it waits at the operating system page")
        }
        let selected: LabInstallMedium.Image
        let metadata = osImage.child("InstallFrom")?.all("MetaData") ?? []
        if let entry = metadata.first {
            let key = (entry.value("Key") ?? "").uppercased()
            let value = entry.value("Value") ?? ""
            let match: LabInstallMedium.Image?
            switch key {
            case "/IMAGE/INDEX": match = Int(value).flatMap { index in medium.images.first { $0.index == index } }
            case "/IMAGE/NAME": match = medium.images.first { $0.name.caseInsensitiveCompare(value) == .orderedSame }
            case "/IMAGE/DESCRIPTION": match = medium.images.first { ($0.description ?? "").caseInsensitiveCompare(value) == .orderedSame }
            default:
                throw LabGuestFailure("Windows Setup does not know the InstallFrom metadata key '\(key)'; it shows an error and waits")
            }
            guard let match else {
                let list = medium.images.map { "\($0.index) \($0.name)" }.joined(separator: ", ")
                throw LabGuestFailure("Windows Setup cannot find the image \(key) = \(value) in install.wim (it holds \(list)); "
                                      + "it shows an error and waits")
            }
            selected = match
        } else if medium.images.count == 1 {
            selected = first
        } else {
            throw LabGuestFailure("Windows Setup has no InstallFrom metadata and the medium holds \(medium.images.count) images; "
                                  + "it waits at the operating system page")
        }
        if !selected.languages.isEmpty, !selected.languages.contains(where: { $0.caseInsensitiveCompare(setupLanguage) == .orderedSame }) {
            throw LabGuestFailure("Windows Setup cannot use the language \(setupLanguage): image \(selected.index) has only "
                                  + "\(selected.languages.joined(separator: ", ")); it shows an error and waits")
        }

        // User data: the licence terms and the product key.
        let userData = setup.child("UserData")
        guard userData?.value("AcceptEula")?.lowercased() == "true" else {
            throw LabGuestFailure("Windows Setup waits at the licence terms: UserData/AcceptEula is not true")
        }
        let productKey = userData?.child("ProductKey")
        let key = productKey?.value("Key") ?? userData?.value("ProductKey") ?? ""
        let keyUI = productKey?.value("WillShowUI") ?? "OnError"
        if !key.isEmpty {
            let groups = key.split(separator: "-", omittingEmptySubsequences: false)
            guard groups.count == 5, groups.allSatisfy({ $0.count == 5 && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } }) else {
                throw LabGuestFailure("Windows Setup refuses the product key in UserData/ProductKey: it is not five groups of five characters; "
                                      + "it waits at the product key page")
            }
        } else if asksForKey(selected, medium: medium), keyUI.lowercased() != "never" {
            throw LabGuestFailure("Windows Setup waits at the product key page: image \(selected.index) (\(selected.name)) is a client "
                                  + "edition, the medium has no ei.cfg or pid.txt and the answer file gives no key "
                                  + "(nor <Key/> with WillShowUI Never)")
        }

        // The disk: partitions on disk 0 and the one Windows goes to.
        guard let disk = setup.child("DiskConfiguration")?.all("Disk").first(where: { $0.value("DiskID") == "0" }) else {
            throw LabGuestFailure("Windows Setup has no DiskConfiguration for disk 0; it waits at the disk page")
        }
        let created = (disk.child("CreatePartitions")?.all("CreatePartition") ?? [])
            .sorted { Int($0.value("Order") ?? "") ?? 0 < Int($1.value("Order") ?? "") ?? 0 }
        guard !created.isEmpty, disk.value("WillWipeDisk")?.lowercased() == "true" else {
            throw LabGuestFailure("Windows Setup would not wipe disk 0 (no CreatePartitions or WillWipeDisk false); it waits at the disk page")
        }
        let partitions = created.map { partition in
            "\(partition.value("Type") ?? "?") \(partition.value("Extend")?.lowercased() == "true" ? "rest" : partition.value("Size") ?? "?")"
        }
        guard let installTo = osImage.child("InstallTo"), installTo.value("DiskID") == "0",
              let target = installTo.value("PartitionID").flatMap({ Int($0) }), target >= 1, target <= created.count else {
            throw LabGuestFailure("Windows Setup has no InstallTo partition among the \(created.count) it creates on disk 0; "
                                  + "it waits at the disk page")
        }
        let modified = disk.child("ModifyPartitions")?.all("ModifyPartition").first { $0.value("PartitionID") == String(target) }
        guard modified?.value("Format")?.uppercased() == "NTFS" else {
            throw LabGuestFailure("Windows Setup cannot install to partition \(target): it is not formatted NTFS; it shows an error and waits")
        }
        let types = created.map { ($0.value("Type") ?? "").uppercased() }
        if types.contains("EFI"), types.contains(where: { $0 == "EXTENDED" || $0 == "LOGICAL" }) {
            throw LabGuestFailure("Windows Setup refuses the disk layout \(partitions): a GPT disk (it has an EFI partition) has no extended or logical partitions")
        }

        // Later passes, read when the installed Windows starts.
        let components = { (pass: String) in file.components(pass: pass, architecture: architecture) }
        let specialize = components("specialize")["Microsoft-Windows-Shell-Setup"]
        let oobe = components("oobeSystem")["Microsoft-Windows-Shell-Setup"]
        var autoLogon: LabInstalledWindows.AutoLogon?
        if let logon = oobe?.child("AutoLogon"), logon.value("Enabled")?.lowercased() == "true",
           let user = logon.value("Username"), logon.child("Password") != nil {
            autoLogon = .init(user: user, count: Int(logon.value("LogonCount") ?? "") ?? 1)
        }
        let commands = (oobe?.child("FirstLogonCommands")?.all("SynchronousCommand") ?? [])
            .sorted { Int($0.value("Order") ?? "") ?? 0 < Int($1.value("Order") ?? "") ?? 0 }
            .compactMap { $0.value("CommandLine") }
        return LabInstalledWindows(
            imageIndex: selected.index, imageName: selected.name, editionID: selected.editionID,
            installationType: selected.installationType, architecture: architecture, build: selected.build,
            uiLanguage: setupLanguage,
            systemLocale: international.value("SystemLocale"), userLocale: international.value("UserLocale"),
            inputLocale: international.value("InputLocale"), productKeyGiven: !key.isEmpty, partitions: partitions,
            windowsPartition: target, computerName: specialize?.value("ComputerName"),
            timeZone: specialize?.value("TimeZone") ?? oobe?.value("TimeZone"), autoLogon: autoLogon, firstLogonCommands: commands)
    }

    /// Client media without ei.cfg or pid.txt ask for a key unless the answer
    /// file gives one; evaluation and server images do not (see the lab's notes).
    static func asksForKey(_ image: LabInstallMedium.Image, medium: LabInstallMedium) -> Bool {
        guard !medium.hasKeyConfiguration else { return false }
        if (image.editionID ?? "").lowercased().hasSuffix("eval") { return false }
        return (image.installationType ?? "Client").lowercased() == "client"
    }
}
