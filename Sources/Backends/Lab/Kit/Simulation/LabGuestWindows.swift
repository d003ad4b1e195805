import Foundation

/// The Windows that Setup installed from Vizor's answer file, at each boot:
/// specialize and OOBE once, then auto-logon while Winlogon has it; at the
/// first logon the FirstLogonCommands, at later ones what the runner left to
/// start it again, as far as the edition runs it (Run keys need Explorer,
/// which Server Core lacks; a logon task runs on every edition). The runner
/// is the rendered `vizor-runner.ps1` from the disk, run statement by
/// statement (`LabRunnerScript`): its requests go to exactly the URLs it
/// writes, through WebClient, with nothing from Razor's node metadata.
extension LabGuestSimulator {
    func bootInstalledWindows(_ key: String) async throws {
        guard let windows = disk(key).windows else { return }
        switch disk(key).phase {
        case .setupApplied:
            setActivity(key, "Windows setup: specialize and OOBE")
            try await pause(LabGuestPhaseWeight.specialize)
            try Task.checkCancellation()
            tracked[key]?.disk.phase = .windows
            tracked[key]?.disk.autoLogon = windows.autoLogon != nil
            tracked[key]?.disk.logonsLeft = windows.autoLogon?.count ?? 0
            try await restart(key)
        case .windows:
            setActivity(key, "Windows starting")
            if disk(key).toolsInstalled {
                try await pause(LabGuestPhaseWeight.agentReport)
                await reportAgent(key)
            }
            try await pause(LabGuestPhaseWeight.firstLogon)
            try Task.checkCancellation()
            guard disk(key).autoLogon, disk(key).logonsLeft > 0 else {
                return setActivity(key, "Windows at the logon screen: auto-logon is off")
            }
            tracked[key]?.disk.logonsLeft -= 1
            if !disk(key).firstLogonDone {
                tracked[key]?.disk.firstLogonDone = true
                return try await firstLogon(key, windows)
            }
            let startable = disk(key).resumeHooks.filter { hook in
                if case .runKey = hook { return windows.hasExplorer }
                return true
            }
            guard let hook = startable.first else {
                let why = windows.hasExplorer || disk(key).resumeHooks.isEmpty ? ""
                    : " (\(windows.installationType ?? "this edition") has no Explorer to run the Run key)"
                return setActivity(key, "Windows idle: nothing starts at logon\(why)")
            }
            guard let path = Self.scriptPath(hook.command) else {
                return setActivity(key, "Windows idle: the lab cannot run \(hook.name)'s command \(hook.command)")
            }
            try await runScriptFile(key, path)
        case .sealed:
            try await specializeGeneralized(key, windows)
        case .foreign, .blank:
            setActivity(key, "no operating system on disk")
        }
    }

    /// A sealed disk started again (the sealed machine, or a clone of its
    /// disk): specialize and OOBE from the answer file sysprep cached. Where
    /// OOBE waits for someone, the guest waits there; otherwise Windows
    /// starts, logging on by itself where the answer file says so.
    private func specializeGeneralized(_ key: String, _ windows: LabInstalledWindows) async throws {
        guard disk(key).generalized, let answer = disk(key).files[LabScriptText.pathKey(LabOOBE.cachedAnswerFile)] else {
            return setActivity(key, "sealed: waiting at OOBE")
        }
        setActivity(key, "Windows setup: specialize and OOBE")
        try await pause(LabGuestPhaseWeight.specialize)
        try Task.checkCancellation()
        let outcome: LabOOBE.Outcome
        do { outcome = try LabOOBE.run(answerFile: String(decoding: answer, as: UTF8.self), installed: windows) } catch {
            return setActivity(key, "\(error)")
        }
        tracked[key]?.disk.generalized = false
        tracked[key]?.disk.phase = .windows
        tracked[key]?.disk.firstLogonDone = true
        tracked[key]?.disk.autoLogon = false
        tracked[key]?.disk.logonsLeft = 0
        switch outcome {
        case .autoLogon(let user, _):
            setActivity(key, "Windows: \(user) logged on")
        case .logonScreen:
            setActivity(key, "Windows at the logon screen")
        }
    }

    /// `...\System32\WindowsPowerShell\v1.0\powershell.exe -NoProfile -ExecutionPolicy Bypass -File "<path>"`: the path.
    static func scriptPath(_ command: String) -> String? {
        let marker = #" -NoProfile -ExecutionPolicy Bypass -File ""#
        guard let range = command.range(of: marker), command.hasSuffix("\""),
              command[..<range.lowerBound].lowercased().hasSuffix(#"\system32\windowspowershell\v1.0\powershell.exe"#) else { return nil }
        let path = command[range.upperBound...].dropLast()
        return path.contains("\"") ? nil : String(path)
    }

    private func firstLogon(_ key: String, _ windows: LabInstalledWindows) async throws {
        setActivity(key, "first logon")
        for (number, line) in windows.firstLogonCommands.enumerated() {
            let command: LabFirstLogonCommand
            do { command = try LabFirstLogonCommand.parse(line) } catch {
                return setActivity(key, "first logon: command \(number + 1): \(error)")
            }
            switch command {
            case .makeDirectory:
                continue
            case .download(let url, let path, let tries, let timeout):
                for attempt in 1...max(1, tries) {
                    let answer = await windowsRequest(key, url, client: timeout == nil ? .webClient : .webRequest,
                                                      timeout: timeout.map { .milliseconds($0) } ?? .seconds(100))
                    try Task.checkCancellation()
                    if answer.succeeded {
                        tracked[key]?.disk.files[LabScriptText.pathKey(path)] = answer.body
                        break
                    }
                    if attempt < tries { try await pause(1) }
                }
            case .runScript(let path):
                if try await runScriptFile(key, path) { return }
            }
        }
    }

    /// Runs a PowerShell file from the disk as the runner; returns whether the machine is going down.
    @discardableResult
    private func runScriptFile(_ key: String, _ path: String) async throws -> Bool {
        guard let body = disk(key).files[LabScriptText.pathKey(path)] else {
            setActivity(key, "Windows idle: powershell.exe -File \(path): the file does not exist")
            return false
        }
        let script: LabRunnerScript
        do { script = try LabRunnerScript.parse(String(decoding: body, as: UTF8.self)) } catch {
            setActivity(key, "Windows idle: \(path) is not a runner the lab can run: \(error)")
            return false
        }
        var run = LabRunnerRun(script: script)
        setActivity(key, "post-install runner")
        let flow = try await execute(script.main, &run, key)
        try Task.checkCancellation()
        switch flow {
        case .restart:
            endSession(key)
            try await restart(key)
            return true
        case .powerOff:
            return try await powerOff(key)
        case .exit, .next, .continueLoop:
            if run.poweringOff { return try await powerOff(key) }
            if case .exit(let code) = flow, code != 0 {
                setActivity(key, "idle: the post-install runner exited with code \(code)")
            } else {
                setActivity(key, "post-install sequence ended")
            }
            return false
        }
    }

    private func powerOff(_ key: String) async throws -> Bool {
        endSession(key)
        tracked[key]?.disk.phase = .sealed
        tracked[key]?.disk.runnerEnded = true
        setActivity(key, "sealed, powering off")
        if let machine = tracked[key]?.machine { await hypervisor(machine)?.guestPowerOff(id: machine.id) }
        return true
    }

    /// A logon session ends (restart, power-off, or sysprep starts): on a
    /// client edition the Store has updated its apps for the user meanwhile,
    /// unless its automatic updates were turned off (KB2769827).
    private func endSession(_ key: String) {
        guard let windows = disk(key).windows, windows.hasStore, !disk(key).storeAutoDownloadOff else { return }
        tracked[key]?.disk.storeAppsUpdatedForUser = true
    }

    // MARK: The runner's program

    private func execute(_ statements: [LabRunnerScript.Statement], _ run: inout LabRunnerRun, _ key: String) async throws -> LabRunnerFlow {
        for statement in statements {
            try Task.checkCancellation()
            let flow = try await execute(statement, &run, key)
            if case .next = flow { continue }
            return flow
        }
        return .next
    }

    private func execute(_ statement: LabRunnerScript.Statement, _ run: inout LabRunnerRun, _ key: String) async throws -> LabRunnerFlow {
        let directory = run.script.directory
        switch statement {
        case .makeStateDirectory, .local:
            return .next
        case .lookUpNodeID:
            run.nodeID = try await lookUpNodeID(key, run.script)
        case .downloadFiles(let failureStage):
            for file in run.script.files {
                let target = directory + "\\" + file.name
                if disk(key).files[LabScriptText.pathKey(target)] != nil { continue }
                if try await !save(key, file.url, to: target, tries: run.script.downloadTries) {
                    await sendLog(key, run, "post-install files could not be fetched: could not download \(target)", severity: "error")
                    await sendStage(key, run, failureStage)
                    return .exit(1)
                }
            }
        case .register(let hook):
            tracked[key]?.disk.resumeHooks.removeAll { $0.name == hook.name }
            tracked[key]?.disk.resumeHooks.append(hook)
        case .removeRunKey(let name):
            tracked[key]?.disk.resumeHooks.removeAll { if case .runKey(name, _) = $0 { return true } else { return false } }
        case .deleteTask:
            tracked[key]?.disk.resumeHooks.removeAll { if case .logonTask(run.script.taskName ?? "", _) = $0 { return true } else { return false } }
        case .storeUpdates(let enabled):
            tracked[key]?.disk.storeAutoDownloadOff = !enabled
        case .autoLogonOff:
            tracked[key]?.disk.autoLogon = false
        case .removeDirectory:
            removeDirectory(key, directory)
        case .powerOff:
            return .powerOff
        case .restart:
            return .restart
        case .readState:
            let file = disk(key).files[LabScriptText.pathKey(stateFile(run))]
            run.state = file.map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) } ?? "pending"
        case .continueLoop:
            return .continueLoop
        case .setState(let state):
            tracked[key]?.disk.files[LabScriptText.pathKey(stateFile(run))] = Array((state + "\r\n").utf8)
        case .stepStage(let suffix):
            await sendStage(key, run, (run.step?.name ?? "") + suffix)
        case .stage(let name):
            await sendStage(key, run, name)
        case .stepLog(let format, let severity):
            await sendLog(key, run, format.replacingOccurrences(of: "{0}", with: run.step?.name ?? ""), severity: severity)
        case .failureLog(let format):
            let text = format.replacingOccurrences(of: "{0}", with: run.step?.name ?? "")
                .replacingOccurrences(of: "{1}", with: run.failure ?? "")
            await sendLog(key, run, text, severity: "error")
        case .clearReboot:
            run.rebootRequested = false
        case .runStep:
            try await runStep(key, &run)
        case .exit(let code):
            return .exit(code)
        case .call(let name):
            guard let body = run.script.procedures[name] else { return .exit(1) }
            return try await execute(body, &run, key)
        case .if(let condition, let body):
            if holds(condition, run) { return try await execute(body, &run, key) }
        case .forEachStep(let body):
            for step in run.script.steps {
                run.step = step
                let flow = try await execute(body, &run, key)
                switch flow {
                case .next, .continueLoop: continue
                default: return flow
                }
            }
            run.step = nil
        }
        return .next
    }

    private func holds(_ condition: LabRunnerScript.Condition, _ run: LabRunnerRun) -> Bool {
        switch condition {
        case .stateIs(let state): return run.state == state
        case .seals: return run.step?.seals == true
        case .failure: return run.failure != nil
        case .sealsAndNoFailure: return run.step?.seals == true && run.failure == nil
        case .rebootRequested: return run.rebootRequested
        case .noNodeID: return run.nodeID == nil
        }
    }

    private func stateFile(_ run: LabRunnerRun) -> String {
        run.script.directory + "\\state\\" + (run.step?.name ?? "") + ".state"
    }

    private func removeDirectory(_ key: String, _ directory: String) {
        let prefix = LabScriptText.pathKey(directory) + "\\"
        let kept = disk(key).files.filter { !$0.key.hasPrefix(prefix) }
        tracked[key]?.disk.files = kept
    }

    /// `Get-VizorNodeId`: the cached id, else `/nodeid?net0=..` from the adapters' MACs, ten tries.
    private func lookUpNodeID(_ key: String, _ script: LabRunnerScript) async throws -> String? {
        let cache = LabScriptText.pathKey(script.directory + #"\state\node-id"#)
        if let cached = disk(key).files[cache] {
            return String(decoding: cached, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init)
        }
        let macs = tracked[key]?.machine.macs ?? []
        let query = macs.enumerated().map { "net\($0.offset)=\($0.element.uppercased().replacingOccurrences(of: ":", with: "-").lowercased())" }
            .joined(separator: "&")
        for attempt in 1...10 {
            let answer = await windowsRequest(key, script.service + "/nodeid?" + query, client: .webClient)
            try Task.checkCancellation()
            if answer.succeeded, let id = Self.nodeID(in: answer.text) {
                tracked[key]?.disk.files[cache] = Array((id + "\r\n").utf8)
                return id
            }
            if attempt < 10 { try await pause(1) }
        }
        return nil
    }

    /// `$answer -match '"id"\s*:\s*"?(\d+)'`.
    static func nodeID(in text: String) -> String? {
        guard let match = text.range(of: #""id"\s*:\s*"?(\d+)"#, options: .regularExpression) else { return nil }
        let digits = text[match].reversed().prefix { $0.isNumber }
        return digits.isEmpty ? nil : String(digits.reversed())
    }

    /// `Save-VizorFile`: WebClient, `tries` attempts, into place when complete.
    private func save(_ key: String, _ url: String, to target: String, tries: Int) async throws -> Bool {
        for attempt in 1...max(1, tries) {
            let answer = await windowsRequest(key, url, client: .webClient)
            try Task.checkCancellation()
            if answer.succeeded {
                tracked[key]?.disk.files[LabScriptText.pathKey(target)] = answer.body
                return true
            }
            if attempt < tries { try await pause(1) }
        }
        return false
    }

    /// `Send-VizorLog`: the local log, then `/log/<id>?severity=..&msg=..` in pieces of 900 characters.
    private func sendLog(_ key: String, _ run: LabRunnerRun, _ message: String, severity: String) async {
        var text = Substring(message)
        while !text.isEmpty {
            let chunk = text.prefix(900)
            text = text.dropFirst(chunk.count)
            await service(key, run, "/log/\(run.nodeID ?? "")?severity=\(severity)&msg=\(Self.escapeData(String(chunk)))")
        }
    }

    /// `Send-VizorStage`: `/stage-done/<id>?name=..`.
    private func sendStage(_ key: String, _ run: LabRunnerRun, _ name: String) async {
        await service(key, run, "/stage-done/\(run.nodeID ?? "")?name=\(Self.escapeData(name))")
    }

    /// `Invoke-VizorService`: nothing without a node id; failures only go to the local log.
    private func service(_ key: String, _ run: LabRunnerRun, _ path: String) async {
        guard run.nodeID != nil else { return }
        _ = await windowsRequest(key, run.script.service + path, client: .webClient)
    }

    /// `[Uri]::EscapeDataString`: everything but RFC 3986's unreserved characters.
    static func escapeData(_ text: String) -> String {
        var allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// A request from Windows; while the network is not up yet (a fault), it gets no answer.
    private func windowsRequest(_ key: String, _ url: String, client: LabGuestClient,
                                timeout: Duration = .seconds(15)) async -> LabGuestHTTPAnswer {
        if disk(key).unansweredSoFar < currentFaults(key).unansweredRequestsAfterFirstLogon {
            tracked[key]?.disk.unansweredSoFar += 1
            tracked[key]?.requests.append("error \(client.rawValue) \(LabGuestHTTP.shown(url))")
            return LabGuestHTTPAnswer(status: nil, body: [], headers: [], failure: "no answer: the network is not up yet")
        }
        return await request(key, url, client: client, timeout: timeout)
    }

    // MARK: One step

    /// Runs the step file the loop is at, as the runner does (`& <file> 2>&1`):
    /// its effects in order, its output to Razor line by line; a throw sets the failure.
    private func runStep(_ key: String, _ run: inout LabRunnerRun) async throws {
        guard let step = run.step else { return }
        run.failure = nil
        let path = run.script.directory + "\\" + step.file
        guard let body = disk(key).files[LabScriptText.pathKey(path)] else {
            run.failure = "The term '\(path)' is not recognized as the name of a cmdlet, function, script file, or operable program."
            return
        }
        let script = LabStepScript.parse(String(decoding: body, as: UTF8.self))
        tracked[key]?.disk.attempts[step.name, default: 0] += 1
        setActivity(key, "step \(step.name)")
        let faults = currentFaults(key)
        if faults.hang == .step(step.name) { try await hang(key) }
        try await pause(LabGuestPhaseWeight.step(step.name))
        try Task.checkCancellation()
        let attempt = disk(key).attempts[step.name] ?? 1
        var injected: String?
        if let failing = faults.failingStep, failing.step == step.name, failing.mode == .always || attempt == 1 {
            injected = "simulated failure switched on in the lab (attempt \(attempt))"
        }
        let runsSysprep = script.effects.contains { if case .sysprep = $0 { return true } else { return false } }
        if let injected, !runsSysprep {
            run.failure = injected
            return
        }
        func output(_ line: String) async { await sendLog(key, run, "\(step.name): \(line)", severity: "info") }
        var printed = false
        for effect in script.effects {
            switch effect {
            case .toolsFromCD(let missing):
                if options.requireToolsMedia, tracked[key]?.machine.cdIsTools != true {
                    run.failure = missing
                    return
                }
                await output("msiexec.exe exited with code 3010")
                printed = true
                tracked[key]?.disk.toolsInstalled = true
            case .downloads(let urls):
                for url in urls {
                    let name = url.split(separator: "/").last.map(String.init) ?? "pack.cab"
                    let target = run.script.directory + #"\langpacks\"# + name
                    if try await !save(key, url, to: target, tries: run.script.downloadTries) {
                        run.failure = "could not download \(target)"
                        return
                    }
                    await output("dism.exe exited with code 3010")
                    printed = true
                }
            case .sysprep(let answerFile):
                endSession(key)
                let sysprep = #"C:\Windows\System32\Sysprep\sysprep.exe"#
                guard let answer = disk(key).files[LabScriptText.pathKey(run.script.directory + "\\" + answerFile)] else {
                    run.failure = "\(sysprep) failed with exit code 1"
                    return
                }
                // Sysprep's own failures leave no Sysprep_succeeded.tag; its log says why.
                if injected == nil, !disk(key).storeAppsUpdatedForUser {
                    tracked[key]?.disk.generalized = true
                    // The next specialize and OOBE, on this disk or a clone of it, read the answer file from Panther.
                    tracked[key]?.disk.files[LabScriptText.pathKey(LabOOBE.cachedAnswerFile)] = answer
                }
                await output("\(sysprep) exited with code 0")
                printed = true
            case .sysprepTagCheck(let message):
                if disk(key).generalized != true {
                    run.failure = message
                    return
                }
            case .output(let line):
                await output(line)
                printed = true
            case .requestReboot:
                run.rebootRequested = true
            case .autoLogonOff:
                tracked[key]?.disk.autoLogon = false
            case .removeDirectory:
                removeDirectory(key, run.script.directory)
            case .powerOff:
                run.poweringOff = true
            }
        }
        if !printed {
            for line in Self.simulatedOutput(step.name) { await output(line) }
        }
    }

    /// What a step with no effect the lab plays prints, by its name.
    static func simulatedOutput(_ step: String) -> [String] {
        switch step {
        case "regional-settings": return ["applying l18n.xml", "control.exe exited with code 0"]
        default:
            if step.hasPrefix("windows-update") { return ["3 updates installed", "result code 2, restart required True"] }
            return ["done"]
        }
    }
}

/// The runner's variables while it runs.
struct LabRunnerRun {
    var script: LabRunnerScript
    var nodeID: String?
    var step: LabRunnerScript.Step?
    var state = "pending"
    var failure: String?
    var rebootRequested = false
    /// A step called Stop-Computer: the machine goes down once the runner exits.
    var poweringOff = false
}

/// Where the runner's program goes after a statement.
enum LabRunnerFlow {
    case next, continueLoop, exit(Int), restart, powerOff
}
