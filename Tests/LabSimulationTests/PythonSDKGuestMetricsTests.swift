import Foundation
import LabXAPI
import Testing
import VizorLab

/// The official XenAPI Python SDK judges what the simulated guest agent left
/// on the pool: the VM's guest metrics with the PV drivers version, read over
/// the wire, and the `vm_guest_metrics` class in `event.from`.
struct PythonSDKGuestMetricsTests {
    static let script = #"""
    import json, os, sys
    import XenAPI
    session = XenAPI.Session(sys.argv[1])
    session.xenapi.login_with_password(os.environ["LAB_USER"], os.environ["LAB_PASSWORD"], "1.0", "vizor-test")
    try:
        vm = session.xenapi.VM.get_by_uuid(sys.argv[2])
        record = session.xenapi.VM.get_record(vm)
        gm = record["guest_metrics"]
        metrics = session.xenapi.VM_guest_metrics.get_record(gm)
        events = session.xenapi.event_from(["vm_guest_metrics"], "", 1.0)
        refs = [e["ref"] for e in events["events"] if e["class"] == "vm_guest_metrics"]
        print(json.dumps({"power_state": record["power_state"], "drivers": metrics["PV_drivers_version"],
                          "detected": metrics["PV_drivers_detected"], "os": metrics["os_version"].get("name", ""),
                          "ip": metrics["networks"].get("0/ip", ""), "in_events": gm in refs}))
    finally:
        session.xenapi.session.logout()
    """#

    @Test func theXenAPIPythonSDKSeesThePVDriversVersionAfterTheToolsStep() async throws {
        var options = LabSimulationOptions.fastest
        // Hold the guest running after the tools step so its metrics stay.
        options.faults = LabGuestFaults(hang: .step("regional-settings"))
        try await withWorld(options) { world in
            let mac = "02:aa:bb:cc:04:01"
            let created = try await world.xen.createContainer(world.xenSpec("sdk-metrics", mac: mac))
            let node = try await world.provision(mac: mac, job: "sdk-metrics")
            try await world.xen.start(machineID: created.machineID)
            try await world.swapToToolsAfterFirstBoot(world.xen, machine: created.machineID, node: node)
            try await world.waitForStage(node, "regional-settings_begins")
            try await world.wait("guest metrics") { await world.xenView(created.machineID)?.pvDriversVersion != nil }
            let server = try #require(world.suite.servers.lazy.compactMap { $0 as? XAPILabServer }.first)

            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-labsim-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            defer { try? FileManager.default.removeItem(at: dir) }
            let path = dir.appendingPathComponent("metrics.py")
            try Data(Self.script.utf8).write(to: path)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", path.path, server.endpoint.url, created.machineID]
            var env = ProcessInfo.processInfo.environment
            env["LAB_USER"] = server.endpoint.credentials["username"]
            env["LAB_PASSWORD"] = server.endpoint.credentials["password"]
            process.environment = env
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            let deadline = ContinuousClock.now + .seconds(30)
            while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            if process.isRunning { process.terminate() }
            let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(process.terminationStatus == 0, "stderr: \(stderr)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any], "stdout: \(stdout)")
            #expect(report["power_state"] as? String == "Running")
            #expect(report["drivers"] as? [String: String] == ["major": "9", "minor": "3", "micro": "3", "build": "12"])
            #expect(report["detected"] as? Bool == true)
            #expect((report["os"] as? String)?.hasPrefix("Microsoft Windows Server 2022 Standard|C:\\Windows") == true)
            #expect((report["ip"] as? String)?.hasPrefix("10.0.0.") == true)
            #expect(report["in_events"] as? Bool == true)
        }
    }
}
