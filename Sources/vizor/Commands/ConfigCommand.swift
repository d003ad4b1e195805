import ArgumentParser
import Foundation
import VizorModel
import VizorStore

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Write and check the configuration file ($XDG_CONFIG_HOME/vizor/config.yaml).",
        subcommands: [Init.self, Check.self, Path.self]
    )

    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a commented example configuration.")
        @Flag(help: "Overwrite an existing file.") var force = false

        mutating func run() async throws {
            let file = VizorRuntime.configFile(XDGPaths())
            let manager = FileManager.default
            if manager.fileExists(atPath: file.path) && !force {
                throw CLIError(.failure, "\(file.path) exists already; use --force to overwrite it")
            }
            do {
                try manager.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true,
                                            attributes: [.posixPermissions: 0o700])
                guard manager.createFile(atPath: file.path, contents: Data(ConfigExample.text.utf8),
                                         attributes: [.posixPermissions: 0o600]) else {
                    throw CLIError(.failure, "cannot write \(file.path)")
                }
            } catch let error as CLIError { throw error } catch {
                throw CLIError(.failure, "cannot write \(file.path): \(error.localizedDescription)")
            }
            print("wrote \(file.path)")
            print("edit it, then run: vizor config check")
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate the configuration and resolve every secret it names (values are never shown).")
        @Flag(help: "Print the result as JSON.") var json = false

        mutating func run() async throws {
            let file = VizorRuntime.configFile(XDGPaths())
            guard FileManager.default.fileExists(atPath: file.path) else {
                if json { try printJSON(["file": file.path, "result": "absent"]) }
                else { print("no configuration at \(file.path); vizor uses the built-in lab") }
                return
            }
            var issues: [ConfigIssue] = []
            var siteCount = 0
            do {
                if let config = try ConfigLoader.load(file) {
                    siteCount = config.sites.count
                    let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
                    issues = await ConfigLoader.checkSecrets(config, text: text,
                                                       resolver: SecretResolver(redactor: CLIEnvironment.redactor))
                }
            } catch {
                issues = error.issues
            }
            if json {
                struct Report: Encodable { var file: String; var valid: Bool; var sites: Int; var issues: [String] }
                try printJSON(Report(file: file.path, valid: issues.isEmpty, sites: siteCount,
                                     issues: issues.map(\.description)))
            } else if issues.isEmpty {
                print("\(file.path): ok (\(siteCount) site\(siteCount == 1 ? "" : "s"))")
            }
            if !issues.isEmpty {
                throw CLIError(.failure, json ? "the configuration is invalid"
                               : "the configuration is invalid:\n" + issues.map(\.description).joined(separator: "\n"))
            }
        }
    }

    struct Path: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print where vizor keeps its files.")
        mutating func run() async throws {
            let paths = XDGPaths()
            print("config  \(VizorRuntime.configFile(paths).path)")
            print("data    \(paths.data.path)")
            print("state   \(paths.state.path) (log: vizor.log)")
            print("cache   \(paths.cache.path)")
        }
    }
}
