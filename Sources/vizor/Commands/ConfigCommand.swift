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
        static let configuration = CommandConfiguration(
            abstract: "Write a commented example configuration.",
            discussion: helpText("The file is written with mode 0600 in a 0700 directory: it may name secret files and commands.",
                                 examples: ["vizor config init && $EDITOR \"$(vizor config path --json | jq -r .config)\""]))
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
            abstract: "Validate the configuration and resolve every secret it names (values are never shown).",
            discussion: helpText("Each problem is reported as file:line: key: message. Exit code 1 when the configuration is invalid.",
                                 examples: ["vizor config check", "vizor config check --json"]))
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
        static let configuration = CommandConfiguration(
            abstract: "Print where vizor keeps its files.",
            discussion: helpText("Set the XDG_* variables to move them, e.g. to isolate a test run.",
                                 examples: ["vizor config path", "XDG_DATA_HOME=/srv/vizor vizor config path --json"]))
        @Flag(help: "Print the paths as a JSON object.") var json = false

        mutating func run() async throws {
            let paths = XDGPaths()
            if json {
                try printJSON(["config": VizorRuntime.configFile(paths).path, "data": paths.data.path,
                               "state": paths.state.path, "cache": paths.cache.path,
                               "log": paths.state.appendingPathComponent("vizor.log").path])
                return
            }
            print("config  \(VizorRuntime.configFile(paths).path)")
            print("data    \(paths.data.path)")
            print("state   \(paths.state.path) (log: vizor.log)")
            print("cache   \(paths.cache.path)")
        }
    }
}
