/// Where a binding applies. Resolution looks at the most specific context
/// first (a pane's own keys, then table keys, then global keys).
public enum KeyContext: Hashable, Sendable {
    /// Normal mode, any pane.
    case global
    /// Normal mode, a pane that shows a table.
    case table
    /// Normal mode, one pane only (pane-specific actions added later).
    case pane(PaneID)
    /// Typing a `:` command or a `/` filter.
    case textEntry
    case help
    case details
}

/// One row of the keymap: the keys, what they do, and how they are shown.
/// The same rows dispatch keys, build the footer and fill the help overlay,
/// so hints can never drift from behaviour.
public struct KeyBinding: Hashable, Sendable {
    public var keys: [Key]
    public var action: ShellAction
    public var description: String
    public var context: KeyContext
    /// Short footer text; nil keeps the binding out of the footer.
    public var hint: String?
    /// Footer key label when it differs from the keys (e.g. "1-4").
    public var hintKeys: String?

    public init(_ keys: [Key], _ action: ShellAction, _ description: String, context: KeyContext,
                hint: String? = nil, hintKeys: String? = nil) {
        self.keys = keys
        self.action = action
        self.description = description
        self.context = context
        self.hint = hint
        self.hintKeys = hintKeys
    }

    /// "j/↓" style label of all keys.
    public var keyLabel: String { keys.map(\.label).joined(separator: "/") }
}

/// The binding table of the shell.
public struct Keymap: Sendable {
    public var bindings: [KeyBinding]
    public init(bindings: [KeyBinding]) { self.bindings = bindings }

    public static let standard = Keymap(bindings: [
        KeyBinding([.char("n")], .paneCommand(.newMachine), "New VM from the edition", context: .pane(.catalog), hint: "new VM"),
        KeyBinding([.char("n")], .paneCommand(.newMachine), "New VM (wizard)", context: .pane(.machines)),
        KeyBinding([.ctrl("r")], .paneCommand(.rescan), "Rescan the media sources", context: .pane(.catalog), hint: "rescan"),
        KeyBinding([.char("s")], .paneCommand(.start), "Start the VM", context: .pane(.machines), hint: "start"),
        KeyBinding([.char("S")], .paneCommand(.stop), "Stop the VM (asks first)", context: .pane(.machines), hint: "stop"),
        KeyBinding([.char("b")], .paneCommand(.reboot), "Reboot the VM (asks first)", context: .pane(.machines)),
        KeyBinding([.char("D"), .function(8)], .paneCommand(.delete), "Delete the VM (asks for its name)", context: .pane(.machines), hint: "delete", hintKeys: "D"),
        KeyBinding([.char("l")], .paneCommand(.openJob), "Open the VM's install job", context: .pane(.machines)),
        KeyBinding([.char("p")], .paneCommand(.publish), "Publish the template", context: .pane(.templates), hint: "publish"),
        KeyBinding([.char("u")], .paneCommand(.unpublish), "Unpublish the template (asks first)", context: .pane(.templates)),
        KeyBinding([.char("D"), .function(8)], .paneCommand(.delete), "Delete the template (asks for its name)", context: .pane(.templates), hint: "delete", hintKeys: "D"),
        KeyBinding([.enter], .paneCommand(.openJob), "Open the job: timeline and live log", context: .pane(.installs), hint: "open job"),
        KeyBinding([.char("l")], .paneCommand(.openLog), "Log tail of the job", context: .pane(.installs), hint: "log"),
        KeyBinding([.char("R")], .paneCommand(.retry), "Retry the failed job from its failed step", context: .pane(.installs), hint: "retry"),
        KeyBinding([.char("X")], .paneCommand(.cancel), "Cancel the running job (asks first)", context: .pane(.installs), hint: "cancel"),
        KeyBinding([.char("C")], .paneCommand(.cleanup), "Clean up a failed job's leftovers (asks for the name)", context: .pane(.installs), hint: "clean up"),
        KeyBinding([.char("N")], .paneCommand(.notifications), "Notifications: job ends", context: .global),
        KeyBinding([.char("?")], .toggleHelp, "Show this help", context: .global, hint: "help"),
        KeyBinding([.char("q")], .quit, "Quit vizor", context: .global, hint: "quit"),
        KeyBinding([.char("1")], .selectPane(.catalog), "Catalog pane", context: .global, hint: "panes", hintKeys: "1-4"),
        KeyBinding([.char("2")], .selectPane(.machines), "Machines pane", context: .global),
        KeyBinding([.char("3")], .selectPane(.templates), "Templates pane", context: .global),
        KeyBinding([.char("4")], .selectPane(.installs), "Installs pane", context: .global),
        KeyBinding([.tab], .nextPane, "Next pane", context: .global),
        KeyBinding([.backTab], .previousPane, "Previous pane", context: .global),
        KeyBinding([.char("/")], .beginFilter, "Filter rows as you type", context: .global, hint: "filter"),
        KeyBinding([.char(":")], .beginCommand, "Command (Tab completes)", context: .global, hint: "command"),
        KeyBinding([.escape], .back, "Back / clear the filter", context: .global),
        KeyBinding([.char("j"), .down], .moveSelection(1), "Select the next row", context: .table, hint: "move", hintKeys: "j/k"),
        KeyBinding([.char("k"), .up], .moveSelection(-1), "Select the previous row", context: .table),
        KeyBinding([.pageDown, .ctrl("f")], .pageDown, "Page down", context: .table),
        KeyBinding([.pageUp, .ctrl("b")], .pageUp, "Page up", context: .table),
        KeyBinding([.char("g"), .home], .selectFirst, "First row", context: .table),
        KeyBinding([.char("G"), .end], .selectLast, "Last row", context: .table),
        KeyBinding([.enter], .openDetails, "Details of the row", context: .table, hint: "details"),
        KeyBinding([.char(">")], .sortNextColumn, "Sort by next column", context: .table, hint: "sort", hintKeys: "<>"),
        KeyBinding([.char("<")], .sortPreviousColumn, "Sort by previous column", context: .table),
        KeyBinding([.char("r")], .reverseSort, "Reverse the sort", context: .table, hint: "reverse"),
        KeyBinding([.enter], .submit, "Run / keep the filter", context: .textEntry, hint: "accept"),
        KeyBinding([.tab], .complete, "Complete the command", context: .textEntry, hint: "complete"),
        KeyBinding([.backspace], .deleteBackward, "Delete a character", context: .textEntry),
        KeyBinding([.escape], .cancelEntry, "Cancel; clears filter", context: .textEntry, hint: "cancel"),
        KeyBinding([.escape, .char("?"), .char("q")], .toggleHelp, "Close help", context: .help, hint: "close"),
        KeyBinding([.escape, .enter, .char("q")], .back, "Back to the list", context: .details, hint: "back"),
    ])

    /// The contexts that apply in `state`, most specific first.
    public func contexts(for state: ShellState) -> [KeyContext] {
        switch state.mode {
        case .command, .filter: return [.textEntry]
        case .help: return [.help]
        case .details: return [.details]
        case .normal:
            if case .table = state.content(state.activePane) { return [.pane(state.activePane), .table, .global] }
            return [.pane(state.activePane), .global]
        }
    }

    /// The action for a key in `state`; printable keys type text while a
    /// command or filter is being entered.
    public func action(for key: Key, in state: ShellState) -> ShellAction? {
        for context in contexts(for: state) {
            if let binding = bindings.first(where: { $0.context == context && $0.keys.contains(key) }) { return binding.action }
        }
        if state.mode == .command || state.mode == .filter, case .char(let c) = key { return .insertText(String(c)) }
        return nil
    }

    /// Footer hints for `state`, in table order: (keys, text).
    public func hints(for state: ShellState) -> [(keys: String, text: String)] {
        let contexts = contexts(for: state)
        return bindings.filter { $0.hint != nil && contexts.contains($0.context) }
            .map { ($0.hintKeys ?? $0.keyLabel, $0.hint!) }
    }

    /// Every binding that works on `pane` in normal mode, for the help overlay.
    public func help(for pane: PaneID, hasTable: Bool) -> [(section: String, bindings: [KeyBinding])] {
        var sections: [(String, [KeyBinding])] = []
        let own = bindings.filter { $0.context == .pane(pane) }
        if !own.isEmpty { sections.append((pane.title.uppercased(), own)) }
        if hasTable { sections.append(("TABLE", bindings.filter { $0.context == .table })) }
        sections.append(("GENERAL", bindings.filter { $0.context == .global }))
        sections.append(("COMMAND AND FILTER LINE", bindings.filter { $0.context == .textEntry }))
        return sections
    }
}
