import Foundation
import VizorAgent

/// Holds a subscription to the agent open while a dashboard runs, and opens
/// it again (starting an agent if need be) when the agent goes away, so the
/// agent knows it has a client.
@MainActor
final class AgentPresence {
    let purpose: String
    /// Told when the subscription opens (true) or closes (false): the dashboard's header shows it.
    let onChange: @MainActor (Bool) -> Void
    /// Told when the agent reports a job's change: the dashboard reads the journal then, not at its next poll.
    let onJob: @MainActor () -> Void
    private var task: Task<Void, Never>?
    /// Whether the subscription is open now.
    private(set) var connected = false

    init(purpose: String, onChange: @escaping @MainActor (Bool) -> Void = { _ in }, onJob: @escaping @MainActor () -> Void = {}) {
        self.purpose = purpose
        self.onChange = onChange
        self.onJob = onJob
    }

    func start() {
        let purpose = self.purpose
        task = Task { [weak self] in
            while !Task.isCancelled {
                if let client = try? await agentClient() {
                    do {
                        for try await event in client.events(purpose: purpose) {
                            switch event.kind {
                            case .hello: self?.set(true)
                            case .job: self?.onJob()
                            case .heartbeat: break
                            }
                        }
                    } catch {}
                }
                guard !Task.isCancelled else { return }
                self?.set(false)
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    private func set(_ open: Bool) {
        guard open != connected else { return }
        connected = open
        onChange(open)
    }

    func stop() {
        task?.cancel()
        task = nil
    }
}
