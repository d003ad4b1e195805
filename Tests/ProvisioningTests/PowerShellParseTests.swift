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

    /// The checker is not a rubber stamp: broken PowerShell fails it.
    @Test func brokenPowerShellIsDetected() throws {
        let (status, output) = try Self.check([("broken.ps1", "function Broken {\n  if ($x -eq 1 {\n    Write-Output 'x'\n")])
        #expect(status == 1)
        #expect(output.contains("FAIL"))
    }
}
