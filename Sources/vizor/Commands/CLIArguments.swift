import ArgumentParser
import BackendKit
import Foundation
import VizorMedia
import VizorModel
import VizorStore

// Options with a fixed set of values parse into these enums, so `--help` and
// the shell completions list the values and a wrong one is a usage error (2).
extension HypervisorKind: ExpressibleByArgument {}
extension Firmware: ExpressibleByArgument {}
extension WindowsArchitecture: ExpressibleByArgument {}

// Completion of the things operators name by id: evaluated by the shell's
// completion script calling back into `vizor` when the operator presses Tab.

/// Site names: the configuration's, or `lab` without one.
@Sendable func siteCompletions(_ words: [String], _ index: Int, _ prefix: String) async -> [String] {
    let paths = XDGPaths()
    guard let config = try? ConfigLoader.load(VizorRuntime.configFile(paths)) else { return ["lab"] }
    return config.sites.map(\.name).filter { $0.hasPrefix(prefix) }
}

/// Catalogued image ids (present ones), from the catalogue database.
@Sendable func imageCompletions(_ words: [String], _ index: Int, _ prefix: String) async -> [String] {
    let url = MediaCatalogStore.defaultURL()
    guard FileManager.default.fileExists(atPath: url.path),
          let entries = try? await MediaCatalogStore(url: url).entries() else { return [] }
    return entries.map(\.image.id).filter { $0.hasPrefix(prefix) }
}

/// Install job ids, newest first, from the journal.
@Sendable func jobCompletions(_ words: [String], _ index: Int, _ prefix: String) async -> [String] {
    let url = InstallJournal.defaultURL()
    guard FileManager.default.fileExists(atPath: url.path),
          let jobs = try? await InstallJournal(url: url).jobs() else { return [] }
    return jobs.map(\.id).filter { $0.hasPrefix(prefix) }
}
