import Foundation
import VizorAgent

/// Holds a subscription to the agent open while a dashboard runs, and opens
/// it again (starting an agent if need be) when the agent goes away, so the
/// agent knows it has a client.
@MainActor
final class AgentPresence {
    let purpose: String
    private var task: Task<Void, Never>?
    /// Whether the subscription is open now.
    private(set) var connected = false

    init(purpose: String) {
        self.purpose = purpose
    }

    func start() {
        let purpose = self.purpose
        task = Task { [weak self] in
            while !Task.isCancelled {
                if let client = try? await agentClient() {
                    do {
                        for try await _ in client.events(purpose: purpose) { self?.connected = true }
                    } catch {}
                }
                self?.connected = false
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    func stop() {
        task?.cancel()
        task = nil
    }
}
