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
    private var task: Task<Void, Never>?
    /// Whether the subscription is open now.
    private(set) var connected = false

    init(purpose: String, onChange: @escaping @MainActor (Bool) -> Void = { _ in }) {
        self.purpose = purpose
        self.onChange = onChange
    }

    func start() {
        let purpose = self.purpose
        task = Task { [weak self] in
            while !Task.isCancelled {
                if let client = try? await agentClient() {
                    do {
                        for try await event in client.events(purpose: purpose) where event.kind == .hello {
                            self?.set(true)
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
