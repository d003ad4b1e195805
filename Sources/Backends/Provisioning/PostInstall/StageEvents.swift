import BackendKit

/// How the post-install runner's `/svc/stage-done` names read back: the
/// orchestrator and the dashboard turn Razor's `stage_done` log entries into
/// progress with this, without knowing the runner's naming rules.
public enum StageEvent: Sendable, Equatable {
    /// WinPE: Windows Setup finished its first phase (Razor marks the node installed).
    case setupFinished
    case stepBegan(String)
    case stepEnded(String)
    case stepFailed(String)
    /// Every step has ended; the machine is sealing or powering off.
    case sequenceFinished
    case sequenceFailed

    /// Reads a stage name; nil for names the runner never sends.
    public init?(stageName: String) {
        switch stageName {
        case "finished": self = .setupFinished
        case "postinstall_finished": self = .sequenceFinished
        case "postinstall_failed": self = .sequenceFailed
        default:
            for (suffix, make) in [("_begins", StageEvent.stepBegan), ("_ends", StageEvent.stepEnded),
                                   ("_failed", StageEvent.stepFailed)] where stageName.hasSuffix(suffix) {
                let step = String(stageName.dropLast(suffix.count))
                guard !step.isEmpty else { return nil }
                self = make(step)
                return
            }
            return nil
        }
    }
}

extension PostInstallPlan {
    /// Stage names in the order a successful install reports them, for progress bars.
    public var expectedStages: [String] {
        ["finished"] + steps.flatMap { [$0.name + "_begins", $0.name + "_ends"] } + ["postinstall_finished"]
    }
}

extension CustomStep {
    /// Reads an operator's PowerShell file; a clear error when it cannot be read.
    public init(name: String, contentsOf path: String, position: StepPosition = .beforeSeal) throws {
        guard let text = readTextFile(path) else {
            throw BackendError(.invalidInput, backend: provisioningBackendName,
                               message: "custom step '\(name)': cannot read PowerShell file \(path)",
                               hint: "check the path and that the file is UTF-8 text")
        }
        self.init(name: name, script: text, position: position)
    }
}
