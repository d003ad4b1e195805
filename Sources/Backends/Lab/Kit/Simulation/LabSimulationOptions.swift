import Foundation

/// How fast simulated guests live: every phase of an install has a weight,
/// and one weight unit lasts `unit`. A default install plan (WinPE, setup,
/// guest tools, regional settings, seal) weighs `LabSimulationPace.defaultInstallWeight`.
public struct LabSimulationPace: Sendable, Equatable {
    public var unit: Duration

    public init(unit: Duration) { self.unit = unit }

    /// A pace at which the default install plan takes about `duration`.
    public static func install(taking duration: Duration) -> LabSimulationPace {
        LabSimulationPace(unit: duration / defaultInstallWeight)
    }

    /// About a minute per install: slow enough to watch on the dashboard.
    public static let standard = install(taking: .seconds(60))
    /// A few seconds per install, for tests and benchmarks.
    public static let fastest = install(taking: .seconds(3))

    /// Weight of the default plan's walk (see `LabGuestPhaseWeight`).
    public static let defaultInstallWeight = 43
}

/// Weights of each phase of a simulated Windows install, in pace units.
enum LabGuestPhaseWeight {
    static let firmware = 1        // BIOS, iPXE DHCP, chain to /svc/boot
    static let winpe = 3           // wimboot loads boot.wim, WinPE starts
    static let shareMap = 1        // net use of the install share
    static let setup = 14          // setup.exe applies the image
    static let specialize = 6      // first boot from disk: specialize, OOBE, a reboot
    static let firstLogon = 2      // auto-logon, the runner starts
    static let agentReport = 1     // guest agent reports after a boot
    static let failedBootRetry = 4 // a Vizor script's `:failed` branch: `sleep 60`, then `reboot`
    static func step(_ name: String) -> Int {
        if name == LabGuestStep.guestTools { return 5 }
        if name == LabGuestStep.seal { return 2 }
        if name.hasPrefix("windows-update") { return 8 }
        if name == "language-packs" { return 5 }
        return 3
    }
}

/// Names of the post-install steps the simulation gives meaning to (the names
/// of Vizor's built-in steps).
public enum LabGuestStep {
    public static let guestTools = "guest-tools"
    public static let seal = "seal"
    /// Steps after which the runner restarts the machine.
    static func requestsRestart(_ name: String) -> Bool {
        name == guestTools || name == "language-packs" || name.hasPrefix("windows-update")
    }
}

/// Where a hung guest stops producing anything (it stays running).
public enum LabGuestHangPoint: Sendable, Equatable, Hashable {
    /// WinPE started and never reaches setup.
    case winpe
    /// setup.exe never returns.
    case setup
    /// Inside a post-install step, after its `<step>_begins`.
    case step(String)

    /// `winpe`, `setup` or `step:<name>`, as `vizor lab serve --hang-at` takes it.
    public init?(parsing text: String) {
        switch text {
        case "winpe": self = .winpe
        case "setup": self = .setup
        default:
            guard text.hasPrefix("step:"), text.count > 5 else { return nil }
            self = .step(String(text.dropFirst(5)))
        }
    }
}

/// A post-install step that fails. For a step that runs sysprep, sysprep
/// itself fails (it leaves no `Sysprep_succeeded.tag`).
public struct LabGuestStepFailure: Sendable, Equatable {
    public enum Mode: String, Sendable, Equatable, CaseIterable {
        /// The first attempt fails; the retry (after a restart) succeeds.
        case once
        /// Every attempt fails.
        case always
    }
    public var step: String
    public var mode: Mode

    public init(step: String, mode: Mode) {
        self.step = step
        self.mode = mode
    }
}

/// Faults a guest can be given, to exercise an orchestrator's retry and cancel.
public struct LabGuestFaults: Sendable, Equatable {
    public var failingStep: LabGuestStepFailure?
    public var hang: LabGuestHangPoint?
    /// setup.exe exits with this code instead of 0 (WinPE logs `unexpected_exit_code_N`).
    public var setupExitCode: Int?
    /// The network comes up late: this many of the first HTTP requests
    /// Windows makes after its first logon get no answer before their deadline.
    public var unansweredRequestsAfterFirstLogon: Int

    public init(failingStep: LabGuestStepFailure? = nil, hang: LabGuestHangPoint? = nil, setupExitCode: Int? = nil,
                unansweredRequestsAfterFirstLogon: Int = 0) {
        self.failingStep = failingStep
        self.hang = hang
        self.setupExitCode = setupExitCode
        self.unansweredRequestsAfterFirstLogon = unansweredRequestsAfterFirstLogon
    }

    public static let none = LabGuestFaults()
}

/// Which WinPE a guest runs once iPXE has booted a Windows task
/// (`vizor lab serve --winpe`).
public enum LabGuestWinPEDialect: String, Sendable, Equatable, CaseIterable {
    /// The WinPE its boot serves, as a real machine would: for a task of
    /// Vizor's own, iPXE loads the files Vizor's script names and WinPE runs the
    /// rendered `winpeshl.ini` and start-up (`/svc/log` lines
    /// `winpe_started_node_<id>`, `net_use_try_1_exit_code_0`, `start_installer`,
    /// `setup_exit_code_<n>`); for Razor's stock windows task, Razor's WinPE.
    case vizor
    /// Razor's stock windows task's WinPE for every Windows install, Vizor's own
    /// task included: `get_raw_file wimboot`, `get_task_file` `second-stage.ps1`
    /// and `unattended.xml`, `map_network_share`, `start_installer`,
    /// `exit_code=<n>`, then the post-install steps from the node metadata. The
    /// files Vizor rendered are not read, so nothing they say is checked.
    case razorTask = "razor-task"
}

/// The machine width of a VM's UEFI firmware. iPXE built for it runs EFI
/// images of that width only: a 32-bit (IA32) UEFI, which 32-bit Windows
/// needs to boot under UEFI, cannot start an x86_64 EFI application.
public enum LabGuestUEFIWidth: String, Sendable, Equatable, CaseIterable {
    case x64
    case ia32
}

/// Everything the simulator is told at start.
public struct LabSimulationOptions: Sendable, Equatable {
    public var pace: LabSimulationPace
    /// How often the hypervisors are looked at for VMs that started, rebooted, stopped or vanished.
    public var pollInterval: Duration
    /// The post-install steps a guest runs when its Razor node metadata does
    /// not name them (metadata key `LabGuestSimulator.stepsMetadataKey`).
    public var postInstallSteps: [String]
    /// The guest-tools step fails, as the real one does, when no tools ISO is in the CD drive.
    public var requireToolsMedia: Bool
    /// Faults every guest gets unless `LabGuestSimulator.setFaults(_:forMAC:)` says otherwise.
    public var faults: LabGuestFaults
    /// What the XenServer guest agent reports once the tools are installed.
    public var toolsVersion: LabGuestToolsVersion
    public var osName: String
    /// WinPE has `curl.exe` in `System32` (WinPE 10 1803 and later) even when none is injected.
    public var winpeHasCurl: Bool
    /// The Samba server behind the shares WinPE maps, when a test runs one;
    /// nil: the lab has no SMB server and a share maps as one that is there would.
    public var samba: LabGuestSamba?
    /// Which WinPE the guests run (see `LabGuestWinPEDialect`).
    public var winpe: LabGuestWinPEDialect
    /// The width of the UEFI firmware of the VMs that boot UEFI (XenServer
    /// `HVM_boot_params.firmware`, CloudStack `boottype`); BIOS VMs ignore it.
    public var uefiWidth: LabGuestUEFIWidth = .x64

    public init(pace: LabSimulationPace = .standard, pollInterval: Duration = .milliseconds(100),
                postInstallSteps: [String] = [LabGuestStep.guestTools, "regional-settings", LabGuestStep.seal],
                requireToolsMedia: Bool = true, faults: LabGuestFaults = .none,
                toolsVersion: LabGuestToolsVersion = LabGuestToolsVersion(),
                osName: String = "Microsoft Windows Server 2022 Standard", winpeHasCurl: Bool = true,
                winpe: LabGuestWinPEDialect = .vizor) {
        self.pace = pace
        self.pollInterval = pollInterval
        self.postInstallSteps = postInstallSteps
        self.requireToolsMedia = requireToolsMedia
        self.faults = faults
        self.toolsVersion = toolsVersion
        self.osName = osName
        self.winpeHasCurl = winpeHasCurl
        self.samba = nil
        self.winpe = winpe
    }

    /// Fastest pace, quick polling: for tests.
    public static var fastest: LabSimulationOptions {
        LabSimulationOptions(pace: .fastest, pollInterval: .milliseconds(25))
    }
}

/// XenServer VM Tools version as `VM_guest_metrics.PV_drivers_version` carries it.
public struct LabGuestToolsVersion: Sendable, Equatable {
    public var major: Int, minor: Int, micro: Int, build: Int

    public init(major: Int = 9, minor: Int = 3, micro: Int = 3, build: Int = 12) {
        self.major = major
        self.minor = minor
        self.micro = micro
        self.build = build
    }

    var fields: [String: String] {
        ["major": String(major), "minor": String(minor), "micro": String(micro), "build": String(build)]
    }
}

/// A Samba server WinPE's `net use` is checked against: `smbclient` connects
/// to the share the start-up names, with the user and password written there
/// (the password in smbclient's environment, never in its arguments), or
/// anonymously when none is written.
public struct LabGuestSamba: Sendable, Equatable {
    /// Where smbd listens; the share's name comes from the UNC path.
    public var host: String
    public var port: Int
    public var smbclient: String

    public init(host: String = "127.0.0.1", port: Int, smbclient: String = "/usr/bin/smbclient") {
        self.host = host
        self.port = port
        self.smbclient = smbclient
    }
}
