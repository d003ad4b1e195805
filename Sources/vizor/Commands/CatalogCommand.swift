import ArgumentParser
import BackendKit
import Foundation
import VizorMedia
import VizorModel
import VizorStore

struct CatalogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog",
        abstract: "The media catalogue: what every ISO on the media sources contains.",
        subcommands: [Scan.self, List.self, Show.self]
    )

    struct StoreOptions: ParsableArguments {
        @Option(help: "Catalogue database (default: $XDG_DATA_HOME/vizor/vizor.sqlite).")
        var database: String?

        func open() throws -> MediaCatalogStore {
            try call { try MediaCatalogStore(url: database.map { URL(fileURLWithPath: $0) } ?? MediaCatalogStore.defaultURL()) }
        }

        /// The catalogue of the named site (or the default, or the lab's library).
        func site(_ name: String?) throws -> SiteCatalog {
            try call { try SiteCatalog.forSite(name, paths: XDGPaths(), database: database.map { URL(fileURLWithPath: $0) }).catalog }
        }
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    struct Scan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Catalogue new or changed ISOs of the site's media sources, or of the given directories.",
            discussion: """
                Unchanged files (same size, modification time and inode) are not read again; files that \
                vanished are marked missing. Without --source, the site's configured media sources are \
                scanned (the lab's sample library when there is no configuration): the catalogue the \
                dashboard and `vizor install start` use.

                Example: vizor catalog scan --source /mnt/isos --exclude 'old/*' --json
                """)

        @Option(name: .customLong("source"), help: "A directory of ISOs (repeatable; default: the site's media sources). Shares must be mounted.")
        var sources: [String] = []
        @Option(help: "The site whose media sources are scanned when no --source is given.",
                completion: .custom(siteCompletions))
        var site: String?
        @Option(help: "Glob on file names to include (repeatable; default *.iso).")
        var include: [String] = []
        @Option(help: "Glob on names or paths below the source to skip (repeatable).")
        var exclude: [String] = []
        @Option(help: "Files read at once.")
        var jobs: Int = 4
        @Flag(help: "Print the scan summary as JSON.")
        var json = false
        @OptionGroup var store: StoreOptions

        func validate() throws {
            guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        }

        mutating func run() async throws {
            let directories: [URL]
            let database: MediaCatalogStore
            if sources.isEmpty {
                let catalog = try store.site(site)
                guard !catalog.sources.isEmpty else {
                    throw CLIError(.failure, "the site has no media sources; add `media:` to it in the configuration or give --source DIR")
                }
                directories = catalog.sources.map { URL(fileURLWithPath: $0.path) }
                database = catalog.store
            } else {
                directories = sources.map { URL(fileURLWithPath: $0) }
                database = try store.open()
            }
            let scanner = CatalogScanner(store: database)
            let options = CatalogScanner.Options(sources: directories, include: include.isEmpty ? ["*.iso"] : include,
                                                 exclude: exclude, concurrency: jobs)
            let tty = isatty(STDERR_FILENO) == 1
            let summary = try await call {
                try await scanner.scan(options) { progress in
                    guard tty else { return }
                    let rate = progress.elapsed > 0 ? Double(progress.done) / progress.elapsed : 0
                    let name = progress.current.map { URL(fileURLWithPath: $0).lastPathComponent } ?? ""
                    let line = String(format: "\r\u{1B}[K%d/%d  %.1f files/s  %@", progress.done, progress.total, rate, name)
                    FileHandle.standardError.write(Data(line.utf8))
                }
            }
            if tty { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            if json {
                print(try CatalogCommand.json(summary))
            } else {
                print("\(summary.files) files: \(summary.analysed) read, \(summary.unchanged) unchanged, "
                      + "\(summary.failed) unreadable, \(summary.missing) missing; \(summary.bytesRead) bytes read")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the catalogued ISOs of a site.",
            discussion: """
                The site's catalogue is brought up to date first (an incremental scan: unchanged ISOs \
                are not read), so this lists what the dashboard's catalog pane shows.

                Example: vizor catalog list --language fr-FR --arch x64 --json
                """)
        @Flag(help: "Print a JSON array.")
        var json = false
        @Option(help: "The site whose catalogue is listed (default: the configuration's default, or the lab).",
                completion: .custom(siteCompletions))
        var site: String?
        @Flag(help: "Every image of the catalogue database, whatever source it was scanned from.")
        var all = false
        @Flag(help: "List what the catalogue holds without scanning the sources first.")
        var noRefresh = false
        @Option(help: "Only images whose path, label or edition name contains this.")
        var search: String?
        @Option(help: "Only images with this edition id or name.")
        var edition: String?
        @Option(help: "Only images with an edition in this language (e.g. fr-FR).")
        var language: String?
        @Option(help: "Only images with this build (e.g. 22621 or 10.0.22621).")
        var build: String?
        @Option(help: "Only images with an edition for this architecture.")
        var arch: WindowsArchitecture?
        @OptionGroup var store: StoreOptions

        mutating func run() async throws {
            let query = CatalogQuery(text: search, edition: edition, language: language, build: build, architecture: arch)
            let catalog = try store.site(site)
            if !noRefresh { _ = try await call { try await catalog.refresh() } }
            let entries = try await call { all ? try await catalog.store.entries(query) : try await catalog.entries(query) }
            if json {
                print(try CatalogCommand.json(entries.map(CatalogListItem.init)))
                return
            }
            for entry in entries {
                let image = entry.image
                var line = "\(image.id)  \(image.kind.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0))"
                line += "  \(image.volumeLabel ?? "-")  \(image.path)"
                if entry.missing { line += "  [missing]" }
                if let error = image.error { line += "  error: \(error)" }
                print(line)
                for edition in image.editions {
                    print("    \(edition.index). \(edition.name)  \(edition.architecture?.rawValue ?? "?")  "
                          + "\(edition.version?.description ?? "?")  \(edition.languages.joined(separator: ","))")
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show everything known about one catalogued ISO.",
            discussion: "Example: vizor catalog show 3f2a9c01e4b7 --json")
        @Argument(help: "The image id (from `vizor catalog list`).", completion: .custom(imageCompletions))
        var id: String
        @Flag(help: "Print JSON.")
        var json = false
        @OptionGroup var store: StoreOptions

        mutating func run() async throws {
            let wanted = id
            let database = try store.open()
            guard let entry = try await call({ try await database.entry(id: wanted) }) else {
                throw CLIError(.notFound, "no image with id \(id) in the catalogue — see `vizor catalog list`")
            }
            if json {
                print(try CatalogCommand.json(CatalogDetail(entry)))
                return
            }
            let image = entry.image
            print("id:        \(image.id)")
            print("path:      \(image.path)\(entry.missing ? "  [missing]" : "")")
            print("size:      \(image.size)")
            print("kind:      \(image.kind.rawValue)")
            print("label:     \(image.volumeLabel ?? "-")")
            print("bootable:  \(image.bootable.map(\.rawValue).joined(separator: ", "))")
            if let error = image.error { print("error:     \(error)") }
            if let path = image.installImagePath {
                print("install:   \(path)\(image.installImageSolid ? " (solid)" : "")\(image.installImageEncrypted ? " (encrypted)" : "")")
            }
            if !image.mediaLanguages.isEmpty { print("languages: \(image.mediaLanguages.joined(separator: ", "))") }
            if let lab = image.buildLab { print("buildlab:  \(lab)") }
            if let linux = image.linux {
                print("linux:     \(linux.distribution ?? "?") \(linux.version ?? "?") \(linux.architecture ?? "?")")
            }
            for pack in image.languagePacks {
                print("langpack:  \(pack.language) \(pack.architecture?.rawValue ?? "?") \(pack.build.map(String.init) ?? "?")")
            }
            for edition in image.editions {
                print("edition \(edition.index): \(edition.name) [\(edition.editionID ?? "?")] "
                      + "\(edition.architecture?.rawValue ?? "?") \(edition.version?.description ?? "?") "
                      + "\(edition.languages.joined(separator: ","))")
            }
        }
    }
}
