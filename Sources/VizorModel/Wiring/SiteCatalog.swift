import BackendKit
import Foundation
import VizorLab
import VizorMedia
import VizorStore

/// One catalogue for every way in: the dashboard's catalog pane, `vizor
/// catalog list|scan` and `install start --image` all read the site's media
/// sources through the shared catalogue database, scanned incrementally
/// (an unchanged ISO is only stat'ed, never read again).
public struct SiteCatalog: Sendable {
    public let store: MediaCatalogStore
    public let sources: [MediaSourceInfo]

    public init(store: MediaCatalogStore, sources: [MediaSourceInfo]) {
        self.store = store
        self.sources = sources
    }

    /// The catalogue of a site as the configuration (or, without one, the lab's
    /// sample library) defines it, without starting any backend.
    public static func forSite(_ name: String?, paths: XDGPaths, database: URL? = nil) throws -> (site: String, catalog: SiteCatalog) {
        let store = try MediaCatalogStore(url: database ?? MediaCatalogStore.defaultURL(paths: paths))
        guard let config = try ConfigLoader.load(VizorRuntime.configFile(paths)) else {
            guard name == nil || name == "lab" else {
                throw BackendError(.notFound, backend: "vizor", message: "no site named \(name ?? "") (sites: lab)",
                                   hint: "without a configuration only the lab exists")
            }
            let library = VizorRuntime.labMediaLibrary(paths: paths)
            return ("lab", SiteCatalog(store: store, sources: library.map { [MediaSourceInfo(name: "sample library", path: $0)] } ?? []))
        }
        let wanted = name ?? config.defaultSite ?? config.sites.first?.name
        guard let site = config.sites.first(where: { $0.name == wanted }) else {
            throw BackendError(.notFound, backend: "vizor",
                               message: "no site named \(wanted ?? "(default)") (sites: \(config.sites.map(\.name).joined(separator: ", ")))",
                               hint: "see `vizor config check`")
        }
        return (site.name, SiteCatalog(store: store, sources: site.media))
    }

    /// Scans the sources: new or changed ISOs are read, vanished ones marked missing.
    @discardableResult
    public func refresh(concurrency: Int = 4,
                        progress: @escaping @Sendable (CatalogScanner.Progress) -> Void = { _ in }) async throws
        -> CatalogScanner.Summary {
        guard !sources.isEmpty else { return CatalogScanner.Summary() }
        return try await CatalogScanner(store: store).scan(
            CatalogScanner.Options(sources: sources.map { URL(fileURLWithPath: $0.path) }, concurrency: concurrency),
            progress: progress)
    }

    /// The entries found under this site's sources.
    public func entries(_ query: CatalogQuery = CatalogQuery()) async throws -> [CatalogEntry] {
        let roots = Set(sources.map { URL(fileURLWithPath: $0.path).standardizedFileURL.path })
        return try await store.entries(query).filter { roots.contains($0.source) }
    }

    /// The images present now (what the dashboard lists).
    public func images() async throws -> [MediaImage] {
        try await entries().map(\.image)
    }
}

/// The dashboard's media poller over the shared catalogue: each poll is an
/// incremental scan, then the site's present images.
public struct CatalogMediaScanner: ProgressReportingMediaScanner {
    public let catalog: SiteCatalog

    public init(catalog: SiteCatalog) {
        self.catalog = catalog
    }

    public func scan() async throws -> [MediaImage] {
        try await scan(progress: { _ in })
    }

    public func scan(progress: @escaping @Sendable (MediaScanProgress) -> Void) async throws -> [MediaImage] {
        try await catalog.refresh { report in
            progress(MediaScanProgress(done: report.done, total: report.total,
                                       current: report.done < report.total ? report.current : nil))
        }
        return try await catalog.images()
    }
}
