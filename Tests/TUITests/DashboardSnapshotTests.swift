import Testing
import VizorModel
import VizorTUI

/// Every pane, the describe and job views, the log tail, a confirmation and
/// each wizard step, drawn from a model state at 80x24 and 160x48.
@Suite("Dashboard snapshots")
@MainActor
struct DashboardSnapshotTests {
    nonisolated static let sizes = [Size(width: 80, height: 24), Size(width: 160, height: 48)]

    @Test(arguments: sizes) func everyPane(size: Size) {
        let (dashboard, _) = ModelFixtures.dashboard(size)
        for (key, name) in [("1", "catalog"), ("2", "machines"), ("3", "templates"), ("4", "installs")] {
            dashboard.type(key)
            assertSnapshot(dashboard.frame(), named: "dash-\(name)-\(size)")
        }
    }

    @Test(arguments: sizes) func describeViewOfAMachine(size: Size) {
        let (dashboard, _) = ModelFixtures.dashboard(size)
        dashboard.type("2")
        dashboard.press(.enter)
        assertSnapshot(dashboard.frame(), named: "dash-describe-\(size)")
    }

    @Test(arguments: sizes) func jobViewAndLogTail(size: Size) {
        let (dashboard, _) = ModelFixtures.dashboard(size)
        dashboard.type("4")
        dashboard.press(.enter)
        assertSnapshot(dashboard.frame(), named: "dash-job-\(size)")
        dashboard.press(.escape)
        dashboard.type("jl")
        assertSnapshot(dashboard.frame(), named: "dash-log-\(size)")
    }

    @Test(arguments: sizes) func deleteConfirmation(size: Size) {
        let (dashboard, _) = ModelFixtures.dashboard(size)
        dashboard.type("2D")
        dashboard.type("db")
        assertSnapshot(dashboard.frame(), named: "dash-confirm-delete-\(size)")
    }

    @Test(arguments: sizes) func eachWizardStep(size: Size) {
        let (dashboard, _) = ModelFixtures.dashboard(size)
        // Catalog: the first edition row under the Server ISO.
        dashboard.type("jjjj")
        dashboard.type("n")
        assertSnapshot(dashboard.frame(), named: "dash-wizard-1-target-\(size)")
        dashboard.press(.enter)
        assertSnapshot(dashboard.frame(), named: "dash-wizard-2-media-\(size)")
        dashboard.press(.enter)
        dashboard.type("srv-01")
        assertSnapshot(dashboard.frame(), named: "dash-wizard-3-install-\(size)")
        dashboard.press(.enter)
        dashboard.press(.char(" "), .tab)
        dashboard.type("ws2022-std")
        assertSnapshot(dashboard.frame(), named: "dash-wizard-4-template-\(size)")
        dashboard.press(.enter)
        assertSnapshot(dashboard.frame(), named: "dash-wizard-5-review-\(size)")
    }
}
