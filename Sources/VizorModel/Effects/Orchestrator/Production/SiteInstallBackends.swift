import BackendKit
import Foundation

/// `InstallBackends` for a running Vizor: the hypervisor clients and Razor of
/// each connected site (configured or the lab), and this process's media and
/// artefact serving. The same clients the dashboard polls with.
public struct SiteInstallBackends: InstallBackends {
    public let connected: ConnectedSites
    public let serving: InstallServing
    public let secrets: JobSecretStore
    public let media: any InstallMediaExposure
    public let artefacts: any InstallArtefactPublisher

    public init(connected: ConnectedSites, serving: InstallServing, secrets: JobSecretStore,
                lookup: CatalogImageLookup = CatalogImageLookup()) {
        self.connected = connected
        self.serving = serving
        self.secrets = secrets
        self.media = ServedMediaExposure(serving: serving)
        let services = Dictionary(connected.sites.compactMap { site in
            site.razorURL.map { (site.name, RenderedArtefactPublisher.serviceURL(apiURL: $0)) }
        }, uniquingKeysWith: { first, _ in first })
        let wimboot = Dictionary(connected.sites.compactMap { site in site.wimboot.map { (site.name, $0) } },
                                 uniquingKeysWith: { first, _ in first })
        self.artefacts = RenderedArtefactPublisher(serving: serving, secrets: secrets, lookup: lookup,
                                                   wimbootFiles: { wimboot[$0] }, razorService: { services[$0] })
    }

    public func hypervisor(site: String, kind: HypervisorKind) async throws -> any Hypervisor {
        let name: BackendKindName = kind == .xenserver ? .xenserver : .cloudstack
        guard connected.sites.contains(where: { $0.name == site }) else {
            throw BackendError(.notFound, backend: "vizor", message: "no site named \(site)",
                               hint: "sites: \(connected.sites.map(\.name).joined(separator: ", "))")
        }
        guard let hypervisor = connected.backends[BackendID(site: site, kind: name)]?.hypervisor else {
            throw BackendError(.notFound, backend: kind.rawValue, message: "site \(site) has no \(kind.rawValue) configured",
                               hint: "add one to the site in config.yaml, or pick the other backend")
        }
        return hypervisor
    }

    public func provisioning(site: String) async throws -> any ProvisioningServer {
        guard let server = connected.provisioning[site] else {
            throw BackendError(.notFound, backend: "razor", message: "site \(site) has no Razor server configured",
                               hint: "add `razor:` to the site in config.yaml")
        }
        return server
    }
}
