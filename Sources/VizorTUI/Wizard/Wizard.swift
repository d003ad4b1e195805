import BackendKit
import Foundation
import VizorModel

/// The VM creation wizard: five keyboard-driven steps (target, media,
/// install, template, review). Fields are checked as they are typed; Tab and
/// Shift-Tab move between fields, Enter goes to the next step when the step
/// is valid, Esc goes a step back, F10 on the review starts the install.
public struct Wizard: Hashable, Sendable {
    public static let stepTitles = ["Target", "Media", "Install", "Template", "Review"]

    public enum Outcome: Hashable, Sendable { case editing, closed, submitted([String: String]) }

    public let context: WizardContext
    public private(set) var step = 0
    public private(set) var focus = 0
    public private(set) var values: [String: String]
    /// Cursor in the filtered options of a list field, per field key.
    public private(set) var cursors: [String: Int] = [:]
    /// The password is shown in clear only while this is set (Ctrl-V, once).
    public private(set) var revealed = false
    private var revealUsed = false
    /// The custom steps field's error, worked out when its text changes: it
    /// looks at the files, which the render (every frame) must not do.
    private var customStepsProblem: String?
    public private(set) var message: String?

    /// - Parameters:
    ///   - remembered: the last values for the site (from `WizardMemory`).
    ///   - preset: values that win over remembered ones (e.g. the edition selected in the catalog).
    public init(context: WizardContext, site: String, remembered: [String: String] = [:], preset: [String: String] = [:],
                password: String = WizardValidation.generatePassword()) {
        self.context = context
        var v: [String: String] = ["site": site, "vcpus": "2", "memory": "4096", "disk": "64", "network": "default", "osTemplate": "",
                                   "location": "", "hostname": "", "uiLanguage": "en-US", "locale": "en-US", "keyboard": "en-US",
                                   "timeZone": "UTC", "productKey": "", "languagePacks": "", "guestTools": "yes", "customSteps": "",
                                   "template": "no", "templateName": "", "public": "no", "featured": "no", "media": ""]
        v["backend"] = context.backends[site]?.first ?? "xenserver"
        for (key, value) in remembered { v[key] = value }
        for (key, value) in preset { v[key] = value }
        v["password"] = password
        values = v
        customStepsProblem = Self.customStepsError(v["customSteps"] ?? "")
    }

    // MARK: Fields

    public func fields(_ step: Int) -> [WizardField] {
        switch step {
        case 0:
            let backends = context.backends[values["site"] ?? ""] ?? ["xenserver", "cloudstack"]
            return [WizardField("site", "Site", .choice(context.sites.isEmpty ? [values["site"] ?? ""] : context.sites)),
                    WizardField("backend", "Hypervisor", .choice(backends.isEmpty ? ["xenserver"] : backends)),
                    knownLocations.isEmpty ? WizardField("location", "Zone or pool", .text, hint: "empty: the backend's default")
                        : WizardField("location", "Zone or pool", .list(knownLocations),
                                      hint: knownLocations.count == 1 ? "empty: \(knownLocations[0])" : "type to filter, ↑↓ pick"),
                    WizardField("vcpus", "vCPUs", .number), WizardField("memory", "Memory MiB", .number),
                    WizardField("disk", "Disk GiB", .number), WizardField("network", "Network", .text, hint: "default: the backend's own"),
                    WizardField("osTemplate", "OS template", .text, hint: "template or OS type; empty: from the edition")]
        case 1:
            return [WizardField("media", "Image and edition", .list(context.editions.map(\.label)), hint: "type to filter, ↑↓ pick")]
        case 2:
            let packs = selectedEdition?.languagePacks ?? []
            return [WizardField("hostname", "Host name", .text), WizardField("password", "Administrator password", .secret, hint: "generated; Ctrl-V shows it once"),
                    WizardField("uiLanguage", "UI language", .list(context.locales)), WizardField("locale", "Locale", .list(context.locales)),
                    WizardField("keyboard", "Keyboard", .list(context.locales)), WizardField("timeZone", "Time zone", .list(context.timeZones)),
                    WizardField("productKey", "Product key", .text, hint: "empty: KMS / evaluation"),
                    WizardField("languagePacks", "Language packs", .text, hint: packs.isEmpty ? "none in the catalog for this build" : "available: " + packs.joined(separator: ",")),
                    WizardField("guestTools", "Guest tools", .toggle), WizardField("customSteps", "Custom steps", .text, hint: Self.customStepsHint)]
        case 3:
            var list = [WizardField("template", "Convert to a template", .toggle)]
            if values["template"] == "yes" {
                list += [WizardField("templateName", "Template name", .text), WizardField("public", "Public", .toggle), WizardField("featured", "Featured", .toggle)]
            }
            return list
        default: return []
        }
    }

    /// The zones or pools the chosen site's chosen backend listed.
    public var knownLocations: [String] { context.locations["\(values["site"] ?? "")/\(values["backend"] ?? "")"] ?? [] }

    public var selectedEdition: EditionChoice? { context.editions.first { $0.label == values["media"] } }

    /// The error of one field for its current value, nil when it is fine.
    public func error(_ key: String) -> String? {
        let value = values[key] ?? ""
        switch key {
        case "vcpus": return WizardValidation.number(value, 1...64, unit: "vCPUs")
        case "memory": return WizardValidation.number(value, 1024...1_048_576, unit: "MiB")
        case "disk": return WizardValidation.disk(value, edition: selectedEdition)
        case "network": return value.isEmpty ? "a network is needed" : nil
        case "location":
            let known = knownLocations
            guard let problem = InstallChoices.locationProblem(value, known: known, flag: "") else { return nil }
            if value.isEmpty { return "several to choose from: " + known.joined(separator: ", ") }
            let matching = known.filter { $0.range(of: value, options: .caseInsensitive) != nil }
            return matching.count == 1 ? "Enter picks \(matching[0])" : problem
        case "media": return selectedEdition == nil ? "pick an edition from the list" : nil
        case "hostname": return WizardValidation.hostname(value)
        case "password": return WizardValidation.password(value, policy: context.passwordPolicy)
        case "productKey": return WizardValidation.productKey(value)
        case "timeZone": return context.timeZones.contains(value) ? nil : "unknown time zone (type to search the list)"
        case "uiLanguage", "locale", "keyboard": return context.locales.contains(value) ? nil : "unknown language tag"
        case "languagePacks":
            let wanted = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let available = Set(selectedEdition?.languagePacks ?? [])
            let missing = wanted.filter { !available.contains($0) }
            return missing.isEmpty ? nil : "not in the catalog for this build and architecture: " + missing.joined(separator: ",")
        case "customSteps": return customStepsProblem
        case "templateName": return values["template"] == "yes" && value.isEmpty ? "a template name is needed" : nil
        default: return nil
        }
    }

    public func stepErrors(_ step: Int) -> [String] {
        fields(step).compactMap { field in error(field.key).map { "\(field.label): \($0)" } }
    }

    /// Options of a list field that match what is typed.
    public func options(_ field: WizardField) -> [String] {
        guard case .list(let all) = field.kind else { return [] }
        let typed = values[field.key] ?? ""
        if all.contains(typed) { return all }
        if typed.isEmpty { return all }
        return all.filter { $0.range(of: typed, options: .caseInsensitive) != nil }
    }

    // MARK: Keys

    public mutating func handle(_ key: Key) -> Outcome {
        message = nil
        let list = fields(step)
        let field = focus < list.count ? list[focus] : nil
        switch key {
        case .escape:
            if step == 0 { return .closed }
            step -= 1
            focus = 0
            return .editing
        case .tab: if !list.isEmpty { focus = (focus + 1) % list.count }; return .editing
        case .backTab: if !list.isEmpty { focus = (focus + list.count - 1) % list.count }; return .editing
        case .function(10):
            guard step == 4 else { return .editing }
            let problems = (0..<4).flatMap { stepErrors($0) }
            if let first = problems.first { message = first; return .editing }
            return .submitted(values)
        case .enter:
            if let field, case .list = field.kind { pick(field) }
            if step == 4 { message = "press F10 to start the install (Enter does not)"; return .editing }
            let problems = stepErrors(step)
            if let first = problems.first { message = first; return .editing }
            step += 1
            focus = 0
            return .editing
        case .ctrl("v"):
            if field?.kind == .secret {
                if revealUsed { message = "the password was already shown once" } else { revealed = true; revealUsed = true }
            }
            return .editing
        default: break
        }
        guard let field else { return .editing }
        edit(field, key)
        return .editing
    }

    private mutating func pick(_ field: WizardField) {
        let options = options(field)
        guard !options.isEmpty else { return }
        values[field.key] = options[cursor(field, in: options)]
    }

    /// The highlighted option: where ↑↓ put it, else the current value, else the first.
    public func cursor(_ field: WizardField, in options: [String]) -> Int {
        if let cursor = cursors[field.key] { return min(cursor, max(0, options.count - 1)) }
        return options.firstIndex(of: values[field.key] ?? "") ?? 0
    }

    private mutating func edit(_ field: WizardField, _ key: Key) {
        var value = values[field.key] ?? ""
        switch field.kind {
        case .choice(let options):
            guard !options.isEmpty else { return }
            let index = options.firstIndex(of: value) ?? 0
            switch key {
            case .right, .char(" "): value = options[(index + 1) % options.count]
            case .left: value = options[(index + options.count - 1) % options.count]
            default: return
            }
            if field.key == "site", value != values["site"] { values["backend"] = context.backends[value]?.first ?? values["backend"] }
            values[field.key] = value
            // A zone of the old backend means nothing to the new one.
            if field.key == "site" || field.key == "backend", !knownLocations.isEmpty, !knownLocations.contains(values["location"] ?? "") {
                values["location"] = ""
            }
        case .toggle:
            guard key == .char(" ") || key == .left || key == .right else { return }
            value = value == "yes" ? "no" : "yes"
        case .list:
            switch key {
            case .down: cursors[field.key] = min(cursor(field, in: options(field)) + 1, max(0, options(field).count - 1)); return
            case .up: cursors[field.key] = max(0, cursor(field, in: options(field)) - 1); return
            case .backspace: if !value.isEmpty { value.removeLast() }
            case .char(let c): value.append(c)
            default: return
            }
            cursors[field.key] = nil
        case .text, .number, .secret:
            switch key {
            case .backspace: if !value.isEmpty { value.removeLast() }
            case .ctrl("u"): value = ""
            case .char(let c): if field.kind != .number || c.isNumber { value.append(c) }
            default: return
            }
            if field.kind == .secret { revealed = false }
        }
        values[field.key] = value
        if field.key == "customSteps" { customStepsProblem = Self.customStepsError(value) }
    }

    // MARK: Review

    /// Every action the install will take, in order, for the review step.
    public func plannedActions() -> [String] {
        let v = values
        let backend = v["backend"] == "cloudstack" ? "CloudStack" : "XenServer"
        let edition = selectedEdition
        let kind: HypervisorKind = v["backend"] == "cloudstack" ? .cloudstack : .xenserver
        let typed = v["osTemplate"] ?? ""
        let osTemplate = "\"" + (typed.isEmpty ? edition.map { InstallOSType.name(for: $0.reference, on: kind) } ?? "?" : typed) + "\""
        var actions = [
            "Expose \((edition?.imagePath as NSString?)?.lastPathComponent ?? "the image") over HTTP and SMB (no copy of the ISO)",
            "Render unattend.xml for edition \(edition?.editionID ?? "?") #\(edition?.index ?? 0): \(v["uiLanguage"] ?? ""), \(v["locale"] ?? ""), keyboard \(v["keyboard"] ?? ""), \(v["timeZone"] ?? "")",
            "Create VM \(v["hostname"] ?? "") stopped on \(backend) from \(osTemplate) at site \(v["site"] ?? "")\(v["location"].map { $0.isEmpty ? "" : " in \($0)" } ?? ""): \(v["vcpus"] ?? "") vCPU, \(v["memory"] ?? "") MiB, \(v["disk"] ?? "") GiB, network \(v["network"] ?? "")",
            "Razor: repo, task, tag on the VM's MAC, single-use policy",
            "Start the VM and follow the install through the Razor node log",
        ]
        var post: [String] = []
        if v["guestTools"] == "yes" { post.append("guest tools") }
        if let packs = v["languagePacks"], !packs.isEmpty { post.append("language packs \(packs)") }
        if let steps = v["customSteps"], let files = try? InstallChoices.parseCustomSteps(steps), !files.isEmpty {
            post.append("custom step(s) " + files.map { $0.name ?? InstallChoices.stepName(forPath: $0.path) }.joined(separator: ", "))
        }
        if !post.isEmpty { actions.append("After setup: " + post.joined(separator: ", ")) }
        if v["template"] == "yes" {
            var flags: [String] = []
            if v["public"] == "yes" { flags.append("public") }
            if v["featured"] == "yes" { flags.append("featured") }
            actions.append("Convert to template \(v["templateName"] ?? "")" + (flags.isEmpty ? "" : " (" + flags.joined(separator: ", ") + ")"))
        }
        actions.append("Remove the Razor policy, tag, repo and the media exposure")
        return actions
    }
}
