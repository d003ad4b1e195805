import Testing
import VizorModel
import VizorTUI

/// Mouse support: off unless enabled; when on, a click selects a tab or a
/// table row and the wheel moves the selection; overlays ignore clicks.
@Suite("Mouse")
@MainActor
struct MouseTests {
    let size = Size(width: 120, height: 30)

    @Test func reportingIsOffUnlessTheFlagOrTheConfigurationTurnsItOn() {
        #expect(MouseSetting.enabled(flag: nil, configured: nil) == false)
        #expect(MouseSetting.enabled(flag: nil, configured: false) == false)
        #expect(MouseSetting.enabled(flag: nil, configured: true) == true)
        #expect(MouseSetting.enabled(flag: false, configured: true) == false)
        #expect(MouseSetting.enabled(flag: true, configured: false) == true)
    }

    @Test func withReportingOffClicksNeverArrive() {
        let terminal = VirtualTerminal(size: size)
        #expect(!terminal.mouseReporting && terminal.mouseSwitches == 0, "a terminal starts without mouse reporting")
        terminal.click(x: 20, y: 1)
        #expect(terminal.readEvents().isEmpty, "without reporting the terminal keeps clicks to itself")
        terminal.setMouseReporting(true)
        terminal.setMouseReporting(false)
        terminal.click(x: 20, y: 1)
        #expect(terminal.readEvents().isEmpty && terminal.mouseSwitches == 2)
    }

    @Test func aClickOnATabOpensItsPaneAndOnARowSelectsIt() {
        let terminal = VirtualTerminal(size: size)
        terminal.setMouseReporting(true)
        let (dashboard, _) = ModelFixtures.dashboard(size)
        // " 1 Catalog   2 Machines ...": the second label starts at column 12.
        let machinesTab = ShellLayout.tabSpans(width: size.width, active: .catalog)[1]
        #expect(machinesTab.pane == .machines)
        terminal.click(x: machinesTab.span.lowerBound + 2, y: 1)
        for event in terminal.readEvents() { dashboard.handle(event) }
        #expect(dashboard.shell.state.activePane == .machines)

        let rows = dashboard.shell.state.visibleRows(.machines)
        #expect(rows.count >= 3)
        // Body starts at row 2 (column header), the third table row is at y = 5.
        terminal.click(x: 10, y: 5)
        for event in terminal.readEvents() { dashboard.handle(event) }
        #expect(dashboard.shell.state.table(.machines).selectedID == rows[2].id)
        terminal.click(x: 10, y: 5, kind: .scrollUp)
        for event in terminal.readEvents() { dashboard.handle(event) }
        #expect(dashboard.shell.state.table(.machines).selectedID == rows[0].id)
        // Below the last row nothing changes.
        terminal.click(x: 10, y: 25)
        for event in terminal.readEvents() { dashboard.handle(event) }
        #expect(dashboard.shell.state.table(.machines).selectedID == rows[0].id)
    }

    @Test func anOverlayIgnoresClicks() {
        let (dashboard, _) = ModelFixtures.dashboard(size)
        dashboard.type("2")
        dashboard.type("D")
        let before = dashboard.overlay
        dashboard.handle(.mouse(MouseEvent(x: 30, y: 1)))
        #expect(dashboard.overlay == before && dashboard.shell.state.activePane == .machines)
    }
}
