import Foundation
import Testing

/// `vizor --version` names the VERSION file's version and the git commit the
/// binary was built from (the BuildInfo plugin's stamp).
@Suite("vizor --version")
struct VersionTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Runs a program to its end and returns its exit status and standard output.
    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["XDG_STATE_HOME"] = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-version-state").path
        process.environment = env
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func versionAndCommit() throws {
        let binary = Self.packageRoot.appendingPathComponent(".build/debug/vizor").path
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build first: swift build --build-tests")
        let version = try String(contentsOf: Self.packageRoot.appendingPathComponent("VERSION"), encoding: .utf8)
            .split(separator: "\n").first.map(String.init) ?? ""
        let result = try Self.run(binary, ["--version"])
        #expect(result.status == 0)
        let line = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(line.hasPrefix("\(version) (commit "), "\(line)")

        // The commit is HEAD's when the sources are a git checkout (with
        // -dirty for local changes, which a test run cannot rule out).
        let head = try Self.run("/usr/bin/env", ["git", "-C", Self.packageRoot.path, "rev-parse", "--short=12", "HEAD"])
        let sha = head.output.trimmingCharacters(in: .whitespacesAndNewlines)
        if head.status == 0, sha.count == 12 {
            #expect(line == "\(version) (commit \(sha))" || line == "\(version) (commit \(sha)-dirty)", "\(line), HEAD \(sha)")
        } else {
            #expect(line == "\(version) (commit unknown)", "\(line)")
        }
    }
}
