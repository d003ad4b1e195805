import BackendKit
import Foundation
import Yams

/// A batch build plan (YAML): images and their editions crossed with targets
/// and locales into one install job each, run within the per-site limits.
///
/// ```yaml
/// name: "{edition}-{locale}-{hypervisor}"
/// images:
///   - image: w2022-eval
///     path: /srv/iso/w2022.iso
///     editions: [{index: 2, name: Windows Server 2022 Standard}]
/// targets:
///   - {site: lab, hypervisor: xenserver, os_template: "Windows Server 2022 (64-bit)"}
///   - {site: lab, hypervisor: cloudstack, zone: lab-zone-1, offering: Medium Instance}
/// locales: [en-US, fr-FR]
/// ```
public struct BuildPlan: Sendable, Equatable, Decodable {
    public struct Edition: Sendable, Equatable, Decodable {
        public var index: Int
        public var name: String
    }

    public struct Image: Sendable, Equatable, Decodable {
        public var image: String
        public var path: String
        public var editions: [Edition]
    }

    public struct Target: Sendable, Equatable, Decodable {
        public var site: String
        public var hypervisor: HypervisorKind
        public var zone: String?
        public var pool: String?
        public var network: String?
        public var offering: String?
        public var diskOffering: String?
        public var osTemplate: String?
        public var bootISO: String?
        public var toolsISO: String?
        public var vcpus: Int?
        public var memoryMiB: Int?
        public var diskGiB: Int?
        public var firmware: Firmware?
        public var copyToZones: [String]?

        enum CodingKeys: String, CodingKey {
            case site, hypervisor, zone, pool, network, offering, vcpus, firmware
            case diskOffering = "disk_offering", osTemplate = "os_template", bootISO = "boot_iso", toolsISO = "tools_iso"
            case memoryMiB = "memory_mib", diskGiB = "disk_gib", copyToZones = "copy_to_zones"
        }
    }

    /// Template name pattern: `{image}`, `{edition}`, `{index}`, `{locale}`, `{hypervisor}`, `{site}`.
    public var name: String?
    public var images: [Image]
    public var targets: [Target]
    public var locales: [String]?
    public var makePublic: Bool?
    public var featured: Bool?
    public var instant: Bool?
    /// Install options for every job (time zone, product key, ...); `locale` comes from `locales`.
    public var options: [String: String]?

    enum CodingKeys: String, CodingKey {
        case name, images, targets, locales, featured, instant, options
        case makePublic = "public"
    }

    /// Reads a plan; errors name the problem and where it is.
    public static func parse(_ text: String) throws -> BuildPlan {
        let plan: BuildPlan
        do {
            plan = try YAMLDecoder().decode(BuildPlan.self, from: text)
        } catch {
            throw BackendError(.invalidInput, backend: "plan", message: "the build plan is not valid: \(error)",
                               hint: "see `vizor build --help` for the plan format")
        }
        if plan.images.isEmpty || plan.targets.isEmpty || plan.images.contains(where: { $0.editions.isEmpty }) {
            throw BackendError(.invalidInput, backend: "plan", message: "the build plan needs at least one image with an edition and one target")
        }
        return plan
    }

    /// One request per image edition × target × locale, in plan order; a
    /// target without `boot_iso` boots `defaultBootISO` (the configuration's
    /// `boot_iso.name`).
    public func requests(defaultBootISO: String = "ipxe.iso") -> [InstallRequest] {
        var result: [InstallRequest] = []
        let localeList = (locales?.isEmpty == false ? locales : nil) ?? [options?["locale"] ?? "en-US"]
        for image in images {
            for edition in image.editions {
                for target in targets {
                    for locale in localeList {
                        let values = ["image": image.image, "edition": Self.slug(edition.name), "index": String(edition.index),
                                      "locale": locale, "hypervisor": target.hypervisor.rawValue, "site": target.site]
                        var templateName = name ?? "{edition}-{locale}-{hypervisor}"
                        for (key, value) in values { templateName = templateName.replacingOccurrences(of: "{\(key)}", with: value) }
                        result.append(request(image: image, edition: edition, target: target, locale: locale, name: templateName,
                                              defaultBootISO: defaultBootISO))
                    }
                }
            }
        }
        return result
    }

    /// One job through the mapping the wizard and `vizor install start` share:
    /// the OS template comes from the edition unless the target names one.
    /// The plan has no catalog facts, so the edition is known by its name.
    func request(image: Image, edition: Edition, target: Target, locale: String, name templateName: String,
                 defaultBootISO: String = "ipxe.iso") -> InstallRequest {
        var jobOptions = options ?? [:]
        var choices = InstallChoices(site: target.site, hypervisor: target.hypervisor,
                                     edition: .init(imageID: image.image, imagePath: image.path, index: edition.index, name: edition.name),
                                     machineName: templateName)
        choices.location = target.zone ?? target.pool ?? ""
        choices.network = target.network ?? ""
        choices.serviceOffering = target.offering
        choices.diskOffering = target.diskOffering
        choices.vcpus = target.vcpus ?? 2
        choices.memoryMiB = target.memoryMiB ?? 4096
        choices.diskGiB = target.diskGiB ?? 40
        choices.firmware = target.firmware ?? .bios
        choices.osTemplate = target.osTemplate
        choices.bootISO = target.bootISO ?? defaultBootISO
        choices.guestToolsISO = target.toolsISO ?? "guest-tools.iso"
        choices.locale = locale
        choices.keyboard = jobOptions.removeValue(forKey: "keyboard")
        // `timezone` is the spelling plans documented first; both are read.
        let lower = jobOptions.removeValue(forKey: "timezone")
        choices.timeZone = jobOptions.removeValue(forKey: "timeZone") ?? lower ?? "UTC"
        choices.uiLanguage = jobOptions.removeValue(forKey: "uiLanguage")
        choices.productKey = jobOptions.removeValue(forKey: "productKey")
        jobOptions["locale"] = nil
        choices.extraOptions = jobOptions
        choices.templateName = templateName
        choices.makePublic = makePublic ?? false
        choices.featured = featured ?? false
        choices.instant = instant ?? false
        choices.copyToLocations = target.copyToZones ?? []
        return choices.request(packs: [], steps: [])
    }

    static func slug(_ text: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789")
        let mapped = text.lowercased().map { allowed.contains($0) ? $0 : "-" }
        return String(mapped).split(separator: "-").joined(separator: "-")
    }
}

/// The table printed at the end of a batch (and by `--dry-run` before it).
public enum BuildReport {
    public static func rows(_ requests: [InstallRequest], jobs: [JournalJobLike?]) -> [[String]] {
        zip(requests, jobs).map { request, job in
            [job?.id ?? "-", request.templateName, request.editionName, request.options["locale"] ?? "",
             "\(request.site)/\(request.hypervisor.rawValue)", job?.statusText ?? "planned", job?.errorText ?? ""]
        }
    }

    public static let header = ["JOB", "TEMPLATE", "EDITION", "LOCALE", "TARGET", "STATUS", "ERROR"]
}

/// What the report needs of a job, so it can be built from journal rows.
public protocol JournalJobLike: Sendable {
    var id: String { get }
    var statusText: String { get }
    var errorText: String { get }
}
