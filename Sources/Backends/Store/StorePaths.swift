import Foundation

/// Where Vizor keeps its data: every file lives under the XDG directories so
/// that setting `XDG_*` isolates a run completely.
public struct XDGPaths: Sendable, Equatable {
    public var config: URL
    public var data: URL
    public var state: URL
    public var cache: URL

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let home = URL(fileURLWithPath: environment["HOME"] ?? NSHomeDirectory())
        func dir(_ key: String, _ fallback: String) -> URL {
            if let value = environment[key], value.hasPrefix("/") {
                return URL(fileURLWithPath: value).appendingPathComponent("vizor")
            }
            return home.appendingPathComponent(fallback).appendingPathComponent("vizor")
        }
        config = dir("XDG_CONFIG_HOME", ".config")
        data = dir("XDG_DATA_HOME", ".local/share")
        state = dir("XDG_STATE_HOME", ".local/state")
        cache = dir("XDG_CACHE_HOME", ".cache")
    }
}
