/// The ordered post-install sequence for one job: built-in steps that apply,
/// with the operator's custom steps inserted where the spec says.
public struct PostInstallPlan: Sendable, Equatable {
    public struct Step: Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            case builtIn(BuiltInStep, round: Int)
            case custom(CustomStep)
        }
        /// The name shown on the dashboard and used in stage events.
        public var name: String
        /// The step's file name, served next to the runner.
        public var fileName: String
        public var kind: Kind
        /// True for the last step (sysprep, or nothing for a plain VM): when it
        /// has succeeded, the runner reports the end and powers the machine off.
        public var seals: Bool
    }

    public let steps: [Step]

    public init(_ install: ValidatedInstall) {
        let spec = install.spec
        var kinds: [Step.Kind] = []
        func customs(_ matching: (StepPosition) -> Bool) {
            kinds += spec.customSteps.filter { matching($0.position) }.map { .custom($0) }
        }
        customs { $0 == .first }
        for builtIn in BuiltInStep.allCases {
            switch builtIn {
            case .guestTools where spec.guestTools != .none:
                kinds.append(.builtIn(.guestTools, round: 0))
            case .languagePacks where !spec.languagePacks.isEmpty:
                kinds.append(.builtIn(.languagePacks, round: 0))
            case .regionalSettings:
                kinds.append(.builtIn(.regionalSettings, round: 0))
            case .windowsUpdate where spec.windowsUpdateRounds > 0:
                for round in 1...spec.windowsUpdateRounds { kinds.append(.builtIn(.windowsUpdate, round: round)) }
            case .seal:
                customs { $0 == .beforeSeal || $0 == .after(.seal) }
                kinds.append(.builtIn(.seal, round: 0))
                continue
            default:
                break
            }
            customs { $0 == .after(builtIn) }
        }
        var steps: [Step] = []
        for (number, kind) in kinds.enumerated() {
            let name: String
            var seals = false
            switch kind {
            case .builtIn(let builtIn, let round):
                name = round > 0 ? "\(builtIn.rawValue)-\(round)" : builtIn.rawValue
                seals = builtIn == .seal
            case .custom(let custom):
                name = "custom-" + custom.name
            }
            let prefix = number + 1 < 10 ? "0\(number + 1)" : String(number + 1)
            steps.append(Step(name: name, fileName: "step-\(prefix)-\(name).ps1", kind: kind, seals: seals))
        }
        self.steps = steps
    }
}

/// PowerShell single-quoted literals: the only escape is a doubled quote
/// (PowerShell also treats typographic single quotes as quotes).
func psQuote(_ text: String) -> String {
    var out = "'"
    for character in text {
        switch character {
        case "'", "\u{2018}", "\u{2019}", "\u{201A}", "\u{201B}": out.append(character); out.append(character)
        default: out.append(character)
        }
    }
    return out + "'"
}
