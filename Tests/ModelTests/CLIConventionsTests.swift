import Foundation
import Testing
import TestSupport

extension VizorProcess {
    /// Removes the process's XDG home (its lab library and database).
    func remove() { try? FileManager.default.removeItem(at: home) }
}

private func json(_ text: String) -> Any? {
    try? JSONSerialization.jsonObject(with: Data(text.utf8))
}

/// One command line and the exit code every command must give for its kind
/// of outcome: 0 ok, 1 failure, 2 usage, 3 not found, 4 unreachable.
struct ExitCase: Sendable, CustomTestStringConvertible {
    var arguments: [String]
    var status: Int32
    var testDescription: String { "vizor \(arguments.joined(separator: " ")) → \(status)" }
}

private let install = ["install", "start", "--backend", "xenserver", "--edition", "1", "--hostname", "web01"]

/// The table: one row per command that can fail for a reason an operator
/// can name. New commands get a row here.
private let exitCases: [ExitCase] = [
    // 3: what was asked for does not exist, whichever command asks.
    ExitCase(arguments: ["catalog", "show", "0000dead"], status: 3),
    ExitCase(arguments: ["catalog", "list", "--site", "nowhere"], status: 3),
    ExitCase(arguments: ["catalog", "scan", "--source", "/nonexistent/isos"], status: 3),
    ExitCase(arguments: ["media", "expose", "0000dead"], status: 3),
    ExitCase(arguments: ["media", "serve", "--image", "0000dead", "--bind", "127.0.0.1:0"], status: 3),
    ExitCase(arguments: ["media", "unexpose", "0000dead"], status: 3),
    ExitCase(arguments: ["install", "show", "nojob"], status: 3),
    ExitCase(arguments: ["install", "logs", "nojob"], status: 3),
    ExitCase(arguments: ["install", "logs", "nojob", "--follow", "--json"], status: 3),
    ExitCase(arguments: ["install", "cancel", "nojob"], status: 3),
    ExitCase(arguments: ["install", "retry", "nojob"], status: 3),
    ExitCase(arguments: ["install", "resume", "nojob"], status: 3),
    ExitCase(arguments: ["install", "cleanup", "nojob"], status: 3),
    ExitCase(arguments: ["vm", "show", "no-such-vm"], status: 3),
    ExitCase(arguments: ["vm", "list", "--site", "nowhere"], status: 3),
    ExitCase(arguments: ["template", "show", "no-such-template"], status: 3),
    ExitCase(arguments: ["template", "delete", "no-such-template", "--yes"], status: 3),
    ExitCase(arguments: ["build", "/nonexistent/plan.yaml"], status: 3),
    // An unknown image is reported before any password is asked for (there is none here: that would be 2).
    ExitCase(arguments: install + ["--image", "no-such.iso"], status: 3),
    ExitCase(arguments: install + ["--image", "Windows_Server_2022_x64_en-US.iso", "--edition", "99"], status: 3),
    // The OS template is checked on the hypervisor before anything is journaled.
    ExitCase(arguments: install + ["--image", "Windows_Server_2022_x64_en-US.iso", "--os-template", "Windows 3.11"], status: 3),
    // The boot ISO: an unknown site, and an install whose boot ISO the hypervisor lacks (before any job).
    ExitCase(arguments: ["boot-iso", "build", "--site", "nowhere"], status: 3),
    ExitCase(arguments: ["boot-iso", "publish", "--site", "nowhere", "--json"], status: 3),
    ExitCase(arguments: install + ["--image", "Windows_Server_2022_x64_en-US.iso", "--boot-iso", "no-such-boot.iso"], status: 3),
    // 2: only for arguments and options.
    ExitCase(arguments: ["boot-iso", "build", "--razor-url", "ftp://razor.example"], status: 2),
    ExitCase(arguments: ["no-such-command"], status: 2),
    ExitCase(arguments: ["catalog", "list", "--arch", "sparc"], status: 2),
    ExitCase(arguments: ["catalog", "scan", "--jobs", "0"], status: 2),
    ExitCase(arguments: ["completions", "tcsh"], status: 2),
    ExitCase(arguments: ["lab", "serve", "--fail-mode", "sometimes"], status: 2),
    ExitCase(arguments: ["lab", "serve", "--winpe", "bootcamp"], status: 2),
    ExitCase(arguments: ["media", "serve", "--bind", "nowhere"], status: 2),
    ExitCase(arguments: install + ["--image", "Windows_Server_2022_x64_en-US.iso", "--backend", "hyperv"], status: 2),
    ExitCase(arguments: install + ["--image", "Windows_Server_2022_x64_en-US.iso", "--firmware", "coreboot"], status: 2),
    ExitCase(arguments: install + ["--image", "Windows_Server_2022_x64_en-US.iso", "--hostname", "bad_name!"], status: 2),
    // With everything valid and no password anywhere, the missing password is the usage error.
    ExitCase(arguments: install + ["--image", "Windows_Server_2022_x64_en-US.iso"], status: 2),
]

@Suite("CLI conventions", .serialized, .timeLimit(.minutes(10)))
struct CLIConventionsTests {
    @Test(arguments: exitCases)
    func everyCommandGivesTheDocumentedExitCode(_ row: ExitCase) throws {
        let vizor = VizorProcess()
        defer { vizor.remove() }
        let result = try vizor.run(row.arguments, timeout: 120)
        #expect(result.status == row.status, "\(result.stdout)\(result.stderr)")
        if row.status == 3 {
            #expect(!result.stderr.contains("USAGE:"), "not found is no usage error: \(result.stderr)")
            #expect(!result.stderr.isEmpty, "says what was not found")
        }
    }

    @Test func aPasswordBelowThePolicyIsRefusedAndNothingIsJournaled() throws {
        var vizor = VizorProcess()
        defer { vizor.remove() }
        vizor.extraEnvironment = ["VIZOR_ADMIN_PASSWORD": "Short-1a"]
        let result = try vizor.run(install + ["--image", "Windows_Server_2022_x64_en-US.iso"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("install_defaults.password_policy: at least 14 characters"), "\(result.stderr)")
        #expect(!result.stderr.contains("Short-1a"), "the password is never echoed")
        let list = try vizor.run(["install", "list", "--json"])
        #expect((json(list.stdout) as? [Any])?.isEmpty == true, "\(list.stdout)")
    }

    @Test func anUnreachableBackendIsFourForEveryCommandThatNeedsIt() throws {
        let port = closedLoopbackPort()
        let vizor = VizorProcess()
        defer { vizor.remove() }
        try vizor.writeConfig("""
            sites:
              dc1:
                xenserver:
                  url: http://127.0.0.1:\(port)
                  username: root
                  password: {env: XS_PASSWORD}
            """)
        var environment = vizor
        environment.extraEnvironment = ["XS_PASSWORD": "secret"]
        for arguments in [["vm", "list"], ["template", "list", "--json"], ["vm", "show", "x"], ["doctor"]] {
            let result = try environment.run(arguments)
            #expect(result.status == 4, "vizor \(arguments.joined(separator: " ")): \(result.stderr)")
        }
    }

    /// Tried as a new user: the catalogue on the command line is the one the
    /// dashboard shows, the lab's seven sample ISOs.
    @Test func catalogListWithNoConfigurationListsTheLabLibrary() throws {
        let vizor = VizorProcess()
        defer { vizor.remove() }
        let result = try vizor.run(["catalog", "list", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let images = try #require(json(result.stdout) as? [[String: Any]])
        #expect(images.count == 7, "\(result.stdout)")
        let plain = try vizor.run(["catalog", "list"])
        #expect(plain.stdout.contains("Windows_Server_2022_x64_en-US.iso"))
    }

    /// A configured site whose `media:` holds the ISOs: scan without
    /// --source scans it, and list lists it.
    @Test func catalogScanAndListUseTheConfiguredSiteMedia() throws {
        let vizor = VizorProcess()
        defer { vizor.remove() }
        _ = try vizor.run(["catalog", "list", "--no-refresh"]) // writes the lab library under XDG data
        let library = vizor.home.appendingPathComponent("data/vizor/lab-media")
        let isos = try FileManager.default.contentsOfDirectory(atPath: library.path).filter { $0.hasSuffix(".iso") }
        #expect(isos.count == 7)
        // The site's media source is that directory (the sample ISOs are sparse: never copy them).
        let media = library
        try vizor.writeConfig("""
            sites:
              dc1:
                xenserver:
                  url: http://127.0.0.1:\(closedLoopbackPort())
                  username: root
                  password: {env: XS_PASSWORD}
                media:
                  - name: isos
                    path: \(media.path)
            """)
        let scan = try vizor.run(["catalog", "scan", "--json"])
        #expect(scan.status == 0, "\(scan.stderr)")
        let summary = try #require(json(scan.stdout) as? [String: Any])
        #expect(summary["files"] as? Int == 7)
        #expect(summary["analysed"] as? Int == 7)
        let list = try vizor.run(["catalog", "list", "--json"])
        let images = try #require(json(list.stdout) as? [[String: Any]], "\(list.stderr)")
        #expect(images.count == 7)
        #expect(images.allSatisfy { ($0["path"] as? String)?.hasPrefix(media.path) == true }, "\(list.stdout)")
        // A second scan reads nothing: the catalogue is incremental.
        let again = try #require(json(try vizor.run(["catalog", "scan", "--json"]).stdout) as? [String: Any])
        #expect(again["unchanged"] as? Int == 7)
        #expect(again["analysed"] as? Int == 0)
    }

    @Test func installListJSONCarriesTheRequestAsAnObject() throws {
        let vizor = VizorProcess()
        defer { vizor.remove() }
        var withPassword = vizor
        withPassword.extraEnvironment = ["VIZOR_ADMIN_PASSWORD": "Sup3r-Secret-Passw0rd!"]
        let started = try withPassword.run(install + ["--image", "Windows_Server_2022_x64_en-US.iso", "--json"])
        #expect(started.status == 0, "\(started.stderr)")
        let job = try #require(json(started.stdout) as? [String: Any])
        #expect(job["request"] is [String: Any], "request is nested: \(started.stdout)")
        let listed = try #require(json(try vizor.run(["install", "list", "--json"]).stdout) as? [[String: Any]])
        let request = try #require(listed.first?["request"] as? [String: Any])
        #expect(request["machineName"] as? String == "web01")
        let id = try #require(job["id"] as? String)
        let shown = try #require(json(try vizor.run(["install", "show", id, "--json"]).stdout) as? [String: Any])
        #expect((shown["job"] as? [String: Any])?["request"] is [String: Any])
        // The shells' completion calls back into vizor: job ids, site names and image ids complete.
        let jobs = try vizor.run(["---completion", "install", "show", "--", "positional@0", "3", "0", "vizor", "install", "show", ""])
        #expect(jobs.status == 0 && jobs.stdout.split(separator: "\n").contains(Substring(id)), "\(jobs.stdout)\(jobs.stderr)")
        let sites = try vizor.run(["---completion", "install", "start", "--", "--site", "4", "0", "vizor", "install", "start", "--site", ""])
        #expect(sites.stdout.split(separator: "\n") == ["lab"], "\(sites.stdout)\(sites.stderr)")
        let images = try vizor.run(["---completion", "catalog", "show", "--", "positional@0", "3", "0", "vizor", "catalog", "show", ""])
        #expect(images.stdout.split(separator: "\n").count == 7, "\(images.stdout)\(images.stderr)")
        // install logs --json: JSON Lines, one object a line.
        let logs = try vizor.run(["install", "logs", id, "--json"])
        #expect(logs.status == 0, "\(logs.stderr)")
        let lines = logs.stdout.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            let entry = try #require(json(String(line)) as? [String: Any], "\(line)")
            #expect(entry["jobID"] as? String == id && entry["message"] is String)
        }
        // Cancelled (nothing drives it yet), resumed to its end, then logs --follow --json ends with the job.
        let cancelled = try vizor.run(["install", "cancel", id, "--json"])
        #expect(cancelled.status == 0, "\(cancelled.stderr)")
        #expect((json(cancelled.stdout) as? [String: Any])?["cancelRequested"] as? Bool == true)
        _ = try vizor.run(["install", "resume", id], timeout: 120)
        let followed = try vizor.run(["install", "logs", id, "--follow", "--json"], timeout: 60)
        #expect(followed.status == 0)
        #expect(followed.stdout.split(separator: "\n").allSatisfy { json(String($0)) is [String: Any] })
    }
}

/// The help of every command, read from ArgumentParser's own dump of the
/// command tree.
@Suite("CLI help")
struct CLIHelpTests {
    struct Command {
        var path: [String]
        var discussion: String
        var leaf: Bool
    }

    static func commands() throws -> [Command] {
        let result = try VizorProcess().run(["--experimental-dump-help"])
        let root = try #require((json(result.stdout) as? [String: Any])?["command"] as? [String: Any])
        var found: [Command] = []
        func walk(_ node: [String: Any], _ path: [String]) {
            let subcommands = node["subcommands"] as? [[String: Any]] ?? []
            found.append(Command(path: path, discussion: node["discussion"] as? String ?? "",
                                 leaf: subcommands.filter { $0["commandName"] as? String != "help" }.isEmpty))
            for sub in subcommands {
                guard let name = sub["commandName"] as? String, name != "help" else { continue }
                walk(sub, path + [name])
            }
        }
        walk(root, [])
        return found
    }

    @Test func everyCommandHasAnExampleAndProseWithoutHardLineBreaks() throws {
        let commands = try Self.commands()
        #expect(commands.filter(\.leaf).count >= 30)
        for command in commands where command.leaf {
            let name = (["vizor"] + command.path).joined(separator: " ")
            #expect(command.discussion.contains("Example"), "\(name) has no example")
            for paragraph in command.discussion.components(separatedBy: "\n\n") where !paragraph.hasPrefix("Example") {
                #expect(!paragraph.contains("\n"), "\(name): a hard line break in \"\(paragraph)\"")
            }
        }
    }

    @Test func helpLinesAreWrappedByTheParserNotByHand() throws {
        let help = try VizorProcess().run(["media", "serve", "--help"])
        let lines = help.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        // The prose of the overview fills its lines: only a paragraph's last line is short.
        let overview = lines.prefix { !$0.hasPrefix("USAGE") }.joined(separator: "\n")
        let paragraphs = overview.components(separatedBy: "\n\n").filter { !$0.hasPrefix("Example") }
        #expect(paragraphs.count >= 3)
        for paragraph in paragraphs {
            let prose = paragraph.split(separator: "\n")
            for (index, line) in prose.enumerated() where index + 1 < prose.count {
                guard let nextWord = prose[index + 1].split(separator: " ").first else { continue }
                #expect(line.count + 1 + nextWord.count > 80, "ragged line: \"\(line)\"")
            }
        }
    }

    @Test func everyCommandNamedInAMessageExists() throws {
        let paths = Set(try Self.commands().map { $0.path.joined(separator: " ") })
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources")
        let walker = try #require(FileManager.default.enumerator(atPath: sources.path))
        let pattern = try NSRegularExpression(pattern: "`vizor ((?:[a-z][a-z-]* ?)+)")
        var named = 0
        while let relative = walker.nextObject() as? String {
            guard relative.hasSuffix(".swift") else { continue }
            let text = try String(contentsOf: sources.appendingPathComponent(relative), encoding: .utf8)
            for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                guard let range = Range(match.range(at: 1), in: text) else { continue }
                let words = text[range].split(separator: " ").map(String.init)
                // The longest prefix of the words that is a command must be a leaf or a group the message means.
                let longest = (1...words.count).reversed().first { paths.contains(words.prefix($0).joined(separator: " ")) }
                #expect(longest != nil, "\(relative): `vizor \(words.joined(separator: " "))` names no command")
                named += 1
            }
        }
        #expect(named > 20)
    }
}
