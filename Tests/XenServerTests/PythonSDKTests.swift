import Foundation
import LabXAPI
import Testing

/// The official XenAPI Python SDK, unmodified, is the judge of the lab server.
@Suite(.timeLimit(.minutes(1))) struct PythonSDKTests {
    @Test func officialSDKDrivesTheLabThroughACompleteBuild() async throws {
        try await withLab { server in
            let script = try fixture("xenapi_sdk_drive.py")
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-xen-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            defer { try? FileManager.default.removeItem(at: dir) }
            let path = dir.appendingPathComponent("drive.py")
            try Data(script).write(to: path)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", path.path, server.endpoint.url]
            // Credentials through the environment, never on the command line.
            var env = ProcessInfo.processInfo.environment
            env["LAB_USER"] = server.endpoint.credentials["username"]
            env["LAB_PASSWORD"] = server.endpoint.credentials["password"]
            process.environment = env
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            let finished = try await within(.seconds(45), "python SDK script") {
                while process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
                return process.terminationStatus
            }
            if process.isRunning { process.terminate() }
            let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(finished == 0, "stderr: \(stderr)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any], "stdout: \(stdout)")
            #expect(report["power_event"] as? String == "Running")
            #expect((report["vm_count"] as? Int ?? 0) >= 8)
            let uuid = try #require(report["vm_uuid"] as? String)
            let mac = try #require(report["mac"] as? String)
            #expect(await server.lab.vmUUID(forMAC: mac) == uuid)
            #expect(await server.lab.powerState(vmUUID: uuid) == "Running")
            #expect(await server.lab.insertedCD(vmUUID: uuid) == "ipxe.iso")
            #expect(report["task_result_is_ref"] as? Bool == true)
            #expect(await server.lab.openSessions == 0)
        }
    }
}
