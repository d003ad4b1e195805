import BackendKit
import Foundation

/// The `curl.exe` the WinPE start-up uses for every HTTP request. No Microsoft
/// document lists curl.exe in the WinPE of a Windows ISO's `boot.wim`
/// (community WinPE tools inject their own), so an operator can configure one
/// per architecture; Vizor serves it as the job's `curl.exe` artefact and
/// wimboot injects it into `X:\Windows\System32`. WinPE has no WOW64: the
/// program must be built for the WinPE's own architecture.
public enum WinPECurl {
    /// Reads and checks a configured curl.exe; the error says what to change.
    public static func load(path: String, architecture: WindowsArchitecture) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw BackendError(.invalidInput, backend: provisioningBackendName,
                               message: "the WinPE curl.exe for \(architecture.rawValue), \(path), "
                                   + (exists ? "cannot be read" : "does not exist"),
                               hint: exists ? "make it readable by the user running vizor"
                                   : "put a \(architecture.rawValue) curl.exe there, or remove the setting")
        }
        let bytes = [UInt8](data)
        if let problem = problem(bytes, architecture: architecture) {
            throw BackendError(.invalidInput, backend: provisioningBackendName,
                               message: "the WinPE curl.exe for \(architecture.rawValue), \(path), \(problem)",
                               hint: "WinPE runs only programs of its own architecture; use a \(architecture.rawValue) build of curl.exe")
        }
        return bytes
    }

    /// Why these bytes cannot serve as curl.exe in a WinPE of this
    /// architecture, or nil when they can.
    public static func problem(_ bytes: [UInt8], architecture: WindowsArchitecture) -> String? {
        guard let image = PEImage(prefix: Array(bytes.prefix(4096))) else { return "is not a Windows program (no PE header)" }
        guard image.machine.windowsArchitecture == architecture else {
            return "is a \(image.machine) program, not \(architecture.rawValue)"
        }
        guard image.isConsoleProgram else { return "is \(image.summary), not a console program" }
        return nil
    }
}
