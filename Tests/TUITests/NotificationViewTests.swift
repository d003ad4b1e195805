import Foundation
import Testing
import VizorModel
import VizorTUI

/// Job endings reach the dashboard as model notifications: a flash in the
/// status line, a header badge until the list (N) is opened, the list itself.
@Suite("Notifications in the dashboard")
@MainActor
struct NotificationViewTests {
    /// A dashboard over a model that really reduces what the dashboard sends.
    final class Model {
        var state: AppState
        init(_ state: AppState) { self.state = state }
        func send(_ action: Action) { _ = reduce(&state, action) }
    }

    static func dashboard(_ size: Size) -> (DashboardProgram, Model) {
        let model = Model(ModelFixtures.state)
        let program = DashboardProgram(shell: ShellStore(state: DashboardProgram.initialShellState(size: size)),
                                       source: { model.state }, dispatch: { model.send($0) })
        return (program, model)
    }

    /// job-a (installing in the fixture) succeeds; a second running job fails.
    static func finishJobs(_ model: Model, _ dashboard: DashboardProgram) {
        var running = model.state.installs["job-a"]!
        var other = running
        other.id = "job-d"
        other.machineName = "app-02"
        model.send(.installUpdated(other))
        running.phase = .done
        running.progress = 1
        model.send(.installUpdated(running))
        other.phase = .failed
        other.error = "guest did not power off within 60 min"
        model.send(.installUpdated(other))
        dashboard.receive(.modelChanged(nil))
    }

    @Test func aFinishedJobFlashesBadgesTheHeaderAndOpeningTheListAcknowledges() {
        let (dashboard, model) = Self.dashboard(Size(width: 120, height: 30))
        Self.finishJobs(model, dashboard)
        #expect(dashboard.shell.state.flash == "install of app-02 failed (job job-d): guest did not power off within 60 min")
        #expect(dashboard.shell.state.unreadNotices == 2 && dashboard.shell.state.unreadFailures == 1)
        #expect(dashboard.frame().line(0).contains("✉ 2 new (N)"))
        // A key clears the flash; the badge stays until the list is opened.
        dashboard.type("2")
        #expect(dashboard.shell.state.flash == nil && dashboard.frame().line(0).contains("✉ 2"))
        dashboard.type("N")
        #expect(model.state.unacknowledgedJobNotifications.isEmpty)
        #expect(dashboard.shell.state.unreadNotices == 0)
        let frame = dashboard.frame()
        #expect((0..<frame.height).contains { frame.line($0).contains("✔ install of win11-a succeeded (job job-a)") })
        dashboard.press(.escape)
        #expect(!dashboard.frame().line(0).contains("✉"))
    }

    @Test(arguments: DashboardSnapshotTests.sizes) func headerBadgeAndNotificationsList(size: Size) {
        let (dashboard, model) = Self.dashboard(size)
        dashboard.type("4")
        Self.finishJobs(model, dashboard)
        assertSnapshot(dashboard.frame(), named: "dash-notice-badge-\(size)")
        dashboard.type("N")
        assertSnapshot(dashboard.frame(), named: "dash-notifications-\(size)")
    }
}
