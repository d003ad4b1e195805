import BackendKit

/// One thing wrong with an install specification: which field and why,
/// phrased so the operator knows what to change.
public struct ValidationIssue: Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var message: String
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
    public var description: String { "\(field): \(message)" }
}

extension InstallSpec {
    /// Every problem found, in field order; empty when the spec is usable.
    public func issues() -> [ValidationIssue] {
        var found: [ValidationIssue] = []
        func add(_ field: String, _ message: String) { found.append(.init(field: field, message: message)) }

        if jobID.isEmpty || !jobID.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
            add("jobID", "job id '\(jobID)' must be non-empty and use only letters, digits, '-' and '_'")
        }
        let edition = image.editions.first { $0.index == editionIndex }
        if edition == nil {
            let known = image.editions.map { "\($0.index) (\($0.name))" }.joined(separator: ", ")
            add("editionIndex", "edition index \(editionIndex) is not in image \(image.imageID); it has: "
                + (known.isEmpty ? "no editions" : known))
        }
        checkHostname(add)
        if administratorPassword.isEmpty {
            add("administratorPassword", "the Administrator password must not be empty (auto-logon needs it)")
        }
        var seenUsers: Set<String> = ["administrator"]
        for (number, user) in users.enumerated() {
            let field = "users[\(number)]"
            if !Self.isValidAccountName(user.name) {
                add(field, "account name '\(user.name)' must be 1-20 characters without \" / \\ [ ] : ; | = , + * ? < > @")
            } else if !seenUsers.insert(user.name.lowercased()).inserted {
                add(field, "account '\(user.name)' is listed twice (or clashes with Administrator)")
            }
            if user.password.isEmpty { add(field, "account '\(user.name)' needs a password") }
            if !["administrators", "users"].contains(user.group.lowercased()) {
                add(field, "group '\(user.group)' must be Administrators or Users")
            }
        }
        if let key = productKey, !Self.isProductKey(key) {
            add("productKey", "product key must look like XXXXX-XXXXX-XXXXX-XXXXX-XXXXX (letters and digits)")
        }
        for (field, value) in [("systemLocale", systemLocale), ("userLocale", userLocale)]
        where LocaleTable.info(value) == nil {
            add(field, "locale '\(value)' is not a Windows locale Vizor knows (e.g. en-US, de-DE, fr-FR)")
        }
        if LocaleTable.info(inputLocale) == nil && !LocaleTable.isInputProfile(inputLocale) {
            add("inputLocale", "input locale '\(inputLocale)' is neither a known locale nor an input profile like 0409:00000409")
        }
        if TimeZoneTable.windowsID(for: timeZone) == nil {
            add("timeZone", "time zone '\(timeZone)' is neither a Windows time-zone id (e.g. 'W. Europe Standard Time') nor a known IANA name (e.g. 'Europe/Berlin')")
        }
        if let edition {
            checkLanguages(edition, add)
            if edition.architecture == .arm64 && firmware == .bios {
                add("firmware", "arm64 Windows boots only with UEFI firmware")
            }
            if edition.architecture == .arm64 && guestTools != .none {
                add("guestTools", "\(guestTools.rawValue) guest tools have no arm64 build; choose none")
            }
        }
        if !(0...10).contains(windowsUpdateRounds) {
            add("windowsUpdateRounds", "Windows Update rounds must be between 0 and 10, not \(windowsUpdateRounds)")
        }
        var stepNames: Set<String> = Set(BuiltInStep.allCases.map(\.rawValue))
        for (number, step) in customSteps.enumerated() {
            let field = "customSteps[\(number)]"
            if step.name.isEmpty || step.name.count > 40
                || !step.name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }) {
                add(field, "step name '\(step.name)' must be 1-40 characters of a-z, 0-9 and '-'")
            } else if !stepNames.insert(step.name).inserted {
                add(field, "step name '\(step.name)' is used twice or by a built-in step")
            }
            if step.script.allSatisfy(\.isWhitespace) { add(field, "step '\(step.name)' has an empty script") }
            if step.script.utf8.count > 1 << 20 { add(field, "step '\(step.name)' is larger than 1 MiB") }
        }
        return found
    }

    /// Checks the spec and resolves what renderers need; throws a `BackendError`
    /// of kind `.invalidInput` listing every problem when it is not usable.
    public func validate() throws -> ValidatedInstall {
        let problems = issues()
        guard problems.isEmpty, let edition = image.editions.first(where: { $0.index == editionIndex }),
              let zone = TimeZoneTable.windowsID(for: timeZone), let user = LocaleTable.info(userLocale)
        else {
            throw BackendError(.invalidInput, backend: provisioningBackendName,
                               message: "install specification for job \(jobID) is invalid: "
                                   + problems.map(\.description).joined(separator: "; "),
                               hint: "correct the listed fields; nothing was rendered")
        }
        var profiles: [String] = []
        for locale in [inputLocale, userLocale] {
            let profile = LocaleTable.info(locale)?.inputProfile ?? locale
            if !profiles.contains(profile) { profiles.append(profile) }
        }
        let setupUI = edition.languages.contains(uiLanguage) ? uiLanguage : edition.defaultLanguage
        return ValidatedInstall(spec: self, edition: edition, windowsTimeZone: zone, inputProfiles: profiles,
                                geoID: user.geoID, setupUILanguage: setupUI)
    }

    private func checkHostname(_ add: (String, String) -> Void) {
        if hostname.isEmpty || hostname.count > 15 {
            add("hostname", "hostname '\(hostname)' must be 1-15 characters (NetBIOS limit); it has \(hostname.count)")
        }
        if !hostname.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) {
            add("hostname", "hostname '\(hostname)' may contain only letters, digits and '-'")
        } else if hostname.hasPrefix("-") || hostname.hasSuffix("-") {
            add("hostname", "hostname '\(hostname)' must not start or end with '-'")
        } else if !hostname.isEmpty && hostname.allSatisfy(\.isNumber) {
            add("hostname", "hostname '\(hostname)' must not be only digits")
        }
    }

    private func checkLanguages(_ edition: EditionFacts, _ add: (String, String) -> Void) {
        var packLocales: Set<String> = []
        for (number, pack) in languagePacks.enumerated() {
            let field = "languagePacks[\(number)]"
            if LocaleTable.info(pack.locale) == nil {
                add(field, "language pack locale '\(pack.locale)' is not a Windows locale Vizor knows")
            }
            if pack.build != edition.build {
                add(field, "language pack \(pack.locale) is for build \(pack.build) but the image '\(edition.name)' is build \(edition.build)")
            }
            if pack.architecture != edition.architecture {
                add(field, "language pack \(pack.locale) is for \(pack.architecture.rawValue) but the image is \(edition.architecture.rawValue)")
            }
            if !(pack.url.hasPrefix("http://") || pack.url.hasPrefix("https://")) {
                add(field, "language pack \(pack.locale) URL must be http(s): '\(pack.url)'")
            }
            if !packLocales.insert(pack.locale.lowercased()).inserted {
                add(field, "language pack \(pack.locale) is listed twice")
            }
            if edition.languages.contains(where: { $0.lowercased() == pack.locale.lowercased() }) {
                add(field, "language \(pack.locale) is already in the image; drop the pack")
            }
        }
        let available = Set(edition.languages.map { $0.lowercased() }).union(packLocales)
        if !available.contains(uiLanguage.lowercased()) {
            add("uiLanguage", "UI language '\(uiLanguage)' is not in the image (\(edition.languages.joined(separator: ", "))) and no language pack adds it")
        }
    }

    static func isValidAccountName(_ name: String) -> Bool {
        let forbidden = Set("\"/\\[]:;|=,+*?<>@")
        return !name.isEmpty && name.count <= 20 && !name.contains(where: { forbidden.contains($0) || $0.isNewline })
            && !name.hasSuffix(".") && !name.allSatisfy({ $0 == " " })
    }

    static func isProductKey(_ key: String) -> Bool {
        let groups = key.split(separator: "-", omittingEmptySubsequences: false)
        return groups.count == 5 && groups.allSatisfy { $0.count == 5 && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } }
    }
}
