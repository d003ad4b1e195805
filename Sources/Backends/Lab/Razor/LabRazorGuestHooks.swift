import Foundation

/// Hooks the lab's guest simulation needs beyond the Windows-task shaped
/// `advanceWindowsInstall`: Vizor's post-install runner reports each step
/// through `/svc/stage-done` with its own stage names.
extension LabRazorServer {
    /// A `/svc/stage-done/<id>?name=<name>` call from the node: a `stage_done`
    /// log entry, `boot_count` up, and `finished` marks the node installed.
    public func simulateStageDone(node: String, name: String) async throws {
        try await state.simulateStageDone(node: node, name: name)
    }
}

extension LabRazorState {
    func simulateStageDone(node name: String, name stage: String) throws {
        guard let index = node(named: name) else { throw LabRazorSimulationError(status: 404, message: "no node matched name=\(name)") }
        stageDone(index, name: stage)
    }
}
