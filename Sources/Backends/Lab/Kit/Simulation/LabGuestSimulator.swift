import Foundation
import LabCloudStack
import LabRazor
import LabXAPI

/// What one simulated guest is doing, for tests and for `vizor lab` status.
public struct LabGuestStatus: Sendable, Equatable {
    public var hypervisor: String
    public var vmID: String
    public var mac: String?
    /// The Razor node the guest booted as, once it has PXE-booted.
    public var node: String?
    /// A short description, e.g. `setup`, `step guest-tools`, `hung`, `sealed`.
    public var activity: String
    /// Boots seen since the simulator started watching this VM.
    public var boots: Int
    public var toolsInstalled: Bool
    public var sealed: Bool
    /// Images iPXE loaded from a Vizor script, `<status> <url>` (token hidden), oldest first.
    public var fetches: [String]
    /// Every HTTP request WinPE and Windows made, `<status> <client> <url>`
    /// (`error` when nothing answered; token hidden), oldest first.
    public var requests: [String]
    /// The image Setup installed, `<index> <name>`, once it has.
    public var installedImage: String?
    /// Why iPXE's `boot` failed, one line a failed boot, oldest first.
    public var bootFailures: [String] = []
}

/// The guests inside the lab's VMs. It watches the lab hypervisors; a VM that
/// starts with the iPXE ISO in its CD drive chains to the lab Razor (boot,
/// microkernel check-in, policy bind) and, when a policy matched, lives a
/// Windows install: WinPE, setup, the reboots, the post-install steps with
/// their `/svc/stage-done` events, guest metrics once the tools are in, and
/// the power-off at the end. It exists so installs can be driven and tested
/// end to end without a real hypervisor, at a pace the caller picks, with
/// faults (a failing step, a hung guest) switched on at will.
///
/// A guest booted by Vizor's own script runs what Vizor rendered, as a real
/// machine would and with nothing else: iPXE loads the files the script
/// names; WinPE runs the injected `winpeshl.ini` and start-up script, with
/// `curl.exe`'s requests to exactly the URLs written there; Setup takes the
/// edition, disk, key and locale from the answer file and stops where Setup
/// would; the first logon runs the FirstLogonCommands and the runner they
/// download, whose manifest, steps and restarts the guest follows as the
/// installed edition allows (see `LabGuestWinPE.swift`, `LabGuestWindows.swift`).
/// A guest booted by Razor's stock windows task runs Razor's own WinPE, and
/// then the post-install steps named in the node's metadata.
public actor LabGuestSimulator {
    /// Razor node metadata key naming the post-install steps, comma-separated
    /// (`guest-tools,regional-settings,seal`), for guests that boot Razor's
    /// stock windows task (whose WinPE Vizor does not render); without it the
    /// options' list is used. Guests booted by Vizor's script never read it.
    public static let stepsMetadataKey = "vizor_post_install_steps"

    let razor: LabRazorServer
    let hypervisors: [any LabGuestHypervisor]
    let options: LabSimulationOptions
    var defaultFaults: LabGuestFaults
    var faultsByMAC: [String: LabGuestFaults] = [:]
    var tracked: [String: LabGuestTracked] = [:]
    /// Sealed disks of machines that are gone (a VM that became a template),
    /// by disk id: a clone of that disk boots what was sealed on it.
    var sealedDisks: [String: LabGuestDisk] = [:]
    private var watcher: Task<Void, Never>?

    public init(razor: LabRazorServer, xenserver: XAPILab? = nil, cloudstack: LabCloudStack? = nil,
                options: LabSimulationOptions = LabSimulationOptions()) {
        self.razor = razor
        var list: [any LabGuestHypervisor] = []
        if let xenserver { list.append(LabXenServerGuests(lab: xenserver)) }
        if let cloudstack { list.append(LabCloudStackGuests(lab: cloudstack)) }
        hypervisors = list
        self.options = options
        defaultFaults = options.faults
    }

    /// Starts watching. VMs already running now are taken as booted before the
    /// simulator existed and are left alone until they boot again.
    public func start() {
        guard watcher == nil else { return }
        watcher = Task { await self.watch() }
    }

    /// Stops watching and ends every guest's walk.
    public func stop() async {
        watcher?.cancel()
        let walks = tracked.values.compactMap(\.walk)
        for walk in walks { walk.cancel() }
        await watcher?.value
        for walk in walks { await walk.value }
        watcher = nil
    }

    /// Faults for guests with this MAC (any case, `:` or `-`); a nil MAC sets
    /// the default every other guest gets. Takes effect at the guest's next phase.
    public func setFaults(_ faults: LabGuestFaults, forMAC mac: String? = nil) {
        if let mac { faultsByMAC[Self.normalized(mac)] = faults } else { defaultFaults = faults }
    }

    /// Every VM the simulator knows, sorted by hypervisor and id.
    public func statuses() -> [LabGuestStatus] {
        tracked.values.sorted { $0.machine.key < $1.machine.key }.map { entry in
            LabGuestStatus(hypervisor: entry.machine.hypervisor, vmID: entry.machine.id, mac: entry.machine.macs.first,
                           node: entry.disk.node, activity: entry.activity, boots: entry.boots,
                           toolsInstalled: entry.disk.toolsInstalled, sealed: entry.disk.phase == .sealed,
                           fetches: entry.fetches, requests: entry.requests,
                           installedImage: entry.disk.windows.map { "\($0.imageIndex) \($0.imageName)" },
                           bootFailures: entry.bootFailures)
        }
    }

    /// The status of the VM with this MAC, if the simulator has seen it.
    public func status(forMAC mac: String) -> LabGuestStatus? {
        let wanted = Self.normalized(mac)
        return statuses().first { $0.mac.map(Self.normalized) == wanted }
    }

    static func normalized(_ mac: String) -> String { mac.lowercased().replacingOccurrences(of: "-", with: ":") }

    func faults(for machine: LabGuestMachine) -> LabGuestFaults {
        for mac in machine.macs { if let faults = faultsByMAC[Self.normalized(mac)] { return faults } }
        return defaultFaults
    }

    // MARK: Watching

    private func watch() async {
        var initial = true
        while !Task.isCancelled {
            for hypervisor in hypervisors {
                let seen = await hypervisor.machines()
                observe(hypervisor.name, seen, initial: initial)
            }
            initial = false
            try? await Task.sleep(for: options.pollInterval)
        }
    }

    /// Turns what a hypervisor shows now into boots, stops and removals.
    func observe(_ hypervisor: String, _ seen: [LabGuestMachine], initial: Bool) {
        var present = Set<String>()
        for machine in seen {
            present.insert(machine.key)
            guard var entry = tracked[machine.key] else {
                tracked[machine.key] = LabGuestTracked(machine: machine)
                if machine.running && !initial { boot(machine.key) }
                continue
            }
            let before = entry.machine
            entry.machine = machine
            tracked[machine.key] = entry
            if !machine.running {
                if before.running { halted(machine.key) }
            } else if !before.running || machine.generation != before.generation {
                boot(machine.key)
            }
        }
        for key in tracked.keys where key.hasPrefix(hypervisor + "/") && !present.contains(key) {
            if let entry = tracked[key], entry.disk.phase == .sealed, let id = entry.machine.diskChain.first {
                sealedDisks[id] = entry.disk
            }
            tracked[key]?.walk?.cancel()
            tracked[key] = nil
        }
    }

    /// The VM (re)started: whatever the guest was doing ends, a new boot begins.
    private func boot(_ key: String) {
        tracked[key]?.walk?.cancel()
        // A disk cloned from a sealed one holds what was sealed on it.
        if let entry = tracked[key], entry.disk.phase == .foreign,
           let sealed = entry.machine.diskChain.dropFirst().lazy.compactMap({ self.sealedDisks[$0] }).first {
            var copy = sealed
            copy.node = nil
            tracked[key]?.disk = copy
        }
        tracked[key]?.boots += 1
        tracked[key]?.activity = "booting"
        tracked[key]?.walk = Task { await self.walk(key) }
    }

    /// The VM stopped (the guest powered off, or someone pulled the plug).
    private func halted(_ key: String) {
        tracked[key]?.walk?.cancel()
        tracked[key]?.walk = nil
        if tracked[key]?.disk.phase == .sealed {
            tracked[key]?.activity = "sealed, powered off"
        } else {
            tracked[key]?.activity = "stopped"
        }
    }
}

/// What the simulator keeps about one VM: its last view, its disk (which
/// survives reboots), and the walk of its current boot.
struct LabGuestTracked {
    var machine: LabGuestMachine
    var disk = LabGuestDisk()
    var walk: Task<Void, Never>?
    var activity = "off"
    var boots = 0
    var fetches: [String] = []
    var requests: [String] = []
    var bootFailures: [String] = []
}

/// The state a guest keeps on its disk across reboots.
struct LabGuestDisk {
    enum Phase: Equatable {
        /// Whatever was on the disk before the simulator saw it: nothing it boots.
        case foreign
        /// WinPE started an install: partitions wiped.
        case blank
        /// setup.exe finished; the next boot from disk runs specialize and OOBE.
        case setupApplied
        /// Windows is up; the post-install runner starts at every logon.
        case windows
        /// The seal step powered the machine off.
        case sealed
    }
    enum StepState: Equatable { case pending, running, done, failed }

    var phase = Phase.foreign
    var node: String?
    /// Razor's stock task: the steps from the node metadata and their states.
    var steps: [String] = []
    var stepStates: [String: StepState] = [:]
    var attempts: [String: Int] = [:]
    var toolsInstalled = false
    var runnerEnded = false

    /// Vizor's script: what Setup installed, from the answer file.
    var windows: LabInstalledWindows?
    /// Files on C:, by `LabScriptText.pathKey`.
    var files: [String: [UInt8]] = [:]
    /// What Windows starts at logon besides the FirstLogonCommands.
    var resumeHooks: [LabResumeHook] = []
    /// Winlogon's auto-logon: on, and logons left (`LogonCount`).
    var autoLogon = false
    var logonsLeft = 0
    var firstLogonDone = false
    /// HKLM\SOFTWARE\Policies\Microsoft\WindowsStore AutoDownload = 2.
    var storeAutoDownloadOff = false
    /// The Store updated a provisioned app for the logged-on user (KB2769827: sysprep /generalize fails then).
    var storeAppsUpdatedForUser = false
    var generalized = false
    /// HTTP requests after the first logon that still went unanswered (`unansweredRequestsAfterFirstLogon`).
    var unansweredSoFar = 0

    var bootable: Bool { phase == .setupApplied || phase == .windows || phase == .sealed }
}
