import BackendKit
import Foundation

/// How Samba should let Windows Setup in: as a guest, or as named users.
public enum SambaAccess: Sendable, Equatable, Codable {
    case guest
    case users([String])
}

/// One read-only share of a FUSE-mounted image.
public struct SambaShare: Sendable, Equatable, Codable {
    public var name: String
    public var path: String
    public var comment: String
    public var access: SambaAccess

    public init(name: String, path: String, comment: String, access: SambaAccess) {
        self.name = name
        self.path = path
        self.comment = comment
        self.access = access
    }

    /// The share section as smb.conf text. Values are refused upstream if
    /// they could break out of the section (newlines, brackets).
    public var definition: String {
        var lines = [
            "[\(name)]",
            "   comment = \(comment)",
            "   path = \(path)",
            "   read only = yes",
            "   writeable = no",
            "   browseable = yes",
            "   case sensitive = no",
            "   follow symlinks = no",
            "   wide links = no",
            "   ea support = no",
            "   store dos attributes = no",
        ]
        switch access {
        case .guest:
            lines += ["   guest ok = yes", "   guest only = yes"]
        case .users(let users):
            lines += ["   guest ok = no", "   valid users = \(users.joined(separator: " "))"]
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Owns one smb.conf include file holding every Vizor share, rewrites it
/// atomically and asks the running smbd to reload its configuration
/// (`smbcontrol smbd reload-config`), never restarting Samba.
public actor SambaShareManager {
    public let includeFile: String
    /// The smb.conf smbd runs with, passed to smbcontrol so it finds the
    /// right pid directory; nil for the system default.
    public let configFile: String?
    public let access: SambaAccess
    private let smbcontrol: String

    public init(includeFile: String, configFile: String? = nil, access: SambaAccess = .guest,
                smbcontrol: String = "/usr/bin/smbcontrol") {
        self.includeFile = includeFile
        self.configFile = configFile
        self.access = access
        self.smbcontrol = smbcontrol
    }

    /// The share name Vizor uses for an image.
    public static func shareName(for imageID: String) -> String {
        "vizor-" + String(imageID.lowercased().filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }.prefix(40))
    }

    /// Shares currently in the include file (the source of truth after a crash).
    public func shares() throws -> [SambaShare] {
        guard let text = try? String(contentsOfFile: includeFile, encoding: .utf8) else { return [] }
        var result: [SambaShare] = []
        var current: SambaShare?
        for rawLine in text.split(separator: "\n") {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") && line.hasSuffix("]") {
                if let current { result.append(current) }
                current = SambaShare(name: String(line.dropFirst().dropLast()), path: "", comment: "", access: access)
            } else if let equals = line.firstIndex(of: "=") {
                let key = line[..<equals].trimmingCharacters(in: .whitespaces)
                let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
                if key == "path" { current?.path = value }
                if key == "comment" { current?.comment = value }
            }
        }
        if let current { result.append(current) }
        return result
    }

    /// Adds or replaces a share and reloads smbd.
    public func add(_ share: SambaShare) async throws {
        try validate(share)
        try checkIncluded()
        var all = try shares().filter { $0.name.lowercased() != share.name.lowercased() }
        all.append(share)
        try write(all)
        try await reload()
    }

    /// Removes a share (if present) and reloads smbd.
    public func remove(named name: String) async throws {
        let all = try shares()
        let kept = all.filter { $0.name.lowercased() != name.lowercased() }
        guard kept.count != all.count else { return }
        try write(kept)
        try await reload()
    }

    /// Keeps only the shares named; used at start-up to drop leftovers.
    public func retainOnly(_ names: Set<String>) async throws -> [String] {
        let all = try shares()
        let dropped = all.filter { !names.contains($0.name) }.map(\.name)
        if !dropped.isEmpty {
            try write(all.filter { names.contains($0.name) })
            try? await reload()
        }
        return dropped
    }

    /// A reload succeeds even when smb.conf never includes Vizor's file, and
    /// the share then silently does not exist: say so instead.
    private func checkIncluded() throws {
        let config = configFile ?? "/etc/samba/smb.conf"
        guard let text = try? String(contentsOfFile: config, encoding: .utf8) else { return }
        let included = text.split(separator: "\n").contains { line in
            let parts = line.split(separator: "=", maxSplits: 1)
            return parts.count == 2 && parts[0].trimmingCharacters(in: .whitespaces).lowercased() == "include"
                && parts[1].trimmingCharacters(in: .whitespaces) == includeFile
        }
        guard included else {
            throw BackendError(.invalidInput, backend: exposureBackendName,
                               message: "\(config) does not include \(includeFile), so Samba would not see Vizor's shares",
                               hint: "add `include = \(includeFile)` to the [global] section of \(config)")
        }
    }

    private func validate(_ share: SambaShare) throws {
        let fields = [share.name, share.path, share.comment]
        let bad = fields.contains { $0.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "[" || $0 == "]" }) }
        guard !bad, !share.name.isEmpty, share.name.count <= 80 else {
            throw BackendError(.invalidInput, backend: exposureBackendName,
                               message: "share definition \(share.name.debugDescription) has characters smb.conf cannot hold")
        }
    }

    private func write(_ all: [SambaShare]) throws {
        var text = "# Managed by Vizor: media exposures (read-only). Rewritten on every change.\n"
        for share in all { text += "\n" + share.definition }
        let directory = (includeFile as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temporary = includeFile + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8),
                                             attributes: [.posixPermissions: 0o644]) else {
            throw BackendError(.invalidInput, backend: exposureBackendName, message: "cannot write \(temporary)")
        }
        guard rename(temporary, includeFile) == 0 else {
            unlink(temporary)
            throw BackendError(.invalidInput, backend: exposureBackendName, message: "cannot replace \(includeFile)")
        }
    }

    /// Asks smbd to re-read smb.conf (and so this include file).
    public func reload() async throws {
        var arguments: [String] = []
        if let configFile { arguments.append("--configfile=\(configFile)") }
        arguments += ["smbd", "reload-config"]
        let result = try await ProcessRunner.run(smbcontrol, arguments)
        guard result.status == 0 else {
            throw BackendError(.remoteFailure, backend: exposureBackendName,
                               message: "smbcontrol smbd reload-config failed: \(result.errorText)",
                               code: String(result.status),
                               hint: "check that smbd is running and that smb.conf includes \(includeFile)")
        }
    }
}
