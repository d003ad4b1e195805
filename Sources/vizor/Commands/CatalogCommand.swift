import ArgumentParser
import BackendKit
import Foundation
import VizorMedia
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
            try MediaCatalogStore(url: database.map { URL(fileURLWithPath: $0) } ?? MediaCatalogStore.defaultURL())
        }
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func fail(_ error: Error) -> Error {
        FileHandle.standardError.write(Data("vizor: \(error)\n".utf8))
        return ExitCode.failure
    }

    struct Scan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Walk media sources and catalogue new or changed ISOs (unchanged files are not read).")

        @Option(name: .customLong("source"), help: "A directory of ISOs (repeatable); shares must be mounted.")
        var sources: [String] = []
        @Option(help: "Glob on file names to include (repeatable; default *.iso).")
        var include: [String] = []
        @Option(help: "Glob on names or paths below the source to skip (repeatable).")
        var exclude: [String] = []
        @Option(help: "Files read at once.")
        var jobs: Int = 4
        @Flag(help: "Print the scan summary as JSON.")
        var json = false
        @OptionGroup var store: StoreOptions

        mutating func run() async throws {
            guard !sources.isEmpty else { throw ValidationError("give at least one --source DIR") }
            do {
                let scanner = CatalogScanner(store: try store.open())
                let options = CatalogScanner.Options(sources: sources.map { URL(fileURLWithPath: $0) },
                                                     include: include.isEmpty ? ["*.iso"] : include,
                                                     exclude: exclude, concurrency: jobs)
                let tty = isatty(STDERR_FILENO) == 1
                let summary = try await scanner.scan(options) { progress in
                    guard tty else { return }
                    let rate = progress.elapsed > 0 ? Double(progress.done) / progress.elapsed : 0
                    let name = progress.current.map { URL(fileURLWithPath: $0).lastPathComponent } ?? ""
                    let line = String(format: "\r\u{1B}[K%d/%d  %.1f files/s  %@", progress.done, progress.total, rate, name)
                    FileHandle.standardError.write(Data(line.utf8))
                }
                if tty { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
                if json {
                    print(try CatalogCommand.json(summary))
                } else {
                    print("\(summary.files) files: \(summary.analysed) read, \(summary.unchanged) unchanged, "
                          + "\(summary.failed) unreadable, \(summary.missing) missing; \(summary.bytesRead) bytes read")
                }
            } catch {
                throw CatalogCommand.fail(error)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List catalogued ISOs.")
        @Flag(help: "Print a JSON array.")
        var json = false
        @Option(help: "Only images whose path, label or edition name contains this.")
        var search: String?
        @Option(help: "Only images with this edition id or name.")
        var edition: String?
        @Option(help: "Only images with an edition in this language (e.g. fr-FR).")
        var language: String?
        @Option(help: "Only images with this build (e.g. 22621 or 10.0.22621).")
        var build: String?
        @Option(help: "Only images with an edition for this architecture (x86, x64, arm, arm64).")
        var arch: String?
        @OptionGroup var store: StoreOptions

        mutating func run() async throws {
            do {
                let architecture = try arch.map { value -> WindowsArchitecture in
                    guard let parsed = WindowsArchitecture(rawValue: value) else {
                        throw ValidationError("--arch must be x86, x64, arm or arm64")
                    }
                    return parsed
                }
                let query = CatalogQuery(text: search, edition: edition, language: language, build: build,
                                         architecture: architecture)
                let entries = try await store.open().entries(query)
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
            } catch let error as ValidationError {
                throw error
            } catch {
                throw CatalogCommand.fail(error)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show everything known about one catalogued ISO.")
        @Argument(help: "The image id (from `vizor catalog list`).")
        var id: String
        @Flag(help: "Print JSON.")
        var json = false
        @OptionGroup var store: StoreOptions

        mutating func run() async throws {
            let found: CatalogEntry?
            do {
                found = try await store.open().entry(id: id)
            } catch {
                throw CatalogCommand.fail(error)
            }
            guard let entry = found else {
                throw CatalogCommand.fail(BackendError(.notFound, backend: "catalog", message: "no image with id \(id)",
                                                       hint: "see `vizor catalog list`"))
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
