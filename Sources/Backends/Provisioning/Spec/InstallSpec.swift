import BackendKit

/// A local account created during OOBE besides the built-in Administrator.
public struct LocalUser: Sendable, Equatable, Codable {
    public var name: String
    public var password: String
    /// Local group: "Administrators" or "Users".
    public var group: String
    public var displayName: String

    public init(name: String, password: String, group: String = "Users", displayName: String? = nil) {
        self.name = name
        self.password = password
        self.group = group
        self.displayName = displayName ?? name
    }
}

/// Which hypervisor guest tools the post-install sequence installs.
public enum GuestToolsKind: String, Sendable, Codable, CaseIterable {
    /// XenServer VM Tools: the management agent MSI from the tools CD.
    case xenserver
    /// VMware Tools: setup from the tools CD.
    case vmware
    case none
}

/// The built-in post-install steps, in the order they run.
public enum BuiltInStep: String, Sendable, Codable, CaseIterable {
    case guestTools = "guest-tools"
    case languagePacks = "language-packs"
    case regionalSettings = "regional-settings"
    case windowsUpdate = "windows-update"
    case seal = "seal"
}

/// Where an operator's PowerShell step goes in the sequence.
public enum StepPosition: Sendable, Equatable, Codable {
    /// Before every built-in step.
    case first
    /// Right after the named built-in step (after it even when it is skipped).
    case after(BuiltInStep)
    /// Last, just before sysprep / power-off.
    case beforeSeal
}

/// An operator's own PowerShell file, run as one step of the sequence.
public struct CustomStep: Sendable, Equatable, Codable {
    /// Short name, `[a-z0-9-]`, unique within the job; shown on the dashboard.
    public var name: String
    /// The PowerShell source (the file's content).
    public var script: String
    public var position: StepPosition

    public init(name: String, script: String, position: StepPosition = .beforeSeal) {
        self.name = name
        self.script = script
        self.position = position
    }
}

/// Everything an operator decides about one unattended Windows install.
/// It is checked as a whole by `validate()`; renderers accept only the
/// resulting `ValidatedInstall`, so nothing is ever rendered from bad input.
public struct InstallSpec: Sendable, Equatable, Codable {
    /// The install job this spec belongs to; names the artefacts' scope.
    public var jobID: String
    public var image: ImageFacts
    /// The WIM index of the chosen edition.
    public var editionIndex: Int
    public var firmware: Firmware
    /// NetBIOS computer name: 1-15 of `A-Z a-z 0-9 -`.
    public var hostname: String
    /// Password of the built-in Administrator (also used for auto-logon).
    public var administratorPassword: String
    public var users: [LocalUser]
    /// `XXXXX-XXXXX-XXXXX-XXXXX-XXXXX`, or nil to install without a key.
    public var productKey: String?
    public var uiLanguage: String
    public var systemLocale: String
    public var userLocale: String
    /// A locale name ("de-CH") or an input profile ("0807:00000807").
    public var inputLocale: String
    /// A Windows time-zone id ("W. Europe Standard Time") or an IANA name ("Europe/Berlin").
    public var timeZone: String
    public var owner: String
    public var organization: String
    public var languagePacks: [LanguagePack]
    public var guestTools: GuestToolsKind
    /// How many Windows Update rounds to run (each may reboot); 0 skips updates.
    public var windowsUpdateRounds: Int
    public var customSteps: [CustomStep]
    /// Generalize with sysprep and power off, so the VM can become a template.
    public var sysprepForTemplate: Bool

    public init(jobID: String, image: ImageFacts, editionIndex: Int, firmware: Firmware, hostname: String,
                administratorPassword: String, users: [LocalUser] = [], productKey: String? = nil,
                uiLanguage: String = "en-US", systemLocale: String = "en-US", userLocale: String = "en-US",
                inputLocale: String = "en-US", timeZone: String = "UTC", owner: String = "Vizor",
                organization: String = "Vizor", languagePacks: [LanguagePack] = [],
                guestTools: GuestToolsKind = .none, windowsUpdateRounds: Int = 0, customSteps: [CustomStep] = [],
                sysprepForTemplate: Bool = true) {
        self.jobID = jobID
        self.image = image
        self.editionIndex = editionIndex
        self.firmware = firmware
        self.hostname = hostname
        self.administratorPassword = administratorPassword
        self.users = users
        self.productKey = productKey
        self.uiLanguage = uiLanguage
        self.systemLocale = systemLocale
        self.userLocale = userLocale
        self.inputLocale = inputLocale
        self.timeZone = timeZone
        self.owner = owner
        self.organization = organization
        self.languagePacks = languagePacks
        self.guestTools = guestTools
        self.windowsUpdateRounds = windowsUpdateRounds
        self.customSteps = customSteps
        self.sysprepForTemplate = sysprepForTemplate
    }
}

/// A spec that passed validation, with everything resolved that renderers need
/// (the edition, the Windows time-zone id, input profiles, geo id).
public struct ValidatedInstall: Sendable, Equatable {
    public let spec: InstallSpec
    public let edition: EditionFacts
    /// Windows time-zone id, after mapping an IANA name.
    public let windowsTimeZone: String
    /// Input profile list, first is the default ("0409:00000409").
    public let inputProfiles: [String]
    /// GeoID of the user locale's country.
    public let geoID: Int
    /// The UI language Windows Setup can use before any language pack is added.
    public let setupUILanguage: String

    init(spec: InstallSpec, edition: EditionFacts, windowsTimeZone: String, inputProfiles: [String], geoID: Int,
         setupUILanguage: String) {
        self.spec = spec
        self.edition = edition
        self.windowsTimeZone = windowsTimeZone
        self.inputProfiles = inputProfiles
        self.geoID = geoID
        self.setupUILanguage = setupUILanguage
    }

    public var architecture: WindowsArchitecture { edition.architecture }
}
