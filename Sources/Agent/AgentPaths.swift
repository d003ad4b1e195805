import BackendKit
import Foundation
import VizorStore

/// Where one user's agent listens and keeps its lock and log: the socket in
/// `$XDG_RUNTIME_DIR/vizor/` (a tmpfs only this user can enter, cleaned at
/// logout), else in the XDG state directory, as ssh-agent and tmux keep
/// theirs per user.
public struct AgentPaths: Sendable, Equatable {
    /// The directory of the socket and the lock file (mode 0700).
    public var directory: URL
    /// The agent's log file (its stdout and stderr when auto-started).
    public var log: URL

    /// The socket's name when the agent or its clients are told it
    /// (`VIZOR_AGENT_SOCKET`, as `SSH_AUTH_SOCK` and `DOCKER_HOST` name theirs):
    /// a shared appliance's /run/vizor/agent.sock.
    public var socketOverride: URL?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment, paths: XDGPaths = XDGPaths()) {
        if let runtime = environment["XDG_RUNTIME_DIR"], runtime.hasPrefix("/"),
           FileManager.default.fileExists(atPath: runtime) {
            directory = URL(fileURLWithPath: runtime).appendingPathComponent("vizor")
        } else {
            directory = paths.state
        }
        if let named = environment["VIZOR_AGENT_SOCKET"], named.hasPrefix("/") {
            socketOverride = URL(fileURLWithPath: named)
            directory = URL(fileURLWithPath: named).deletingLastPathComponent()
        }
        log = paths.state.appendingPathComponent("agent.log")
    }

    public init(directory: URL, log: URL) {
        self.directory = directory
        self.log = log
    }

    public var socket: URL { socketOverride ?? directory.appendingPathComponent("agent.sock") }
    /// Held (flock) by whoever is starting an agent, so two simultaneous
    /// starts end with one agent.
    public var startLock: URL { directory.appendingPathComponent("agent.lock") }

    /// A Unix socket path must fit `sun_path` (108 bytes with its NUL).
    public static let socketPathLimit = 107

    /// The socket path, or an error naming the limit when it is too long.
    public func checkedSocketPath() throws -> String {
        let path = socket.path
        guard path.utf8.count <= Self.socketPathLimit else {
            throw BackendError(.invalidInput, backend: "agent",
                               message: "the agent's socket path \(path) is \(path.utf8.count) bytes; a Unix socket path may have at most \(Self.socketPathLimit)",
                               hint: "set XDG_RUNTIME_DIR (or XDG_STATE_HOME) to a shorter directory")
        }
        return path
    }

    /// Makes the socket's directory, private to this user.
    public func prepareDirectory() throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            try FileManager.default.createDirectory(at: log.deletingLastPathComponent(), withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw BackendError(.invalidInput, backend: "agent",
                               message: "cannot make the agent's directory \(directory.path): \(error.localizedDescription)",
                               hint: "the agent needs a writable XDG_RUNTIME_DIR or XDG_STATE_HOME")
        }
    }
}
