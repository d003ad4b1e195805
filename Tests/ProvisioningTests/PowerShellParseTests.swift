import Foundation
import Testing
import VizorProvisioning

/// Every PowerShell file Vizor renders parses under tree-sitter-powershell,
/// an independent grammar, with no ERROR or MISSING node.
@Suite struct PowerShellParseTests {
    static let checker = """
        import sys
        import tree_sitter
        import tree_sitter_powershell
        parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))
        failed = 0
        for path in sys.argv[1:]:
            with open(path, 'rb') as source:
                tree = parser.parse(source.read())
            problems = []
            pending = [tree.root_node]
            while pending:
                node = pending.pop()
                if node.type == 'ERROR' or node.is_missing:
                    problems.append('%s at line %d' % ('MISSING ' + node.type if node.is_missing else 'ERROR', node.start_point[0] + 1))
                pending.extend(node.children)
            if tree.root_node.has_error or problems:
                failed += 1
                print('FAIL %s: %s' % (path, '; '.join(problems[:5]) or 'has_error'))
            else:
                print('OK %s' % path)
        sys.exit(1 if failed else 0)
        """

    /// Runs the checker on the files; returns exit status and output.
    static func check(_ files: [(String, String)]) throws -> (Int32, String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-ps-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var paths: [String] = []
        for (name, text) in files {
            let url = directory.appendingPathComponent(name)
            try Data(text.utf8).write(to: url)
            paths.append(url.path)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", checker] + paths
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    @Test(arguments: Fixtures.cases)
    func everyRenderedPowerShellFileParses(_ goldenCase: Fixtures.GoldenCase) throws {
        let files = try Fixtures.bundle(goldenCase).powerShellFiles
        #expect(files.count >= 3, "runner plus at least regional settings and seal")
        let (status, output) = try Self.check(files.map { ($0.name, $0.text) })
        #expect(status == 0, "\(output)")
        #expect(output.components(separatedBy: "OK ").count - 1 == files.count)
    }

    /// The FirstLogonCommands' `-Command` scripts parse too, and each command line stays under
    /// Setup's 1024 characters, node name included.
    @Test(arguments: Fixtures.cases)
    func theFirstLogonCommandScriptsParseAndFitSetupsLimit(_ goldenCase: Fixtures.GoldenCase) throws {
        var context = goldenCase.context
        context.node = "node12345"
        let answer = try #require(try ArtefactBundle.render(goldenCase.spec, context: context).artefacts["autounattend.xml"]).text
        let commands = answer.components(separatedBy: "<CommandLine>").dropFirst().compactMap { $0.components(separatedBy: "</CommandLine>").first }
            .map { $0.replacingOccurrences(of: "&apos;", with: "'").replacingOccurrences(of: "&quot;", with: "\"")
                .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&") }
        #expect(commands.count == 3)
        #expect(commands.allSatisfy { $0.count < 1024 }, "\(commands.map(\.count))")
        let scripts = commands.compactMap { $0.components(separatedBy: #" -Command ""#).dropFirst().first.map { String($0.dropLast()) } }
        #expect(scripts.count == 1)
        // One command downloads the runner with retries and a deadline per attempt; the next one starts it.
        for needle in ["for ($i = 1; $i -le 10; $i++)", "$q.Timeout = 30000", "$q.ReadWriteTimeout = 30000",
                       "Move-Item -Force -Path ($f + '.part') -Destination $f; exit 0", "Start-Sleep -Seconds (5 * $i)"] {
            #expect(scripts.first?.contains(needle) == true, "\(needle)")
        }
        #expect(commands.last?.hasSuffix(#" -File "C:\ProgramData\Vizor\vizor-runner.ps1""#) == true)
        let (status, output) = try Self.check(scripts.enumerated().map { ("command-\($0.offset).ps1", $0.element) })
        #expect(status == 0, "\(output)")
    }

    /// The checker is not a rubber stamp: broken PowerShell fails it.
    @Test func brokenPowerShellIsDetected() throws {
        let (status, output) = try Self.check([("broken.ps1", "function Broken {\n  if ($x -eq 1 {\n    Write-Output 'x'\n")])
        #expect(status == 1)
        #expect(output.contains("FAIL"))
    }
}
