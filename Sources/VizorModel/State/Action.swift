import BackendKit
import Foundation
import VizorMedia

/// What a machine command does.
public enum MachineVerb: String, Sendable, Codable, CaseIterable {
    case start, stop, forceStop, reboot, delete
}

/// What a template command does.
public enum TemplateVerb: Sendable, Equatable, Codable {
    case publish(featured: Bool)
    case unpublish
    case delete
}

/// A poller's identity: results from an older generation are dropped.
public struct PollerTag: Sendable, Hashable, Codable {
    public var backend: BackendID
    public var generation: Int
    public init(backend: BackendID, generation: Int) {
        self.backend = backend
        self.generation = generation
    }
}

/// Everything that can happen to the model: the operator's intents, clock
/// ticks, and results coming back from effects. `reduce` is the only reader.
public enum Action: Sendable, Equatable {
    // Lifecycle
    /// Sites are known (configuration loaded or the lab started): start polling them.
    case sitesLoaded([Site])
    case selectSite(String)
    /// Time passes: ages health into `stale`.
    case tick(Date)
    /// Stop every poller (the dashboard or CLI is leaving).
    case shutdown

    // Poller results
    case hypervisorChanged(PollerTag, HypervisorChange, at: Date)
    /// The backend's zones or pools, read when its stream (re)connects.
    case locationsLoaded(PollerTag, [String])
    case provisioningRefreshed(PollerTag, [String: Int], at: Date)
    case mediaScanned(PollerTag, [MediaImage], at: Date)
    /// A media scan in progress (files done of total, the current file).
    case mediaScanProgress(PollerTag, MediaScanProgress)
    /// A poller reached its backend; `staleAfter` nil for push streams.
    case backendReached(PollerTag, at: Date, staleAfter: TimeInterval?)
    case backendFailed(PollerTag, BackendError, at: Date, retryIn: TimeInterval, attempt: Int)

    // Operator intents
    case refresh(BackendID)
    case machineCommand(site: String, machineID: String, MachineVerb)
    case templateCommand(site: String, templateID: String, TemplateVerb)
    case dismissNotification(Int)
    /// The operator has seen the notifications (the list was opened).
    case acknowledgeNotifications

    // Command results
    case commandFinished(requestID: Int, backend: BackendID, error: BackendError?, at: Date)

    // Installs (the orchestrator reports through these)
    case installUpdated(InstallJob)
    case installEvent(jobID: String, InstallEvent)
    case catalogLoaded([MediaImage])
    /// The subscription to the agent opened or closed.
    case agentLinkChanged(AgentLink)
}

/// Work the reducer asks for; the `EffectRunner` performs it and reports
/// back with actions. Effects are values so reducer tests can compare them.
public enum Effect: Sendable, Equatable {
    case startPoller(PollerTag)
    case stopPoller(BackendID)
    /// Ask a running poller to poll now instead of waiting for its interval.
    case pollNow(BackendID)
    case runMachineCommand(requestID: Int, backend: BackendID, machineID: String, MachineVerb)
    case runTemplateCommand(requestID: Int, backend: BackendID, templateID: String, TemplateVerb)
}
