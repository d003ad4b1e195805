import Foundation
import LabCloudStack
import Testing

/// The `cs` Python client (PyPI, unmodified) is the independent judge of
/// the lab: it signs with its own code (v3 with `expires`), pages, and
/// polls async jobs with `fetch_result`. Secrets reach it through the
/// environment, never the command line.
@Suite struct PythonCsClientTests {
    static let script = #"""
import json, os, sys
from cs import CloudStack, CloudStackApiException

endpoint = os.environ["CS_ENDPOINT"]
key = os.environ["CS_KEY"]
secret = os.environ["CS_SECRET"]
out = {}
api = CloudStack(endpoint=endpoint, key=key, secret=secret, poll_interval=0.05, timeout=10, job_timeout=30)

zones = api.listZones(fetch_list=True)
out["zones"] = [z["name"] for z in zones]
offerings = api.listServiceOfferings()["serviceoffering"]
out["offerings"] = [o["name"] for o in offerings]
disk = [d for d in api.listDiskOfferings()["diskoffering"] if d["name"] == "Medium"][0]
iso = [i for i in api.listIsos(isofilter="executable", zoneid=zones[0]["id"])["iso"] if i["name"] == "ipxe.iso"][0]
medium = [o for o in offerings if o["name"] == "Medium Instance"][0]
result = api.deployVirtualMachine(zoneid=zones[0]["id"], serviceofferingid=medium["id"], templateid=iso["id"],
                                  hypervisor="KVM", diskofferingid=disk["id"], name="cs-client-vm",
                                  displayname="made by cs", startvm=False, fetch_result=True)
vm = result["virtualmachine"]
out["deployed"] = {"id": vm["id"], "state": vm["state"], "isoid": vm.get("isoid")}
listed = api.listVirtualMachines(fetch_list=True, name="cs-client")
out["listed"] = [{"id": v["id"], "mac": v["nic"][0]["macaddress"], "state": v["state"]} for v in listed]
empty = api.listVirtualMachines(name="no-such-vm")
out["empty"] = empty

out["xml"] = api.listZones(json=False)[:200]

bad = CloudStack(endpoint=endpoint, key=key, secret=secret + "x")
try:
    bad.listZones()
    out["wrong_secret"] = "accepted"
except CloudStackApiException as error:
    out["wrong_secret"] = {"status": error.response.status_code, "error": error.error}
print(json.dumps(out))
"""#

    @Test func csClientListsDeploysFromTheIPXEISOAndIsRefusedWithAWrongSecret() async throws {
        try await withLab { lab in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cs-client-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            defer { try? FileManager.default.removeItem(at: directory) }
            let scriptURL = directory.appendingPathComponent("drive_lab.py")
            try Self.script.write(to: scriptURL, atomically: true, encoding: .utf8)

            // Output goes to files in the private directory, and termination is awaited
            // without blocking a thread of the cooperative pool.
            let outURL = directory.appendingPathComponent("out.json"), errURL = directory.appendingPathComponent("err.txt")
            for url in [outURL, errURL] { try Data().write(to: url) }
            let outHandle = try FileHandle(forWritingTo: outURL), errHandle = try FileHandle(forWritingTo: errURL)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", scriptURL.path]
            var environment = ProcessInfo.processInfo.environment
            environment["CS_ENDPOINT"] = lab.endpoint.url
            environment["CS_KEY"] = lab.cloud.user.apiKey
            environment["CS_SECRET"] = lab.cloud.user.secretKey
            process.environment = environment
            process.standardOutput = outHandle
            process.standardError = errHandle
            let (ended, endedContinuation) = AsyncStream<Int32>.makeStream()
            process.terminationHandler = { finished in
                endedContinuation.yield(finished.terminationStatus)
                endedContinuation.finish()
            }
            try process.run()
            let watchdog = Task {
                try await Task.sleep(for: .seconds(60))
                if process.isRunning { process.terminate() }
            }
            var status: Int32 = -1
            for await value in ended { status = value }
            watchdog.cancel()
            try outHandle.close()
            try errHandle.close()
            let stdout = try Data(contentsOf: outURL)
            let stderr = try Data(contentsOf: errURL)
            #expect(status == 0, "\(String(decoding: stderr, as: UTF8.self))")

            let result = try #require(try JSONSerialization.jsonObject(with: stdout) as? [String: Any])
            #expect(result["zones"] as? [String] == ["lab-zone-1", "lab-zone-2"])
            #expect((result["offerings"] as? [String])?.contains("Medium Instance") == true)
            let deployed = try #require(result["deployed"] as? [String: Any])
            #expect(deployed["state"] as? String == "Stopped")
            #expect(deployed["isoid"] as? String == lab.cloud.ipxeISOID)
            let listed = try #require(result["listed"] as? [[String: Any]])
            #expect(listed.count == 1)
            let vmID = try #require(deployed["id"] as? String)
            let labVM = try #require(await lab.cloud.virtualMachine(id: vmID))
            #expect(listed.first?["mac"] as? String == labVM.macAddresses.first)
            #expect((result["empty"] as? [String: Any])?.isEmpty == true)
            let xml = try #require(result["xml"] as? String)
            #expect(xml.hasPrefix("<?xml"), "without response=json the server answers XML")
            #expect(xml.contains("<listzonesresponse") && xml.contains("<count>2</count>"))
            let refused = try #require(result["wrong_secret"] as? [String: Any])
            #expect(refused["status"] as? Int == 401)
            let body = try #require(refused["error"] as? [String: Any])
            #expect(body["errorcode"] as? Int == 401)
            #expect(body["errortext"] as? String == "unable to verify user credentials and/or request signature")
            #expect(body["cserrorcode"] == nil)
        }
    }
}
