import BackendKit
import Foundation
import VizorMedia

/// What an operator chose for one install, before it becomes a journaled
/// `InstallRequest`. The wizard, `vizor install start` and `vizor build` all
/// fill this one type and call `request(...)`, so defaults (OS template per
/// edition, network, locale) and checks (language packs that fit, custom step
/// files) are the same whichever door the operator came in by.
public struct InstallChoices: Sendable, Equatable {
    /// The catalogued edition to install, with the facts the mapping needs.
    public struct EditionRef: Sendable, Hashable {
        public var imageID: String
        public var imagePath: String
        public var index: Int
        public var name: String
        /// WIM `INSTALLATIONTYPE`: "Client", "Server", "Server Core"; nil when unknown.
        public var installationType: String?
        public var build: Int?
        public var architecture: VizorMedia.WindowsArchitecture?
        /// Languages already in the image (a pack for one of them is refused).
        public var languages: [String]

        public init(imageID: String, imagePath: String, index: Int, name: String, installationType: String? = nil,
                    build: Int? = nil, architecture: VizorMedia.WindowsArchitecture? = nil, languages: [String] = []) {
            self.imageID = imageID
            self.imagePath = imagePath
            self.index = index
            self.name = name
            self.installationType = installationType
            self.build = build
            self.architecture = architecture
            self.languages = languages
        }

        /// The catalog's record of an edition of `image`.
        public init(_ edition: Edition, of image: MediaImage) {
            self.init(imageID: image.id, imagePath: image.path, index: edition.index, name: edition.name,
                      installationType: edition.installationType, build: edition.version?.build,
                      architecture: edition.architecture ?? image.buildArchitecture,
                      languages: edition.languages.isEmpty ? image.mediaLanguages : edition.languages)
        }

        /// A client edition (Windows 10/11) rather than a server one.
        public var isClient: Bool {
            if let type = installationType { return type.lowercased() == "client" }
            return !name.lowercased().contains("server")
        }
    }

    /// A custom step as the operator gave it: a `.ps1` file, optionally named.
    public struct CustomStepFile: Sendable, Hashable {
        /// nil: the file's base name, lower-cased, other characters as `-`.
        public var name: String?
        public var path: String
        public init(name: String? = nil, path: String) {
            self.name = name
            self.path = path
        }
    }

    public var site: String
    public var hypervisor: HypervisorKind
    /// Zone (CloudStack) or pool / host (XenServer); empty for the backend's default.
    public var location = ""
    /// Network name or id. Empty or `default` means the backend's default
    /// network: on CloudStack the zone's first network a VM can be deployed
    /// on (none in a basic zone), on XenServer the first network with a
    /// physical interface. The request journals it as empty.
    public var network = ""
    public var serviceOffering: String?
    public var diskOffering: String?
    public var vcpus = 2
    public var memoryMiB = 4096
    public var diskGiB = 40
    public var firmware: Firmware = .bios
    /// nil: picked from the edition by `InstallOSType`.
    public var osTemplate: String?
    public var bootISO = "ipxe.iso"
    /// nil: leave the boot CD in; no guest tools are installed.
    public var guestToolsISO: String? = "guest-tools.iso"
    public var edition: EditionRef
    public var machineName: String
    public var locale = "en-US"
    /// nil: the locale's keyboard.
    public var keyboard: String?
    public var timeZone = "UTC"
    /// nil: the edition's own language.
    public var uiLanguage: String?
    /// nil or empty: install without a key (KMS client key / evaluation).
    public var productKey: String?
    /// Language tags ("fr-FR"); each must be on catalogued language-pack media
    /// for the edition's build and architecture.
    public var languagePacks: [String] = []
    public var customSteps: [CustomStepFile] = []
    public var makeTemplate = true
    /// nil: the machine name.
    public var templateName: String?
    public var makePublic = false
    public var featured = false
    public var instant = false
    public var copyToLocations: [String] = []
    /// Further renderer options (e.g. `razorTask`) passed through unchanged.
    public var extraOptions: [String: String] = [:]

    public init(site: String, hypervisor: HypervisorKind, edition: EditionRef, machineName: String) {
        self.site = site
        self.hypervisor = hypervisor
        self.edition = edition
        self.machineName = machineName
    }

    /// The journaled request. Throws (a `BackendError`, nothing crashes) when a
    /// language pack is not available for the edition, a custom step file
    /// cannot be read or two steps share a name.
    /// - Parameters:
    ///   - available: the catalog's language packs (`languagePacks(in:)`).
    ///   - readFile: reads a custom step file; the real file system by default.
    public func request(available: [RequestedLanguagePack] = [],
                        readFile: (String) throws -> String = InstallChoices.readScript) throws -> InstallRequest {
        request(packs: try Self.resolve(languagePacks, for: edition, available: available),
                steps: try Self.read(customSteps, readFile: readFile))
    }

    /// The request with packs and steps already resolved (a batch plan, which
    /// has neither, cannot fail).
    public func request(packs: [RequestedLanguagePack], steps: [RequestedCustomStep]) -> InstallRequest {
        var options = extraOptions
        options["locale"] = locale
        options["timeZone"] = timeZone
        options["hostname"] = machineName
        if let keyboard, !keyboard.isEmpty { options["keyboard"] = keyboard }
        if let uiLanguage, !uiLanguage.isEmpty { options["uiLanguage"] = uiLanguage }
        if let key = productKey?.trimmingCharacters(in: .whitespaces), !key.isEmpty { options["productKey"] = key.uppercased() }
        let networkName = network == "default" ? "" : network
        return InstallRequest(
            site: site, hypervisor: hypervisor, location: location, network: networkName,
            serviceOffering: serviceOffering, diskOffering: diskOffering, vcpus: vcpus, memoryMiB: memoryMiB,
            diskGiB: diskGiB, firmware: firmware,
            osTemplate: osTemplate.flatMap { $0.isEmpty ? nil : $0 } ?? InstallOSType.name(for: edition, on: hypervisor),
            bootISO: bootISO, guestToolsISO: guestToolsISO, imageID: edition.imageID, imagePath: edition.imagePath,
            editionIndex: edition.index, editionName: edition.name, machineName: machineName, makeTemplate: makeTemplate,
            templateName: makeTemplate ? templateName.flatMap { $0.isEmpty ? nil : $0 } : nil,
            makePublic: makeTemplate && makePublic, featured: makeTemplate && featured, instant: makeTemplate && instant,
            copyToLocations: copyToLocations, options: options, languagePacks: packs, customSteps: steps)
    }

    // MARK: Language packs

    /// Every language pack on the catalog's language-pack media.
    public static func languagePacks(in catalog: [MediaImage]) -> [RequestedLanguagePack] {
        catalog.sorted { $0.path < $1.path }.flatMap { image in
            image.languagePacks.compactMap { pack -> RequestedLanguagePack? in
                guard let build = pack.build, let arch = pack.architecture ?? image.buildArchitecture else { return nil }
                return RequestedLanguagePack(language: pack.language, build: build, architecture: arch.rawValue,
                                             imageID: image.id, imagePath: image.path, path: pack.path)
            }
        }
    }

    /// The packs that can be added to `edition`: same build, same
    /// architecture, and a language the image does not already have.
    public static func fitting(_ available: [RequestedLanguagePack], for edition: EditionRef) -> [RequestedLanguagePack] {
        let present = Set(edition.languages.map { $0.lowercased() })
        var seen: Set<String> = []
        return available.filter { pack in
            pack.build == edition.build && pack.architecture == edition.architecture?.rawValue
                && !present.contains(pack.language.lowercased()) && seen.insert(pack.language.lowercased()).inserted
        }
    }

    static func resolve(_ wanted: [String], for edition: EditionRef, available: [RequestedLanguagePack]) throws -> [RequestedLanguagePack] {
        let fitting = fitting(available, for: edition)
        var result: [RequestedLanguagePack] = []
        for language in wanted.map({ $0.trimmingCharacters(in: .whitespaces) }) where !language.isEmpty {
            if edition.languages.contains(where: { $0.caseInsensitiveCompare(language) == .orderedSame }) {
                throw BackendError(.invalidInput, backend: "vizor",
                                   message: "\(language) is already in \(edition.name); it needs no language pack")
            }
            guard let pack = fitting.first(where: { $0.language.caseInsensitiveCompare(language) == .orderedSame }) else {
                let build = edition.build.map(String.init) ?? "unknown"
                let list = fitting.map(\.language).joined(separator: ", ")
                throw BackendError(.invalidInput, backend: "vizor",
                                   message: "no language pack \(language) in the catalog for build \(build) \(edition.architecture?.rawValue ?? "")"
                                       + " (available: \(list.isEmpty ? "none" : list))",
                                   hint: "catalog the language-pack ISO (LOF/FOD media) of that build, or drop the pack")
            }
            if !result.contains(pack) { result.append(pack) }
        }
        return result
    }

    // MARK: Custom steps

    /// Parses the wizard's and the CLI's custom step syntax: `PATH.ps1` or
    /// `NAME=PATH.ps1`, several separated by commas.
    public static func parseCustomSteps(_ text: String) throws -> [CustomStepFile] {
        try text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map(parseCustomStep)
    }

    /// One `PATH.ps1` or `NAME=PATH.ps1`.
    public static func parseCustomStep(_ item: String) throws -> CustomStepFile {
        var name: String?
        var path = item
        if let eq = item.firstIndex(of: "="), !item[..<eq].contains("/") {
            name = String(item[..<eq]).trimmingCharacters(in: .whitespaces)
            path = String(item[item.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
        }
        guard path.lowercased().hasSuffix(".ps1") else {
            throw BackendError(.invalidInput, backend: "vizor", message: "custom step '\(item)' is not a .ps1 file",
                               hint: "give PATH.ps1 or NAME=PATH.ps1")
        }
        if let name, !isStepName(name) {
            throw BackendError(.invalidInput, backend: "vizor", message: "custom step name '\(name)' may use only a-z, 0-9 and -")
        }
        return CustomStepFile(name: name, path: path)
    }

    static func isStepName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 40 && name.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }
    }

    /// The step name a file gets when none is given: `Join Domain.ps1` → `join-domain`.
    public static func stepName(forPath path: String) -> String {
        let base = ((path as NSString).lastPathComponent as NSString).deletingPathExtension.lowercased()
        let mapped = base.map { ($0.isASCII && ($0.isLetter || $0.isNumber)) ? $0 : "-" }
        let name = String(mapped).split(separator: "-").joined(separator: "-")
        return String((name.isEmpty ? "step" : name).prefix(40))
    }

    static func read(_ files: [CustomStepFile], readFile: (String) throws -> String) throws -> [RequestedCustomStep] {
        var steps: [RequestedCustomStep] = []
        for file in files {
            let name = file.name ?? stepName(forPath: file.path)
            if steps.contains(where: { $0.name == name }) {
                throw BackendError(.invalidInput, backend: "vizor", message: "two custom steps are named \(name)",
                                   hint: "name them: NAME=PATH.ps1")
            }
            let script = try readFile(file.path)
            if script.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                throw BackendError(.invalidInput, backend: "vizor", message: "custom step file \(file.path) is empty")
            }
            steps.append(RequestedCustomStep(name: name, script: script, source: file.path))
        }
        return steps
    }

    /// Largest script accepted (it is journaled and served to the guest).
    public static let maxScriptBytes = 1 << 20

    /// Reads a `.ps1` file as UTF-8 (a UTF-8 byte-order mark is dropped).
    public static func readScript(_ path: String) throws -> String {
        let url = URL(fileURLWithPath: (path as NSString).expandingTildeInPath)
        guard let data = try? Data(contentsOf: url) else {
            throw BackendError(.notFound, backend: "vizor", message: "cannot read custom step file \(path)",
                               hint: "check the path; it is read when the install is started")
        }
        guard data.count <= maxScriptBytes else {
            throw BackendError(.invalidInput, backend: "vizor", message: "custom step file \(path) is over 1 MiB")
        }
        var bytes = data
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        guard let text = String(data: bytes, encoding: .utf8) else {
            throw BackendError(.invalidInput, backend: "vizor", message: "custom step file \(path) is not UTF-8 text",
                               hint: "save it as UTF-8")
        }
        return text
    }
}

extension InstallChoices {
    /// Why `name` cannot be a Windows computer name (NetBIOS: at most 15
    /// letters, digits and hyphens, not all digits, no hyphen at either
    /// end), or nil when it can. The wizard checks it as typed; the CLI
    /// refuses a bad `--hostname` before anything is created.
    public static func hostnameProblem(_ name: String) -> String? {
        if name.isEmpty { return "a host name is needed" }
        if name.count > 15 { return "at most 15 characters (NetBIOS limit); \(name.count) typed" }
        if let bad = name.first(where: { !($0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-")) }) { return "'\(bad)' is not allowed: letters, digits and - only" }
        if name.allSatisfy(\.isNumber) { return "cannot be only digits" }
        if name.hasPrefix("-") || name.hasSuffix("-") { return "cannot start or end with -" }
        return nil
    }

    /// Checks `location` against the zones or pools the backend lists: a
    /// cloud with several zones needs one named, and a named one must exist.
    /// Returns the problem, or nil (also when the backend lists none).
    public static func locationProblem(_ location: String, known: [String], flag: String) -> String? {
        if known.isEmpty || known.contains(location) || (location.isEmpty && known.count == 1) { return nil }
        if location.isEmpty { return "several to choose from (\(known.joined(separator: ", "))); name one with \(flag)" }
        return "no zone or pool named \(location) (have: \(known.joined(separator: ", ")))"
    }
}
