import Foundation
import LabRazor

/// One boot of one guest, from firmware to the next reboot or power-off.
/// Every wait is a cancellation point: a stop, a reboot from outside or a
/// destroyed VM ends the walk there.
extension LabGuestSimulator {
    func walk(_ key: String) async {
        do {
            try await runBoot(key)
        } catch {
            // Cancelled: the VM stopped, restarted or vanished.
        }
    }

    private func runBoot(_ key: String) async throws {
        guard let machine = tracked[key]?.machine else { return }
        try await pause(LabGuestPhaseWeight.firmware)
        switch bootDevice(machine, disk(key)) {
        case nil:
            setActivity(key, "no bootable device")
        case .disk:
            try await bootFromDisk(key)
        case .ipxe:
            setActivity(key, "iPXE")
            guard let mac = machine.macs.first else { return setActivity(key, "iPXE: no network interface") }
            let facts = ["virtual": machine.hypervisor == "xenserver" ? "xenhvm" : "kvm", "is_virtual": "true"]
            let outcome: LabRazorBoot
            do {
                outcome = try await razor.simulateBoot(mac: mac, facts: facts)
            } catch {
                return setActivity(key, "iPXE: \(error)")
            }
            try Task.checkCancellation()
            tracked[key]?.disk.node = outcome.nodeName
            switch outcome.template {
            case "boot":
                setActivity(key, "booting iPXE: microkernel, no policy matched")
            case "boot_local":
                if disk(key).bootable { try await bootFromDisk(key) } else { setActivity(key, "no operating system on disk") }
            default:
                guard outcome.customTemplate, options.winpe == .vizor else {
                    // Razor's stock windows task (or `--winpe razor-task`): Razor's own WinPE, then the steps from the node metadata.
                    return try await razorTaskInstall(key, node: outcome)
                }
                // A task of its own (Vizor's): iPXE loads wimboot and every file the script names, then WinPE runs them.
                guard let images = try await ipxeLoad(key, script: outcome.script) else {
                    guard LabIPXELoad.failureReboots(outcome.script) else { return }
                    try await pause(LabGuestPhaseWeight.failedBootRetry)
                    return try await restart(key)
                }
                // `boot`: the firmware must be able to start the kernel image (wimboot) iPXE loaded.
                let firmware: LabIPXEBoot.Firmware = machine.uefi ? .uefi(options.uefiWidth) : .bios
                if let kernel = images.first(where: { $0.command == "kernel" }),
                   let refusal = LabIPXEBoot.refusal(kernel.body, name: kernel.name, firmware: firmware) {
                    tracked[key]?.bootFailures.append(refusal)
                    setActivity(key, "iPXE: boot failed: \(refusal); waiting in the script's :failed branch")
                    guard LabIPXELoad.failureReboots(outcome.script) else { return }
                    try await pause(LabGuestPhaseWeight.failedBootRetry)
                    return try await restart(key)
                }
                try await vizorWinPE(key, node: outcome, images: images)
            }
        }
    }

    enum BootDevice { case disk, ipxe }

    /// The first device in the VM's boot order that can boot. Network (`n`)
    /// is not served in the lab: Vizor boots iPXE from a CD.
    func bootDevice(_ machine: LabGuestMachine, _ disk: LabGuestDisk) -> BootDevice? {
        for device in machine.bootOrder.lowercased() {
            if device == "c", disk.bootable { return .disk }
            if device == "d", machine.cdIsIPXE { return .ipxe }
        }
        return nil
    }

    // MARK: Razor's stock windows task

    /// Razor's own WinPE (its `second-stage.ps1` and `unattended.xml`), as
    /// Razor's node log shows it; Vizor renders none of it, so the lab plays
    /// it from Razor's hooks, and the post-install steps from the node metadata.
    private func razorTaskInstall(_ key: String, node: LabRazorBoot) async throws {
        let faults = currentFaults(key)
        var fresh = LabGuestDisk()
        fresh.phase = .blank
        fresh.node = node.nodeName
        fresh.steps = await postInstallSteps(node: node.nodeName)
        try Task.checkCancellation()
        tracked[key]?.disk = fresh
        setActivity(key, "WinPE")
        let name = node.nodeName
        try await pause(LabGuestPhaseWeight.winpe)
        try? await razor.advanceWindowsInstall(node: name, .winpe)
        if faults.hang == .winpe { try await hang(key) }
        try await pause(LabGuestPhaseWeight.shareMap)
        try? await razor.advanceWindowsInstall(node: name, .secondStage)
        setActivity(key, "setup")
        try await pause(LabGuestPhaseWeight.setup)
        if faults.hang == .setup { try await hang(key) }
        let code = faults.setupExitCode ?? 0
        try? await razor.advanceWindowsInstall(node: name, .setup(exitCode: code))
        guard code == 0 else { return setActivity(key, "setup failed with exit code \(code)") }
        await stage(name, "finished")
        try Task.checkCancellation()
        tracked[key]?.disk.phase = .setupApplied
        try await restart(key)
    }

    // MARK: Windows

    private func bootFromDisk(_ key: String) async throws {
        // Installed from Vizor's answer file: Windows runs what was rendered (LabGuestWindows.swift).
        if disk(key).windows != nil { return try await bootInstalledWindows(key) }
        switch disk(key).phase {
        case .setupApplied:
            setActivity(key, "Windows setup: specialize and OOBE")
            try await pause(LabGuestPhaseWeight.specialize)
            tracked[key]?.disk.phase = .windows
            try await restart(key)
        case .windows:
            setActivity(key, "Windows starting")
            if disk(key).toolsInstalled {
                try await pause(LabGuestPhaseWeight.agentReport)
                await reportAgent(key)
            }
            try await pause(LabGuestPhaseWeight.firstLogon)
            if disk(key).runnerEnded { return setActivity(key, "Windows idle") }
            try await runSteps(key)
        case .sealed:
            setActivity(key, "sealed: waiting at OOBE")
        case .foreign, .blank:
            setActivity(key, "no operating system on disk")
        }
    }

    /// The post-install steps named in the node metadata (Razor's stock task):
    /// each step not yet done, in order, with `<step>_begins` / `_ends` /
    /// `_failed` stage events and its output as log lines.
    private func runSteps(_ key: String) async throws {
        let steps = disk(key).steps
        for step in steps {
            let state = disk(key).stepStates[step] ?? .pending
            if state == .done { continue }
            guard let node = disk(key).node else { return }
            if state == .running {
                await log(node, "step \(step) was interrupted by a restart; running it again", severity: "warn")
            }
            try Task.checkCancellation()
            tracked[key]?.disk.stepStates[step] = .running
            tracked[key]?.disk.attempts[step, default: 0] += 1
            await stage(node, step + "_begins")
            try Task.checkCancellation()
            setActivity(key, "step \(step)")
            let seals = step == LabGuestStep.seal
            if seals {
                tracked[key]?.disk.stepStates[step] = .done
                await stage(node, step + "_ends")
                await stage(node, "postinstall_finished")
            }
            let faults = currentFaults(key)
            if faults.hang == .step(step) { try await hang(key) }
            try await pause(LabGuestPhaseWeight.step(step))
            if let failure = failure(key, step: step, faults: faults) {
                try Task.checkCancellation()
                tracked[key]?.disk.stepStates[step] = .failed
                await log(node, "step \(step) failed: \(failure)", severity: "error")
                await stage(node, step + "_failed")
                return setActivity(key, "idle: step \(step) failed")
            }
            for line in output(step, machine: tracked[key]?.machine) { await log(node, "\(step): \(line)") }
            try Task.checkCancellation()
            if seals {
                tracked[key]?.disk.phase = .sealed
                tracked[key]?.disk.runnerEnded = true
                setActivity(key, "sealed, powering off")
                if let machine = tracked[key]?.machine { await hypervisor(machine)?.guestPowerOff(id: machine.id) }
                return
            }
            tracked[key]?.disk.stepStates[step] = .done
            await stage(node, step + "_ends")
            try Task.checkCancellation()
            if step == LabGuestStep.guestTools { tracked[key]?.disk.toolsInstalled = true }
            if LabGuestStep.requestsRestart(step) {
                await log(node, "step \(step) needs a restart; the sequence resumes after logon")
                return try await restart(key)
            }
        }
        tracked[key]?.disk.runnerEnded = true
        setActivity(key, "post-install sequence ended")
    }

    /// Why this attempt of `step` fails, or nil when it succeeds.
    private func failure(_ key: String, step: String, faults: LabGuestFaults) -> String? {
        if step == LabGuestStep.guestTools, options.requireToolsMedia, tracked[key]?.machine.cdIsTools != true {
            return "no XenServer management agent MSI on any CD drive; insert the guest tools ISO and log on again"
        }
        guard let failing = faults.failingStep, failing.step == step else { return nil }
        let attempt = disk(key).attempts[step] ?? 1
        if failing.mode == .always || attempt == 1 {
            return "simulated failure switched on in the lab (attempt \(attempt))"
        }
        return nil
    }

    /// The lines a step prints, as the runner forwards them.
    private func output(_ step: String, machine: LabGuestMachine?) -> [String] {
        switch step {
        case LabGuestStep.guestTools:
            return ["msiexec.exe exited with code 3010"]
        case LabGuestStep.seal:
            return ["removing the Vizor files and powering off"]
        case "regional-settings":
            return ["applying l18n.xml", "control.exe exited with code 0"]
        case "language-packs":
            return ["dism.exe exited with code 3010"]
        default:
            if step.hasPrefix("windows-update") { return ["3 updates installed", "result code 2, restart required True"] }
            return ["done"]
        }
    }

    // MARK: Helpers

    private func postInstallSteps(node: String) async -> [String] {
        guard let json = await razor.nodeJSON(node),
              let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let metadata = object["metadata"] as? [String: Any] else { return options.postInstallSteps }
        let value = metadata[Self.stepsMetadataKey]
        let names: [String]
        if let text = value as? String {
            names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        } else if let list = value as? [String] {
            names = list
        } else {
            return options.postInstallSteps
        }
        return names
    }

    func reportAgent(_ key: String) async {
        guard let machine = tracked[key]?.machine, let hypervisor = hypervisor(machine) else { return }
        let last = machine.macs.first.flatMap { $0.split(separator: ":").last }.flatMap { UInt8($0, radix: 16) } ?? 0
        await hypervisor.agentReport(id: machine.id, osName: options.osName, tools: options.toolsVersion,
                                     ip: "10.0.0.\(Int(last) % 250 + 2)")
    }

    /// The guest restarts itself; the watcher sees the new boot and starts the next walk.
    func restart(_ key: String) async throws {
        try Task.checkCancellation()
        setActivity(key, "restarting")
        guard let machine = tracked[key]?.machine else { return }
        await hypervisor(machine)?.guestReboot(id: machine.id)
    }

    /// Stops producing anything, running, until the walk is cancelled.
    func hang(_ key: String) async throws {
        setActivity(key, "hung")
        while true { try await Task.sleep(for: .seconds(3600)) }
    }

    func pause(_ units: Int) async throws {
        try await Task.sleep(for: options.pace.unit * units)
    }

    private func stage(_ node: String, _ name: String) async {
        try? await razor.simulateStageDone(node: node, name: name)
    }

    private func log(_ node: String, _ message: String, severity: String = "info") async {
        try? await razor.appendLog(node: node, message: message, severity: severity)
    }

    func hypervisor(_ machine: LabGuestMachine) -> (any LabGuestHypervisor)? {
        hypervisors.first { $0.name == machine.hypervisor }
    }

    func disk(_ key: String) -> LabGuestDisk { tracked[key]?.disk ?? LabGuestDisk() }

    func currentFaults(_ key: String) -> LabGuestFaults {
        tracked[key].map { faults(for: $0.machine) } ?? defaultFaults
    }

    /// A cancelled walk no longer speaks for the VM: the watcher has said what happened.
    func setActivity(_ key: String, _ activity: String) {
        guard !Task.isCancelled else { return }
        tracked[key]?.activity = activity
    }
}
