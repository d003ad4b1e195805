import Foundation

/// `winpeshl.ini` as WinPE's shell launcher (`winpeshl.exe`) reads it from
/// `X:\Windows\System32`: the apps of `[LaunchApps]`, one a line, in order,
/// each `path, arguments` (the first comma separates them), each run to its
/// end before the next; then the `[LaunchApp]` `AppPath` as the shell.
/// Without the file, WinPE starts the image's own shell: on Windows media,
/// Windows Setup, which waits at its first page for someone at the console.
public struct LabWinPEShell: Sendable, Equatable {
    public struct App: Sendable, Equatable {
        /// The program, `%SYSTEMROOT%` expanded (`X:\Windows`).
        public var path: String
        public var arguments: String

        public init(path: String, arguments: String) {
            self.path = path
            self.arguments = arguments
        }
    }

    public var apps: [App]

    public init(apps: [App]) { self.apps = apps }

    /// WinPE's system root, where wimboot injects files (`System32`).
    public static let systemRoot = #"X:\Windows"#

    public static func parse(_ text: String) throws(LabGuestFailure) -> LabWinPEShell {
        var section = ""
        var apps: [App] = []
        var shell: App?
        for raw in LabScriptText.lines(text) {
            let line = LabScriptText.trimmed(raw)
            if line.isEmpty || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]") else { throw LabGuestFailure("winpeshl.ini: section header '\(line)' has no closing ']'") }
                section = line.dropFirst().dropLast().lowercased()
                continue
            }
            switch section {
            case "launchapps":
                let parts = line.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false)
                let path = expand(LabScriptText.trimmed(String(parts[0])))
                let arguments = parts.count > 1 ? expand(LabScriptText.trimmed(String(parts[1]))) : ""
                apps.append(App(path: path, arguments: arguments))
            case "launchapp":
                let pair = line.split(separator: "=", maxSplits: 1).map { LabScriptText.trimmed(String($0)) }
                guard pair.count == 2, pair[0].lowercased() == "apppath" else {
                    throw LabGuestFailure("winpeshl.ini: [LaunchApp] holds '\(line)', not AppPath = <program>")
                }
                let parts = pair[1].split(separator: " ", maxSplits: 1)
                shell = App(path: expand(String(parts.first ?? "")), arguments: parts.count > 1 ? expand(String(parts[1])) : "")
            default:
                throw LabGuestFailure("winpeshl.ini: '\(line)' is outside [LaunchApps] and [LaunchApp]")
            }
        }
        if let shell { apps.append(shell) }
        guard !apps.isEmpty else { throw LabGuestFailure("winpeshl.ini launches nothing: no [LaunchApps] entry and no [LaunchApp] AppPath") }
        return LabWinPEShell(apps: apps)
    }

    /// `%SYSTEMROOT%` and `%SYSTEMDRIVE%` as WinPE sets them; other variables stay.
    static func expand(_ text: String) -> String {
        var out = text
        for (name, value) in [("%SYSTEMROOT%", systemRoot), ("%WINDIR%", systemRoot), ("%SYSTEMDRIVE%", "X:")] {
            out = out.replacingOccurrences(of: name, with: value, options: .caseInsensitive)
        }
        return out
    }
}
