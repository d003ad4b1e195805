import BackendKit
import Foundation
import LabRazor
import Testing
import VizorLab

@Suite(.serialized)
struct InstallWalkTests {
    static let expectedStages = ["finished", "guest-tools_begins", "guest-tools_ends", "regional-settings_begins",
                                 "regional-settings_ends", "seal_begins", "seal_ends", "postinstall_finished"]

    @Test func xenServerInstallWalksRazorEventsRebootsToolsAndPowersOff() async throws {
        try await withWorld { world in
            let mac = "02:aa:bb:cc:00:01"
            let created = try await world.xen.createContainer(world.xenSpec("xen-walk", mac: mac))
            let node = try await world.provision(mac: mac, job: "xen-walk")
            let recorder = PowerRecorder()
            await recorder.watchXen(world, uuid: created.machineID)
            try await world.xen.start(machineID: created.machineID)
            try await world.swapToToolsAfterFirstBoot(world.xen, machine: created.machineID, node: node)
            try await world.waitForStage(node, "guest-tools_begins")
            #expect(await world.xenView(created.machineID)?.pvDriversVersion == nil, "no guest agent before the tools are installed")
            try await world.wait("power-off") { await world.xenView(created.machineID)?.powerState == "Halted" }
            // The recorder samples on its own schedule: let it see the power-off too.
            try await world.wait("recorder saw power-off") { await recorder.transitions.last?.hasPrefix("Halted/") == true }
            await recorder.stop()

            #expect(try await world.stages(node) == Self.expectedStages)
            let log = try await world.log(node)
            let shape = log.map { entry in entry.event == "log" ? "log:" + entry.message : entry.event + ":" + (entry.fields["template"] ?? entry.fields["stage"] ?? "") }
            // iPXE to Razor: microkernel, check-in binds the policy, the task's boot template.
            #expect(Array(shape.prefix(4)) == ["boot:boot", "bind:", "action:", "boot:boot_wim"])
            // Razor's stock windows task: its own WinPE fetches wimboot and its templates from Razor and reports through /svc/log.
            let finished = try #require(shape.firstIndex(of: "stage_done:finished"))
            #expect(Array(shape[4..<finished]) == ["get_raw_file:wimboot", "get_task_file:second-stage.ps1",
                                                  "get_task_file:unattended.xml", "log:map_network_share: \\\\razor\\razor\\w2022-xen-walk mapped as i:",
                                                  "log:start_installer: i:\\setup.exe /unattend:unattended.xml /noreboot", "log:exit_code=0"])
            #expect(shape.contains("log:guest-tools: msiexec.exe exited with code 3010"))
            #expect(shape.contains("log:step guest-tools needs a restart; the sequence resumes after logon"))
            #expect(shape.last == "log:seal: removing the Vizor files and powering off")
            let bind = try #require(log.first { $0.event == "action" })
            #expect(bind.fields["policy"] == "vizor-xen-walk")

            // Power: started, three guest reboots (WinPE, specialize, tools) each a new domain, then halted by the guest.
            let transitions = await recorder.transitions
            let running = transitions.filter { $0.hasPrefix("Running/") }
            #expect(running.count == 4, "transitions: \(transitions)")
            #expect(transitions.last == "Halted/-1")
            #expect(Set(running).count == running.count)
            let tools = await recorder.toolsSeen
            #expect(tools == ["major": "9", "minor": "3", "micro": "3", "build": "12"])
            let status = try #require(await world.simulator.status(forMAC: mac))
            #expect(status.sealed && status.toolsInstalled && status.node == node)
        }
    }

    @Test func cloudStackInstallRebootsAndStopsAtTheEndWithRazorsStockWinPE() async throws {
        try await withWorld { world in
            let created = try await world.cs.createContainer(world.csSpec("cs-walk"))
            let node = try await world.provision(mac: created.mac, job: "cs-walk")
            let recorder = PowerRecorder()
            await recorder.watchCS(world, id: created.machineID)
            try await world.cs.start(machineID: created.machineID)
            try await world.swapToToolsAfterFirstBoot(world.cs, machine: created.machineID, node: node)
            try await world.wait("power-off") { await world.csView(created.machineID)?.state == "Stopped" }
            // The recorder samples on its own schedule: let it see the power-off too.
            try await world.wait("recorder saw power-off") { await recorder.transitions.last?.hasPrefix("Stopped/") == true }
            await recorder.stop()
            #expect(try await world.stages(node) == Self.expectedStages)
            let log = try await world.log(node)
            let fetches = log.filter { $0.event.hasPrefix("get_") }.map { $0.event + ":" + ($0.fields["template"] ?? "") }
            #expect(fetches == ["get_raw_file:wimboot", "get_task_file:second-stage.ps1", "get_task_file:unattended.xml"])
            let messages = log.filter { $0.event == "log" }.map(\.message)
            let start = try #require(messages.firstIndex { $0.hasPrefix("start_installer") })
            #expect(messages[start + 1] == "exit_code=0")
            let transitions = await recorder.transitions
            let boots = Set(transitions.filter { $0.hasPrefix("Running/") })
            #expect(boots.count == 4, "transitions: \(transitions)")
            #expect(transitions.last?.hasPrefix("Stopped/") == true)
            let machine = try #require(try await world.cs.listMachines().first { $0.id == created.machineID })
            #expect(machine.powerState == .halted)
        }
    }

    @Test func stepsComeFromTheNodeMetadataAndIPXEStillInTheDriveBootsLocal() async throws {
        try await withWorld { world in
            let created = try await world.cs.createContainer(world.csSpec("cs-meta"))
            let node = try await world.provision(mac: created.mac, job: "cs-meta", steps: "custom-prep,seal")
            try await world.cs.start(machineID: created.machineID)
            // The iPXE ISO stays in: every reboot chains to Razor, which answers boot_local once installed.
            try await world.wait("power-off", timeout: .seconds(30)) { await world.csView(created.machineID)?.state == "Stopped" }
            #expect(try await world.stages(node) == ["finished", "custom-prep_begins", "custom-prep_ends", "seal_begins", "seal_ends",
                                                      "postinstall_finished"])
            let boots = try await world.log(node).filter { $0.event == "boot" }.map { $0.fields["template"] ?? "" }
            #expect(boots == ["boot", "boot_wim", "boot_local", "boot_local"])
        }
    }

    @Test func aVMWithoutAMatchingPolicySitsInTheMicrokernel() async throws {
        try await withWorld { world in
            let mac = "02:aa:bb:cc:00:09"
            let created = try await world.xen.createContainer(world.xenSpec("no-policy", mac: mac))
            try await world.xen.start(machineID: created.machineID)
            try await world.wait("microkernel") {
                await world.simulator.status(forMAC: mac)?.activity.contains("microkernel") == true
            }
            try await Task.sleep(for: .milliseconds(600))
            #expect(await world.xenView(created.machineID)?.powerState == "Running")
            let nodes = await world.razorLab.inventory().nodes
            #expect(nodes.count == 1)
            let log = try await world.log(try #require(nodes.first))
            #expect(log.map(\.event) == ["boot"])
            #expect(log.first?.fields["template"] == "boot")
        }
    }

    @Test func severalVMsOnBothHypervisorsInstallAtOnce() async throws {
        try await withWorld { world in
            var jobs: [(any Hypervisor, String, String, Bool)] = []
            for index in 1...3 {
                let mac = String(format: "02:aa:bb:cc:01:%02x", index)
                let created = try await world.xen.createContainer(world.xenSpec("multi-x\(index)", mac: mac))
                jobs.append((world.xen, created.machineID, try await world.provision(mac: mac, job: "multi-x\(index)"), true))
            }
            for index in 1...2 {
                let created = try await world.cs.createContainer(world.csSpec("multi-c\(index)"))
                jobs.append((world.cs, created.machineID, try await world.provision(mac: created.mac, job: "multi-c\(index)"), false))
            }
            for (hypervisor, machine, _, _) in jobs { try await hypervisor.start(machineID: machine) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (hypervisor, machine, node, _) in jobs {
                    group.addTask { try await world.swapToToolsAfterFirstBoot(hypervisor, machine: machine, node: node) }
                }
                try await group.waitForAll()
            }
            for (_, machine, node, isXen) in jobs {
                try await world.wait("power-off of \(node)", timeout: .seconds(40)) {
                    isXen ? await world.xenView(machine)?.powerState == "Halted" : await world.csView(machine)?.state == "Stopped"
                }
                #expect(try await world.stages(node) == Self.expectedStages)
            }
            let statuses = await world.simulator.statuses().filter(\.sealed)
            #expect(statuses.count == 5)
        }
    }
}
