import Foundation
import Testing
@testable import VizorModel
import VizorTUI

/// The header's agent badge: present only when the dashboard uses an agent,
/// ok while its subscription is open, failing ("reconnecting") while not.
@Suite("Agent badge in the header")
struct AgentBadgeTests {
    @Test func theHeaderShowsTheAgentConnectedThenReconnecting() {
        var state = ModelFixtures.state
        #expect(!ModelProjection.badges(state).contains { $0.name == "Agent" }, "no agent, no badge")

        _ = VizorModel.reduce(&state, .agentLinkChanged(.connected(since: state.now)))
        #expect(ModelProjection.badges(state).last == HealthBadge(name: "Agent", status: .ok))

        let lost = Date(timeIntervalSince1970: 1_796_660_000)
        _ = VizorModel.reduce(&state, .agentLinkChanged(.reconnecting(since: lost)))
        let badge = ModelProjection.badges(state).last
        #expect(badge?.name == "Agent")
        guard case .failing(let detail)? = badge?.status else {
            Issue.record("the agent badge is \(String(describing: badge?.status)), not failing")
            return
        }
        #expect(detail.hasPrefix("reconnecting since "), "\(detail)")
    }
}
