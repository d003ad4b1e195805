import Testing
import VizorTUI

@Suite("Keys through the store")
@MainActor
struct KeyHandlingTests {
    private func store(_ size: Size = Size(width: 80, height: 24)) -> ShellStore {
        ShellStore(state: Fixtures.state(size))
    }

    private func selectedID(_ store: ShellStore) -> String? {
        let pane = store.state.activePane
        let rows = store.state.visibleRows(pane)
        return store.state.selectedIndex(pane, in: rows).map { rows[$0].id }
    }

    @Test func digitsTabAndCommandsSwitchPanes() {
        let store = store()
        store.press(.char("2"))
        #expect(store.state.activePane == .machines)
        store.press(.char("4"))
        #expect(store.state.activePane == .installs)
        store.press(.tab)
        #expect(store.state.activePane == .catalog)
        store.press(.backTab)
        #expect(store.state.activePane == .installs)
        store.press(.char(":"))
        store.type("templates")
        store.press(.enter)
        #expect(store.state.activePane == .templates)
        #expect(store.state.mode == .normal)
        store.press(.char(":"))
        store.type("mach")
        store.press(.enter)
        #expect(store.state.activePane == .machines, "a unique prefix runs the command")
    }

    @Test func commandModeCompletesCommandsAndSiteNames() {
        let store = store()
        store.send(.setKnownSites(["lab", "lyon-prod", "paris"]))
        store.press(.char(":"))
        #expect(store.state.mode == .command)
        store.type("te")
        store.press(.tab)
        #expect(store.state.commandText == "templates")
        store.press(.escape)
        #expect(store.state.mode == .normal)
        #expect(store.state.activePane == .catalog, "Esc cancels without running")

        store.press(.char(":"))
        store.type("s")
        store.press(.tab)
        #expect(store.state.commandText == "site ")
        store.type("p")
        store.press(.tab)
        #expect(store.state.commandText == "site paris")
        let requests = store.press(.enter)
        #expect(requests == [.switchSite("paris")])
        #expect(store.state.site == "paris")

        store.press(.char(":"))
        store.type("site l")
        store.press(.tab)
        #expect(store.state.commandText == "site l", "lab and lyon-prod share only 'l'")
        #expect(ShellCommand.candidates(for: "site l", sites: store.state.knownSites) == ["site lab", "site lyon-prod"])
    }

    @Test func unknownOrIncompleteCommandsSayWhy() {
        let store = store()
        store.press(.char(":"))
        store.type("frobnicate")
        store.press(.enter)
        #expect(store.state.flash?.contains("unknown command :frobnicate") == true)
        store.press(.char(":"))
        store.type("site")
        store.press(.enter)
        #expect(store.state.flash == "usage: :site NAME")
        #expect(store.render().text.contains("usage: :site NAME"))
        store.press(.char("j"))
        #expect(store.state.flash == nil, "the next key clears the message")
    }

    @Test func quitByKeyAndByCommand() {
        let byKey = store()
        #expect(byKey.press(.char("q")) == [.quit])
        #expect(byKey.state.quitRequested)
        let byCommand = store()
        byCommand.press(.char(":"))
        byCommand.type("quit")
        #expect(byCommand.press(.enter) == [.quit])
    }

    @Test func slashFiltersLiveAndEscClearsIt() {
        let store = store()
        store.press(.char("/"))
        store.type("win")
        #expect(store.state.visibleRows(.catalog).count == 4)
        store.type("11")
        #expect(store.state.visibleRows(.catalog).map(\.id).sorted() == ["iso-2", "iso-4"])
        #expect(store.render().text.contains("/win11"))
        store.press(.enter)
        #expect(store.state.mode == .normal)
        #expect(store.state.filter(.catalog) == "win11", "Enter keeps the filter")
        store.press(.char("j"))
        #expect(selectedID(store) == "iso-4", "moving stays within the filtered rows")
        store.press(.escape)
        #expect(store.state.filter(.catalog).isEmpty)
        #expect(store.state.visibleRows(.catalog).count == 6)
        #expect(selectedID(store) == "iso-4", "clearing the filter keeps the selected item")

        store.press(.char("/"))
        store.type("zzz")
        #expect(store.render().text.contains("No rows match /zzz"))
        store.press(.escape)
        #expect(store.state.filter(.catalog).isEmpty, "Esc while typing cancels the filter")
    }

    @Test func filterIsPerPane() {
        let store = store()
        store.press(.char("/"))
        store.type("debian")
        store.press(.enter)
        store.press(.char("2"))
        #expect(store.state.visibleRows(.machines).count == 40)
        store.press(.char("1"))
        #expect(store.state.visibleRows(.catalog).map(\.id) == ["iso-5"])
    }

    @Test func helpOverlayOpensAndClosesAndSwallowsQ() {
        let store = store()
        store.press(.char("?"))
        #expect(store.state.mode == .help)
        #expect(store.render().text.contains("Keys: Catalog"))
        #expect(store.press(.char("q")).isEmpty, "q closes help instead of quitting")
        #expect(store.state.mode == .normal)
        store.press(.char("?"))
        store.press(.escape)
        #expect(store.state.mode == .normal)
    }

    @Test func footerHintsComeFromTheKeymap() {
        let store = store()
        let footer = store.render().line(23)
        for hint in store.keymap.hints(for: store.state).prefix(4) {
            #expect(footer.contains("\(hint.keys) \(hint.text)"))
        }
        store.press(.char(":"))
        #expect(store.render().line(23).contains("Tab complete"))
    }

    @Test func sortKeysChangeColumnAndDirectionAndKeepTheSelection() {
        let store = store()
        store.press(.char("j"))
        store.press(.char("j"))
        let picked = selectedID(store)
        #expect(picked == "iso-3")
        store.press(.char(">"))
        #expect(store.state.table(.catalog).sort == SortOrder(column: 1))
        #expect(selectedID(store) == picked)
        #expect(store.state.visibleRows(.catalog).first?.id == "iso-5", "Debian 12 sorts first by OS")
        store.press(.char(">"))
        store.press(.char("r"))
        #expect(store.state.table(.catalog).sort == SortOrder(column: 2, ascending: false))
        #expect(store.state.visibleRows(.catalog).first?.id == "iso-2", "11 editions, numerically largest")
        #expect(selectedID(store) == picked)
        #expect(store.render().line(2).contains("EDI…▼"), "the narrow column keeps its sort mark")
        #expect(store.render().text.contains("sort Editions▼"))
        store.press(.char("<"))
        store.press(.char("<"))
        store.press(.char("<"))
        #expect(store.state.table(.catalog).sort?.column == 4, "< wraps around to the last column")
    }

    @Test func selectionStaysOnTheSameItemAcrossRefresh() {
        let store = store()
        store.press(.char("G"))
        #expect(selectedID(store) == "iso-4")
        var rows = Fixtures.catalogRows
        rows.insert(Row(id: "iso-0", cells: ["aaa-first", "Alpine", "1", "0.1", "nfs://x"]), at: 0)
        rows.shuffle()
        store.send(.setContent(.catalog, .table(columns: Fixtures.catalogColumns, rows: rows)))
        #expect(selectedID(store) == "iso-4")
        // The selected row disappears: the selection moves to its neighbour.
        let index = store.state.table(.catalog).selectedIndex
        store.send(.setContent(.catalog, .table(columns: Fixtures.catalogColumns, rows: rows.filter { $0.id != "iso-4" })))
        let remaining = store.state.visibleRows(.catalog)
        #expect(selectedID(store) == remaining[min(index, remaining.count - 1)].id)
    }

    @Test func paginationAndScrollingKeepTheSelectionOnScreen() {
        let store = ShellStore(state: Fixtures.state(Size(width: 80, height: 24), pane: .machines))
        let page = ShellLayout(store.state.size).tableRows
        store.press(.pageDown)
        #expect(store.state.table(.machines).selectedIndex == page)
        #expect(store.state.table(.machines).top == 1)
        store.press(.char("G"))
        #expect(selectedID(store) == "vm-40")
        #expect(store.render().text.contains("build-040"))
        #expect(!store.render().text.contains("build-001"))
        store.press(.char("g"))
        #expect(selectedID(store) == "vm-1")
        #expect(store.state.table(.machines).top == 0)
        store.press(.up)
        #expect(selectedID(store) == "vm-1", "moving above the first row stays there")
        store.press([.down, .down])
        #expect(selectedID(store) == "vm-2" || selectedID(store) == "vm-3")
    }

    @Test func enterOpensDetailsAndEscGoesBack() {
        let store = store()
        store.press(.char("j"))
        let requests = store.press(.enter)
        #expect(requests == [.showDetails(.catalog, rowID: "iso-1")], "rows sort by image name: debian, then SW_DVD9")
        #expect(store.state.mode == .details(rowID: "iso-1"))
        #expect(store.render().text.contains("Catalog details"))
        store.press(.escape)
        #expect(store.state.mode == .normal)
        store.press(.enter)
        store.send(.setContent(.catalog, .table(columns: Fixtures.catalogColumns, rows: [])))
        #expect(store.state.mode == .normal, "details close when the item vanishes")
        #expect(store.state.flash != nil)
    }

    @Test func resizeReflowsAndNeverCrashesAtAnySize() {
        let store = store()
        store.press(.char("G"))
        for width in stride(from: 0, through: 130, by: 7) {
            for height in stride(from: 0, through: 45, by: 3) {
                store.send(.resize(Size(width: width, height: height)))
                for mode: Key in [.char("?"), .escape, .enter, .escape, .char(":")] { store.press(mode) }
                let grid = store.render()
                #expect(grid.size == Size(width: width, height: height))
                store.press(.escape)
                if width < 40 || height < 10, width > 30, height > 4 {
                    #expect(store.render().text.contains("too small"))
                }
            }
        }
    }
}
