import Testing
import VizorTUI

@Suite("Shell snapshots")
@MainActor
struct SnapshotTests {
    private func shown(_ state: ShellState) -> CellGrid {
        let terminal = VirtualTerminal(size: state.size)
        terminal.present(ShellRenderer().render(state))
        return terminal.screen
    }

    @Test func firstStartShowsEmptyStatesAndWaitingBadgesAt80x24() {
        assertSnapshot(shown(ShellState(size: Size(width: 80, height: 24))), named: "empty-80x24")
    }

    @Test func catalogTableAt80x24() {
        assertSnapshot(shown(Fixtures.state(Size(width: 80, height: 24))), named: "catalog-80x24")
    }

    @Test func machinesTableAt120x40() {
        let store = ShellStore(state: Fixtures.state(Size(width: 120, height: 40), pane: .machines))
        store.press([.char("j"), .char("j")])
        assertSnapshot(shown(store.state), named: "machines-120x40")
    }

    @Test func degradedLayoutAt40x10() {
        assertSnapshot(shown(Fixtures.state(Size(width: 40, height: 10))), named: "catalog-40x10")
    }

    @Test func tooSmallTerminalSaysSo() {
        assertSnapshot(shown(Fixtures.state(Size(width: 39, height: 9))), named: "too-small-39x9")
    }

    @Test func wideCharactersInCellsAndTruncatedCells() {
        var state = ShellState(size: Size(width: 60, height: 12))
        ShellReducer.reduce(&state, .setContent(.catalog, .table(columns: [
            Column("Image", minWidth: 12, weight: 1), Column("OS", minWidth: 10, weight: 1),
        ], rows: [
            Row(id: "a", cells: ["日本語.iso", "Windows 11 日本語版 Pro for Workstations"]),
            Row(id: "b", cells: ["💿 disc", "한국어 Windows Server 데이터센터"]),
            Row(id: "c", cells: ["cafe\u{301}.iso", "Ubuntu"]),
        ])))
        let grid = shown(state)
        assertSnapshot(grid, named: "wide-60x12")
        for y in 0..<grid.height {
            let line = grid.line(y)
            #expect(DisplayWidth.of(line) == 60, "row \(y) is \(DisplayWidth.of(line)) columns: \(line)")
        }
    }

    @Test func helpOverlayListsEveryBindingOfThePane() {
        let store = ShellStore(state: Fixtures.state(Size(width: 80, height: 24)))
        store.press(.char("?"))
        let grid = shown(store.state)
        assertSnapshot(grid, named: "help-80x24")
        for binding in store.keymap.help(for: .catalog, hasTable: true).flatMap(\.bindings) {
            #expect(grid.text.contains(binding.description), "help lacks \(binding.description)")
        }
    }

    @Test func commandModeShowsCompletions() {
        let store = ShellStore(state: Fixtures.state(Size(width: 80, height: 24)))
        store.press(.char(":"))
        store.type("t")
        assertSnapshot(shown(store.state), named: "command-80x24")
    }

    @Test func detailsOverlayShowsEveryColumn() {
        let store = ShellStore(state: Fixtures.state(Size(width: 80, height: 24)))
        store.press([.char("G"), .enter])
        assertSnapshot(shown(store.state), named: "details-80x24")
    }
}
