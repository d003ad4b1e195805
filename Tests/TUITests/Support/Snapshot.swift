import Foundation
import Testing
import VizorTUI

/// Compares a rendered grid with `Snapshots/<name>.txt` next to the tests.
/// A missing file, or VIZOR_RECORD_SNAPSHOTS=1, writes the file and fails the
/// test so that recording is never silent.
func assertSnapshot(_ grid: CellGrid, named name: String, filePath: String = #filePath, sourceLocation: SourceLocation = #_sourceLocation) {
    let directory = URL(fileURLWithPath: filePath).deletingLastPathComponent()
        .appendingPathComponent("Snapshots")
    let file = directory.appendingPathComponent("\(name).txt")
    // A frame line so trailing blank rows and the size are part of the snapshot.
    let actual = "size \(grid.size)\n" + (0..<grid.height).map { grid.line($0) + "|" }.joined(separator: "\n") + "\n"
    let record = ProcessInfo.processInfo.environment["VIZOR_RECORD_SNAPSHOTS"] == "1"
    guard !record, let expected = try? String(contentsOf: file, encoding: .utf8) else {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try actual.write(to: file, atomically: true, encoding: .utf8)
        } catch {
            Issue.record("cannot write \(file.path): \(error)", sourceLocation: sourceLocation)
        }
        Issue.record("recorded snapshot \(name).txt; re-run without VIZOR_RECORD_SNAPSHOTS to compare", sourceLocation: sourceLocation)
        return
    }
    if expected != actual {
        let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
        var diff: [String] = []
        for i in 0..<max(e.count, a.count) {
            let l = i < e.count ? String(e[i]) : "<none>", r = i < a.count ? String(a[i]) : "<none>"
            if l != r { diff.append("line \(i): expected \(l)\n        actual   \(r)") }
        }
        let summary = diff.prefix(12).joined(separator: "\n")
        Issue.record("snapshot \(name).txt differs:\n\(summary)", sourceLocation: sourceLocation)
    }
}
