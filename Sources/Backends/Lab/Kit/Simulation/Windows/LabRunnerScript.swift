import Foundation

/// How a runner asked Windows to start it again after a restart.
public enum LabResumeHook: Sendable, Equatable {
    /// A value under `HKLM\...\CurrentVersion\Run`: Explorer runs it at each
    /// logon. Server Core has no Explorer, so there it never runs.
    case runKey(name: String, command: String)
    /// A Task Scheduler task with a logon trigger: runs at each logon on every edition.
    case logonTask(name: String, command: String)

    public var name: String {
        switch self {
        case .runKey(let name, _), .logonTask(let name, _): return name
        }
    }

    public var command: String {
        switch self {
        case .runKey(_, let command), .logonTask(_, let command): return command
        }
    }
}

/// Vizor's post-install runner (`vizor-runner.ps1`) as the lab's Windows
/// runs it: the service URL, the files it downloads (its manifest), the
/// steps, and its program, a tree of the statements the runner is made of.
///
/// Not a PowerShell interpreter: each statement of the main program (and of
/// the procedures it calls) must be one the lab knows, written exactly as
/// Vizor writes it; the helpers the statements use (`Send-VizorStage`,
/// `Save-VizorFile`, ...) are checked line by line for the URLs, retries and
/// clients they use. Anything else is an error, so a change to the runner's
/// rendering fails the lab instead of letting it guess.
public struct LabRunnerScript: Sendable, Equatable {
    public struct File: Sendable, Equatable {
        public var name: String
        public var url: String
    }

    public struct Step: Sendable, Equatable {
        public var name: String
        public var file: String
        public var seals: Bool
    }

    public enum Condition: Sendable, Equatable {
        case stateIs(String)
        case seals
        case failure
        case sealsAndNoFailure
        case rebootRequested
        case noNodeID
    }

    public indirect enum Statement: Sendable, Equatable {
        case makeStateDirectory
        case lookUpNodeID
        /// Every manifest file not on disk yet, through `Save-VizorFile`; on failure, a log line, the stage, `exit 1`.
        case downloadFiles(failureStage: String)
        case register(LabResumeHook)
        case removeRunKey(name: String)
        case deleteTask
        case storeUpdates(enabled: Bool)
        case autoLogonOff
        case removeDirectory
        case powerOff
        case restart
        case readState
        case continueLoop
        case setState(String)
        /// `Send-VizorStage ($step.Name + '<suffix>')`.
        case stepStage(String)
        case stage(String)
        /// `Send-VizorLog ('<format>' -f $step.Name) '<severity>'`.
        case stepLog(format: String, severity: String)
        /// `Send-VizorLog ('<format>' -f $step.Name, ($failure | Out-String).Trim()) 'error'`.
        case failureLog(format: String)
        case clearReboot
        case runStep
        case exit(Int)
        /// A line that only writes the runner's local log.
        case local
        case call(String)
        case `if`(Condition, [Statement])
        case forEachStep([Statement])
    }

    public var service: String
    public var directory: String
    public var files: [File]
    public var steps: [Step]
    public var main: [Statement]
    /// The procedures the program calls, parsed the same way.
    public var procedures: [String: [Statement]]
    /// `Save-VizorFile`'s attempts per file.
    public var downloadTries: Int
    /// The name the scheduled task is registered under, when the runner uses one.
    public var taskName: String?

    public static func parse(_ text: String) throws(LabGuestFailure) -> LabRunnerScript {
        let lines = LabScriptText.lines(text)
        // Split into the header, the functions and the main program.
        var header: [String] = []
        var functions: [String: [String]] = [:]
        var main: [String] = []
        var current: (name: String, body: [String])?
        var seenFunction = false
        for line in lines {
            if let open = current {
                if line == "}" {
                    functions[open.name] = open.body
                    current = nil
                } else {
                    current?.body.append(line)
                }
                continue
            }
            if line.hasPrefix("function ") {
                let name = line.dropFirst("function ".count).prefix { $0 != "(" && $0 != " " && $0 != "{" }
                guard line.hasSuffix("{") else { throw LabGuestFailure("vizor-runner.ps1: function \(name) does not open its body on its line") }
                current = (String(name), [])
                seenFunction = true
                continue
            }
            if seenFunction { main.append(line) } else { header.append(line) }
        }
        guard current == nil else { throw LabGuestFailure("vizor-runner.ps1: function \(current?.name ?? "") is not closed") }

        // The header: service, directories, manifest, steps.
        var assignments: [String: String] = [:]
        var files: [File] = []
        var steps: [Step] = []
        var list: String?
        for raw in header {
            let line = LabScriptText.trimmed(raw)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if let open = list {
                if line == ")" { list = nil; continue }
                let entry = line.hasSuffix(",") ? String(line.dropLast()) : line
                if open == "files" { files.append(try file(entry)) } else { steps.append(try step(entry)) }
                continue
            }
            if line == "$VizorFiles = @(" { list = "files"; continue }
            if line == "$VizorSteps = @(" { list = "steps"; continue }
            let parts = line.split(separator: "=", maxSplits: 1).map { LabScriptText.trimmed(String($0)) }
            if parts.count == 2, parts[0].hasPrefix("$"), let value = LabScriptText.singleQuoted(Substring(parts[1])) {
                assignments[parts[0]] = value
            }
        }
        guard let service = assignments["$VizorSvc"], let directory = assignments["$VizorDir"] else {
            throw LabGuestFailure("vizor-runner.ps1 does not set $VizorSvc and $VizorDir as the lab knows them")
        }
        guard header.contains(where: { LabScriptText.trimmed($0) == "$VizorStateDir = Join-Path $VizorDir 'state'" }) else {
            throw LabGuestFailure("vizor-runner.ps1 keeps its step states somewhere the lab does not know")
        }
        guard !steps.isEmpty else { throw LabGuestFailure("vizor-runner.ps1 has no steps") }

        // The helpers: their URLs, clients and retries, line by line.
        func require(_ function: String, _ needles: [String]) throws(LabGuestFailure) {
            guard let body = functions[function]?.map(LabScriptText.trimmed) else {
                throw LabGuestFailure("vizor-runner.ps1 has no function \(function)")
            }
            for needle in needles where !body.contains(needle) {
                throw LabGuestFailure("vizor-runner.ps1: \(function) is not written as the lab knows it (no line '\(needle)')")
            }
        }
        try require("Invoke-VizorService", ["if (-not $global:VizorNodeId) { return }",
                                            "[void](New-Object System.Net.WebClient).DownloadString($VizorSvc + $Path)"])
        try require("Send-VizorLog", [logChunkLine, logLine])
        try require("Send-VizorStage", [stageLine])
        try require("Get-VizorNodeId", [nodeCacheLine, nodeQueryLine, nodeTriesLine, nodeRequestLine, nodeMatchLine])
        try require("Get-VizorStepState", ["$file = Join-Path $VizorStateDir ($Name + '.state')"])
        try require("Set-VizorStepState", ["Set-Content -Path (Join-Path $VizorStateDir ($Name + '.state')) -Value $State"])
        try require("Save-VizorFile", ["(New-Object System.Net.WebClient).DownloadFile($Url, $Target + '.part')"])
        let saveTries = functions["Save-VizorFile"]?.map(LabScriptText.trimmed)
            .first { $0.hasPrefix("for ($try = 1; $try -le ") && $0.hasSuffix("; $try++) {") }
            .flatMap { Int($0.dropFirst("for ($try = 1; $try -le ".count).prefix { $0.isNumber }) }
        guard let saveTries else { throw LabGuestFailure("vizor-runner.ps1: Save-VizorFile has no retry loop the lab knows") }

        var context = ParseContext(assignments: assignments, directory: directory)
        let program = try context.block(main, what: "the main program")
        var procedures: [String: [Statement]] = [:]
        var pending = context.called
        while let name = pending.popFirst() {
            guard procedures[name] == nil else { continue }
            guard let body = functions[name] else { throw LabGuestFailure("vizor-runner.ps1 calls \(name), which it does not define") }
            context.called = []
            procedures[name] = try context.block(body, what: "function \(name)")
            pending.formUnion(context.called.subtracting(procedures.keys))
        }
        return LabRunnerScript(service: service, directory: directory, files: files, steps: steps, main: program,
                               procedures: procedures, downloadTries: saveTries, taskName: assignments["$VizorTaskName"])
    }

    static let logChunkLine = "$chunk = $text.Substring(0, [Math]::Min(900, $text.Length))"
    static let logLine = "Invoke-VizorService ('/log/{0}?severity={1}&msg={2}' -f $global:VizorNodeId, $Severity, [Uri]::EscapeDataString($chunk))"
    static let stageLine = "Invoke-VizorService ('/stage-done/{0}?name={1}' -f $global:VizorNodeId, [Uri]::EscapeDataString($Name))"
    static let nodeCacheLine = "$cache = Join-Path $VizorStateDir 'node-id'"
    static let nodeQueryLine = "$query += ('net{0}={1}' -f $number, $adapter.MACAddress.Replace(':', '-').ToLower())"
    static let nodeTriesLine = "for ($try = 1; $try -le 10; $try++) {"
    static let nodeRequestLine = "$answer = (New-Object System.Net.WebClient).DownloadString($VizorSvc + '/nodeid?' + ($query -join '&'))"
    static let nodeMatchLine = #"if ($answer -match '"id"\s*:\s*"?(\d+)') {"#

    static func file(_ entry: String) throws(LabGuestFailure) -> File {
        // @{ Name = '<name>'; Url = '<url>' }
        guard entry.hasPrefix("@{ Name = "), entry.hasSuffix(" }"),
              let name = LabScriptText.leadingSingleQuoted(Substring(entry).dropFirst("@{ Name = ".count)),
              name.rest.hasPrefix("; Url = "), let url = LabScriptText.leadingSingleQuoted(name.rest.dropFirst("; Url = ".count)),
              url.rest == " }" else {
            throw LabGuestFailure("vizor-runner.ps1: a $VizorFiles entry has a shape the lab does not know: \(entry)")
        }
        return File(name: name.value, url: url.value)
    }

    static func step(_ entry: String) throws(LabGuestFailure) -> Step {
        // @{ Name = '<name>'; File = '<file>'; Seals = $True }
        guard entry.hasPrefix("@{ Name = "), let name = LabScriptText.leadingSingleQuoted(Substring(entry).dropFirst("@{ Name = ".count)),
              name.rest.hasPrefix("; File = "), let file = LabScriptText.leadingSingleQuoted(name.rest.dropFirst("; File = ".count)),
              ["; seals = $true }", "; seals = $false }"].contains(file.rest.lowercased()) else {
            throw LabGuestFailure("vizor-runner.ps1: a $VizorSteps entry has a shape the lab does not know: \(entry)")
        }
        return Step(name: name.value, file: file.value, seals: file.rest.lowercased() == "; seals = $true }")
    }

    // MARK: The program

    static let conditions: [String: Condition] = [
        "if ($state -eq 'done') {": .stateIs("done"),
        "if ($state -eq 'running') {": .stateIs("running"),
        "if ($step.Seals) {": .seals,
        "if ($failure) {": .failure,
        "if ($step.Seals -and -not $failure) {": .sealsAndNoFailure,
        "if ($global:VizorRebootRequested) {": .rebootRequested,
        "if (-not $global:VizorNodeId) {": .noNodeID,
    ]

    static let simple: [String: Statement] = [
        "New-Item -ItemType Directory -Force -Path $VizorStateDir | Out-Null": .makeStateDirectory,
        "$global:VizorNodeId = Get-VizorNodeId": .lookUpNodeID,
        "$state = Get-VizorStepState $step.Name": .readState,
        "continue": .continueLoop,
        "$global:VizorRebootRequested = $false": .clearReboot,
        "Restart-Computer -Force": .restart,
        "Stop-Computer -Force": .powerOff,
        "Remove-Item -Path $VizorDir -Recurse -Force -ErrorAction SilentlyContinue": .removeDirectory,
        "Set-Location -Path $env:SystemRoot": .local,
        "Remove-ItemProperty -Path $VizorStorePolicy -Name 'AutoDownload' -ErrorAction SilentlyContinue": .storeUpdates(enabled: true),
    ]

    /// Blocks the lab reads as one statement, line for line (trimmed, comments dropped).
    static let blocks: [([String], Statement)] = [
        ([
            "try {",
            "foreach ($file in $VizorFiles) {",
            "$target = Join-Path $VizorDir $file.Name",
            "if (-not (Test-Path $target)) {",
            "Save-VizorFile -Url $file.Url -Target $target",
            "}",
            "}",
            "} catch {",
            "Send-VizorLog ('post-install files could not be fetched: {0}' -f $_.Exception.Message) 'error'",
            "Send-VizorStage 'postinstall_failed'",
            "exit 1",
            "}",
        ], .downloadFiles(failureStage: "postinstall_failed")),
        ([
            "$failure = $null",
            "try {",
            "& (Join-Path $VizorDir $step.File) 2>&1 | ForEach-Object {",
            "$line = ([string]$_).TrimEnd()",
            "if ($line.Length -gt 0) {",
            "Send-VizorLog ('{0}: {1}' -f $step.Name, $line)",
            "}",
            "}",
            "} catch {",
            "$failure = $_",
            "}",
        ], .runStep),
        ([
            "$winlogon = 'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon'",
            "Set-ItemProperty -Path $winlogon -Name 'AutoAdminLogon' -Value '0'",
            "Remove-ItemProperty -Path $winlogon -Name 'DefaultPassword' -ErrorAction SilentlyContinue",
        ], .autoLogonOff),
        ([
            "if (-not (Test-Path $VizorStorePolicy)) {",
            "New-Item -Path $VizorStorePolicy -Force | Out-Null",
            "}",
            "Set-ItemProperty -Path $VizorStorePolicy -Name 'AutoDownload' -Value 2 -Type DWord",
        ], .storeUpdates(enabled: false)),
        ([
            "try {",
            "$service = New-Object -ComObject 'Schedule.Service'",
            "$service.Connect()",
            "$service.GetFolder('\\').DeleteTask($VizorTaskName, 0)",
            "} catch {",
            "Write-VizorLocal ('the resume task was not removed: {0}' -f $_.Exception.Message)",
            "}",
        ], .deleteTask),
    ]

    /// The Run-key registration, and the scheduled task with a logon trigger, as Vizor renders them.
    static let runKeyBlock = [
        "$runner = Join-Path $VizorDir 'vizor-runner.ps1'",
        #"$command = '"{0}\System32\WindowsPowerShell\v1.0\powershell.exe" -NoProfile -ExecutionPolicy Bypass -File "{1}"' -f $env:SystemRoot, $runner"#,
        "Set-ItemProperty -Path $VizorRunKey -Name 'VizorRunner' -Value $command",
    ]
    static let logonTaskBlock = [
        "$user = [Security.Principal.WindowsIdentity]::GetCurrent().Name",
        "$service = New-Object -ComObject 'Schedule.Service'",
        "$service.Connect()",
        "$task = $service.NewTask(0)",
        "$task.Settings.ExecutionTimeLimit = 'PT0S'",
        "$task.Principal.UserId = $user",
        "$task.Principal.LogonType = 3",
        "$task.Principal.RunLevel = 1",
        "$trigger = $task.Triggers.Create(9)",
        "$trigger.UserId = $user",
        "$action = $task.Actions.Create(0)",
        #"$action.Path = Join-Path $env:SystemRoot 'System32\WindowsPowerShell\v1.0\powershell.exe'"#,
        #"$action.Arguments = ('-NoProfile -ExecutionPolicy Bypass -File "{0}"' -f (Join-Path $VizorDir 'vizor-runner.ps1'))"#,
        #"[void]$service.GetFolder('\').RegisterTaskDefinition($VizorTaskName, $task, 6, $user, $null, 3)"#,
    ]

    struct ParseContext {
        let assignments: [String: String]
        let directory: String
        var called: Set<String> = []

        var runnerCommand: String {
            #"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe -NoProfile -ExecutionPolicy Bypass -File "\#(directory)\vizor-runner.ps1""#
        }

        mutating func block(_ raw: [String], what: String) throws(LabGuestFailure) -> [Statement] {
            let lines = raw.map(LabScriptText.trimmed).filter { !$0.isEmpty && !$0.hasPrefix("#") }
            var index = 0
            let statements = try sequence(lines, &index, what: what)
            guard index == lines.count else {
                throw LabGuestFailure("vizor-runner.ps1, \(what): '\(lines[index])' closes a block that was never opened")
            }
            return statements
        }

        /// Statements up to a closing `}` (not consumed) or the end.
        mutating func sequence(_ lines: [String], _ index: inout Int, what: String) throws(LabGuestFailure) -> [Statement] {
            var out: [Statement] = []
            while index < lines.count {
                let line = lines[index]
                if line == "}" { return out }
                if let (length, statement) = try matchBlock(lines, at: index) {
                    out.append(statement)
                    index += length
                    continue
                }
                if let condition = LabRunnerScript.conditions[line] {
                    index += 1
                    let body = try sequence(lines, &index, what: what)
                    guard index < lines.count else { throw LabGuestFailure("vizor-runner.ps1, \(what): '\(line)' is not closed") }
                    index += 1
                    out.append(.if(condition, body))
                    continue
                }
                if line == "foreach ($step in $VizorSteps) {" {
                    index += 1
                    let body = try sequence(lines, &index, what: what)
                    guard index < lines.count else { throw LabGuestFailure("vizor-runner.ps1, \(what): the step loop is not closed") }
                    index += 1
                    out.append(.forEachStep(body))
                    continue
                }
                out.append(try statement(line, what: what))
                index += 1
            }
            return out
        }

        mutating func matchBlock(_ lines: [String], at index: Int) throws(LabGuestFailure) -> (Int, Statement)? {
            func matches(_ block: [String]) -> Bool {
                index + block.count <= lines.count && Array(lines[index..<(index + block.count)]) == block
            }
            for (block, statement) in LabRunnerScript.blocks where matches(block) { return (block.count, statement) }
            if matches(LabRunnerScript.runKeyBlock) {
                guard assignments["$VizorRunKey"] == #"HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Run"# else {
                    throw LabGuestFailure("vizor-runner.ps1 registers itself under a key the lab does not know: \(assignments["$VizorRunKey"] ?? "none")")
                }
                return (LabRunnerScript.runKeyBlock.count, .register(.runKey(name: "VizorRunner", command: runnerCommand)))
            }
            if matches(LabRunnerScript.logonTaskBlock) {
                guard let name = assignments["$VizorTaskName"] else { throw LabGuestFailure("vizor-runner.ps1 registers a task without $VizorTaskName") }
                return (LabRunnerScript.logonTaskBlock.count, .register(.logonTask(name: name, command: runnerCommand)))
            }
            return nil
        }

        mutating func statement(_ line: String, what: String) throws(LabGuestFailure) -> Statement {
            if let known = LabRunnerScript.simple[line] { return known }
            if line == "Remove-ItemProperty -Path $VizorRunKey -Name 'VizorRunner' -ErrorAction SilentlyContinue" {
                return .removeRunKey(name: "VizorRunner")
            }
            if line.hasPrefix("Write-VizorLocal ") { return .local }
            if line.hasPrefix("exit "), let code = Int(line.dropFirst(5)) { return .exit(code) }
            if line.hasPrefix("Set-VizorStepState $step.Name "),
               let state = LabScriptText.singleQuoted(line.dropFirst("Set-VizorStepState $step.Name ".count)) {
                return .setState(state)
            }
            if line.hasPrefix("Send-VizorStage ($step.Name + "), line.hasSuffix(")"),
               let suffix = LabScriptText.singleQuoted(line.dropFirst("Send-VizorStage ($step.Name + ".count).dropLast()) {
                return .stepStage(suffix)
            }
            if line.hasPrefix("Send-VizorStage "), let name = LabScriptText.singleQuoted(line.dropFirst("Send-VizorStage ".count)) {
                return .stage(name)
            }
            if line.hasPrefix("Send-VizorLog ("), let format = LabScriptText.leadingSingleQuoted(line.dropFirst("Send-VizorLog (".count)) {
                if format.value.contains("{1}"), format.rest == " -f $step.Name, ($failure | Out-String).Trim()) 'error'" {
                    return .failureLog(format: format.value)
                }
                if format.rest == " -f $step.Name)" { return .stepLog(format: format.value, severity: "info") }
                if format.rest.hasPrefix(" -f $step.Name) "),
                   let severity = LabScriptText.singleQuoted(format.rest.dropFirst(" -f $step.Name) ".count)) {
                    return .stepLog(format: format.value, severity: severity)
                }
            }
            if ["Register-VizorResume", "Unregister-VizorResume", "Complete-VizorSequence", "Disable-VizorStoreUpdates"].contains(line) {
                called.insert(line)
                return .call(line)
            }
            throw LabGuestFailure("vizor-runner.ps1, \(what): the lab's Windows does not know the statement '\(line)'")
        }
    }
}
