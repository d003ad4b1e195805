import BackendKit
import Foundation
import VizorCloudStack
import VizorLab
import VizorRazor
import VizorStore
import VizorXenServer

/// Everything one Vizor process talks to: the sites the model shows, the
/// clients behind them, and the provisioning servers the orchestrator uses.
public struct ConnectedSites: Sendable {
    public var sites: [Site]
    public var backends: BackendSet
    /// Razor per site, for the install orchestrator.
    public var provisioning: [String: any ProvisioningServer]
    public var defaultSite: String?

    public init(sites: [Site] = [], backends: BackendSet = BackendSet(), provisioning: [String: any ProvisioningServer] = [:],
                defaultSite: String? = nil) {
        self.sites = sites
        self.backends = backends
        self.provisioning = provisioning
        self.defaultSite = defaultSite
    }
}

/// Builds the real clients (XenServerHypervisor, CloudStackHypervisor,
/// RazorClient) from the configuration or from the lab's endpoints; the lab
/// is reached exactly like a production server, over loopback HTTP.
public enum SiteWiring {
    /// Clients for every configured site. Secrets are resolved here and
    /// handed to the clients in memory only.
    public static func connect(_ config: VizorConfig, resolver: SecretResolver,
                               catalog: MediaCatalogStore? = nil) async throws(ConfigErrors) -> ConnectedSites {
        var connected = ConnectedSites(defaultSite: config.defaultSite ?? config.sites.first?.name)
        var issues: [ConfigIssue] = []
        func secret(_ reference: SecretRef, _ key: String) async -> Secret? {
            do { return try await resolver.resolve(reference) } catch {
                issues.append(ConfigIssue(file: config.file, line: nil, key: key, message: error.message))
                return nil
            }
        }
        for site in config.sites {
            let prefix = "sites.\(site.name)"
            if let xen = site.xenserver, let password = await secret(xen.password, "\(prefix).xenserver.password") {
                do {
                    let hypervisor = try XenServerHypervisor(configuration: XenServerConfiguration(
                        url: xen.url, username: xen.username, password: password.reveal(), verifyTLS: xen.verifyTLS,
                        siteName: site.name))
                    connected.backends[BackendID(site: site.name, kind: .xenserver)] = .streaming(hypervisor)
                } catch {
                    issues.append(ConfigIssue(file: config.file, line: nil, key: "\(prefix).xenserver",
                                              message: String(describing: error)))
                }
            }
            if let cs = site.cloudstack, let endpoint = URL(string: cs.url),
               let apiKey = await secret(cs.apiKey, "\(prefix).cloudstack.api_key"),
               let secretKey = await secret(cs.secretKey, "\(prefix).cloudstack.secret_key") {
                connected.backends[BackendID(site: site.name, kind: .cloudstack)] =
                    cloudstack(endpoint: endpoint, apiKey: apiKey.reveal(), secretKey: secretKey.reveal(),
                               interval: cs.pollInterval, verifyTLS: cs.verifyTLS)
            }
            if let razor = site.razor, let url = URL(string: razor.url) {
                var password: Secret?
                if let reference = razor.password { password = await secret(reference, "\(prefix).razor.password") }
                let wired = self.razor(url: url, username: razor.username, password: password?.reveal(),
                                       interval: razor.pollInterval)
                connected.backends[BackendID(site: site.name, kind: .razor)] = wired.handle
                connected.provisioning[site.name] = wired.server
            }
            if !site.media.isEmpty {
                connected.backends[BackendID(site: site.name, kind: .media)] =
                    .media(mediaScanner(site.media, catalog: catalog), interval: 300)
            }
            connected.sites.append(site.site)
        }
        if !issues.isEmpty { throw ConfigErrors(issues) }
        return connected
    }

    /// The embedded default: a site named `lab` pointing at the lab servers,
    /// through the same clients as a production site.
    public static func lab(_ suite: LabSuite, redactor: Redactor, mediaLibrary: String? = nil,
                           catalog: MediaCatalogStore? = nil,
                           cloudstackInterval: TimeInterval = 5, razorInterval: TimeInterval = 60) -> ConnectedSites {
        lab(endpoints: suite.servers.map(\.endpoint), redactor: redactor, mediaLibrary: mediaLibrary, catalog: catalog,
            cloudstackInterval: cloudstackInterval, razorInterval: razorInterval)
    }

    /// The lab site for the lab servers at these endpoints: this process's
    /// own lab, or the one the agent runs.
    public static func lab(endpoints: [LabEndpoint], redactor: Redactor, mediaLibrary: String? = nil,
                           catalog: MediaCatalogStore? = nil,
                           cloudstackInterval: TimeInterval = 5, razorInterval: TimeInterval = 60) -> ConnectedSites {
        var connected = ConnectedSites(defaultSite: "lab")
        var site = Site(name: "lab", isLab: true)
        for endpoint in endpoints {
            for value in endpoint.credentials.values { redactor.register(Secret(value)) }
        }
        func endpoint(named name: String) -> LabEndpoint? { endpoints.first { $0.name == name } }
        if let xen = endpoint(named: "xenserver"),
           let hypervisor = try? XenServerHypervisor(configuration: XenServerConfiguration(
               url: xen.url, username: xen.credentials["username"] ?? "root", password: xen.credentials["password"] ?? "",
               siteName: "lab")) {
            connected.backends[BackendID(site: "lab", kind: .xenserver)] = .streaming(hypervisor)
            site.xenserverURL = xen.url
        }
        if let cs = endpoint(named: "cloudstack"), let url = URL(string: cs.url) {
            let apiKey = cs.credentials["adminApiKey"] ?? cs.credentials["apiKey"] ?? ""
            let secretKey = cs.credentials["adminSecretKey"] ?? cs.credentials["secretKey"] ?? ""
            connected.backends[BackendID(site: "lab", kind: .cloudstack)] =
                cloudstack(endpoint: url, apiKey: apiKey, secretKey: secretKey, interval: cloudstackInterval)
            site.cloudstackURL = cs.url
        }
        if let razor = endpoint(named: "razor"), let url = URL(string: razor.url) {
            let wired = self.razor(url: url, username: razor.credentials["username"],
                                   password: razor.credentials["password"], interval: razorInterval)
            connected.backends[BackendID(site: "lab", kind: .razor)] = wired.handle
            connected.provisioning["lab"] = wired.server
            site.razorURL = razor.url
            site.wimboot = WimbootFiles()
        }
        let library = mediaLibrary ?? endpoint(named: "media").map { endpoint in
            endpoint.url.hasPrefix("file://") ? (URL(string: endpoint.url)?.path ?? endpoint.url) : endpoint.url
        }
        if let library {
            site.mediaSources = [MediaSourceInfo(name: "sample library", path: library)]
            connected.backends[BackendID(site: "lab", kind: .media)] =
                .media(mediaScanner(site.mediaSources, catalog: catalog), interval: 300)
        }
        connected.sites = [site]
        return connected
    }

    /// The media poller of a site: through the shared catalogue when there is one.
    static func mediaScanner(_ sources: [MediaSourceInfo], catalog: MediaCatalogStore?) -> any MediaScanner {
        guard let catalog else { return DirectoryMediaScanner(sources: sources) }
        return CatalogMediaScanner(catalog: SiteCatalog(store: catalog, sources: sources))
    }

    /// A CloudStack backend polled every `interval` seconds.
    public static func cloudstack(endpoint: URL, apiKey: String, secretKey: String, interval: TimeInterval,
                                  verifyTLS: Bool = true) -> BackendHandle {
        let hypervisor = CloudStackHypervisor(
            configuration: CloudStackConfiguration(endpoint: endpoint, apiKey: apiKey, secretKey: secretKey,
                                                   requestTimeout: .seconds(30), verifyTLS: verifyTLS),
            options: CloudStackHypervisor.Options(pollInterval: .seconds(interval)))
        return .polling(hypervisor, interval: interval)
    }

    /// A Razor backend refreshed every `interval` seconds, and the provisioning server on the same client.
    public static func razor(url: URL, username: String?, password: String?, interval: TimeInterval)
        -> (handle: BackendHandle, server: any ProvisioningServer) {
        let client = RazorClient(configuration: RazorConfiguration(apiURL: url, username: username, password: password))
        return (.provisioning(RazorInventory(client: client), interval: interval), RazorProvisioningServer(client: client))
    }
}
