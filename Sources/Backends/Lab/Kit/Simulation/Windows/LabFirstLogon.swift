import Foundation

/// One of the oobeSystem FirstLogonCommands Vizor renders, read from its
/// command line. Windows runs them once, at the first logon, in their order,
/// each to its end. The lab knows the exact command lines Vizor writes; any
/// other is an error, so a change to the rendering fails the lab instead of
/// letting it guess what the command does.
public enum LabFirstLogonCommand: Sendable, Equatable {
    /// `cmd.exe /c if not exist "<dir>" mkdir "<dir>"`.
    case makeDirectory(String)
    /// A PowerShell download of `url` to `path`: `tries` attempts, each with
    /// a deadline (`timeout`, milliseconds; WebClient's own 100 s when nil).
    case download(url: String, path: String, tries: Int, timeout: Int?)
    /// `powershell.exe ... -File "<path>"`.
    case runScript(String)

    static let powershell = #"%SystemRoot%\System32\WindowsPowerShell\v1.0\powershell.exe -NoProfile -ExecutionPolicy Bypass "#

    public static func parse(_ line: String) throws(LabGuestFailure) -> LabFirstLogonCommand {
        let unknown = LabGuestFailure("FirstLogonCommand has a shape the lab's Windows does not know: \(line)")
        if line.hasPrefix(#"cmd.exe /c if not exist ""#) {
            let rest = line.dropFirst(#"cmd.exe /c if not exist ""#.count)
            guard let end = rest.firstIndex(of: "\"") else { throw unknown }
            let directory = String(rest[..<end])
            guard rest[end...] == #"" mkdir "\#(directory)""# else { throw unknown }
            return .makeDirectory(directory)
        }
        guard line.hasPrefix(powershell) else { throw unknown }
        let rest = line.dropFirst(powershell.count)
        if rest.hasPrefix(#"-File ""#), rest.hasSuffix("\"") {
            let path = rest.dropFirst(#"-File ""#.count).dropLast()
            guard !path.contains("\"") else { throw unknown }
            return .runScript(String(path))
        }
        guard rest.hasPrefix(#"-Command ""#), rest.hasSuffix("\"") else { throw unknown }
        let script = rest.dropFirst(#"-Command ""#.count).dropLast()
        if script.hasPrefix("(New-Object System.Net.WebClient).DownloadFile(") {
            let arguments = script.dropFirst("(New-Object System.Net.WebClient).DownloadFile(".count)
            guard let url = LabScriptText.leadingSingleQuoted(arguments), url.rest.hasPrefix(", "),
                  let path = LabScriptText.leadingSingleQuoted(url.rest.dropFirst(2)), path.rest == ")" else { throw unknown }
            return .download(url: url.value, path: path.value, tries: 1, timeout: nil)
        }
        // The retrying download: `$u = '<url>'; $f = '<path>'; for ($i = 1; $i -le <n>; ...`, exactly as rendered.
        guard script.hasPrefix("$u = "), let url = LabScriptText.leadingSingleQuoted(script.dropFirst(5)),
              url.rest.hasPrefix("; $f = "), let path = LabScriptText.leadingSingleQuoted(url.rest.dropFirst(7)),
              path.rest.hasPrefix("; for ($i = 1; $i -le ") else { throw unknown }
        let counted = path.rest.dropFirst("; for ($i = 1; $i -le ".count)
        guard let tries = Int(counted.prefix { $0.isNumber }),
              let timeoutStart = script.range(of: "$q.Timeout = "),
              let timeout = Int(script[timeoutStart.upperBound...].prefix { $0.isNumber }) else { throw unknown }
        guard String(script) == retryingDownload(url: url.value, path: path.value, tries: tries, timeout: timeout) else { throw unknown }
        return .download(url: url.value, path: path.value, tries: tries, timeout: timeout)
    }

    /// The retrying download's PowerShell, as Vizor renders it: HttpWebRequest
    /// with a deadline for the answer and for each read (PowerShell 2 has no
    /// Invoke-WebRequest), into `<path>.part`, moved into place when complete.
    static func retryingDownload(url: String, path: String, tries: Int, timeout: Int) -> String {
        "$u = \(quote(url)); $f = \(quote(path)); for ($i = 1; $i -le \(tries); $i++) { $r = $null; $o = $null; try { "
            + "$q = [Net.WebRequest]::Create($u); $q.Timeout = \(timeout); $q.ReadWriteTimeout = \(timeout); "
            + "$r = $q.GetResponse(); $s = $r.GetResponseStream(); $o = [IO.File]::Create($f + '.part'); "
            + "$b = New-Object byte[] 65536; while (($n = $s.Read($b, 0, $b.Length)) -gt 0) { $o.Write($b, 0, $n) }; "
            + "$o.Close(); $r.Close(); Move-Item -Force -Path ($f + '.part') -Destination $f; exit 0 } "
            + "catch { if ($o) { $o.Close() }; if ($r) { $r.Close() }; Start-Sleep -Seconds (5 * $i) } }; exit 1"
    }

    static func quote(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
}
