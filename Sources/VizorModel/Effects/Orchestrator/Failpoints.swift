import BackendKit
import Foundation
import VizorStore

/// Named points in the install pipeline where a test can inject an action,
/// after FreeBSD's fail(9) and TiKV's fail-rs. Crash tests need to stop a
/// real `vizor` process at the harshest places: just after a step's side
/// effect happened (the VM exists) and before the journal says so. The
/// points are a value carried in `OrchestratorConfiguration`, parsed once
/// from `VIZOR_FAILPOINTS` when a process starts; nothing is global, and an
/// empty value (the production case) costs one dictionary look-up per point.
///
/// Syntax: `point=action[;point=action...]`, e.g.
/// `after:create-container=kill`. Points:
/// - `after:<step>`: the step's side effect happened, its identifiers are not journaled yet;
/// - `end:<step>`: the step's body returned, its outcome is not journaled yet.
/// `<step>` is a journal step name (`expose-media`, `render-artefacts`,
/// `create-container`, `razor-artefacts`, `boot-and-follow`,
/// `template-and-publish`, `clean-up`). Actions:
/// - `kill`: SIGKILL to this very process (no handler, no flush: a crash);
/// - `error`: the step fails with a `failpoint` error, as from a backend failure.
public struct Failpoints: Sendable, Equatable {
    /// What happens when a configured point is reached.
    public enum Action: String, Sendable, Equatable, CaseIterable {
        case kill
        case error
    }

    /// Where in a step a point sits.
    public enum Place: String, Sendable, Equatable, CaseIterable {
        case after
        case end
    }

    /// The environment variable a `vizor` process reads its failpoints from.
    public static let environmentVariable = "VIZOR_FAILPOINTS"
    /// No failpoint: the production value.
    public static let none = Failpoints()

    public private(set) var actions: [String: Action] = [:]

    public init() {}

    public init(_ actions: [String: Action]) {
        self.actions = actions
    }

    /// Parses `point=action;...`; throws a usage error naming what is wrong, so a
    /// test with a typo fails loudly instead of silently running without its crash.
    public init(parsing text: String) throws {
        for entry in text.split(whereSeparator: { $0 == ";" || $0 == "," }) {
            let item = entry.trimmingCharacters(in: .whitespaces)
            if item.isEmpty { continue }
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let action = Action(rawValue: parts[1]) else {
                throw Self.invalid(item, "expected point=action with action \(Action.allCases.map(\.rawValue).joined(separator: " or "))")
            }
            let point = parts[0].split(separator: ":", maxSplits: 1).map(String.init)
            guard point.count == 2, let place = Place(rawValue: point[0]), let step = InstallStep(rawValue: point[1]) else {
                let steps = InstallStep.allCases.map(\.rawValue).joined(separator: ", ")
                throw Self.invalid(item, "a point is after:<step> or end:<step> with a step among \(steps)")
            }
            actions[Self.name(place, step)] = action
        }
    }

    /// The failpoints of this process: `VIZOR_FAILPOINTS` in `environment`, none when unset.
    public init(environment: [String: String]) throws {
        try self.init(parsing: environment[Self.environmentVariable] ?? "")
    }

    public var isEmpty: Bool { actions.isEmpty }

    public static func name(_ place: Place, _ step: InstallStep) -> String { "\(place.rawValue):\(step.rawValue)" }

    /// Performs the action configured at the point, if any: `kill` never returns.
    public func hit(_ place: Place, _ step: InstallStep) throws {
        guard !actions.isEmpty, let action = actions[Self.name(place, step)] else { return }
        switch action {
        case .kill:
            kill(getpid(), SIGKILL)
            // A signal sent to oneself is delivered before kill(2) returns; never go on regardless.
            while true { _ = pause() }
        case .error:
            throw BackendError(.remoteFailure, backend: "failpoint", message: "failpoint \(Self.name(place, step)) hit",
                               hint: "unset \(Self.environmentVariable) (a test facility)")
        }
    }

    static func invalid(_ item: String, _ why: String) -> BackendError {
        BackendError(.invalidInput, backend: "vizor", message: "\(environmentVariable): cannot read '\(item)': \(why)",
                     hint: "unset \(environmentVariable) unless you run Vizor's crash tests")
    }
}
