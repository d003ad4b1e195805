import Foundation
import Logging
import Testing
@testable import VizorModel
import BackendKit
import VizorCloudStack

private func issues(_ text: String) -> [ConfigIssue] {
    do {
        _ = try ConfigLoader.parse(text, file: "/etc/vizor.yaml")
        return []
    } catch {
        return error.issues
    }
}

private let valid = """
    default_site: dc1
    sites:
      dc1:
        cloudstack:
          url: https://cs.example.com/client/api
          api_key: {env: CS_KEY}
          secret_key: {env: CS_SECRET}
          poll_interval: 30
        razor:
          url: http://razor:8150/api
        media:
          - name: isos
            path: /srv/isos
    exposure:
      http_bind: 0.0.0.0:8088
      advertise_host: vizor.dc1.example.com
    install_defaults:
      time_zone: Europe/Paris
      password_policy:
        min_length: 16
    """

@Suite("configuration")
struct ConfigTests {
    @Test func theExampleWrittenByConfigInitIsValid() throws {
        let config = try ConfigLoader.parse(ConfigExample.text, file: "example.yaml")
        #expect(config.sites.map(\.name) == ["dc1"])
        #expect(config.sites[0].xenserver?.password == .env("VIZOR_XS_PASSWORD"))
        #expect(config.sites[0].cloudstack?.pollInterval == 15)
        #expect(config.exposure.smbShareRoot == "/srv/vizor/smb")
        #expect(config.installDefaults.passwordPolicy == PasswordPolicy(minLength: 14, requireClasses: 3))
    }

    @Test func aValidFileLoadsEveryField() throws {
        let config = try ConfigLoader.parse(valid, file: "/etc/vizor.yaml")
        let site = try #require(config.sites.first)
        #expect(site.cloudstack?.apiKey == .env("CS_KEY"))
        #expect(site.cloudstack?.pollInterval == 30)
        #expect(site.razor?.pollInterval == 120)
        #expect(site.media == [MediaSourceInfo(name: "isos", path: "/srv/isos")])
        #expect(config.exposure.httpBind == "0.0.0.0:8088")
        #expect(config.exposure.bindAddress == ("0.0.0.0", 8088))
        #expect(config.exposure.advertiseHost == "vizor.dc1.example.com")
        #expect(config.installDefaults.timeZone == "Europe/Paris")
        #expect(config.installDefaults.passwordPolicy.minLength == 16)
        #expect(site.site.backends.map(\.kind) == [.cloudstack, .razor, .media])
    }

    @Test func installConcurrencyIsFourUnlessTheSiteSetsAWholeNumberOfJobs() throws {
        #expect(try ConfigLoader.parse(valid, file: "v.yaml").sites[0].installConcurrency == 4)
        #expect(try ConfigLoader.parse(ConfigExample.text, file: "example.yaml").sites[0].installConcurrency == 4)
        let two = valid.replacingOccurrences(of: "    media:\n", with: "    install_concurrency: 2\n    media:\n")
        #expect(try ConfigLoader.parse(two, file: "v.yaml").sites[0].installConcurrency == 2)
        let zero = valid.replacingOccurrences(of: "    media:\n", with: "    install_concurrency: 0\n    media:\n")
        #expect(issues(zero).map(\.key) == ["sites.dc1.install_concurrency"])
        let half = valid.replacingOccurrences(of: "    media:\n", with: "    install_concurrency: 1.5\n    media:\n")
        #expect(issues(half).map(\.message) == ["expected a whole number of jobs, found 1.5"])
    }

    @Test func badYAMLNamesFileAndLine() {
        let found = issues("sites:\n  dc1:\n    cloudstack: [unclosed\n")
        #expect(found.count == 1)
        #expect(found[0].file == "/etc/vizor.yaml")
        #expect(found[0].line == 4)
        #expect(found[0].message.hasPrefix("not valid YAML"))
    }

    @Test func anUnknownKeyIsNamedWithItsLineAndTheKeysExpected() {
        let found = issues(valid.replacingOccurrences(of: "  razor:\n", with: "  razr:\n"))
        #expect(found.map(\.description) == [
            "/etc/vizor.yaml:9: sites.dc1.razr: unknown key (expected one of: xenserver, cloudstack, razor, media, install_concurrency)",
        ])
    }

    @Test func aWrongTypeSaysWhatWasExpectedAndFound() {
        let found = issues(valid.replacingOccurrences(of: "poll_interval: 30", with: "poll_interval: often"))
        #expect(found.map(\.description) == [
            "/etc/vizor.yaml:8: sites.dc1.cloudstack.poll_interval: expected a number, found the string \"often\"",
        ])
        let list = issues(valid.replacingOccurrences(of: "http_bind: 0.0.0.0:8088", with: "http_bind: [a]"))
        #expect(list.first?.key == "exposure.http_bind")
        #expect(list.first?.message == "expected a string, found a list")
    }

    @Test func exposureSettingsAreCheckedAndBecomeTheInstallServer() async throws {
        let wildcard = issues(valid.replacingOccurrences(of: "  advertise_host: vizor.dc1.example.com\n", with: ""))
        #expect(wildcard.map(\.key) == ["exposure.advertise_host"])
        #expect(wildcard.first?.message.contains("every address") == true)
        let smbWithoutRoot = issues(valid.replacingOccurrences(of: "http_bind: 0.0.0.0:8088",
                                                               with: "http_bind: 0.0.0.0:8088\n  samba_include_file: /etc/samba/vizor.conf"))
        #expect(smbWithoutRoot.map(\.key) == ["exposure.smb_share_root"])
        #expect(issues(valid.replacingOccurrences(of: "http_bind: 0.0.0.0:8088", with: "http_bind: 10.0.0.5:99999")).first?.key
                == "exposure.http_bind")

        let config = try ConfigLoader.parse(valid.replacingOccurrences(
            of: "http_bind: 0.0.0.0:8088",
            with: "http_bind: 0.0.0.0:8088\n  smb_share_root: /srv/vizor/smb\n  samba_include_file: /etc/samba/vizor.conf"),
            file: "/etc/vizor.yaml")
        let serving = InstallServingConfiguration(exposure: config.exposure, stateDirectory: URL(fileURLWithPath: "/var/lib/vizor"))
        #expect(serving.bindHost == "0.0.0.0" && serving.port == 8088)
        #expect(serving.advertisedHost == "vizor.dc1.example.com")
        #expect(serving.mountRoot == "/srv/vizor/smb")
        #expect(await serving.samba?.includeFile == "/etc/samba/vizor.conf")
        // No file (the lab): loopback, any free port, HTTP only.
        let lab = InstallServingConfiguration(exposure: nil, stateDirectory: URL(fileURLWithPath: "/tmp/state"))
        #expect(lab.bindHost == "127.0.0.1" && lab.port == 0 && lab.samba == nil && lab.advertisedHost == nil)
        // A file without an exposure section: the same loopback default.
        let plain = try ConfigLoader.parse(valid.replacingOccurrences(of: "exposure:\n  http_bind: 0.0.0.0:8088\n  advertise_host: vizor.dc1.example.com\n", with: ""),
                                           file: "/etc/vizor.yaml")
        #expect(plain.exposure.bindAddress == ("127.0.0.1", 0))
    }

    @Test func wimbootBuildsAreRepoStorePathsOrURLsAndDefaultToTheReleaseNames() throws {
        let plain = try ConfigLoader.parse(valid, file: "/etc/vizor.yaml")
        #expect(plain.sites[0].site.wimboot == WimbootFiles(x86_64: "wimboot", i386: "wimboot.i386"))
        let custom = try ConfigLoader.parse(valid.replacingOccurrences(of: "      url: http://razor:8150/api\n", with: """
                  url: http://razor:8150/api
                  wimboot:
                    i386: boot/wimboot-2.9.0.i386
                    arm64: https://files.example.com/wimboot.arm64

            """), file: "/etc/vizor.yaml")
        let files = try #require(custom.sites[0].site.wimboot)
        #expect(files == WimbootFiles(x86_64: "wimboot", i386: "boot/wimboot-2.9.0.i386",
                                      arm64: "https://files.example.com/wimboot.arm64"))
        #expect(WimbootFiles.url(files.i386, razorService: "http://razor:8150/svc") == "http://razor:8150/svc/repo/boot/wimboot-2.9.0.i386")
        #expect(files.checked.map(\.file) == ["wimboot", "boot/wimboot-2.9.0.i386", "https://files.example.com/wimboot.arm64"])
        let bad = issues(valid.replacingOccurrences(of: "      url: http://razor:8150/api\n", with: """
                  url: http://razor:8150/api
                  wimboot: {x86_64: ../wimboot, i386: "/srv/wimboot.i386", ia64: x}

            """))
        #expect(bad.count == 3, "\(bad)")
        #expect(bad.contains { $0.key == "sites.dc1.razor.wimboot.ia64" && $0.message.contains("x86_64, i386, arm64") }, "\(bad)")
        for key in ["x86_64", "i386"] {
            #expect(bad.contains { $0.key == "sites.dc1.razor.wimboot.\(key)" && $0.message.contains("repo store") }, "\(bad)")
        }
    }

    @Test func winPECurlPathsAreAbsoluteAndDoctorChecksEachBuild() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-curlcfg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var program = [UInt8](repeating: 0, count: 512)
        program[0] = 0x4d; program[1] = 0x5a; program[0x3c] = 0x80
        program.replaceSubrange(0x80..<0x84, with: [0x50, 0x45, 0, 0])
        program[0x84] = 0x64; program[0x85] = 0x86; program[0x94] = 0xf0; program[0x98] = 0x0b; program[0x99] = 0x02
        program[0x98 + 68] = 3
        let curl = directory.appendingPathComponent("curl.exe")
        try Data(program).write(to: curl)
        let text = valid.replacingOccurrences(of: "  advertise_host: vizor.dc1.example.com\n", with: """
              advertise_host: vizor.dc1.example.com
              winpe_curl:
                amd64: \(curl.path)
                x86: \(directory.path)/missing-x86.exe

            """)
        let config = try ConfigLoader.parse(text, file: "/etc/vizor.yaml")
        #expect(config.exposure.winPECurl == WinPECurlFiles(x86: directory.path + "/missing-x86.exe", amd64: curl.path))
        let checks = BootFileProbe.winPECurlChecks(config.exposure.winPECurl)
        #expect(checks.map(\.ok) == [false, true], "x86 first, then amd64: \(checks)")
        #expect(checks[1].detail.contains("x86_64 console program"))
        #expect(checks[0].detail.contains("does not exist") && checks[0].hint?.contains("x86 curl.exe") == true, "\(checks)")
        let relative = issues(valid.replacingOccurrences(of: "  advertise_host: vizor.dc1.example.com\n", with: """
              advertise_host: vizor.dc1.example.com
              winpe_curl: {amd64: curl.exe}

            """))
        #expect(relative.map(\.key) == ["exposure.winpe_curl.amd64"], "\(relative)")
    }

    @Test func aSambaAccountNeedsItsPasswordAndSMBExposure() throws {
        let smb = valid.replacingOccurrences(of: "  advertise_host: vizor.dc1.example.com\n", with: """
              advertise_host: vizor.dc1.example.com
              smb_share_root: /srv/vizor/smb
              samba_include_file: /etc/samba/vizor-shares.conf
              samba_user: vizor-media
              samba_password: {env: VIZOR_SMB_PASSWORD}

            """)
        let config = try ConfigLoader.parse(smb, file: "/etc/vizor.yaml")
        #expect(config.exposure.sambaUser == "vizor-media" && config.exposure.sambaPassword == .env("VIZOR_SMB_PASSWORD"))
        #expect(ConfigLoader.secretReferences(config).contains { $0.0 == "exposure.samba_password" })
        let alone = issues(smb.replacingOccurrences(of: "  samba_password: {env: VIZOR_SMB_PASSWORD}\n", with: ""))
        #expect(alone.map(\.key) == ["exposure.samba_password"], "\(alone)")
        let noSMB = issues(valid.replacingOccurrences(of: "  advertise_host: vizor.dc1.example.com\n", with: """
              advertise_host: vizor.dc1.example.com
              samba_user: vizor-media
              samba_password: {env: VIZOR_SMB_PASSWORD}

            """))
        #expect(noSMB.map(\.key) == ["exposure.samba_include_file"], "\(noSMB)")
        let badName = issues(smb.replacingOccurrences(of: "samba_user: vizor-media", with: "samba_user: \"vizor media\""))
        #expect(badName.map(\.key).contains("exposure.samba_user"), "\(badName)")
    }

    @Test func anInlineSecretIsRefused() {
        let found = issues(valid.replacingOccurrences(of: "{env: CS_SECRET}", with: "hunter2hunter2"))
        #expect(found.count == 1)
        #expect(found[0].key == "sites.dc1.cloudstack.secret_key")
        #expect(found[0].line == 7)
        #expect(found[0].message.contains("by reference"))
        #expect(!found[0].description.contains("hunter2"))
    }

    @Test func missingRequiredKeysAndEmptyFilesAreReported() {
        let found = issues("sites:\n  dc1:\n    xenserver:\n      url: https://xs\n")
        #expect(Set(found.map(\.key)) == ["sites.dc1.xenserver.username", "sites.dc1.xenserver.password"])
        #expect(found.allSatisfy { $0.line == 4 && $0.message == "required key is missing" })
        #expect(issues("").first?.message.contains("empty") == true)
        #expect(issues("sites: {}\n").first?.message == "at least one site is needed")
    }

    @Test func badValuesAreCheckedForMeaning() {
        let text = valid.replacingOccurrences(of: "http://razor:8150/api", with: "razor:8150")
            .replacingOccurrences(of: "Europe/Paris", with: "Mars/Olympus")
            .replacingOccurrences(of: "default_site: dc1", with: "default_site: dc9")
            .replacingOccurrences(of: "path: /srv/isos", with: "path: isos")
        let found = issues(text)
        #expect(Set(found.map(\.key)) == ["sites.dc1.razor.url", "install_defaults.time_zone", "default_site",
                                          "sites.dc1.media[0].path"])
    }

    @Test func aSiteWithoutAHypervisorIsRefusedWhateverElseItHas() {
        for body in ["razor: {url: http://a}", "install_concurrency: 2", "media: [{name: isos, path: /srv/isos}]"] {
            let found = issues("sites:\n  dc1:\n    \(body)\n")
            #expect(found.map(\.message) == ["a site needs a xenserver or cloudstack endpoint"], "\(body)")
        }
    }

    @Test func duplicateKeysAreReported() {
        let found = issues("sites:\n  dc1:\n    razor: {url: http://a}\n  dc1:\n    razor: {url: http://b}\n")
        #expect(found.first?.message == "the key appears more than once")
    }

    @Test func passwordPolicyCountsCharacterClasses() {
        let policy = PasswordPolicy(minLength: 8, requireClasses: 3)
        #expect(policy.accepts("Abcdefg1"))
        #expect(!policy.accepts("abcdefg1"))
        #expect(!policy.accepts("Ab1!"))
    }
}

@Suite("secrets")
struct SecretTests {
    let directory: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-secrets-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    func write(_ text: String, mode: Int) -> String {
        let path = directory.appendingPathComponent(UUID().uuidString).path
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: mode])
        return path
    }

    @Test func anEnvironmentVariableResolvesAndAMissingOneIsNamed() async throws {
        let resolver = SecretResolver(environment: ["CS_SECRET": "s3cr3t-value"])
        #expect(try await resolver.resolve(.env("CS_SECRET")).reveal() == "s3cr3t-value")
        await #expect(throws: SecretError("environment variable NOPE is not set")) { try await resolver.resolve(.env("NOPE")) }
    }

    @Test func aFileReadableByOthersIsRefusedWithTheReason() async throws {
        let resolver = SecretResolver(environment: [:])
        let open = write("s3cr3t-value\n", mode: 0o644)
        do {
            _ = try await resolver.resolve(.file(open))
            Issue.record("a 0644 secret file must be refused")
        } catch {
            #expect(error.message == "secret file \(open) has mode 0644; it must be 0600 (readable by its owner only) — run: chmod 600 \(open)")
        }
        let closed = write("s3cr3t-value\n", mode: 0o600)
        #expect(try await resolver.resolve(.file(closed)).reveal() == "s3cr3t-value")
        await #expect(throws: SecretError.self) { try await resolver.resolve(.file(directory.appendingPathComponent("none").path)) }
    }

    @Test func aCommandsOutputIsTheSecretAndItsFailureIsReported() async throws {
        let resolver = SecretResolver(environment: ["PATH": "/usr/bin:/bin", "PART": "value"])
        #expect(try await resolver.resolve(.command("printf 'cmd-%s\\n' \"$PART\"")).reveal() == "cmd-value")
        do {
            _ = try await resolver.resolve(.command("echo denied >&2; exit 3"))
            Issue.record("a failing command must be refused")
        } catch {
            #expect(error.message == "secret command `echo denied >&2; exit 3` exited with status 3: denied")
        }
        await #expect(throws: SecretError("secret command `true` printed nothing")) { try await resolver.resolve(.command("true")) }
    }

    @Test func aHangingSecretCommandIsStoppedAtItsTimeoutAndNamed() async throws {
        let resolver = SecretResolver(environment: ["PATH": "/usr/bin:/bin"], commandTimeout: 1)
        let started = ContinuousClock.now
        await #expect(throws: SecretError("secret command `echo asking the vault >&2; sleep 60` did not finish within 1 s "
                                          + "and was stopped: asking the vault")) {
            try await resolver.resolve(.command("echo asking the vault >&2; sleep 60"))
        }
        #expect(ContinuousClock.now - started < .seconds(6))
    }

    @Test func aSecretCommandsOutputNeverAppearsInItsErrors() async throws {
        let resolver = SecretResolver(environment: ["PATH": "/usr/bin:/bin"])
        do {
            _ = try await resolver.resolve(.command("echo s3cr3t-on-stdout; echo vault sealed >&2; exit 2"))
            Issue.record("a failing command must be refused")
        } catch {
            #expect(error.message == "secret command `echo s3cr3t-on-stdout; echo vault sealed >&2; exit 2` exited with status 2: vault sealed")
        }
        // Far more than any secret, on both streams at once: refused, not hung.
        do {
            _ = try await resolver.resolve(.command("head -c 2000000 /dev/zero >&2 & head -c 2000000 /dev/zero; wait"))
            Issue.record("a command printing megabytes must be refused")
        } catch {
            #expect(error.message.hasSuffix("printed more than 65536 bytes; it must print the secret alone"))
        }
    }

    @Test func secretsPrintRedactedAndAreBlankedFromLogLines() async throws {
        let redactor = Redactor()
        let resolver = SecretResolver(environment: ["K": "very-secret-key"], redactor: redactor)
        let secret = try await resolver.resolve(.env("K"))
        #expect("\(secret)" == "<redacted>")
        #expect(redactor.redact("signature for very-secret-key failed") == "signature for <redacted> failed")
    }

    @Test func checkSecretsReportsEachUnresolvableReferenceWithItsLine() async throws {
        let config = try ConfigLoader.parse(valid, file: "/etc/vizor.yaml")
        let found = await ConfigLoader.checkSecrets(config, text: valid, resolver: SecretResolver(environment: ["CS_KEY": "k-123"]))
        #expect(found.map(\.description) == [
            "/etc/vizor.yaml:7: sites.dc1.cloudstack.secret_key: environment variable CS_SECRET is not set",
        ])
    }

    @Test func theLogFileRedactsSecretsAndIsPrivate() throws {
        let redactor = Redactor()
        redactor.register(Secret("api-key-0123456789"))
        let sink = LogSink(directory: directory.appendingPathComponent("state"), redactor: redactor)
        let handler = FileLogHandler(label: "test", sink: sink)
        handler.log(event: LogEvent(level: .error, message: "request with api-key-0123456789 refused", metadata: nil,
                                    source: "test", file: #fileID, function: #function, line: #line))
        let text = try String(contentsOfFile: sink.path, encoding: .utf8)
        #expect(text.contains("request with <redacted> refused"))
        #expect(!text.contains("api-key-0123456789"))
        let mode = (try FileManager.default.attributesOfItem(atPath: sink.path)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o600)
    }
}

@Suite("configuration reaches the clients")
struct ConfigWiringTests {
    @Test(arguments: [true, false])
    func cloudStackVerifyTLSReachesTheClient(_ verify: Bool) async throws {
        let text = """
            sites:
              dc1:
                cloudstack:
                  url: https://cs.example.com/client/api
                  api_key: {env: VIZOR_TEST_CS_KEY}
                  secret_key: {env: VIZOR_TEST_CS_KEY}
                  verify_tls: \(verify)
            """
        let config = try ConfigLoader.parse(text, file: "v.yaml")
        setenv("VIZOR_TEST_CS_KEY", "not-a-real-key", 1)
        let connected = try await SiteWiring.connect(config, resolver: SecretResolver(redactor: Redactor()))
        guard case .polling(let hypervisor, _) = try #require(connected.backends[BackendID(site: "dc1", kind: .cloudstack)]) else {
            Issue.record("CloudStack is polled")
            return
        }
        let cloudstack = try #require(hypervisor as? CloudStackHypervisor)
        #expect(cloudstack.client.configuration.verifyTLS == verify)
    }
}
