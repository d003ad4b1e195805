import BackendKit
import Foundation
import LabRazor
import Testing
import VizorRazor

@Suite struct NodeLogTests {
    @Test func theLogIsReadIncrementallyWhileEntriesAreAppended() async throws {
        try await withLab { lab in
            let client = makeClient(lab)
            let server = RazorProvisioningServer(client: client)
            let made = try await server.provision(samplePlan())
            let node = try #require(made.nodeName)
            var cursor = NodeLogCursor()
            var collected: [NodeLogEntry] = []
            // Nothing yet: one probe, nothing new.
            var read = try await server.readLog(node: node, after: cursor)
            #expect(read.entries.isEmpty && read.cursor.seen == 0)
            let writer = Task {
                _ = try await lab.simulateBoot(mac: "52:54:00:aa:bb:01")
                for step in LabWindowsInstallStep.sequence(postInstallSteps: ["guest tools", "language packs", "updates"]) {
                    try await lab.advanceWindowsInstall(node: node, step)
                    try await Task.sleep(for: .milliseconds(5))
                }
            }
            for _ in 0..<400 {
                read = try await server.readLog(node: node, after: cursor)
                collected += read.entries
                #expect(read.cursor.seen == cursor.seen + read.entries.count)
                cursor = read.cursor
                if collected.last?.fields["stage"] == "finished" { break }
                try await Task.sleep(for: .milliseconds(3))
            }
            try await writer.value
            read = try await server.readLog(node: node, after: cursor)
            collected += read.entries
            // Same entries, same order as the server holds them (newest first there).
            let wire = try await RawHTTP().get(lab.baseURL + "/api/collections/nodes/\(node)/log")
            let items = try #require(wire.object["items"] as? [[String: Any]])
            #expect(collected.count == items.count)
            let wireOrder = items.reversed().map { ($0["event"] as? String) ?? (($0["action"] != nil) ? "action" : "log") }
            #expect(collected.map(\.event) == wireOrder)
            // The Windows install in its real order.
            #expect(collected.map(\.event).prefix(5) == ["boot", "bind", "action", "boot", "get_raw_file"])
            #expect(collected[0].fields["task"] == "microkernel")
            #expect(collected[3].fields["template"] == "boot_wim")
            #expect(collected[3].fields["repo"] == "w2016-01")
            #expect(collected.contains { $0.event == "get_task_file" && $0.fields["template"] == "second-stage.ps1" })
            #expect(collected.contains { $0.event == "log" && $0.message == "exit_code=0" })
            let stages = collected.filter { $0.event == "stage_done" }.compactMap { $0.fields["stage"] }
            #expect(stages == ["stage_0_begins", "stage_0_ends", "stage_1_begins", "stage_1_ends",
                               "stage_2_begins", "stage_2_ends", "finished"])
            #expect(zip(collected, collected.dropFirst()).allSatisfy { $0.timestamp <= $1.timestamp })
            let detail = try #require(try await client.member("nodes", name: node))
            #expect(detail["state"]?["installed"] == "vizor-job-01")
        }
    }

    @Test func aCursorBeyondTheLogIsAConflictNotASilentStall() async throws {
        try await withLab { lab in
            let client = makeClient(lab)
            let node = try await client.registerNode(mac: "52:54:00:00:00:42")
            try await lab.appendLog(node: node, message: "one")
            let error = await backendError { _ = try await client.readLog(node: node, after: NodeLogCursor(seen: 5)) }
            #expect(error?.kind == .conflict)
            let fresh = try await client.readLog(node: node, after: NodeLogCursor())
            #expect(fresh.entries.map(\.message) == ["one"])
            #expect(fresh.entries.first?.event == "log")
            #expect(fresh.entries.first?.severity == "info")
        }
    }

    @Test func manyNewEntriesAreCountedWithoutReadingOldOnesAgain() async throws {
        try await withLab { lab in
            let client = makeClient(lab)
            let node = try await client.registerNode(mac: "52:54:00:00:00:43")
            for index in 0..<37 { try await lab.appendLog(node: node, message: "m\(index)") }
            var read = try await client.readLog(node: node, after: NodeLogCursor())
            #expect(read.entries.map(\.message) == (0..<37).map { "m\($0)" })
            for index in 37..<40 { try await lab.appendLog(node: node, message: "m\(index)", severity: "warn") }
            read = try await client.readLog(node: node, after: read.cursor)
            #expect(read.entries.map(\.message) == ["m37", "m38", "m39"])
            #expect(read.entries.allSatisfy { $0.severity == "warn" })
            #expect(read.cursor.seen == 40)
        }
    }
}
