import Foundation
import LabRazor

/// WinPE and Setup as a machine booted by Vizor's iPXE script lives them:
/// wimboot injects the files the script loaded into `X:\Windows\System32`,
/// WinPE runs the injected `winpeshl.ini`, which runs the start-up script,
/// which asks Razor for the node id, maps the share, runs Setup with the
/// answer file and reports, each request with `curl.exe` to exactly the URL
/// the script writes. Where a real machine would stop (no shell file, a
/// script line it cannot run, Setup at a page or an error), the guest stops
/// there too, running, with its activity saying why.
extension LabGuestSimulator {
    /// Names wimboot uses to boot; every other loaded file is injected into `System32`.
    static let wimbootBootFiles: Set<String> = ["bootmgr", "bootmgr.exe", "bootmgr.efi", "bootx64.efi", "bootia32.efi",
                                                "bootaa64.efi", "bcd", "boot.sdi", "boot.wim"]

    func vizorWinPE(_ key: String, node: LabRazorBoot, images: [LabIPXEImage]) async throws {
        guard let kernel = images.first(where: { $0.command == "kernel" }), kernel.name.lowercased().hasPrefix("wimboot") else {
            return setActivity(key, "iPXE booted \(images.first?.name ?? "nothing"), which the lab does not run: it knows wimboot")
        }
        var system32: [String: [UInt8]] = [:]
        for image in images where image.command != "kernel" && !Self.wimbootBootFiles.contains(image.name.lowercased()) {
            system32[LabScriptText.pathKey(LabWinPEShell.systemRoot + "\\System32\\" + image.name)] = image.body
        }
        let stand = images.first { $0.name.lowercased() == "boot.wim" }.flatMap { LabShareStandIn(bootWIM: $0.url) }
        setActivity(key, "WinPE")
        try await pause(LabGuestPhaseWeight.winpe)
        if currentFaults(key).hang == .winpe { try await hang(key) }

        guard let shellFile = system32[LabScriptText.pathKey(LabWinPEShell.systemRoot + #"\System32\winpeshl.ini"#)] else {
            return setActivity(key, "WinPE: no winpeshl.ini was injected, so WinPE started Windows Setup's own shell, "
                                    + "which waits at its language page for someone at the console")
        }
        do {
            let shell = try LabWinPEShell.parse(String(decoding: shellFile, as: UTF8.self))
            for app in shell.apps {
                let program = app.path.lowercased()
                if program.hasSuffix(#"\system32\wpeinit.exe"#) { continue }
                guard program.hasSuffix(#"\system32\cmd.exe"#) else {
                    throw LabGuestFailure("winpeshl.ini launches \(app.path), which the lab's WinPE cannot run")
                }
                let words = app.arguments.split(separator: " ", maxSplits: 1).map(String.init)
                guard words.count == 2, ["/k", "/c"].contains(words[0].lowercased()) else {
                    throw LabGuestFailure("winpeshl.ini runs cmd.exe with '\(app.arguments)', not /k or /c and a script")
                }
                guard let script = system32[LabScriptText.pathKey(words[1])] else {
                    throw LabGuestFailure("cmd.exe cannot find \(words[1]): no such file was injected; WinPE sits at a command prompt")
                }
                let name = words[1].split(separator: "\\").last.map(String.init) ?? words[1]
                try await runStartup(key, node: node, name: name, text: String(decoding: script, as: UTF8.self), system32: system32,
                                     share: stand)
                return
            }
            setActivity(key, "WinPE: winpeshl.ini ran its apps and WinPE restarts")
        } catch let failure as LabGuestFailure {
            setActivity(key, "WinPE stopped: \(failure.message)")
        }
    }

    /// `vizor-winpe.cmd` as cmd.exe runs it, for the statements the lab reads from it.
    private func runStartup(_ key: String, node: LabRazorBoot, name: String, text: String, system32: [String: [UInt8]],
                            share: LabShareStandIn?) async throws {
        let startup = try LabWinPEStartup.parse(text, name: name)
        let curl = system32[LabScriptText.pathKey(LabWinPEShell.systemRoot + #"\System32\curl.exe"#)] != nil || options.winpeHasCurl
        if startup.checksCurl, !curl {
            throw LabGuestFailure("\(name) stopped: this WinPE has no curl.exe in System32")
        }
        // ipconfig /all shows each MAC as 52-54-00-AA-BB-01; the script numbers them net0, net1, ...
        guard let machine = tracked[key]?.machine, !machine.macs.isEmpty else {
            throw LabGuestFailure("\(name) stopped: no network adapter with a MAC address was found")
        }
        let hwid = machine.macs.enumerated().map { "net\($0.offset)=\($0.element.uppercased().replacingOccurrences(of: ":", with: "-"))" }
            .joined(separator: "&")
        var nodeID: String?
        for attempt in 1...max(1, startup.nodeTries) where nodeID == nil {
            let url = try startup.expand(startup.nodeURL, runtime: ["VZ_HWID": hwid])
            let answer = await request(key, url, client: .curl)
            if answer.succeeded { nodeID = LabWinPEStartup.nodeID(fromAnswer: answer.text) }
            if nodeID == nil, attempt < startup.nodeTries { try await pause(1) }
        }
        guard let nodeID else { throw LabGuestFailure("\(name) stopped: Razor did not tell this node its id") }
        let runtime = ["VZ_HWID": hwid, "VZ_ID": nodeID]
        func report(_ kind: LabWinPEStartup.Report, _ values: [String: String] = [:]) async throws {
            let message = try startup.expand(kind.rawValue, runtime: runtime.merging(values) { $1 })
            let url = try startup.expand(startup.logURL, runtime: runtime, arguments: [startup.reports[kind] ?? "info", message])
            _ = await request(key, url, client: .curl)
        }
        try await report(.started)
        try await pause(LabGuestPhaseWeight.shareMap)

        var mapped = false
        for attempt in 1...max(1, startup.mapTries) {
            var code = 0
            for (index, command) in startup.mapCommands.enumerated() where index == 0 || !command.onlyAfterFailure || code != 0 {
                switch await Self.netUse(command, allowsGuest: startup.allowsInsecureGuestAuth, samba: options.samba) {
                case .exit(let status): code = status
                case .waitsAtPrompt(let prompt):
                    setActivity(key, "WinPE: net use waits at '\(prompt)' in a console nobody sees")
                    while true { try await Task.sleep(for: .seconds(3600)) }
                }
            }
            try await report(.mapTry, ["VZ_TRY": String(attempt), "VZ_RC": String(code)])
            if code == 0 { mapped = true; break }
            if attempt < startup.mapTries { try await pause(1) }
        }
        guard mapped else {
            try await report(.mapFailed)
            throw LabGuestFailure("\(name) stopped: the share \(startup.mapCommands.first?.share ?? "") could not be mapped")
        }

        try await report(.startInstaller)
        setActivity(key, "setup")
        let code = try await runSetup(key, answerFile: startup.answerFile, system32: system32, share: share)
        try await report(.setupExit, ["VZ_RC": String(code)])
        guard code == 0 else {
            try await report(.setupFailed, ["VZ_RC": String(code)])
            throw LabGuestFailure("setup failed with exit code \(code)")
        }
        let finished = try startup.expand(startup.finishedURL, runtime: runtime)
        _ = await request(key, finished, client: .curl)
        try Task.checkCancellation()
        guard startup.rebootsAfterSetup else { throw LabGuestFailure("\(name) ended without restarting; WinPE sits at a command prompt") }
        try await restart(key)
    }

    public enum NetUseOutcome: Sendable, Equatable {
        /// net.exe's exit status: 0 mapped, 2 any failure.
        case exit(Int)
        /// net.exe asks a question (a user name, a password) and reads the console for the answer.
        case waitsAtPrompt(String)
    }

    /// `net use` against the share: against the Samba server when the lab
    /// has one (`LabSimulationOptions.samba`), with the credentials written
    /// in the start-up; without one, the lab's stand-in share maps, as one
    /// that is there would. `net.exe` exits 2 on any failure.
    ///
    /// As WinPE of Windows 10 1709 / Server 2019 and later media does: a
    /// logon the server takes as its guest (a user it does not know, under
    /// `map to guest = Bad User`, or none at all) is refused unless
    /// `AllowInsecureGuestAuth` was set first (KB4046019; System error 1272).
    /// When no password is written, net.exe asks for one (for a user name
    /// first when none is written either) after the attempt without it
    /// fails: with input from NUL the question fails at once, otherwise it
    /// waits for someone at a console WinPE never shows.
    public static func netUse(_ command: LabWinPEStartup.NetUse, allowsGuest: Bool, samba: LabGuestSamba?) async -> NetUseOutcome {
        guard let samba else { return .exit(0) }
        let parts = command.share.split(separator: "\\", omittingEmptySubsequences: true)
        guard parts.count >= 2 else { return .exit(2) }
        let share = "//\(samba.host)/\(parts[1])"
        guard let user = command.user, let password = command.password else {
            // Without a password: the current (WinPE SYSTEM) logon, which Samba can only take as a guest.
            if allowsGuest, await smbLogon(samba, share: share, user: nil, password: nil) { return .exit(0) }
            guard !command.inputFromNUL else { return .exit(2) }
            return .waitsAtPrompt(command.user == nil ? "Enter the user name for '\(parts[0])':" : "Type the password for \(command.share):")
        }
        guard await smbLogon(samba, share: share, user: user, password: password) else { return .exit(2) }
        // Samba takes a user it does not know as its guest whatever the password; an account of its own it does not.
        let guest = await smbLogon(samba, share: share, user: user, password: "not-" + password + "-" + UUID().uuidString)
        return guest && !allowsGuest ? .exit(2) : .exit(0)
    }

    /// One session with smbclient listing `setup.exe` on the share: the
    /// password in its environment, never in its arguments; anonymous without a user.
    static func smbLogon(_ samba: LabGuestSamba, share: String, user: String?, password: String?) async -> Bool {
        var arguments = ["20", samba.smbclient, share, "-p", String(samba.port), "-c", "ls setup.exe"]
        var environment = ["PATH": "/usr/bin:/bin", "HOME": FileManager.default.temporaryDirectory.path]
        if let user {
            arguments += ["-U", user]
            environment["PASSWD"] = password ?? ""
        } else {
            arguments.append("-N")
        }
        return await exitStatus("/usr/bin/timeout", arguments, environment: environment) == 0
    }

    /// Runs a program to its end without blocking the actor; its output is dropped.
    static func exitStatus(_ executable: String, _ arguments: [String], environment: [String: String]) async -> Int32 {
        await withCheckedContinuation { continuation in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            process.environment = environment
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(returning: 127) }
        }
    }

    /// setup.exe from the share with the injected answer file; returns its
    /// exit code, or waits for ever where Setup waits for someone.
    private func runSetup(_ key: String, answerFile: String, system32: [String: [UInt8]], share: LabShareStandIn?) async throws -> Int {
        guard let share, await share.exists("setup.exe") else {
            // cmd.exe: 'Z:\setup.exe' is not recognized as an internal or external command.
            return 9009
        }
        guard let answer = system32[LabScriptText.pathKey(answerFile)] else {
            try await waitAtSetup(key, "Windows Setup cannot find the answer file \(answerFile)")
            return 1
        }
        let installed: LabInstalledWindows
        do {
            let medium = try await share.medium()
            installed = try LabWindowsSetup.apply(answerFile: String(decoding: answer, as: UTF8.self), path: answerFile, medium: medium)
        } catch {
            try await waitAtSetup(key, "\(error)")
            return 1
        }
        // Setup wipes disk 0 as the answer file says and applies the image.
        var disk = LabGuestDisk()
        disk.phase = .blank
        disk.node = tracked[key]?.disk.node
        tracked[key]?.disk = disk
        try await pause(LabGuestPhaseWeight.setup)
        if currentFaults(key).hang == .setup { try await hang(key) }
        let code = currentFaults(key).setupExitCode ?? 0
        try Task.checkCancellation()
        if code == 0 {
            tracked[key]?.disk.windows = installed
            tracked[key]?.disk.phase = .setupApplied
        }
        return code
    }

    /// Setup shows a page or an error dialog and waits: nothing more happens until the VM is stopped.
    private func waitAtSetup(_ key: String, _ reason: String) async throws {
        setActivity(key, "setup: \(reason)")
        while true { try await Task.sleep(for: .seconds(3600)) }
    }

    /// One HTTP GET by a client inside the guest, recorded in its status.
    func request(_ key: String, _ url: String, client: LabGuestClient, timeout: Duration = .seconds(15)) async -> LabGuestHTTPAnswer {
        let answer = await LabGuestHTTP.get(url, client: client, timeout: timeout)
        if !Task.isCancelled {
            tracked[key]?.requests.append("\(answer.status.map(String.init) ?? "error") \(client.rawValue) \(LabGuestHTTP.shown(url))")
        }
        return answer
    }
}
