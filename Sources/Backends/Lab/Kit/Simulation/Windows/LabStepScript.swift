import Foundation

/// What one post-install step file does that the lab can see from outside:
/// the effects below, in the order the file has them. Everything else in a
/// step (the logic around an installer, an operator's own script) is the
/// machine's business; the lab plays its outcome by the step's name.
public struct LabStepScript: Sendable, Equatable {
    public enum Effect: Sendable, Equatable {
        /// `Set-ItemProperty -Path $winlogon -Name 'AutoAdminLogon' -Value '0'`.
        case autoLogonOff
        /// The guest tools installer from a tools CD; `missing` is what the step throws when no CD has it.
        case toolsFromCD(missing: String)
        /// `Save-VizorFile` of each language pack URL, then DISM.
        case downloads([String])
        /// `sysprep /generalize /oobe /quit` with the named answer file from the Vizor directory.
        case sysprep(answerFile: String)
        /// A check for `Sysprep_succeeded.tag` that throws `message` when it is missing.
        case sysprepTagCheck(message: String)
        case output(String)
        case requestReboot
        case removeDirectory
        case powerOff
    }

    public var effects: [Effect]

    public static func parse(_ text: String) -> LabStepScript {
        let lines = LabScriptText.lines(text).map(LabScriptText.trimmed)
        var effects: [Effect] = []
        var packs: [String] = []
        var inPacks = false
        var answers: String?
        for (index, line) in lines.enumerated() {
            let next = index + 1 < lines.count ? lines[index + 1] : ""
            if inPacks {
                if line == ")" { inPacks = false; continue }
                if let url = line.range(of: "; Url = ").map({ line[$0.upperBound...] }),
                   let value = LabScriptText.leadingSingleQuoted(url) {
                    packs.append(value.value)
                }
                continue
            }
            switch line {
            case "$packs = @(": inPacks = true
            case "Set-ItemProperty -Path $winlogon -Name 'AutoAdminLogon' -Value '0'": effects.append(.autoLogonOff)
            case "Request-VizorReboot": effects.append(.requestReboot)
            case "Remove-Item -Path $VizorDir -Recurse -Force -ErrorAction SilentlyContinue": effects.append(.removeDirectory)
            case "Stop-Computer -Force": effects.append(.powerOff)
            case "Save-VizorFile -Url $pack.Url -Target $cab": effects.append(.downloads(packs))
            case #"Invoke-VizorProcess -FilePath $sysprep -Detached -Arguments @('/generalize', '/oobe', '/quit', '/quiet', ('/unattend:"{0}"' -f $answers))"#:
                effects.append(.sysprep(answerFile: answers ?? ""))
            case "if (-not (Test-Path (Join-Path $env:SystemRoot 'System32\\Sysprep\\Sysprep_succeeded.tag'))) {",
                 "if (-not (Test-Path $tag)) {":
                if next.hasPrefix("throw "), let message = LabScriptText.singleQuoted(next.dropFirst(6)) {
                    effects.append(.sysprepTagCheck(message: message))
                }
            case "if (-not $found) {":
                if next.hasPrefix("throw "), let message = LabScriptText.singleQuoted(next.dropFirst(6)) {
                    effects.append(.toolsFromCD(missing: message))
                }
            default:
                if line.hasPrefix("$answers = Join-Path $VizorDir "), let name = LabScriptText.singleQuoted(line.dropFirst("$answers = Join-Path $VizorDir ".count)) {
                    answers = name
                } else if line.hasPrefix("Write-Output "), let text = LabScriptText.singleQuoted(line.dropFirst("Write-Output ".count)) {
                    effects.append(.output(text))
                }
            }
        }
        return LabStepScript(effects: effects)
    }
}
