import Foundation
import LabCloudStack
import LabXAPI
import Testing
import TestSupport

/// Runs the built `vizor` binary as a new user would: empty XDG directories.
struct VizorProcess: Sendable {
    static let binary: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".build/debug/vizor")

    let home: URL
    var extraEnvironment: [String: String] = [:]

    init() {
        home = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-cli-\(UUID().uuidString)")
        for dir in ["config", "data", "state", "cache"] {
            try? FileManager.default.createDirectory(at: home.appendingPathComponent(dir), withIntermediateDirectories: true)
        }
    }

    var environment: [String: String] {
        var env = [
            "HOME": home.path, "PATH": "/usr/bin:/bin",
            "XDG_CONFIG_HOME": home.appendingPathComponent("config").path,
            "XDG_DATA_HOME": home.appendingPathComponent("data").path,
            "XDG_STATE_HOME": home.appendingPathComponent("state").path,
            "XDG_CACHE_HOME": home.appendingPathComponent("cache").path,
            // The agent a command starts (it runs the lab) goes 30 s after this test's last command.
            "VIZOR_AGENT_IDLE_EXIT": "30",
        ]
        env.merge(extraEnvironment) { _, new in new }
        return env
    }

    var configFile: URL { home.appendingPathComponent("config/vizor/config.yaml") }
    var logFile: URL { home.appendingPathComponent("state/vizor/vizor.log") }

    func writeConfig(_ text: String) throws {
        try FileManager.default.createDirectory(at: configFile.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: configFile)
    }

    struct Result: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// `run` on a thread of its own: for tests whose lab servers live in this
    /// process, so that waiting for `vizor` never holds a thread of the
    /// cooperative pool those servers need to answer it.
    func runOffThePool(_ args: [String], whileRunning: (@Sendable (Int32) -> Void)? = nil) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            let process = self
            Thread { continuation.resume(with: Swift.Result { try process.run(args, whileRunning: whileRunning) }) }.start()
        }
    }

    /// Runs `vizor args`, killing it after `timeout` seconds; `whileRunning` is called with its pid.
    func run(_ args: [String], timeout: TimeInterval = 90, whileRunning: (@Sendable (Int32) -> Void)? = nil) throws -> Result {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = args
        process.environment = environment
        let out = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        let err = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline {
            whileRunning?(process.processIdentifier)
            usleep(10_000)
        }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            Issue.record("vizor \(args.joined(separator: " ")) did not finish within \(Int(timeout)) s")
        }
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }
}


private func json(_ text: String) -> Any? {
    try? JSONSerialization.jsonObject(with: Data(text.utf8))
}

@Suite("vizor binary", .serialized, .timeLimit(.minutes(3)))
struct CLITests {
    @Test func vmListJSONAnswersFromTheLabWithNoConfiguration() throws {
        let vizor = VizorProcess()
        let result = try vizor.run(["vm", "list", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let machines = try #require(json(result.stdout) as? [[String: Any]])
        #expect(!machines.isEmpty)
        #expect(machines.allSatisfy { $0["site"] as? String == "lab" && $0["id"] is String && $0["powerState"] is String })
        #expect(FileManager.default.fileExists(atPath: vizor.logFile.path), "logs go to $XDG_STATE_HOME/vizor/")
    }

    @Test func templateListJSONAnswersFromTheLab() throws {
        let result = try VizorProcess().run(["template", "list", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let templates = try #require(json(result.stdout) as? [[String: Any]])
        #expect(!templates.isEmpty)
        #expect(templates.allSatisfy { $0["name"] is String && $0["backend"] is String })
    }

    @Test func doctorReportsTheLabReachable() throws {
        let result = try VizorProcess().run(["doctor", "--json"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let checks = try #require(json(result.stdout) as? [[String: Any]])
        #expect(Set(checks.compactMap { $0["backend"] as? String }).isSuperset(of: ["xenserver", "cloudstack", "razor"]))
        #expect(checks.allSatisfy { $0["ok"] as? Bool == true && $0["milliseconds"] is Int })
    }

    /// Finding 2: `doctor` fetches both wimboot builds from Razor's repo store,
    /// as iPXE will, and says which machine each EFI image is for.
    @Test func doctorReportsBothWimbootBinariesAndTheirArchitectures() throws {
        let result = try VizorProcess().run(["doctor", "--json"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let checks = try #require(json(result.stdout) as? [[String: Any]])
        let wimboot = checks.filter { $0["backend"] as? String == "wimboot" }
        let byFile = Dictionary(wimboot.compactMap { check in
            (check["target"] as? String).map { (String($0.split(separator: "/").last ?? ""), check) }
        }, uniquingKeysWith: { first, _ in first })
        #expect(Set(byFile.keys) == ["wimboot", "wimboot.i386"], "\(wimboot)")
        #expect((byFile["wimboot"]?["detail"] as? String)?.contains("x86_64 EFI") == true, "\(wimboot)")
        #expect((byFile["wimboot.i386"]?["detail"] as? String)?.contains("i386 EFI") == true, "\(wimboot)")
        #expect(wimboot.allSatisfy { $0["ok"] as? Bool == true && ($0["detail"] as? String)?.contains("BIOS") == true })
    }

    /// Finding 5: the WinPE start-up needs curl.exe, which no Microsoft document
    /// places in boot.wim. `doctor` asks the question: without a configured
    /// curl.exe it says installs rely on the medium having one, and how to give one.
    @Test func doctorAsksTheWinPECurlQuestion() throws {
        let result = try VizorProcess().run(["doctor", "--json"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let checks = try #require(json(result.stdout) as? [[String: Any]])
        let curl = try #require(checks.first { $0["backend"] as? String == "winpe-curl" }, "\(checks)")
        #expect(curl["ok"] as? Bool == true)
        #expect((curl["detail"] as? String)?.contains("not configured") == true, "\(curl)")
        #expect((curl["detail"] as? String)?.contains(#"Windows\System32\curl.exe"#) == true, "\(curl)")
        #expect((curl["hint"] as? String)?.contains("exposure.winpe_curl") == true, "\(curl)")
    }

    @Test func doctorExitsFourWithTheReasonWhenASiteBackendIsOnAClosedPort() throws {
        var vizor = VizorProcess()
        let port = closedLoopbackPort()
        vizor.extraEnvironment = ["CS_KEY": "key-abc", "CS_SECRET": "secret-abc"]
        try vizor.writeConfig("""
            sites:
              broken:
                cloudstack:
                  url: http://127.0.0.1:\(port)/client/api
                  api_key: {env: CS_KEY}
                  secret_key: {env: CS_SECRET}
            """)
        let result = try vizor.run(["doctor"])
        #expect(result.status == 4, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("127.0.0.1:\(port)"))
        #expect(result.stdout.contains("FAILED"))
        #expect(result.stdout.contains("cannot connect to 127.0.0.1:\(port): Connection refused"),
                "the reason is given: \(result.stdout)")
        let list = try vizor.run(["vm", "list"])
        #expect(list.status == 4, "vm list on an unreachable site: \(list.stderr)")
    }

    @Test func configInitWritesAnExampleThatCheckAccepts() throws {
        var vizor = VizorProcess()
        let written = try vizor.run(["config", "init"])
        #expect(written.status == 0, "\(written.stderr)")
        let mode = (try FileManager.default.attributesOfItem(atPath: vizor.configFile.path)[.posixPermissions] as? NSNumber)?
            .intValue
        #expect(mode == 0o600)
        #expect(try vizor.run(["config", "init"]).status == 1, "never overwrites without --force")
        let missing = try vizor.run(["config", "check"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("environment variable VIZOR_XS_PASSWORD is not set"))
        #expect(missing.stderr.contains("config.yaml:21: sites.dc1.xenserver.password"))
        vizor.extraEnvironment = ["VIZOR_XS_PASSWORD": "pw-1", "VIZOR_CS_API_KEY": "k-1", "VIZOR_CS_SECRET_KEY": "s-1"]
        let ok = try vizor.run(["config", "check"])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("ok (1 site)"))
    }

    @Test func configCheckNamesFileLineAndKeyOfEachProblem() throws {
        let vizor = VizorProcess()
        let secretFile = vizor.home.appendingPathComponent("cs.secret")
        _ = FileManager.default.createFile(atPath: secretFile.path, contents: Data("top-secret-1\n".utf8),
                                           attributes: [.posixPermissions: 0o644])
        try vizor.writeConfig("""
            sites:
              dc1:
                cloudstack:
                  url: https://cs.example.com/client/api
                  api_key: {file: \(secretFile.path)}
                  secret_key: {env: NOT_SET_ANYWHERE}
                  poll_intervall: 10
            """)
        let result = try vizor.run(["config", "check"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("config.yaml:7: sites.dc1.cloudstack.poll_intervall: unknown key"), "\(result.stderr)")
        try vizor.writeConfig(String(decoding: try Data(contentsOf: vizor.configFile), as: UTF8.self)
            .replacingOccurrences(of: "      poll_intervall: 10", with: ""))
        let secrets = try vizor.run(["config", "check"])
        #expect(secrets.status == 1)
        #expect(secrets.stderr.contains("config.yaml:5: sites.dc1.cloudstack.api_key: secret file \(secretFile.path) has mode 0644"),
                "\(secrets.stderr)")
        #expect(secrets.stderr.contains("config.yaml:6: sites.dc1.cloudstack.secret_key: environment variable NOT_SET_ANYWHERE is not set"))
        #expect(!secrets.stderr.contains("top-secret-1"))
        try vizor.writeConfig("sites:\n  dc1: [\n")
        let broken = try vizor.run(["config", "check"])
        #expect(broken.status == 1)
        #expect(broken.stderr.contains("config.yaml:3: not valid YAML"), "\(broken.stderr)")
    }

    @Test func secretsStayOutOfTheLogAndTheProcessList() async throws {
        let cloud = LabCloudStack()
        let csServer = try await LabCloudStackServer.start(cloud: cloud)
        let xenServer = try await XAPILabServer.start()
        defer { Task { await csServer.stop(); await xenServer.stop() } }
        var vizor = VizorProcess()
        let secretFile = vizor.home.appendingPathComponent("cs.secret")
        _ = FileManager.default.createFile(atPath: secretFile.path, contents: Data((cloud.admin.secretKey + "\n").utf8),
                                           attributes: [.posixPermissions: 0o600])
        let xenPassword = xenServer.endpoint.credentials["password"]!
        vizor.extraEnvironment = ["CS_KEY": cloud.admin.apiKey, "XS_PW_HEX": Data(xenPassword.utf8).map { String(format: "%02x", $0) }.joined(),
                                  "VIZOR_LOG_LEVEL": "trace"]
        try vizor.writeConfig("""
            sites:
              dc1:
                xenserver:
                  url: \(xenServer.endpoint.url)
                  username: root
                  password: {command: "printf '%s' \\"$XS_PW_HEX\\" | xxd -r -p"}
                cloudstack:
                  url: \(csServer.endpoint.url)
                  api_key: {env: CS_KEY}
                  secret_key: {file: \(secretFile.path)}
            """)
        let secrets = [cloud.admin.secretKey, cloud.admin.apiKey, xenPassword]
        let seen = ProcessListSampler()
        let result = try await vizor.runOffThePool(["vm", "list", "--json"]) { _ in seen.sample() }
        #expect(result.status == 0, "\(result.stderr)")
        #expect(seen.samples > 0)
        for secret in secrets {
            #expect(!seen.text.contains(secret), "a secret appeared in ps")
            #expect(!result.stdout.contains(secret) && !result.stderr.contains(secret))
        }
        let log = (try? String(contentsOf: vizor.logFile, encoding: .utf8)) ?? ""
        #expect(!log.isEmpty)
        for secret in secrets { #expect(!log.contains(secret), "a secret appeared in the log file") }
    }

    @Test func exitCodesFollowTheDocumentation() throws {
        let vizor = VizorProcess()
        #expect(try vizor.run(["vm", "frobnicate"]).status == 2, "usage")
        #expect(try vizor.run(["vm", "list", "--bogus"]).status == 2, "usage")
        let missing = try vizor.run(["vm", "show", "no-such-machine"])
        #expect(missing.status == 3, "\(missing.stderr)")
        #expect(missing.stderr.contains("no machine no-such-machine on site lab"))
        let mars = try vizor.run(["vm", "list", "--site", "mars"])
        #expect(mars.status == 3, "\(mars.stderr)")
        let refused = try vizor.run(["vm", "delete", "web-01"])
        #expect(refused.status == 2, "a destructive verb without a terminal needs --yes: \(refused.stderr)")
        #expect(refused.stderr.contains("--yes"))
        let stopped = try vizor.run(["vm", "stop", "web-01", "--json"])
        #expect(stopped.status == 0, "\(stopped.stderr)")
        let show = try vizor.run(["vm", "show", "web-01"])
        #expect(show.status == 0 && show.stdout.contains("backend     xenserver"), "\(show.stdout)")
        let deleted = try vizor.run(["vm", "delete", "db-01", "--yes"])
        #expect(deleted.status == 0, "\(deleted.stderr)")
        let published = try vizor.run(["template", "publish", "Debian Bookworm 12"])
        #expect(published.status == 0 || published.status == 1, "a lab install template may refuse publishing: \(published.stderr)")
        let completion = try vizor.run(["completions", "bash"])
        #expect(completion.status == 0 && completion.stdout.contains("_vizor"))
    }

    @Test("lab serve and media serve end with status 0 on SIGINT and on SIGTERM",
          arguments: [["lab", "serve"], ["media", "serve", "--bind", "127.0.0.1:0"]], [SIGINT, SIGTERM])
    func foregroundServersStopCleanlyOnASignal(_ command: [String], _ signal: Int32) throws {
        let vizor = VizorProcess()
        let process = Process()
        process.executableURL = VizorProcess.binary
        process.arguments = command
        process.environment = vizor.environment
        let out = vizor.home.appendingPathComponent("serve.out")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        // The first stdout line announces the servers: the signal comes right after it.
        var announcement = ""
        let ready = Date().addingTimeInterval(60)
        while process.isRunning, !announcement.contains("\n"), Date() < ready {
            usleep(20_000)
            announcement = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        }
        let line = try #require(announcement.split(separator: "\n").first.map(String.init), "no announcement")
        #expect(json(line) is [String: Any], "\(line)")
        kill(process.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(15)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        #expect(!process.isRunning, "\(command.joined(separator: " ")) still runs 15 s after signal \(signal)")
        guard !process.isRunning else { return }
        #expect(process.terminationReason == .exit && process.terminationStatus == 0,
                "ended by \(process.terminationReason == .exit ? "exit" : "signal") \(process.terminationStatus)")
    }
}

/// Collects `ps` output while a child runs.
final class ProcessListSampler: @unchecked Sendable {
    private let lock = NSLock()
    private var collected = ""
    private var count = 0

    var text: String { lock.withLock { collected } }
    var samples: Int { lock.withLock { count } }

    func sample() {
        let ps = Process()
        ps.executableURL = URL(fileURLWithPath: "/bin/ps")
        ps.arguments = ["-eo", "args"]
        let pipe = Pipe()
        ps.standardOutput = pipe
        guard (try? ps.run()) != nil else { return }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        ps.waitUntilExit()
        lock.withLock {
            collected += String(decoding: data, as: UTF8.self)
            count += 1
        }
    }
}
