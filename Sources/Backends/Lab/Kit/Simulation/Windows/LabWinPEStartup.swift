import Foundation

/// What Vizor's WinPE start-up (`vizor-winpe.cmd`, run by `cmd.exe /k` from
/// `winpeshl.ini`) does, read from the file itself: the URLs it fetches
/// with `curl.exe`, the share it maps with `net use` and the credentials
/// written there, the Setup command line and the reports it sends. The lab's
/// WinPE runs these, in the order the script runs them.
///
/// This is not a cmd interpreter. It knows the exact command shapes Vizor
/// renders and checks each line that reaches outside the machine (`curl.exe`,
/// `net use`, `reg add`, `setup.exe`, `wpeutil`, `call :report`, the loops around them)
/// against them; lines that only print or keep local state are left alone.
/// A line of that kind in any other shape is an error, so a change to the
/// rendering fails the lab rather than letting it guess.
public struct LabWinPEStartup: Sendable, Equatable {
    /// One `net use` of the share-mapping loop.
    public struct NetUse: Sendable, Equatable {
        public var share: String
        public var user: String?
        public var password: String?
        /// `if errorlevel 1 net use ...`: runs only when the command before it failed.
        public var onlyAfterFailure: Bool
        /// `/persistent:no` or `/persistent:yes`, nil when not written.
        public var persistent: Bool?
        /// `< NUL`: a question net.exe asks (a user name, a password) reads end
        /// of input and fails at once instead of waiting for someone to type.
        public var inputFromNUL: Bool

        public init(share: String, user: String?, password: String?, onlyAfterFailure: Bool,
                    persistent: Bool? = nil, inputFromNUL: Bool = false) {
            self.share = share
            self.user = user
            self.password = password
            self.onlyAfterFailure = onlyAfterFailure
            self.persistent = persistent
            self.inputFromNUL = inputFromNUL
        }
    }

    /// One `reg add "<key>" /v <name> /t <type> /d <data> /f` into WinPE's
    /// registry (which lives in memory: it lasts until WinPE restarts).
    public struct RegistryValue: Sendable, Equatable {
        public var key: String
        public var name: String
        public var type: String
        public var data: String
    }

    /// The `call :report <severity> <message>` lines, by what they report.
    public enum Report: String, Sendable, CaseIterable {
        case started = "winpe_started_node_!VZ_ID!"
        case mapTry = "net_use_try_!VZ_TRY!_exit_code_!VZ_RC!"
        case mapFailed = "map_network_share_failed"
        case startInstaller = "start_installer"
        case setupExit = "setup_exit_code_!VZ_RC!"
        case setupFailed = "unexpected_exit_code_!VZ_RC!"
    }

    /// `set "NAME=value"` assignments whose value is fixed when the script is written.
    public var variables: [String: String]
    /// The script stops when `%SYSTEMROOT%\System32\curl.exe` is missing.
    public var checksCurl: Bool
    /// `for /l %%I in (1,1,N)` around the node id request.
    public var nodeTries: Int
    /// URL templates as written (`%VZ_SVC%/nodeid?!VZ_HWID!` and so on).
    public var nodeURL: String
    public var nodeOutput: String
    public var logURL: String
    public var finishedURL: String
    public var reports: [Report: String]
    public var mapCommands: [NetUse]
    public var mapTries: Int
    /// `Z:\setup.exe` and the answer file it is given, expanded (`X:\Windows\System32\autounattend.xml`).
    public var setupProgram: String
    public var answerFile: String
    public var rebootsAfterSetup: Bool
    /// Registry values the script writes before it first maps the share.
    public var registryBeforeMapping: [RegistryValue] = []

    static let lanmanWorkstationParameters = #"HKLM\SYSTEM\CurrentControlSet\Services\LanmanWorkstation\Parameters"#

    /// `AllowInsecureGuestAuth` = 1 under LanmanWorkstation's parameters before
    /// the share is mapped: the SMB client then accepts a guest logon, which
    /// Windows 10 1709 and later refuse by default (KB4046019).
    public var allowsInsecureGuestAuth: Bool {
        registryBeforeMapping.contains {
            $0.key.caseInsensitiveCompare(Self.lanmanWorkstationParameters) == .orderedSame
                && $0.name.caseInsensitiveCompare("AllowInsecureGuestAuth") == .orderedSame
                && $0.type.uppercased() == "REG_DWORD" && (Int($0.data) ?? 0) != 0
        }
    }

    static let curlLine = #"if not exist "%SYSTEMROOT%\System32\curl.exe" ("#
    static let idParseLine = #"if exist X:\vizor-nodeid.json for /f "tokens=2 delims=:}" %%V in (X:\vizor-nodeid.json) do set "VZ_ID=%%~V""#
    static let hwidLine = #"set "VZ_HWID=!VZ_HWID!&net!VZ_N!=!VZ_LAST!""#
    static let macLoopPrefix = #"for /f "tokens=*" %%L in ('ipconfig /all ^| findstr /r ""#
    static let redirect = #" >> "%VZ_LOG%" 2>&1"#

    public static func parse(_ text: String, name: String = "vizor-winpe.cmd") throws(LabGuestFailure) -> LabWinPEStartup {
        guard !text.replacingOccurrences(of: "\r\n", with: "").contains("\n") else {
            throw LabGuestFailure("\(name) has bare LF line ends: cmd.exe misreads labels and goto in such a file")
        }
        var variables: [String: String] = [:]
        var delayed = false
        var checksCurl = false
        var nodeTries: Int?
        var nodeURL: String?
        var nodeOutput: String?
        var idParse = false
        var hwid = false
        var macLoop = false
        var logURL: String?
        var finishedURL: String?
        var reports: [Report: String] = [:]
        var mapCommands: [NetUse] = []
        var mapTries: Int?
        var setup: (String, String)?
        var reboots = false
        var registry: [RegistryValue] = []
        var section = ""
        for (number, raw) in LabScriptText.lines(text).enumerated() {
            let line = LabScriptText.trimmed(raw)
            let lower = line.lowercased()
            func unknown() -> LabGuestFailure {
                LabGuestFailure("\(name) line \(number + 1) has a shape the lab's WinPE does not know: \(line)")
            }
            if line.isEmpty || lower.hasPrefix("rem ") || lower == "rem" || lower.hasPrefix("echo ") || lower.hasPrefix("@echo") {
                continue
            }
            if line.hasPrefix(":") {
                section = String(line.dropFirst()).lowercased()
                continue
            }
            if lower == "setlocal enableextensions enabledelayedexpansion" {
                delayed = true
                continue
            }
            if line == hwidLine {
                hwid = true
                continue
            }
            if line.hasPrefix("set \""), line.hasSuffix("\""), let equals = line.firstIndex(of: "=") {
                let name = String(line[line.index(line.startIndex, offsetBy: 5)..<equals])
                let value = String(line[line.index(after: equals)..<line.index(before: line.endIndex)])
                // Values that read other variables at run time are the script's own state;
                // `%NAME%` in the others is expanded when the line runs, as cmd.exe does.
                if !value.contains("!"), !value.contains("%%") {
                    let known = LabWinPEStartup(variables: variables, checksCurl: false, nodeTries: 0, nodeURL: "", nodeOutput: "",
                                                logURL: "", finishedURL: "", reports: [:], mapCommands: [], mapTries: 0,
                                                setupProgram: "", answerFile: "", rebootsAfterSetup: false)
                    variables[name.uppercased()] = try known.expand(value)
                }
                continue
            }
            let touches = ["curl", "net use", "reg ", "setup.exe", "wpeutil", "://", "call :", "for /f", "for /l", "geq"]
                .contains { lower.contains($0) }
            guard touches else { continue }
            if line == curlLine {
                checksCurl = true
            } else if line == idParseLine {
                idParse = true
            } else if line.hasPrefix(macLoopPrefix), line.hasSuffix("$\"') do (") {
                macLoop = true
            } else if lower == #"wpeutil initializenetwork >> "%vz_log%" 2>&1"# || lower == #"wpeutil waitfornetwork >> "%vz_log%" 2>&1"# {
                continue
            } else if lower == "wpeutil reboot" {
                reboots = setup != nil
            } else if line.hasPrefix("for /l %%I in (1,1,"), line.hasSuffix(") do if not defined VZ_ID ("),
                      let count = Int(line.dropFirst("for /l %%I in (1,1,".count).prefix { $0.isNumber }) {
                nodeTries = count
            } else if line.hasPrefix("if !VZ_TRY! GEQ ") {
                let rest = line.dropFirst("if !VZ_TRY! GEQ ".count)
                if rest.hasSuffix(" goto have_address") { continue }  // waiting for an address, not the share
                guard section == "map_share", rest.hasSuffix(" ("), let count = Int(rest.dropLast(2)) else { throw unknown() }
                mapTries = count
            } else if line.hasPrefix("curl.exe -fsS -o "), line.hasSuffix(redirect) {
                let body = line.dropFirst("curl.exe -fsS -o ".count).dropLast(redirect.count)
                guard let space = body.firstIndex(of: " ") else { throw unknown() }
                let output = String(body[..<space])
                let quoted = body[body.index(after: space)...]
                guard quoted.count >= 2, quoted.first == "\"", quoted.last == "\"" else { throw unknown() }
                let url = String(quoted.dropFirst().dropLast())
                if section == "report", output == "NUL", url.contains("/log/!VZ_ID!?severity=%~1&msg=%~2") {
                    logURL = url
                } else if output == "NUL", url.hasSuffix("/stage-done/!VZ_ID!?name=finished") {
                    finishedURL = url
                } else if url.hasSuffix("/nodeid?!VZ_HWID!") {
                    nodeURL = url
                    nodeOutput = output
                } else {
                    throw unknown()
                }
            } else if line.hasPrefix("call :report ") {
                let words = line.split(separator: " ")
                guard words.count == 4, ["info", "warn", "error"].contains(words[2]),
                      let report = Report(rawValue: String(words[3])) else { throw unknown() }
                reports[report] = String(words[2])
            } else if lower.hasPrefix("net use z: /delete") {
                continue
            } else if lower.hasPrefix("reg ") {
                guard let value = Self.regAdd(line) else { throw unknown() }
                // A value written after the share is first mapped does not help that mapping.
                if mapCommands.isEmpty { registry.append(value) }
            } else if let netUse = Self.netUse(line) {
                guard section == "map_share" else { throw unknown() }
                mapCommands.append(netUse)
            } else if line.hasPrefix(#"Z:\setup.exe /unattend:""#), line.hasSuffix(#"" /noreboot"#) {
                let answer = line.dropFirst(#"Z:\setup.exe /unattend:""#.count).dropLast(#"" /noreboot"#.count)
                setup = (#"Z:\setup.exe"#, String(answer))
            } else {
                throw unknown()
            }
        }
        guard delayed else {
            throw LabGuestFailure("\(name) does not enable delayed expansion: !VZ_ID! and the like would stay literal")
        }
        guard macLoop, hwid else { throw LabGuestFailure("\(name) does not build its hardware ids from ipconfig /all as the lab knows it") }
        guard let nodeTries, let nodeURL, let nodeOutput, idParse else {
            throw LabGuestFailure("\(name) asks Razor for its node id in a way the lab does not know")
        }
        guard let logURL else { throw LabGuestFailure("\(name) has no :report subroutine that calls /svc/log") }
        guard let finishedURL else { throw LabGuestFailure("\(name) never reports the stage 'finished'") }
        guard let mapTries, !mapCommands.isEmpty, mapCommands.first?.onlyAfterFailure == false else {
            throw LabGuestFailure("\(name) maps no share in a loop the lab knows")
        }
        guard let setup else { throw LabGuestFailure("\(name) never starts Z:\\setup.exe") }
        let missing = Report.allCases.filter { reports[$0] == nil }
        guard missing.isEmpty else {
            throw LabGuestFailure("\(name) lacks the reports \(missing.map(\.rawValue).joined(separator: ", "))")
        }
        let startup = LabWinPEStartup(variables: variables, checksCurl: checksCurl, nodeTries: nodeTries, nodeURL: nodeURL,
                                      nodeOutput: nodeOutput, logURL: logURL, finishedURL: finishedURL, reports: reports,
                                      mapCommands: mapCommands, mapTries: mapTries, setupProgram: setup.0,
                                      answerFile: setup.1, rebootsAfterSetup: reboots)
        var expanded = startup
        expanded.registryBeforeMapping = registry
        expanded.answerFile = try startup.expand(setup.1)
        expanded.mapCommands = try mapCommands.map { command throws(LabGuestFailure) in
            var copy = command
            copy.share = try startup.expand(command.share)
            return copy
        }
        return expanded
    }

    /// `net use Z: "<share>" [ "<password>" ] [ /user:"<user>" ] [ /persistent:no|yes ] [ < NUL ] >> "%VZ_LOG%" 2>&1`,
    /// optionally after `if errorlevel 1 `.
    static func netUse(_ line: String) -> NetUse? {
        var rest = Substring(line)
        var afterFailure = false
        if rest.hasPrefix("if errorlevel 1 ") {
            afterFailure = true
            rest = rest.dropFirst("if errorlevel 1 ".count)
        }
        guard rest.hasPrefix(#"net use Z: ""#), rest.hasSuffix(redirect) else { return nil }
        rest = rest.dropFirst(#"net use Z: "#.count).dropLast(redirect.count)
        var inputFromNUL = false
        if rest.lowercased().hasSuffix(" < nul") {
            inputFromNUL = true
            rest = rest.dropLast(" < NUL".count)
        }
        var quoted: [String] = []
        var user: String?
        var persistent: Bool?
        while !rest.isEmpty {
            if rest.first == "\"" {
                let body = rest.dropFirst()
                guard let end = body.firstIndex(of: "\"") else { return nil }
                quoted.append(String(body[..<end]))
                rest = body[body.index(after: end)...]
            } else if rest.hasPrefix(#"/user:""#) {
                let body = rest.dropFirst(#"/user:""#.count)
                guard user == nil, let end = body.firstIndex(of: "\"") else { return nil }
                user = String(body[..<end])
                rest = body[body.index(after: end)...]
            } else if let word = rest.split(separator: " ", maxSplits: 1).first,
                      ["/persistent:no", "/persistent:yes"].contains(word.lowercased()), persistent == nil {
                persistent = word.lowercased() == "/persistent:yes"
                rest = rest.dropFirst(word.count)
            } else {
                return nil
            }
            guard rest.isEmpty || rest.first == " " else { return nil }
            if rest.first == " " { rest = rest.dropFirst() }
        }
        switch quoted.count {
        case 1: return NetUse(share: quoted[0], user: user, password: nil, onlyAfterFailure: afterFailure,
                              persistent: persistent, inputFromNUL: inputFromNUL)
        case 2 where user != nil: return NetUse(share: quoted[0], user: user, password: quoted[1], onlyAfterFailure: afterFailure,
                              persistent: persistent, inputFromNUL: inputFromNUL)
        default: return nil
        }
    }

    /// `reg add "<key>" /v <name> /t <type> /d <data> /f >> "%VZ_LOG%" 2>&1`. Without
    /// `/f`, reg.exe asks before it overwrites a value: a shape the lab does not take.
    static func regAdd(_ line: String) -> RegistryValue? {
        guard line.hasPrefix(#"reg add ""#), line.hasSuffix(redirect) else { return nil }
        let body = line.dropFirst(#"reg add ""#.count).dropLast(redirect.count)
        guard let end = body.firstIndex(of: "\"") else { return nil }
        let key = String(body[..<end])
        let words = body[body.index(after: end)...].split(separator: " ").map(String.init)
        guard words.count == 7, words[0].lowercased() == "/v", words[2].lowercased() == "/t", words[4].lowercased() == "/d",
              words[6].lowercased() == "/f", ["REG_DWORD", "REG_SZ"].contains(words[3].uppercased()) else { return nil }
        guard key.uppercased().hasPrefix(#"HKLM\"#) else { return nil }
        return RegistryValue(key: key, name: words[1], type: words[3].uppercased(), data: words[5])
    }

    /// Expands `%NAME%` from the script's fixed variables (and WinPE's
    /// `%SYSTEMROOT%`), `!NAME!` from `runtime`, `%~1`/`%~2` from `arguments`.
    public func expand(_ template: String, runtime: [String: String] = [:], arguments: [String] = []) throws(LabGuestFailure) -> String {
        var out = ""
        var rest = Substring(template)
        while let first = rest.first {
            if first == "%", rest.dropFirst().first == "~", let digit = rest.dropFirst(2).first?.wholeNumberValue {
                guard digit >= 1, digit <= arguments.count else { throw LabGuestFailure("vizor-winpe.cmd: %~\(digit) has no argument") }
                out += arguments[digit - 1]
                rest = rest.dropFirst(3)
            } else if first == "%" || first == "!", let end = rest.dropFirst().firstIndex(of: first) {
                let name = rest[rest.index(after: rest.startIndex)..<end].uppercased()
                let value: String?
                if first == "!" {
                    value = runtime[name]
                } else if name == "SYSTEMROOT" || name == "WINDIR" {
                    value = LabWinPEShell.systemRoot
                } else {
                    value = variables[name]
                }
                guard let value else { throw LabGuestFailure("vizor-winpe.cmd: \(first)\(name)\(first) is not set where it is used") }
                out += value
                rest = rest[rest.index(after: end)...]
            } else {
                out.append(first)
                rest = rest.dropFirst()
            }
        }
        return out
    }

    /// What the node id loop reads from Razor's answer: `for /f "tokens=2
    /// delims=:}"` over the file, `%%~V` (quotes dropped), spaces removed.
    public static func nodeID(fromAnswer text: String) -> String? {
        var found: String?
        for line in LabScriptText.lines(text) where !line.isEmpty {
            let tokens = line.split(whereSeparator: { $0 == ":" || $0 == "}" })
            guard tokens.count >= 2 else { continue }
            var value = String(tokens[1])
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            found = value
        }
        return found.map { $0.replacingOccurrences(of: " ", with: "") }.flatMap { $0.isEmpty ? nil : $0 }
    }
}
