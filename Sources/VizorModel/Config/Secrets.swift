import Foundation
import VizorChildProcess

/// Where a secret lives. The configuration names the place, never the value,
/// so the file can be shared and checked in without leaking anything.
public enum SecretRef: Sendable, Equatable {
    case env(String)
    /// A file that must not be readable by group or others.
    case file(String)
    /// A command run by `/bin/sh -c`; its standard output (trailing newline
    /// removed) is the secret. The secret never appears in any argument list.
    case command(String)

    public var description: String {
        switch self {
        case .env(let name): return "environment variable \(name)"
        case .file(let path): return "file \(path)"
        case .command(let command): return "command `\(command)`"
        }
    }
}

/// A resolved secret. Prints as `<redacted>` so it cannot end up in a log
/// line or a message by accident; `reveal()` is the one way to read it.
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    private let value: String
    public init(_ value: String) { self.value = value }
    public func reveal() -> String { value }
    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}

/// Remembers every secret value Vizor has resolved, so the log handler can
/// blank them out of any message that carries one.
public final class Redactor: @unchecked Sendable {
    private let lock = NSLock()
    private var values: Set<String> = []

    public init() {}

    public func register(_ secret: Secret) {
        let value = secret.reveal()
        guard value.count >= 4 else { return }
        _ = lock.withLock { values.insert(value) }
    }

    public func redact(_ text: String) -> String {
        let known = lock.withLock { values }
        var result = text
        for value in known.sorted(by: { $0.count > $1.count }) where result.contains(value) {
            result = result.replacingOccurrences(of: value, with: "<redacted>")
        }
        return result
    }
}

/// Resolves `SecretRef`s, checking file modes and command exits, and
/// registers every value with the redactor.
public struct SecretResolver: Sendable {
    public var environment: [String: String]
    public var redactor: Redactor
    /// Longest a secret command may run.
    public var commandTimeout: TimeInterval

    public init(environment: [String: String] = ProcessInfo.processInfo.environment, redactor: Redactor = Redactor(),
                commandTimeout: TimeInterval = 15) {
        self.environment = environment
        self.redactor = redactor
        self.commandTimeout = commandTimeout
    }

    /// The secret's value, or an error that says which reference failed and why (never the value).
    public func resolve(_ reference: SecretRef) async throws(SecretError) -> Secret {
        let value: String
        switch reference {
        case .env(let name):
            guard let found = environment[name], !found.isEmpty else {
                throw SecretError("environment variable \(name) is not set")
            }
            value = found
        case .file(let path):
            value = try readSecretFile(expand(path))
        case .command(let command):
            value = try await runSecretCommand(command)
        }
        let secret = Secret(value)
        redactor.register(secret)
        return secret
    }

    func expand(_ path: String) -> String {
        guard path.hasPrefix("~/"), let home = environment["HOME"] else { return path }
        return home + path.dropFirst(1)
    }

    private func readSecretFile(_ path: String) throws(SecretError) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw SecretError("secret file \(path) cannot be read: \(String(cString: strerror(errno)))")
        }
        let mode = info.st_mode & 0o777
        if mode & 0o077 != 0 {
            throw SecretError("secret file \(path) has mode \(String(format: "0%o", mode)); it must be 0600 "
                              + "(readable by its owner only) — run: chmod 600 \(path)")
        }
        guard info.st_uid == getuid() else {
            throw SecretError("secret file \(path) belongs to another user (uid \(info.st_uid))")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SecretError("secret file \(path) cannot be read")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingTrailingNewlines()
        guard !text.isEmpty else { throw SecretError("secret file \(path) is empty") }
        return text
    }

    /// Runs `/bin/sh -c command` with the resolver's environment and an
    /// empty standard input; its standard output is the secret and never
    /// appears in an error. A command that outlives `commandTimeout` is
    /// terminated with everything it started.
    private func runSecretCommand(_ command: String) async throws(SecretError) -> String {
        let name = "secret command `\(command)`"
        let outcome: ChildProcessOutcome
        do {
            outcome = try await ChildProcess("/bin/sh", ["-c", command], environment: environment,
                                             timeout: .milliseconds(Int((commandTimeout * 1000).rounded())),
                                             outputLimit: Self.commandOutputLimit, displayName: name).run()
        } catch {
            switch error.reason {
            case .timedOut:
                throw SecretError("\(name) did not finish within \(Int(commandTimeout)) s and was stopped"
                                  + Self.said(error.lastErrorLines))
            case .cannotStart(let why):
                throw SecretError("\(name) could not start: \(why)")
            case .cancelled, .inputTooLarge, .ended:
                throw SecretError(error.description)
            }
        }
        guard outcome.succeeded else {
            throw SecretError("\(name) \(outcome.termination)" + Self.said(outcome.lastErrorLines()))
        }
        guard !outcome.standardOutputTruncated else {
            throw SecretError("\(name) printed more than \(Self.commandOutputLimit) bytes; it must print the secret alone")
        }
        let text = outcome.output.trimmingTrailingNewlines()
        guard !text.isEmpty else { throw SecretError("\(name) printed nothing") }
        return text
    }

    /// More than any key or password; what a command prints past it is dropped.
    static let commandOutputLimit = 64 * 1024

    private static func said(_ lines: [String]) -> String {
        lines.isEmpty ? "" : ": " + lines.joined(separator: " / ")
    }
}

/// Why a secret could not be resolved; never contains the secret.
public struct SecretError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var text = self
        while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
        return text
    }
}
