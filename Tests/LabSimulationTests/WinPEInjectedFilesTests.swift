import BackendKit
import Foundation
import Testing
import VizorLab

/// WinPE runs what wimboot injected, and stops where a real one would. The
/// files come from the job's own Razor task (templates served by `/svc/file`).
@Suite(.serialized)
struct WinPEInjectedFilesTests {
    /// Boots a task whose script loads wimboot, a boot.wim and `files` (name: text), and waits until the guest settles.
    func bootWinPE(_ world: LabWorld, mac: String, job: String, files: [(String, String)]) async throws -> LabGuestStatus {
        let svc = world.razorLab.baseURL + "/svc"
        var script = "#!ipxe\nkernel \(svc)/repo/wimboot || goto failed\ninitrd \(svc)/repo/wimboot boot.wim || goto failed\n"
        var definition = ["os": "Windows", "boot_seq.1": "vizor_boot", "boot_seq.default": "boot_local"]
        for (name, text) in files {
            script += "initrd <%= file_url(\"\(name)\") %> \(name) || goto failed\n"
            definition[name] = text
        }
        definition["vizor_boot"] = script + "boot || goto failed\n:failed\nsleep 60\nreboot\n"
        let created = try await world.xen.createContainer(world.xenSpec(job, mac: mac))
        _ = try await world.razor.provision(ProvisioningPlan(
            repoName: job, repoURL: "http://127.0.0.1:9/media/w2022", taskName: "vizor-\(job)", taskDefinition: definition,
            tagName: job, mac: mac, policyName: job, hostname: job, rootPassword: "s3cret-pass"))
        try await world.xen.start(machineID: created.machineID)
        let settled = Snapshot()
        try await world.wait("WinPE settled") {
            guard let status = await world.simulator.status(forMAC: mac), status.activity.hasPrefix("WinPE") && status.activity != "WinPE"
            else { return false }
            await settled.keep(status)
            return true
        }
        return try #require(await settled.status)
    }

    @Test func withoutAnInjectedShellFileWinPEStartsSetupsOwnShellAndWaits() async throws {
        try await withWorld { world in
            let status = try await bootWinPE(world, mac: "02:aa:bb:cc:05:01", job: "no-shell", files: [])
            #expect(status.activity.contains("no winpeshl.ini was injected"), "\(status.activity)")
            #expect(status.requests.isEmpty)
        }
    }

    @Test func aShellFileNamingAScriptThatWasNotInjectedLeavesACommandPrompt() async throws {
        let shell = "[LaunchApps]\r\n%SYSTEMROOT%\\System32\\wpeinit.exe\r\n%SYSTEMROOT%\\System32\\cmd.exe, /k %SYSTEMROOT%\\System32\\start.cmd\r\n"
        try await withWorld { world in
            let status = try await bootWinPE(world, mac: "02:aa:bb:cc:05:02", job: "no-script", files: [("winpeshl.ini", shell)])
            #expect(status.activity == #"WinPE stopped: cmd.exe cannot find X:\Windows\System32\start.cmd: no such file was injected; WinPE sits at a command prompt"#)
        }
    }

    @Test func aStartUpScriptTheLabCannotReadStopsWinPEAtThatLineWithoutFetchingAnything() async throws {
        let shell = "[LaunchApps]\r\n%SYSTEMROOT%\\System32\\cmd.exe, /k %SYSTEMROOT%\\System32\\start.cmd\r\n"
        let script = "@echo off\r\nsetlocal EnableExtensions EnableDelayedExpansion\r\ncurl.exe http://192.0.2.1/x.cmd -o X:\\x.cmd\r\n"
        try await withWorld { world in
            let status = try await bootWinPE(world, mac: "02:aa:bb:cc:05:03", job: "odd-script",
                                             files: [("winpeshl.ini", shell), ("start.cmd", script)])
            #expect(status.activity.contains("line 3 has a shape the lab's WinPE does not know: curl.exe http://192.0.2.1/x.cmd"),
                    "\(status.activity)")
            #expect(status.requests.isEmpty)
        }
    }
}
