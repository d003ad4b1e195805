/// The pure reducer of the shell: `(state, action) -> (state', requests)`.
/// It holds every rule of navigation, modes, sort, filter and selection, so
/// the key tests need no terminal.
public enum ShellReducer {
    @discardableResult
    public static func reduce(_ state: inout ShellState, _ action: ShellAction) -> [ShellRequest] {
        if case .flash = action {} else if case .setContent = action {} else if case .setHeader = action {} else if case .resize = action {} else if case .setActivity = action {} else if case .setNotices = action {} else {
            state.flash = nil
        }
        let pane = state.activePane
        switch action {
        case .selectPane(let target):
            state.activePane = target
            state.mode = .normal
        case .nextPane:
            state.activePane = PaneID(rawValue: pane.rawValue % PaneID.allCases.count + 1)!
            state.mode = .normal
        case .previousPane:
            state.activePane = PaneID(rawValue: (pane.rawValue + PaneID.allCases.count - 2) % PaneID.allCases.count + 1)!
            state.mode = .normal
        case .moveSelection(let delta): move(&state, pane) { $0 + delta }
        case .pageDown:
            let page = ShellLayout(state.size).tableRows
            move(&state, pane) { $0 + page }
        case .pageUp:
            let page = ShellLayout(state.size).tableRows
            move(&state, pane) { $0 - page }
        case .selectFirst: move(&state, pane) { _ in 0 }
        case .selectLast: move(&state, pane) { _ in Int.max / 2 }
        case .sortNextColumn, .sortPreviousColumn:
            let count = state.content(pane).columns.count
            guard count > 0 else { break }
            var table = state.table(pane)
            let current = table.sort?.column ?? -1
            let step = action == .sortNextColumn ? 1 : count - 1
            table.sort = SortOrder(column: (current + step + count) % count, ascending: table.sort?.ascending ?? true)
            state.tables[pane] = table
            keepSelectionVisible(&state, pane)
        case .reverseSort:
            var table = state.table(pane)
            guard var sort = table.sort else { break }
            sort.ascending.toggle()
            table.sort = sort
            state.tables[pane] = table
            keepSelectionVisible(&state, pane)
        case .openDetails:
            let rows = state.visibleRows(pane)
            guard let index = state.selectedIndex(pane, in: rows) else { break }
            state.mode = .details(rowID: rows[index].id)
            return [.showDetails(pane, rowID: rows[index].id)]
        case .back:
            switch state.mode {
            case .normal:
                if !state.filter(pane).isEmpty { state.filters[pane] = nil; keepSelectionVisible(&state, pane) }
            default: state.mode = .normal
            }
        case .beginCommand:
            state.mode = .command
            state.commandText = ""
        case .beginFilter:
            state.mode = .filter
        case .toggleHelp:
            state.mode = state.mode == .help ? .normal : .help
        case .insertText(let text):
            switch state.mode {
            case .command: state.commandText += text
            case .filter:
                state.filters[pane] = state.filter(pane) + text
                keepSelectionVisible(&state, pane)
            default: break
            }
        case .deleteBackward:
            switch state.mode {
            case .command:
                if state.commandText.isEmpty { state.mode = .normal } else { state.commandText.removeLast() }
            case .filter:
                var text = state.filter(pane)
                if text.isEmpty { state.mode = .normal } else { text.removeLast(); state.filters[pane] = text.isEmpty ? nil : text }
                keepSelectionVisible(&state, pane)
            default: break
            }
        case .complete:
            if state.mode == .command { state.commandText = ShellCommand.complete(state.commandText, sites: state.knownSites) }
        case .submit:
            switch state.mode {
            case .command: return run(&state, state.commandText)
            case .filter: state.mode = .normal
            default: break
            }
        case .cancelEntry:
            if state.mode == .filter { state.filters[pane] = nil; keepSelectionVisible(&state, pane) }
            state.mode = .normal
            state.commandText = ""
        case .quit:
            state.quitRequested = true
            return [.quit]
        case .resize(let size):
            state.size = size
            for target in PaneID.allCases { keepSelectionVisible(&state, target) }
        case .setContent(let target, let content):
            state.panes[target] = content
            keepSelectionVisible(&state, target)
            if case .details(let id) = state.mode, target == pane, !content.rows.contains(where: { $0.id == id }) {
                state.mode = .normal
                state.flash = "the item you were viewing is no longer present"
            }
        case .setHeader(let site, let badges):
            state.site = site
            state.badges = badges
        case .setActivity(let text):
            state.activity = text
        case .setNotices(let unread, let failures):
            state.unreadNotices = unread
            state.unreadFailures = failures
        case .setKnownSites(let sites):
            state.knownSites = sites
        case .flash(let message):
            state.flash = message
        case .mouse(let event):
            mouse(&state, event)
        case .paneCommand(let command):
            let rows = state.visibleRows(pane)
            let id = state.selectedIndex(pane, in: rows).map { rows[$0].id }
            return [.paneCommand(command, pane, rowID: id)]
        }
        return []
    }

    private static func run(_ state: inout ShellState, _ line: String) -> [ShellRequest] {
        state.mode = .normal
        state.commandText = ""
        switch ShellCommand.parse(line) {
        case .failure(let error):
            state.flash = error.message
            return []
        case .success(.open(let target)):
            state.activePane = target
            return []
        case .success(.site(let name)):
            state.site = name
            state.flash = "switching to site \(name)"
            return [.switchSite(name)]
        case .success(.quit):
            state.quitRequested = true
            return [.quit]
        }
    }

    /// A click on a tab opens its pane; a click on a table row selects it;
    /// the wheel moves the selection by three rows. Only in normal mode.
    private static func mouse(_ state: inout ShellState, _ event: MouseEvent) {
        guard state.mode == .normal else { return }
        let layout = ShellLayout(state.size)
        guard !layout.isTooSmall else { return }
        let pane = state.activePane
        switch event.kind {
        case .scrollUp: move(&state, pane) { $0 - 3 }
        case .scrollDown: move(&state, pane) { $0 + 3 }
        case .click:
            if event.y == layout.tabsRow {
                if let hit = ShellLayout.tabSpans(width: state.size.width, active: pane).first(where: { $0.span.contains(event.x) }) {
                    state.activePane = hit.pane
                }
                return
            }
            // Row 0 of the body is the column header; rows follow from `top`.
            let offset = event.y - layout.bodyTop - 1
            guard case .table = state.content(pane), offset >= 0, offset < layout.tableRows else { return }
            let index = state.table(pane).top + offset
            guard index < state.visibleRows(pane).count else { return }
            move(&state, pane) { _ in index }
        }
    }

    /// Moves the selection of `pane` to `target(currentIndex)`, clamped.
    private static func move(_ state: inout ShellState, _ pane: PaneID, _ target: (Int) -> Int) {
        guard state.mode == .normal || state.mode == .filter else { return }
        let rows = state.visibleRows(pane)
        guard let current = state.selectedIndex(pane, in: rows) else { return }
        let index = min(max(0, target(current)), rows.count - 1)
        var table = state.table(pane)
        table.selectedID = rows[index].id
        table.selectedIndex = index
        state.tables[pane] = table
        keepSelectionVisible(&state, pane)
    }

    /// Re-anchors the selection after rows changed (refresh, sort, filter,
    /// resize): it stays on the same id when that row is still visible,
    /// otherwise on the nearest position; the scroll follows it.
    static func keepSelectionVisible(_ state: inout ShellState, _ pane: PaneID) {
        let rows = state.visibleRows(pane)
        var table = state.table(pane)
        guard let index = state.selectedIndex(pane, in: rows) else {
            table.top = 0
            if state.tables[pane] != nil { state.tables[pane] = table }
            return
        }
        table.selectedID = rows[index].id
        table.selectedIndex = index
        let page = ShellLayout(state.size).tableRows
        if index < table.top { table.top = index }
        if index >= table.top + page { table.top = index - page + 1 }
        table.top = max(0, min(table.top, max(0, rows.count - page)))
        state.tables[pane] = table
    }
}
