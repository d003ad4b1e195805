import BackendKit
import Foundation
import VizorLab
import VizorStore

/// One running Vizor: the configuration (or the embedded lab), the clients,
/// and the store the dashboard and the CLI share. `start` is the one entry
/// point both use.
@MainActor
public final class VizorRuntime {
    public let store: Store
    public let connected: ConnectedSites
    /// The in-process lab when no configuration file exists.
    public let lab: LabSuite?
    public let config: VizorConfig?
    public let paths: XDGPaths

    private init(store: Store, connected: ConnectedSites, lab: LabSuite?, config: VizorConfig?, paths: XDGPaths) {
        self.store = store
        self.connected = connected
        self.lab = lab
        self.config = config
        self.paths = paths
    }

    /// Where the configuration file is looked for.
    public nonisolated static func configFile(_ paths: XDGPaths) -> URL {
        paths.config.appendingPathComponent("config.yaml")
    }

    /// Loads the configuration; without one, reaches the lab the agent runs
    /// (`sharedLab`, its endpoints) or, when none is given, starts the lab
    /// on loopback in this process (the agent itself, tests).
    /// Sends `.sitesLoaded` so the pollers start at once.
    public static func start(paths: XDGPaths, resolver: SecretResolver, clock: any ModelClock = SystemClock(),
                             settings: PollerSettings = PollerSettings(), startPolling: Bool = true,
                             sharedLab: (@Sendable () async throws -> [LabEndpoint])? = nil) async throws
        -> VizorRuntime {
        let config = try ConfigLoader.load(configFile(paths))
        let connected: ConnectedSites
        var lab: LabSuite?
        // The dashboard reads media through the catalogue the CLI uses; without
        // a usable database it falls back to reading the sources directly.
        let catalog = try? MediaCatalogStore(url: MediaCatalogStore.defaultURL(paths: paths))
        if let config {
            connected = try await SiteWiring.connect(config, resolver: resolver, catalog: catalog)
        } else if let sharedLab {
            connected = SiteWiring.lab(endpoints: try await sharedLab(), redactor: resolver.redactor,
                                       mediaLibrary: labMediaLibrary(paths: paths), catalog: catalog)
        } else {
            let suite = try await LabSuite.start(simulation: labSimulation(ProcessInfo.processInfo.environment))
            lab = suite
            connected = SiteWiring.lab(suite, redactor: resolver.redactor, mediaLibrary: labMediaLibrary(paths: paths),
                                       catalog: catalog)
        }
        let runner = EffectRunner(backends: connected.backends, clock: clock, settings: settings)
        let store = Store(runner: runner)
        let runtime = VizorRuntime(store: store, connected: connected, lab: lab, config: config, paths: paths)
        if startPolling {
            store.send(.sitesLoaded(connected.sites))
            if let site = connected.defaultSite { store.send(.selectSite(site)) }
        }
        return runtime
    }

    /// The lab's sample media library, made on first use under XDG data like
    /// every file Vizor writes; nil when it cannot be written.
    public nonisolated static func labMediaLibrary(paths: XDGPaths) -> String? {
        let library = paths.data.appendingPathComponent("lab-media")
        return (try? SampleLibrary.ensure(in: library)) != nil ? library.path : nil
    }

    /// The in-process lab's guest simulation; `VIZOR_LAB_PACE` (seconds a
    /// full install takes, 0.5-86400) speeds it up for demos and tests.
    public nonisolated static func labSimulation(_ environment: [String: String]) -> LabSimulationOptions {
        guard let text = environment["VIZOR_LAB_PACE"], let seconds = Double(text), seconds >= 0.5, seconds <= 86_400 else {
            return LabSimulationOptions()
        }
        return LabSimulationOptions(pace: .install(taking: .milliseconds(Int(seconds * 1000))))
    }

    /// Install jobs each site runs at once, from `install_concurrency`.
    public var siteLimits: [String: Int] {
        Dictionary((config?.sites ?? []).map { ($0.name, $0.installConcurrency) }, uniquingKeysWith: { first, _ in first })
    }

    /// The site a command acts on: the named one, else the default.
    public func site(named name: String?) -> Site? {
        let wanted = name ?? connected.defaultSite ?? connected.sites.first?.name
        return connected.sites.first { $0.name == wanted }
    }

    /// Stops pollers and, if running, the lab.
    public func stop() async {
        store.shutdown()
        await lab?.stop()
    }
}
