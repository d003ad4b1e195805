import Foundation

/// Where an install job stands; the orchestrator moves it forward, the
/// Installs pane shows it.
public enum InstallPhase: String, Sendable, Codable, CaseIterable {
    case queued, exposingMedia, renderingArtefacts, creatingMachine, provisioning, booting, installing,
         converting, publishing, cleaningUp, done, failed, cancelled

    public var isFinished: Bool { self == .done || self == .failed || self == .cancelled }
}

/// One unattended install (a VM, or a template when `makeTemplate` is set).
public struct InstallJob: Sendable, Equatable, Codable, Identifiable {
    public var id: String
    public var site: String
    public var machineName: String
    public var imageID: String
    public var editionIndex: Int
    public var makeTemplate: Bool
    public var phase: InstallPhase
    /// 0...1, for the progress bar.
    public var progress: Double
    public var machineID: String?
    public var error: String?
    public var events: [InstallEvent]

    public init(id: String, site: String, machineName: String, imageID: String, editionIndex: Int,
                makeTemplate: Bool = false, phase: InstallPhase = .queued, progress: Double = 0,
                machineID: String? = nil, error: String? = nil, events: [InstallEvent] = []) {
        self.id = id
        self.site = site
        self.machineName = machineName
        self.imageID = imageID
        self.editionIndex = editionIndex
        self.makeTemplate = makeTemplate
        self.phase = phase
        self.progress = progress
        self.machineID = machineID
        self.error = error
        self.events = events
    }
}

/// One line of an install's history: a step done, a Razor node-log entry, an error.
public struct InstallEvent: Sendable, Equatable, Codable {
    public var time: Date
    public var severity: String
    public var source: String
    public var message: String

    public init(time: Date, severity: String = "info", source: String, message: String) {
        self.time = time
        self.severity = severity
        self.source = source
        self.message = message
    }
}
