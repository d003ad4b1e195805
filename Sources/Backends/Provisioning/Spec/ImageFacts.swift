/// Processor architecture of a Windows image, spelled the way answer files,
/// DISM package identities and EFI boot file names need it.
public enum WindowsArchitecture: String, Sendable, Codable, CaseIterable {
    case x86, amd64, arm64

    /// Maps the WIM XML `<ARCH>` number (0, 9, 12) to an architecture.
    public init?(wimArch: Int) {
        switch wimArch {
        case 0: self = .x86
        case 9: self = .amd64
        case 12: self = .arm64
        default: return nil
        }
    }

    /// The value of `processorArchitecture` on every answer-file component.
    public var unattendValue: String { rawValue }

    /// The removable-media EFI loader inside the ISO for this architecture.
    public var efiBootFile: String {
        switch self {
        case .x86: return "efi/boot/bootia32.efi"
        case .amd64: return "efi/boot/bootx64.efi"
        case .arm64: return "efi/boot/bootaa64.efi"
        }
    }
}

/// The facts about one edition (one WIM image index) that rendering needs.
/// The orchestrator fills it from the media catalog; Provisioning does not
/// read media itself, so the two can evolve apart.
public struct EditionFacts: Sendable, Equatable, Codable {
    /// WIM image index, used as `/IMAGE/INDEX`.
    public var index: Int
    /// WIM `NAME` (not DISPLAYNAME): what `/IMAGE/NAME` would match.
    public var name: String
    /// `EDITIONID`, e.g. "ServerStandard", "Professional".
    public var editionID: String
    public var architecture: WindowsArchitecture
    /// `VERSION/BUILD`, e.g. 17763; language packs must match it.
    public var build: Int
    /// `LANGUAGES/LANGUAGE`, the first is the default language.
    public var languages: [String]
    /// "Client" or "Server" (WIM `INSTALLATIONTYPE`), when known.
    public var installationType: String

    public init(index: Int, name: String, editionID: String, architecture: WindowsArchitecture, build: Int,
                languages: [String], installationType: String = "Server") {
        self.index = index
        self.name = name
        self.editionID = editionID
        self.architecture = architecture
        self.build = build
        self.languages = languages
        self.installationType = installationType
    }

    /// The language the image installs with when nothing else is added.
    public var defaultLanguage: String { languages.first ?? "en-US" }

    /// A client edition (Windows 7 to 11), as the WIM's `INSTALLATIONTYPE` says;
    /// Server, Server Core and Nano editions are not.
    public var isClient: Bool { installationType.caseInsensitiveCompare("Client") == .orderedSame }
}

/// One catalogued install image (an ISO's install.wim/esd) and its editions.
public struct ImageFacts: Sendable, Equatable, Codable {
    /// The catalog's id of the image, for messages and journals.
    public var imageID: String
    public var editions: [EditionFacts]

    public init(imageID: String, editions: [EditionFacts]) {
        self.imageID = imageID
        self.editions = editions
    }
}

/// A language pack CAB reachable over HTTP (from the language-pack media,
/// exposed like any other ISO), with the identity facts that must match the image.
public struct LanguagePack: Sendable, Equatable, Codable {
    /// e.g. "fr-FR".
    public var locale: String
    /// The Windows build the pack belongs to; must equal the image build.
    public var build: Int
    public var architecture: WindowsArchitecture
    /// HTTP(S) URL of the `.cab` file.
    public var url: String

    public init(locale: String, build: Int, architecture: WindowsArchitecture, url: String) {
        self.locale = locale
        self.build = build
        self.architecture = architecture
        self.url = url
    }
}
