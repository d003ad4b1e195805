import Foundation
import Logging
import Testing
@testable import VizorModel

@Suite("log file rotation")
struct LogRotationTests {
    let directory: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-log-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    private func log(_ handler: FileLogHandler, _ message: String) {
        handler.log(event: LogEvent(level: .info, message: "\(message)", metadata: nil, source: "test",
                                    file: #fileID, function: #function, line: #line))
    }

    private func contents(_ name: String) -> String? {
        try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    /// Every message in the log files, oldest file first.
    private func messages(keptFiles: Int = 3) -> [String] {
        (stride(from: keptFiles, through: 1, by: -1).map { "vizor.log.\($0)" } + ["vizor.log"]).compactMap(contents).flatMap { text in
            text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { line in
                line.range(of: " test: ").map { String(line[$0.upperBound...]) } ?? "malformed: \(line)"
            }
        }
    }

    @Test func aFullLogMovesAsideAndOnlyThreeOldFilesAreKept() throws {
        let sink = LogSink(directory: directory, redactor: Redactor(), maximumBytes: 1_000)
        let handler = FileLogHandler(label: "test", sink: sink)
        for index in 0..<200 { log(handler, String(format: "line %04d", index)) }

        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { !$0.hasSuffix(".lock") }
        #expect(Set(names) == ["vizor.log", "vizor.log.1", "vizor.log.2", "vizor.log.3"])
        for name in names {
            let size = try #require(try FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent(name).path)[.size] as? Int)
            #expect(size <= 1_000, "\(name) holds \(size) bytes")
            let mode = (try FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent(name).path)[.posixPermissions] as? NSNumber)?.intValue
            #expect(mode == 0o600, "\(name)")
        }
        // What is kept is the newest lines, whole and in order, up to the last one written.
        let kept = messages()
        #expect(kept.last == "line 0199")
        #expect(!kept.contains("line 0000"), "the oldest file was dropped")
        let first = try #require(kept.first.flatMap { Int($0.dropFirst(5)) })
        #expect(kept == (first..<200).map { String(format: "line %04d", $0) })
    }

    @Test func processesAppendingAndRotatingTogetherLoseAndSplitNoLine() throws {
        // Four sinks on one directory hold their own descriptors and take the
        // rotation lock through their own open files, as four vizor processes
        // do. A small cap makes them rotate often; enough old files are kept
        // that none is dropped.
        let sinks = (0..<4).map { _ in LogSink(directory: directory, redactor: Redactor(), maximumBytes: 1_024, keptFiles: 60) }
        let padding = String(repeating: "x", count: 40)
        DispatchQueue.concurrentPerform(iterations: 4) { writer in
            let handler = FileLogHandler(label: "test", sink: sinks[writer])
            for index in 0..<100 { log(handler, "writer\(writer) \(String(format: "%03d", index)) \(padding)") }
        }
        let kept = messages(keptFiles: 60)
        #expect(contents("vizor.log.25") != nil, "the writers rotated the file again and again")
        #expect(contents("vizor.log.60") == nil, "no file was dropped")
        // One rotation per full file: had two writers rotated the same full
        // file, the second would have moved aside a nearly empty one.
        for index in 1..<60 {
            guard let text = contents("vizor.log.\(index)") else { continue }
            #expect(text.utf8.count > 1_024 - 200, "vizor.log.\(index) was rotated holding \(text.utf8.count) bytes")
        }
        for writer in 0..<4 {
            let mine = kept.filter { $0.hasPrefix("writer\(writer) ") }
            #expect(mine == (0..<100).map { "writer\(writer) \(String(format: "%03d", $0)) \(padding)" },
                    "every line of writer \(writer) once, whole and in order")
        }
        #expect(kept.count == 400, "\(kept.filter { !$0.hasPrefix("writer") })")
    }

    @Test func aProcessFollowsARotationAnotherProcessMade() throws {
        let rotating = LogSink(directory: directory, redactor: Redactor(), maximumBytes: 300)
        let idle = LogSink(directory: directory, redactor: Redactor(), maximumBytes: 300)
        log(FileLogHandler(label: "test", sink: idle), "before")
        let handler = FileLogHandler(label: "test", sink: rotating)
        for index in 0..<6 { log(handler, "filler \(index) \(String(repeating: "y", count: 30))") }
        #expect(contents("vizor.log.1") != nil)
        log(FileLogHandler(label: "test", sink: idle), "after")
        #expect(contents("vizor.log")?.contains(" test: after\n") == true, "the new line goes to the new vizor.log")
        #expect(contents("vizor.log.1")?.contains("after") == false)
    }
}
