import BackendKit
import Foundation
import VizorLab
import VizorMedia
import VizorProvisioning

/// `InstallArtefactPublisher` over the Provisioning renderer: builds the
/// job's `InstallSpec` from the request, the catalogued image and the job's
/// secrets, renders the bundle and registers it in the `ArtefactRegistry`
/// that this process's media server mounts under `/artefacts/`. Rendering is
/// deterministic per job (same token, same bytes), so a resumed job publishes
/// the same files again.
public struct RenderedArtefactPublisher: InstallArtefactPublisher {
    public let serving: InstallServing
    public let secrets: JobSecretStore
    public let lookup: CatalogImageLookup
    /// Razor's `/svc` base per site, e.g. `http://razor:8150/svc`.
    public let razorService: @Sendable (String) -> String?
    /// Where wimboot is fetched from. By default `wimboot` at the top of
    /// Razor's repo store (`/svc/repo/wimboot`, and `wimboot.i386`,
    /// `wimboot.arm64` next to it for 32-bit and ARM UEFI): a task created with
    /// `create-task` lives in Razor's database and has no raw files, so the
    /// copy Razor ships inside its stock windows task is out of reach; the
    /// operator puts wimboot into `repo_store_root` as for the microkernel.
    public let wimbootURL: String?
    /// The site's wimboot builds (`razor.wimboot`); nil: the release file names.
    public let wimbootFiles: @Sendable (String) -> WimbootFiles?

    public init(serving: InstallServing, secrets: JobSecretStore, lookup: CatalogImageLookup = CatalogImageLookup(),
                wimbootURL: String? = nil, wimbootFiles: @escaping @Sendable (String) -> WimbootFiles? = { _ in nil },
                razorService: @escaping @Sendable (String) -> String?) {
        self.serving = serving
        self.secrets = secrets
        self.lookup = lookup
        self.wimbootURL = wimbootURL
        self.wimbootFiles = wimbootFiles
        self.razorService = razorService
    }

    /// Turns a Razor API URL (`http://h:8150/api`) into its service base (`http://h:8150/svc`).
    public static func serviceURL(apiURL: String) -> String {
        var base = apiURL
        while base.hasSuffix("/") { base.removeLast() }
        if base.hasSuffix("/api") { base.removeLast(4) }
        return base + "/svc"
    }

    public func publish(jobID: String, request: InstallRequest, media: MediaExposureHandle) async throws -> PublishedArtefacts {
        let secret = try secrets.load(job: jobID)
        let image = try await lookup.image(id: request.imageID, path: request.imagePath)
        let facts = try CatalogImageFacts.facts(for: image)
        guard let edition = facts.editions.first(where: { $0.index == request.editionIndex }) else {
            throw BackendError(.invalidInput, backend: "vizor",
                               message: "image \(request.imageID) has no edition \(request.editionIndex) (has \(facts.editions.map(\.index)))")
        }
        try await Self.exposeLanguagePacks(request, jobID: jobID, serving: serving)
        let spec = Self.spec(jobID: jobID, request: request, facts: facts, password: secret.administratorPassword,
                             mediaBaseURL: request.languagePacks.isEmpty ? nil : try await serving.baseURL())
        let base = try await serving.baseURL()
        let service = razorService(request.site) ?? base + "/svc"
        let host = URL(string: base)?.host ?? "127.0.0.1"
        let wimboot = wimbootFiles(request.site) ?? WimbootFiles()
        var context = ServingContext(
            mediaBaseURL: media.httpURL, razorServiceURL: service, artefactBaseURL: base + "/artefacts",
            wimbootURL: wimbootURL ?? WimbootFiles.url(wimboot.x86_64, razorService: service),
            wimbootI386URL: WimbootFiles.url(wimboot.i386, razorService: service),
            wimbootARM64URL: WimbootFiles.url(wimboot.arm64 ?? "wimboot.arm64", razorService: service),
            smbShare: media.smbShare ?? "\\\\\(host)\\\(Self.shareName(request.imageID))",
            // The appliance's Samba account goes only into the WinPE start-up, which is served with the job token.
            smbUser: serving.configuration.sambaAccount?.user,
            smbPassword: serving.configuration.sambaAccount?.password.reveal(), token: secret.token)
        // A configured curl.exe for this WinPE's architecture is checked now, before anything boots.
        var curl: [UInt8]?
        if let path = serving.configuration.winPECurl.path(for: edition.architecture.rawValue) {
            curl = try WinPECurl.load(path: path, architecture: edition.architecture)
            context.winPECurlURL = context.artefactURL(job: jobID, name: ArtefactName.winPECurl)
        }
        let bundle = try ArtefactBundle.render(spec, context: context, winPECurl: curl)
        await serving.registry.register(bundle, token: secret.token)
        var metadata = [
            "vizor_job": jobID,
            "vizor_edition": "\(edition.index):\(edition.name)",
        ]
        if media.smbShare == nil { metadata["vizor_smb"] = "not configured" }
        let task = Self.task(jobID: jobID, request: request, edition: edition, bundle: bundle, token: secret.token)
        if task.definition.isEmpty {
            // Razor's stock windows task runs its own WinPE, which knows nothing of Vizor's
            // artefacts: the lab's guest takes the post-install steps from the node metadata there.
            metadata[LabGuestSimulator.stepsMetadataKey] = bundle.plan.steps.map(\.name).joined(separator: ",")
        }
        return PublishedArtefacts(taskName: task.name, taskDefinition: task.definition,
                                  expectedStages: bundle.plan.expectedStages, metadata: metadata,
                                  rootPassword: secret.administratorPassword)
    }

    public func bind(jobID: String, node: String) async throws {
        try await serving.registry.bind(job: jobID, node: node)
    }

    public func revoke(jobID: String) async {
        await serving.registry.revoke(job: jobID)
        await Self.releaseLanguagePacks(jobID: jobID, serving: serving)
    }

    static func shareName(_ imageID: String) -> String {
        "vizor-" + String(imageID.lowercased().filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }.prefix(40))
    }

    /// The Razor task of a job: `vizor-<job>`, defined by Vizor, whose first
    /// boot serves the bundle's iPXE script; or, when the operator names one
    /// in `options["razorTask"]`, that stock task as it is (no definition).
    static func task(jobID: String, request: InstallRequest, edition: EditionFacts, bundle: ArtefactBundle,
                     token: String) -> (name: String, definition: [String: String]) {
        if let stock = request.options["razorTask"], !stock.isEmpty { return (stock, [:]) }
        let script = bundle.artefacts[ArtefactName.bootScript]?.text ?? ""
        let os = "Microsoft Windows \(edition.name) (build \(edition.build))"
        return (taskName(jobID: jobID), RazorTaskDefinition.make(jobID: jobID, os: os, bootScript: script, token: token))
    }

    /// The per-job task's name; teardown derives it again when the journal lacks it.
    public static func taskName(jobID: String) -> String { "vizor-\(jobID)" }

    /// The operator's choices as an `InstallSpec`; options use the CLI's names.
    /// Language packs become URLs under `mediaBaseURL` (`/media/<image-id>/<cab>`,
    /// where the exposure manager serves their ISO); without a base they have
    /// no URL and the spec's validation refuses them.
    static func spec(jobID: String, request: InstallRequest, facts: ImageFacts, password: String,
                     mediaBaseURL: String? = nil) -> InstallSpec {
        let options = request.options
        let locale = options["locale"] ?? "en-US"
        // Windows shows its own language unless a language pack adds another; the locale sets formats and input.
        let defaultLanguage = facts.editions.first { $0.index == request.editionIndex }?.defaultLanguage ?? "en-US"
        let tools: GuestToolsKind = request.guestToolsISO == nil ? .none : (request.hypervisor == .xenserver ? .xenserver : .none)
        let productKey = options["productKey"].flatMap { $0.isEmpty ? nil : $0 }
        let uiLanguage = options["uiLanguage"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultLanguage
        let packs = request.languagePacks.map { pack in
            let arch = VizorMedia.WindowsArchitecture(rawValue: pack.architecture).flatMap(CatalogImageFacts.architecture)
            let url = mediaBaseURL.map { "\($0)/media/\(pack.imageID)/\(pack.path)" } ?? ""
            return LanguagePack(locale: pack.language, build: pack.build,
                                architecture: arch ?? VizorProvisioning.WindowsArchitecture(rawValue: pack.architecture) ?? .amd64,
                                url: url)
        }
        let steps = request.customSteps.map { CustomStep(name: $0.name, script: $0.script, position: .beforeSeal) }
        return InstallSpec(jobID: jobID, image: facts, editionIndex: request.editionIndex, firmware: request.firmware,
                           hostname: InstallStepRunner.hostname(options["hostname"] ?? request.machineName),
                           administratorPassword: password, productKey: productKey,
                           uiLanguage: uiLanguage, systemLocale: locale, userLocale: locale,
                           inputLocale: options["keyboard"] ?? locale, timeZone: options["timeZone"] ?? options["timezone"] ?? "UTC",
                           languagePacks: packs, guestTools: tools, customSteps: steps, sysprepForTemplate: request.makeTemplate)
    }
}
