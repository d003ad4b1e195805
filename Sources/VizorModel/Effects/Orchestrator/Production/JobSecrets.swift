import BackendKit
import Foundation

/// A job's secrets: the Administrator password and the artefact token. They
/// are not in the journal (which holds the request as plain JSON) but in a
/// 0600 file per job under the state directory, so a later process can
/// resume the job; the file goes when the job is cleaned up.
public struct JobSecrets: Sendable, Codable, Equatable {
    public var administratorPassword: String
    public var token: String

    public init(administratorPassword: String, token: String = JobSecrets.newToken()) {
        self.administratorPassword = administratorPassword
        self.token = token
    }

    /// 32 URL-safe random characters.
    public static func newToken() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
        var generator = SystemRandomNumberGenerator()
        return String((0..<32).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
    }
}

/// Where job secrets live: `<directory>/<job>.json`, directory 0700, files 0600.
public struct JobSecretStore: Sendable {
    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    func file(_ job: String) -> URL { directory.appendingPathComponent("\(job).json") }

    public func save(_ secrets: JobSecrets, job: String) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let data = try JSONEncoder().encode(secrets)
        let path = file(job).path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            throw BackendError(.invalidInput, backend: "vizor", message: "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        fchmod(fd, 0o600)
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == data.count else {
            throw BackendError(.invalidInput, backend: "vizor", message: "short write to \(path)")
        }
    }

    public func load(job: String) throws -> JobSecrets {
        guard let data = FileManager.default.contents(atPath: file(job).path),
              let secrets = try? JSONDecoder().decode(JobSecrets.self, from: data) else {
            throw BackendError(.notFound, backend: "vizor", message: "the secrets of job \(job) are gone (\(file(job).path))",
                               hint: "cancel the job and start a new one with `vizor install start`")
        }
        return secrets
    }

    public func remove(job: String) {
        try? FileManager.default.removeItem(at: file(job))
    }
}
