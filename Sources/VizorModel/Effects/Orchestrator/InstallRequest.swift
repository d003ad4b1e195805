import BackendKit
import Foundation

/// Everything one install needs, as the operator (CLI flags, a batch plan or
/// the wizard) asked for it. Journaled as JSON so any later process can
/// resume the job without the original command line.
public struct InstallRequest: Sendable, Codable, Equatable {
    public var site: String
    public var hypervisor: HypervisorKind
    /// Zone (CloudStack) or pool / host (XenServer); empty for the default.
    public var location: String
    public var network: String
    public var serviceOffering: String?
    public var diskOffering: String?
    public var vcpus: Int
    public var memoryMiB: Int
    public var diskGiB: Int
    public var firmware: Firmware
    /// XenServer install template, or CloudStack OS type.
    public var osTemplate: String
    /// The iPXE boot ISO known to the platform.
    public var bootISO: String
    /// Guest tools ISO inserted after the first boot; nil to leave the CD alone.
    public var guestToolsISO: String?
    /// Catalog image id and path of the ISO.
    public var imageID: String
    public var imagePath: String
    public var editionIndex: Int
    public var editionName: String
    public var machineName: String
    /// Make a template at the end (otherwise the installed VM is kept).
    public var makeTemplate: Bool
    public var templateName: String
    public var makePublic: Bool
    public var featured: Bool
    public var instant: Bool
    public var copyToLocations: [String]
    /// Install options handed to the artefact renderer, by the CLI's names:
    /// `locale`, `keyboard`, `timeZone`, `hostname`, `uiLanguage`, `productKey`
    /// (a Windows product key is a licence identifier, not a credential, so it
    /// may be journaled; passwords never are).
    public var options: [String: String]
    /// Language packs from catalogued language-pack media, checked against the
    /// edition's build and architecture when the request was made. Absent in
    /// journals written before this field existed (decodes as empty).
    public var languagePacks: [RequestedLanguagePack]
    /// The operator's PowerShell steps, with the scripts' content read when the
    /// request was made (journaled: they must not carry secrets). Absent in
    /// older journals (decodes as empty).
    public var customSteps: [RequestedCustomStep]

    public init(site: String, hypervisor: HypervisorKind, location: String = "", network: String = "",
                serviceOffering: String? = nil, diskOffering: String? = nil, vcpus: Int = 2, memoryMiB: Int = 4096,
                diskGiB: Int = 40, firmware: Firmware = .bios, osTemplate: String, bootISO: String,
                guestToolsISO: String? = nil, imageID: String, imagePath: String, editionIndex: Int, editionName: String,
                machineName: String, makeTemplate: Bool = true, templateName: String? = nil, makePublic: Bool = false,
                featured: Bool = false, instant: Bool = false, copyToLocations: [String] = [], options: [String: String] = [:],
                languagePacks: [RequestedLanguagePack] = [], customSteps: [RequestedCustomStep] = []) {
        self.site = site
        self.hypervisor = hypervisor
        self.location = location
        self.network = network
        self.serviceOffering = serviceOffering
        self.diskOffering = diskOffering
        self.vcpus = vcpus
        self.memoryMiB = memoryMiB
        self.diskGiB = diskGiB
        self.firmware = firmware
        self.osTemplate = osTemplate
        self.bootISO = bootISO
        self.guestToolsISO = guestToolsISO
        self.imageID = imageID
        self.imagePath = imagePath
        self.editionIndex = editionIndex
        self.editionName = editionName
        self.machineName = machineName
        self.makeTemplate = makeTemplate
        self.templateName = templateName ?? machineName
        self.makePublic = makePublic
        self.featured = featured
        self.instant = instant
        self.copyToLocations = copyToLocations
        self.options = options
        self.languagePacks = languagePacks
        self.customSteps = customSteps
    }

    /// Decodes journals of every vizor version: fields added later default
    /// to empty when a journal written before them lacks them.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            site: try c.decode(String.self, forKey: .site), hypervisor: try c.decode(HypervisorKind.self, forKey: .hypervisor),
            location: try c.decode(String.self, forKey: .location), network: try c.decode(String.self, forKey: .network),
            serviceOffering: try c.decodeIfPresent(String.self, forKey: .serviceOffering),
            diskOffering: try c.decodeIfPresent(String.self, forKey: .diskOffering),
            vcpus: try c.decode(Int.self, forKey: .vcpus), memoryMiB: try c.decode(Int.self, forKey: .memoryMiB),
            diskGiB: try c.decode(Int.self, forKey: .diskGiB), firmware: try c.decode(Firmware.self, forKey: .firmware),
            osTemplate: try c.decode(String.self, forKey: .osTemplate), bootISO: try c.decode(String.self, forKey: .bootISO),
            guestToolsISO: try c.decodeIfPresent(String.self, forKey: .guestToolsISO),
            imageID: try c.decode(String.self, forKey: .imageID), imagePath: try c.decode(String.self, forKey: .imagePath),
            editionIndex: try c.decode(Int.self, forKey: .editionIndex), editionName: try c.decode(String.self, forKey: .editionName),
            machineName: try c.decode(String.self, forKey: .machineName), makeTemplate: try c.decode(Bool.self, forKey: .makeTemplate),
            templateName: try c.decode(String.self, forKey: .templateName), makePublic: try c.decode(Bool.self, forKey: .makePublic),
            featured: try c.decode(Bool.self, forKey: .featured), instant: try c.decode(Bool.self, forKey: .instant),
            copyToLocations: try c.decode([String].self, forKey: .copyToLocations),
            options: try c.decode([String: String].self, forKey: .options),
            languagePacks: try c.decodeIfPresent([RequestedLanguagePack].self, forKey: .languagePacks) ?? [],
            customSteps: try c.decodeIfPresent([RequestedCustomStep].self, forKey: .customSteps) ?? [])
    }

    /// The key earlier installs are grouped by for the ETA: same image, same edition.
    public var imageKey: String { "\(imageID)#\(editionIndex)" }

    public func encoded() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    public static func decode(_ text: String) throws -> InstallRequest {
        do {
            return try JSONDecoder().decode(InstallRequest.self, from: Data(text.utf8))
        } catch {
            throw BackendError(.invalidInput, backend: "journal", message: "journaled install request is unreadable: \(error)",
                               hint: "the journal was written by an incompatible vizor; cancel the job")
        }
    }
}

/// A language pack on catalogued language-pack media (an ISO of CABs), with
/// the identity facts it was matched to the edition by.
public struct RequestedLanguagePack: Sendable, Codable, Equatable, Hashable {
    /// e.g. "fr-FR".
    public var language: String
    public var build: Int
    /// The catalog's spelling ("x64", "x86", "arm64").
    public var architecture: String
    /// Catalog id and path of the language-pack ISO.
    public var imageID: String
    public var imagePath: String
    /// Path of the CAB inside that ISO.
    public var path: String

    public init(language: String, build: Int, architecture: String, imageID: String, imagePath: String, path: String) {
        self.language = language
        self.build = build
        self.architecture = architecture
        self.imageID = imageID
        self.imagePath = imagePath
        self.path = path
    }
}

/// One of the operator's PowerShell steps, its script read from a file when
/// the request was made, so a resumed job runs the same script.
public struct RequestedCustomStep: Sendable, Codable, Equatable, Hashable {
    /// `[a-z0-9-]`, unique within the job.
    public var name: String
    /// The file's content.
    public var script: String
    /// The file it was read from, for the operator.
    public var source: String

    public init(name: String, script: String, source: String) {
        self.name = name
        self.script = script
        self.source = source
    }
}

/// Where a job's media is reachable while it installs.
public struct MediaExposureHandle: Sendable, Codable, Equatable {
    public var exposureID: String
    /// Base URL of the ISO's files over HTTP (boot files, Razor repo).
    public var httpURL: String
    /// SMB share Windows Setup reads `sources/` from.
    public var smbShare: String?
    public init(exposureID: String, httpURL: String, smbShare: String? = nil) {
        self.exposureID = exposureID
        self.httpURL = httpURL
        self.smbShare = smbShare
    }
}

/// Exposes catalogued ISOs for one job at a time, reference counted per job.
/// Both calls are idempotent: exposing twice for one job returns the same handle.
public protocol InstallMediaExposure: Sendable {
    func expose(imageID: String, isoPath: String, job: String) async throws -> MediaExposureHandle
    /// Drops the job's reference; what is gone already is not an error.
    func release(imageID: String, job: String) async throws
}

/// What the artefact step hands to Razor.
public struct PublishedArtefacts: Sendable, Equatable {
    public var taskName: String
    public var taskDefinition: [String: String]
    /// Razor stage names in the order a successful install reports them.
    public var expectedStages: [String]
    public var metadata: [String: String]
    public var rootPassword: String
    public init(taskName: String, taskDefinition: [String: String] = [:], expectedStages: [String],
                metadata: [String: String] = [:], rootPassword: String) {
        self.taskName = taskName
        self.taskDefinition = taskDefinition
        self.expectedStages = expectedStages
        self.metadata = metadata
        self.rootPassword = rootPassword
    }
}

/// Renders a job's artefacts (unattend.xml, WinPE files, iPXE script,
/// post-install sequence) and serves them. Serving is process-local, so a
/// resumed job publishes again; rendering is deterministic per job.
public protocol InstallArtefactPublisher: Sendable {
    func publish(jobID: String, request: InstallRequest, media: MediaExposureHandle) async throws -> PublishedArtefacts
    /// Ties the job's artefacts to the Razor node once it is known.
    func bind(jobID: String, node: String) async throws
    func revoke(jobID: String) async
}

/// The backends one orchestrator drives, per site.
public protocol InstallBackends: Sendable {
    func hypervisor(site: String, kind: HypervisorKind) async throws -> any Hypervisor
    func provisioning(site: String) async throws -> any ProvisioningServer
    var media: any InstallMediaExposure { get }
    var artefacts: any InstallArtefactPublisher { get }
}

extension InstallRequest {
    /// The VM container this request asks the hypervisor for: what the
    /// create-container step creates and what `install start` checks first.
    public func containerSpec(name: String, ownerTags: [String: String] = [:]) -> ContainerSpec {
        ContainerSpec(name: name, displayName: machineName, location: location, osTemplate: osTemplate, bootISO: bootISO,
                      network: network, vcpus: vcpus, memoryMiB: memoryMiB, diskGiB: diskGiB,
                      serviceOffering: serviceOffering, diskOffering: diskOffering, firmware: firmware, ownerTags: ownerTags)
    }
}
