import BackendKit

/// One rendered file a node fetches during its install.
public struct Artefact: Sendable, Equatable {
    public var name: String
    public var contentType: String
    public var body: [UInt8]
    /// True for the files that must hold secrets (answer files; the WinPE
    /// start-up when the share needs a password). Served with `no-store`.
    public var carriesSecrets: Bool

    public var text: String { String(decoding: body, as: UTF8.self) }

    public init(name: String, contentType: String, body: [UInt8], carriesSecrets: Bool) {
        self.name = name
        self.contentType = contentType
        self.body = body
        self.carriesSecrets = carriesSecrets
    }
}

/// Every artefact of one job, rendered for one node from one validated spec.
/// Rendering is pure: the same spec and context give the same bytes.
public struct ArtefactBundle: Sendable, Equatable {
    public let jobID: String
    public let artefacts: [String: Artefact]
    public let plan: PostInstallPlan
    /// What the bundle was rendered from, to render it again for its node.
    public let install: ValidatedInstall
    public let context: ServingContext
    /// The checked curl.exe served as the `curl.exe` artefact, if any.
    public let winPECurl: [UInt8]?

    /// Renders everything; throws `.invalidInput` when the serving context is
    /// unusable. `winPECurl`, a checked curl.exe (`WinPECurl.load`), is served as
    /// the `curl.exe` artefact; the context's `winPECurlURL` should name it.
    public static func render(_ install: ValidatedInstall, context: ServingContext,
                              winPECurl: [UInt8]? = nil) throws -> ArtefactBundle {
        try context.validate()
        let plan = PostInstallPlan(install)
        var files: [String: Artefact] = [:]
        func add(_ name: String, _ text: String, secret: Bool = false) {
            let type = name.hasSuffix(".xml") ? "application/xml; charset=utf-8" : "text/plain; charset=utf-8"
            files[name] = Artefact(name: name, contentType: type, body: Array(text.utf8), carriesSecrets: secret)
        }
        add(ArtefactName.bootScript, BootScriptRenderer.render(install, context: context))
        add(ArtefactName.winpeshl, WinPERenderer.winpeshl())
        add(ArtefactName.winPEStartup, WinPERenderer.startup(install, context: context), secret: context.smbPassword != nil)
        add(ArtefactName.autounattend, AnswerFileRenderer.autounattend(install, context: context), secret: true)
        if install.spec.sysprepForTemplate {
            add(ArtefactName.sysprep, AnswerFileRenderer.sysprep(install), secret: true)
        }
        add(ArtefactName.regional, RegionalSettingsRenderer.render(install))
        add(ArtefactName.runner, RunnerRenderer.render(install, plan: plan, context: context))
        for step in plan.steps {
            add(step.fileName, StepRenderer.render(step, install: install))
        }
        if let winPECurl {
            files[ArtefactName.winPECurl] = Artefact(name: ArtefactName.winPECurl, contentType: "application/octet-stream",
                                                     body: winPECurl, carriesSecrets: false)
        }
        return ArtefactBundle(jobID: install.spec.jobID, artefacts: files, plan: plan,
                              install: install, context: context, winPECurl: winPECurl)
    }

    /// The same files rendered for the node the job is bound to: every
    /// artefact URL in them names the node (see `ArtefactRegistry.bind`).
    /// The checked curl.exe, which names nothing, is served again as it was.
    public func bound(to node: String) throws -> ArtefactBundle {
        var context = context
        context.node = node
        return try Self.render(install, context: context, winPECurl: winPECurl)
    }

    /// Convenience for callers holding an unchecked spec: validates, then renders.
    public static func render(_ spec: InstallSpec, context: ServingContext, winPECurl: [UInt8]? = nil) throws -> ArtefactBundle {
        try render(spec.validate(), context: context, winPECurl: winPECurl)
    }

    public var names: [String] { artefacts.keys.sorted() }

    /// The PowerShell files among the artefacts.
    public var powerShellFiles: [Artefact] {
        names.filter { $0.hasSuffix(".ps1") }.compactMap { artefacts[$0] }
    }
}
