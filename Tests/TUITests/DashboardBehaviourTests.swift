import BackendKit
import Foundation
import Testing
import VizorModel
import VizorTUI

@Suite("Dashboard over the model")
@MainActor
struct DashboardBehaviourTests {
    let size = Size(width: 120, height: 30)

    @Test func panesAndHeaderComeFromTheModelState() {
        let (dashboard, _) = ModelFixtures.dashboard(size)
        let state = dashboard.shell.state
        #expect(state.badges.map(\.name) == ["XenServer", "CloudStack", "Razor", "Media"])
        #expect(state.badges.map(\.status) == [.ok, .stale(detail: "since 14:13:20"), .ok, .unknown])
        #expect(state.content(.machines).rows.map { $0.cells[0] }.sorted() == ["db-01", "web-01", "win11-a"])
        #expect(state.content(.templates).rows.count == 2)
        // Catalog is a tree: source, ISO, editions; the unreadable ISO says error.
        let catalog = state.content(.catalog).rows
        #expect(catalog.first?.id == "source:iso share")
        #expect(catalog.contains { $0.id == "edition:img-ws2022:2" })
        #expect(catalog.first { $0.id == "image:img-bad" }?.cells.last == "error")
        // Running machines are coloured ok, halted ones dim.
        let web = state.content(.machines).rows.first { $0.cells[0] == "web-01" }
        #expect(web?.roles[2] == .good)
    }

    @Test func aStrayEnterCannotConfirmADelete() {
        let (dashboard, recorder) = ModelFixtures.dashboard(size)
        dashboard.type("2")          // machines, sorted by name: db-01 first
        dashboard.type("D")
        dashboard.press(.enter, .enter)
        #expect(recorder.actions.isEmpty)
        dashboard.type("db-0")
        dashboard.press(.enter)
        #expect(recorder.actions.isEmpty)
        dashboard.type("1")
        dashboard.press(.enter)
        #expect(recorder.actions == [.machineCommand(site: "lab", machineID: "vm-2", .delete)])
        #expect(dashboard.overlay == nil)
    }

    @Test func stopAsksForF10AndEscCancels() {
        let (dashboard, recorder) = ModelFixtures.dashboard(size)
        dashboard.type("2j")         // web-01
        dashboard.type("S")
        dashboard.press(.enter)
        #expect(recorder.actions.isEmpty)
        dashboard.press(.escape)
        #expect(dashboard.overlay == nil && recorder.actions.isEmpty)
        dashboard.type("S")
        dashboard.press(.function(10))
        #expect(recorder.actions == [.machineCommand(site: "lab", machineID: "vm-1", .stop)])
        dashboard.type("s")
        #expect(recorder.actions.last == .machineCommand(site: "lab", machineID: "vm-1", .start))
    }

    @Test func templateDeleteNeedsTheTemplateName() {
        let (dashboard, recorder) = ModelFixtures.dashboard(size)
        dashboard.type("3D")
        dashboard.type("win11-base")
        dashboard.press(.enter)
        #expect(recorder.actions == [.templateCommand(site: "lab", templateID: "t-2", .delete)])
    }

    @Test func siteSwitchGoesToTheModelAndUnknownSitesAreRefused() {
        let (dashboard, recorder) = ModelFixtures.dashboard(size)
        dashboard.type(":site nowhere")
        dashboard.press(.enter)
        #expect(recorder.actions.isEmpty)
        #expect(dashboard.shell.state.flash?.contains("no site named nowhere") == true)
        dashboard.type(":site lab")
        dashboard.press(.enter)
        #expect(recorder.actions == [.selectSite("lab")])
    }

    @Test func aNewNotificationIsShownInTheStatusLine() {
        var state = ModelFixtures.state
        let box = StateBox(state)
        let shell = ShellStore(state: DashboardProgram.initialShellState(size: size))
        let dashboard = DashboardProgram(shell: shell, source: { box.state }, dispatch: { _ in })
        state.notifications.append(Notification(id: 9, time: state.now, level: .info, text: "install of win11-a finished"))
        box.state = state
        dashboard.receive(.modelChanged(nil))
        #expect(dashboard.shell.state.flash == "install of win11-a finished")
    }

    @Test func jobEventsFlowIntoTheLogTailIncrementally() {
        var state = ModelFixtures.state
        let box = StateBox(state)
        let dashboard = DashboardProgram(shell: ShellStore(state: DashboardProgram.initialShellState(size: size)),
                                         source: { box.state }, dispatch: { _ in })
        #expect(dashboard.tails["job-a"]?.lines.count == 7)
        state.installs["job-a"]!.events.append(InstallEvent(time: state.now, severity: "error", source: "razor", message: "stage failed"))
        box.state = state
        dashboard.receive(.modelChanged(nil))
        #expect(dashboard.tails["job-a"]?.lines.count == 8)
        #expect(dashboard.tails["job-a"]?.lines.last?.message == "stage failed")
    }

    @MainActor final class StateBox {
        var state: AppState
        init(_ state: AppState) { self.state = state }
    }
}
