import ArgumentParser
import Foundation
import VizorExposure
import VizorStore

/// `vizor media ...`: serve and expose install media by hand, outside an install job.
struct MediaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "media",
        abstract: "Serve files from inside ISOs over HTTP, and share them over SMB, without copying them.",
        subcommands: [Serve.self, Expose.self, Unexpose.self, List.self]
    )

    /// Where exposures are recorded and mounted on this host.
    struct Locations: ParsableArguments {
        @Option(help: "Directory of the exposure registry (default: XDG state dir).")
        var stateDir: String?

        @Option(help: "Where FUSE mounts go; Samba's guest account must be able to reach it (default: /run/vizor/media as root, else <state-dir>/mnt).")
        var mountRoot: String?

        @Option(help: "Samba include file Vizor owns (smb.conf must `include =` it).")
        var sambaInclude: String = "/etc/samba/vizor-shares.conf"

        @Option(help: "smb.conf that the running smbd uses (for smbcontrol); default: Samba's own.")
        var sambaConfig: String?

        @Option(help: "Samba access: `guest`, or a comma-separated list of users.")
        var sambaAccess: String = "guest"

        func configuration() -> ExposureConfiguration {
            let root = stateDir ?? XDGPaths().state.appendingPathComponent("exposure").path
            let access: SambaAccess = sambaAccess == "guest"
                ? .guest : .users(sambaAccess.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) })
            return ExposureConfiguration(
                stateDirectory: root, mountRoot: mountRoot ?? (geteuid() == 0 ? "/run/vizor/media" : root + "/mnt"),
                samba: SambaShareManager(includeFile: sambaInclude, configFile: sambaConfig, access: access))
        }
    }

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve exposed ISOs over HTTP in the foreground until SIGINT or SIGTERM.",
            discussion: helpText(
                "The first line on stdout is one JSON object with the base URL and the images served. Files are at <base>/media/<image-id>/<path>. An access log line per request goes to stderr.",
                "Serves what is exposed (`vizor media expose`, install jobs; picked up within a second), plus, for as long as this runs, the catalogued images named with --image (or all of them with --all) and ISOs not in the catalogue named with --iso (under a stable id derived from the path).",
                examples: ["vizor media serve --bind 0.0.0.0:8080 --all", "vizor media serve --iso /srv/isos/win2022.iso"]))

        @Option(help: "Address and port to listen on.")
        var bind: String = "127.0.0.1:8080"

        @Option(name: .customLong("image"), help: "A catalogued image id to serve (repeatable).",
                completion: .custom(imageCompletions))
        var imageIDs: [String] = []

        @Flag(help: "Serve every catalogued image that is present.")
        var all = false

        @Option(name: .customLong("iso"), help: "An ISO outside the catalogue to serve (repeatable).")
        var isos: [String] = []

        @OptionGroup var locations: Locations
        @OptionGroup var catalog: CatalogCommand.StoreOptions

        mutating func run() async throws {
            let (host, port) = try parseBind(bind)
            let manager = ExposureManager(configuration: locations.configuration())
            for line in await manager.recoverAtStartup() { logLine("recovery: \(line)") }
            let job = "serve-\(getpid())"
            var wanted: [(id: String, path: String)] = isos.map {
                (ExposureIDs.stableID(forISOPath: $0), URL(fileURLWithPath: $0).standardizedFileURL.path)
            }
            if all || !imageIDs.isEmpty {
                let store = try catalog.open()
                if all {
                    wanted += try await store.entries().map { ($0.image.id, $0.image.path) }
                }
                for id in imageIDs {
                    wanted.append((id, try await catalogPath(of: id, in: store)))
                }
            }
            var served: [[String: String]] = []
            for (id, path) in wanted {
                try await manager.expose(imageID: id, isoPath: path, job: job)
                served.append(["id": id, "iso": path])
            }
            await manager.synchroniseServedImages()
            let signals = await TerminationSignals.trap()
            let server = try await MediaHTTPServer.start(host: host, port: port, images: manager.images) { record in
                logLine(record.line)
            }
            for index in served.indices { served[index]["url"] = "\(server.baseURL)/media/\(served[index]["id"]!)/" }
            let announcement: [String: Any] = ["baseURL": server.baseURL, "images": served]
            let data = try JSONSerialization.data(withJSONObject: announcement, options: [.sortedKeys, .withoutEscapingSlashes])
            FileHandle.standardOutput.write(data + Data("\n".utf8))
            await signals.run {
                // What `media expose` adds from another shell is served within half a second.
                while (try? await Task.sleep(for: .milliseconds(500))) != nil {
                    await manager.synchroniseServedImages()
                }
            }
            await server.stop()
            try? await manager.releaseAll(job: job)
        }
    }

    struct Expose: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Expose an ISO by hand (job `manual`): over HTTP, and over SMB with --smb.",
            discussion: helpText(
                "Prints the exposure record as JSON. With --smb the ISO is FUSE-mounted and shared by Samba; the mount lives in this process, which stays in the foreground until SIGINT, SIGTERM or `vizor media unexpose ID`.",
                examples: ["vizor media expose 3f2a9c01e4b7", "vizor media expose win2022 --iso /srv/isos/win2022.iso --smb"]))

        @Argument(help: "Image id.", completion: .custom(imageCompletions))
        var id: String

        @Option(help: "Path of the ISO when it is not in the catalogue (the id is then yours to choose).")
        var iso: String?

        @Flag(help: "Also FUSE-mount the ISO and share it with Samba.")
        var smb = false

        @Option(help: "Job name holding the exposure.")
        var job: String = "manual"

        @OptionGroup var locations: Locations
        @OptionGroup var catalog: CatalogCommand.StoreOptions

        mutating func run() async throws {
            let path: String
            if let iso {
                path = URL(fileURLWithPath: iso).standardizedFileURL.path
            } else {
                path = try await catalogPath(of: id, in: try catalog.open())
            }
            let manager = ExposureManager(configuration: locations.configuration())
            for line in await manager.recoverAtStartup() { logLine("recovery: \(line)") }
            let signals: TerminationSignals? = smb ? await TerminationSignals.trap() : nil
            let record = try await manager.expose(imageID: id, isoPath: path, job: job, smb: smb)
            try printJSONLine(record)
            guard let signals else { return }
            let id = self.id
            // Until a signal, or `vizor media unexpose` ends the exposure from another shell.
            await signals.run {
                while (try? await Task.sleep(for: .milliseconds(500))) != nil {
                    if !(await manager.list().contains { $0.imageID == id }) { return }
                }
            }
            await manager.shutdown()
        }
    }

    struct Unexpose: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "End an exposure, whatever jobs hold it.",
            discussion: helpText("A process that holds the exposure in the foreground is asked to stop (SIGTERM) first.",
                                 examples: ["vizor media unexpose 3f2a9c01e4b7"]))

        @Argument(help: "Image id.", completion: .custom(imageCompletions))
        var id: String

        @OptionGroup var locations: Locations

        mutating func run() async throws {
            let manager = ExposureManager(configuration: locations.configuration())
            guard let record = await manager.list().first(where: { $0.imageID == id }) else {
                throw CLIError(.notFound, "image \(id) is not exposed — see `vizor media list`")
            }
            if let owner = record.ownerPID, owner != getpid(), ExposureRegistry.isAlive(owner) {
                kill(owner, SIGTERM)
                let deadline = Date().addingTimeInterval(15)
                while Date() < deadline, await manager.list().contains(where: { $0.imageID == id }) {
                    try? await Task.sleep(for: .milliseconds(200))
                }
                if !(await manager.list().contains { $0.imageID == id }) { return }
            }
            try await manager.unexpose(imageID: id)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show what is exposed, where, and for which jobs.",
            discussion: helpText("Exposures are recorded in the state directory, whichever process made them.",
                                 examples: ["vizor media list", "vizor media list --json"]))

        @Flag(help: "One JSON array on stdout.")
        var json = false

        @OptionGroup var locations: Locations

        mutating func run() async throws {
            let manager = ExposureManager(configuration: locations.configuration())
            let records = await manager.list()
            if json {
                try printJSONLine(records)
                return
            }
            if records.isEmpty { print("nothing exposed") }
            for record in records {
                let smb = record.smb.map { " smb=\\\\\\\\<host>\\\\\($0.shareName) mount=\($0.mountPoint)" } ?? ""
                print("\(record.imageID)  \(record.isoPath)  http=\(record.httpPath)\(smb)  jobs=\(record.jobs.joined(separator: ","))")
            }
        }
    }
}

/// The ISO path the catalogue has for an image id.
private func catalogPath(of id: String, in store: MediaCatalogStore) async throws -> String {
    guard let entry = try await call({ try await store.entry(id: id) }) else {
        throw CLIError(.notFound, "image \(id) is not in the catalogue (see `vizor catalog list`), or pass --iso PATH")
    }
    guard !entry.missing else {
        throw CLIError(.notFound, "image \(id) was not found at \(entry.image.path) by the last scan")
    }
    return entry.image.path
}

private func parseBind(_ text: String) throws -> (String, Int) {
    guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
        throw ValidationError("--bind wants ADDRESS:PORT, e.g. 0.0.0.0:8080")
    }
    var host = String(text[..<colon])
    if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    return (host.isEmpty ? "0.0.0.0" : host, port)
}

private func logLine(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
