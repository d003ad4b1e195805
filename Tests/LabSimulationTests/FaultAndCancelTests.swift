import BackendKit
import Foundation
import LabRazor
import Testing
import VizorLab

@Suite(.serialized)
struct FaultAndCancelTests {
    @Test func aStepThatFailsOnceSucceedsWhenTheVMIsRebooted() async throws {
        var options = LabSimulationOptions.fastest
        options.faults = LabGuestFaults(failingStep: LabGuestStepFailure(step: "regional-settings", mode: .once))
        try await withWorld(options) { world in
            let mac = "02:aa:bb:cc:02:01"
            let created = try await world.xen.createContainer(world.xenSpec("fail-once", mac: mac))
            let node = try await world.provision(mac: mac, job: "fail-once")
            try await world.xen.start(machineID: created.machineID)
            try await world.swapToToolsAfterFirstBoot(world.xen, machine: created.machineID, node: node)
            try await world.waitForStage(node, "regional-settings_failed")
            let failedLine = try #require(try await world.log(node).first { $0.message.hasPrefix("step regional-settings failed") })
            #expect(failedLine.severity == "error")
            // The guest sits at its desktop: running, nothing more.
            try await Task.sleep(for: .milliseconds(500))
            #expect(await world.xenView(created.machineID)?.powerState == "Running")
            #expect(try await world.stages(node).last == "regional-settings_failed")
            // Retry: a restart makes the runner run the failed step again at logon.
            try await world.xen.reboot(machineID: created.machineID)
            try await world.wait("power-off") { await world.xenView(created.machineID)?.powerState == "Halted" }
            #expect(try await world.stages(node) == ["finished", "guest-tools_begins", "guest-tools_ends", "regional-settings_begins",
                                                      "regional-settings_failed", "regional-settings_begins", "regional-settings_ends",
                                                      "seal_begins", "seal_ends", "postinstall_finished"])
        }
    }

    @Test func aStepThatAlwaysFailsFailsAgainAfterARestart() async throws {
        try await withWorld { world in
            let mac = "02:aa:bb:cc:02:02"
            await world.simulator.setFaults(LabGuestFaults(failingStep: LabGuestStepFailure(step: "custom-check", mode: .always)), forMAC: mac)
            let created = try await world.xen.createContainer(world.xenSpec("fail-always", mac: mac))
            let node = try await world.provision(mac: mac, job: "fail-always", steps: "custom-check,seal")
            try await world.xen.start(machineID: created.machineID)
            try await world.waitForStage(node, "custom-check_failed")
            try await world.xen.reboot(machineID: created.machineID)
            try await world.wait("second failure") { try await world.stages(node).filter { $0 == "custom-check_failed" }.count == 2 }
            try await Task.sleep(for: .milliseconds(300))
            #expect(await world.xenView(created.machineID)?.powerState == "Running")
            #expect(!(try await world.stages(node).contains("postinstall_finished")))
        }
    }

    @Test func theToolsStepFailsWhenTheToolsISOIsNotInTheDrive() async throws {
        try await withWorld { world in
            let mac = "02:aa:bb:cc:02:03"
            let created = try await world.xen.createContainer(world.xenSpec("no-tools-cd", mac: mac))
            let node = try await world.provision(mac: mac, job: "no-tools-cd")
            try await world.xen.start(machineID: created.machineID)
            try await world.waitForStage(node, "finished")
            try await world.xen.ejectCD(machineID: created.machineID)
            try await world.waitForStage(node, "guest-tools_failed")
            let line = try #require(try await world.log(node).first { $0.message.hasPrefix("step guest-tools failed") })
            #expect(line.message.contains("insert the guest tools ISO"))
            // Insert the ISO and restart: the step runs again and the install completes.
            try await world.xen.insertCD(machineID: created.machineID, iso: "guest-tools.iso")
            try await world.xen.reboot(machineID: created.machineID)
            try await world.wait("power-off") { await world.xenView(created.machineID)?.powerState == "Halted" }
            #expect(try await world.stages(node).last == "postinstall_finished")
        }
    }

    @Test func aHungGuestStaysRunningSilentlyUntilItIsStopped() async throws {
        var options = LabSimulationOptions.fastest
        options.faults = LabGuestFaults(hang: .setup)
        try await withWorld(options) { world in
            let created = try await world.cs.createContainer(world.csSpec("hung"))
            let node = try await world.provision(mac: created.mac, job: "hung")
            try await world.cs.start(machineID: created.machineID)
            try await world.wait("hang") { await world.simulator.status(forMAC: created.mac)?.activity == "hung" }
            let before = try await world.log(node).count
            try await Task.sleep(for: .seconds(1))
            #expect(try await world.log(node).count == before)
            #expect(await world.csView(created.machineID)?.state == "Running")
            #expect(!(try await world.stages(node).contains("finished")))
            try await world.cs.stop(machineID: created.machineID, force: true)
            try await world.wait("stopped") { await world.simulator.status(forMAC: created.mac)?.activity == "stopped" }
        }
    }

    @Test func aHangInsideAStepHoldsAfterItsBeginEvent() async throws {
        var options = LabSimulationOptions.fastest
        options.faults = LabGuestFaults(hang: .step("regional-settings"))
        try await withWorld(options) { world in
            let mac = "02:aa:bb:cc:02:05"
            let created = try await world.xen.createContainer(world.xenSpec("hung-step", mac: mac))
            let node = try await world.provision(mac: mac, job: "hung-step")
            try await world.xen.start(machineID: created.machineID)
            try await world.swapToToolsAfterFirstBoot(world.xen, machine: created.machineID, node: node)
            try await world.waitForStage(node, "regional-settings_begins")
            try await Task.sleep(for: .milliseconds(700))
            #expect(try await world.stages(node).last == "regional-settings_begins")
            #expect(await world.xenView(created.machineID)?.powerState == "Running")
        }
    }

    @Test func aHardStopEndsTheWalkAndDestroyForgetsTheGuest() async throws {
        try await withWorld { world in
            let mac = "02:aa:bb:cc:02:06"
            let created = try await world.xen.createContainer(world.xenSpec("cancel", mac: mac))
            let node = try await world.provision(mac: mac, job: "cancel")
            try await world.xen.start(machineID: created.machineID)
            try await world.wait("setup") { await world.simulator.status(forMAC: mac)?.activity == "setup" }
            try await world.xen.stop(machineID: created.machineID, force: true)
            let stopped = try await world.log(node).count
            try await Task.sleep(for: .seconds(1))
            #expect(try await world.log(node).count == stopped, "no events after the plug was pulled")
            #expect(await world.xenView(created.machineID)?.powerState == "Halted")
            #expect(await world.simulator.status(forMAC: mac)?.activity == "stopped")
            try await world.xen.destroy(machineID: created.machineID)
            try await world.wait("forgotten") { await world.simulator.status(forMAC: mac) == nil }
        }
    }

    @Test func aStopAndStartBeforeSetupEndsInstallsAgainFromWinPE() async throws {
        try await withWorld { world in
            let mac = "02:aa:bb:cc:02:07"
            let created = try await world.xen.createContainer(world.xenSpec("restart", mac: mac))
            let node = try await world.provision(mac: mac, job: "restart")
            try await world.xen.start(machineID: created.machineID)
            try await world.wait("setup") { await world.simulator.status(forMAC: mac)?.activity == "setup" }
            try await world.xen.stop(machineID: created.machineID, force: true)
            try await world.xen.start(machineID: created.machineID)
            try await world.swapToToolsAfterFirstBoot(world.xen, machine: created.machineID, node: node)
            try await world.wait("power-off") { await world.xenView(created.machineID)?.powerState == "Halted" }
            let boots = try await world.log(node).filter { $0.event == "boot" }.map { $0.fields["template"] ?? "" }
            #expect(boots == ["boot", "boot_wim", "boot_wim"])
            #expect(try await world.stages(node).filter { $0 == "finished" }.count == 1)
        }
    }
}

@Suite(.serialized)
struct PaceAndSetupTests {
    @Test func setupThatExitsNonZeroStopsInWinPEWithoutFinished() async throws {
        var options = LabSimulationOptions.fastest
        options.faults = LabGuestFaults(setupExitCode: 1603)
        try await withWorld(options) { world in
            let mac = "02:aa:bb:cc:03:01"
            let created = try await world.xen.createContainer(world.xenSpec("setup-fails", mac: mac))
            let node = try await world.provision(mac: mac, job: "setup-fails")
            try await world.xen.start(machineID: created.machineID)
            try await world.wait("setup failure") {
                try await world.log(node).contains { $0.message == "unexpected_exit_code:1603" && $0.severity == "error" }
            }
            try await Task.sleep(for: .milliseconds(400))
            #expect(try await world.stages(node).isEmpty)
            #expect(await world.xenView(created.machineID)?.powerState == "Running")
        }
    }

    @Test func theFastestPaceInstallsInAFewSecondsAndASlowerPaceTakesLonger() async throws {
        for (options, bound) in [(LabSimulationOptions.fastest, Duration.seconds(8)),
                                 (LabSimulationOptions(pace: .install(taking: .seconds(6)), pollInterval: .milliseconds(25)), .seconds(14))] {
            try await withWorld(options) { world in
                let created = try await world.cs.createContainer(world.csSpec("pace"))
                let node = try await world.provision(mac: created.mac, job: "pace")
                let clock = ContinuousClock()
                let started = clock.now
                try await world.cs.start(machineID: created.machineID)
                try await world.swapToToolsAfterFirstBoot(world.cs, machine: created.machineID, node: node)
                try await world.wait("power-off", timeout: bound) { await world.csView(created.machineID)?.state == "Stopped" }
                let took = clock.now - started
                print("lab install at \(options.pace.unit * LabSimulationPace.defaultInstallWeight) pace took \(took)")
                // The walk itself is the pace's whole weight; polling and the lab's job times come on top.
                #expect(took >= options.pace.unit * LabSimulationPace.defaultInstallWeight)
            }
        }
    }
}
