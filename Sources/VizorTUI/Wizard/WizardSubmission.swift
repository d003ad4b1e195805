import BackendKit
import Foundation
import VizorModel

/// From the wizard's field values to the operator's `InstallChoices`: the
/// one mapping to `InstallRequest` (`InstallChoices.request`) is shared with
/// `vizor install start` and `vizor build`, so the wizard only reads its form.
extension Wizard {
    /// Shown under the custom steps field. The scripts' content goes into the
    /// install journal, so it must not hold passwords or keys.
    static let customStepsHint = "PATH.ps1 or NAME=PATH.ps1, comma-separated; read at start and journaled: no secrets"

    /// The field's error as typed: syntax, then whether each file can be read.
    static func customStepsError(_ text: String) -> String? {
        do {
            for file in try InstallChoices.parseCustomSteps(text) {
                let path = (file.path as NSString).expandingTildeInPath
                if !FileManager.default.isReadableFile(atPath: path) { return "cannot read \(file.path)" }
            }
            return nil
        } catch let error as BackendError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    /// The choices the wizard's values stand for. Throws when the hypervisor is
    /// not one the installer drives or a custom step cannot be parsed.
    public static func choices(_ values: [String: String], edition: EditionChoice, defaultSite: String) throws -> InstallChoices {
        guard let kind = HypervisorKind(rawValue: values["backend"] ?? ""), kind == .xenserver || kind == .cloudstack else {
            throw BackendError(.invalidInput, backend: values["backend"] ?? "", message: "the wizard's hypervisor must be xenserver or cloudstack")
        }
        func value(_ key: String) -> String? { values[key].flatMap { $0.isEmpty ? nil : $0 } }
        let hostname = values["hostname"] ?? ""
        var choices = InstallChoices(site: value("site") ?? defaultSite, hypervisor: kind, edition: edition.reference,
                                     machineName: hostname)
        choices.location = values["location"] ?? ""
        choices.network = values["network"] ?? ""
        choices.osTemplate = value("osTemplate")
        if let vcpus = value("vcpus").flatMap({ Int($0) }) { choices.vcpus = vcpus }
        if let memory = value("memory").flatMap({ Int($0) }) { choices.memoryMiB = memory }
        if let disk = value("disk").flatMap({ Int($0) }) { choices.diskGiB = disk }
        choices.guestToolsISO = values["guestTools"] == "no" ? nil : "guest-tools.iso"
        choices.locale = value("locale") ?? "en-US"
        choices.keyboard = value("keyboard")
        choices.timeZone = value("timeZone") ?? "UTC"
        choices.uiLanguage = value("uiLanguage")
        choices.productKey = value("productKey")
        choices.languagePacks = (values["languagePacks"] ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        choices.customSteps = try InstallChoices.parseCustomSteps(values["customSteps"] ?? "")
        choices.makeTemplate = values["template"] == "yes"
        choices.templateName = value("templateName")
        choices.makePublic = values["public"] == "yes"
        choices.featured = values["featured"] == "yes"
        return choices
    }
}
