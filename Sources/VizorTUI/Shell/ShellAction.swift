/// Everything that can change the shell's view state. Keys become these
/// through the keymap; the model feeds pane contents and health through
/// `setContent` / `setHeader`.
public enum ShellAction: Hashable, Sendable {
    // Panes
    case selectPane(PaneID)
    case nextPane
    case previousPane
    // Table
    case moveSelection(Int)
    case pageDown
    case pageUp
    case selectFirst
    case selectLast
    case sortNextColumn
    case sortPreviousColumn
    case reverseSort
    case openDetails
    // Modes
    case back
    case beginCommand
    case beginFilter
    case toggleHelp
    case insertText(String)
    case deleteBackward
    case complete
    case submit
    case cancelEntry
    case quit
    // From the terminal and the model
    case resize(Size)
    /// A click selects a tab or a table row; the wheel moves the selection.
    case mouse(MouseEvent)
    case setContent(PaneID, PaneContent)
    case setHeader(site: String, badges: [HealthBadge])
    case setKnownSites([String])
    case flash(String?)
    /// A long-running activity shown in the status line (e.g. rescan
    /// progress); nil when nothing runs.
    case setActivity(String?)
    /// Unacknowledged job notifications (all, and failures among them).
    case setNotices(unread: Int, failures: Int)
    /// A pane's own operation on the selected row (start, delete, open a job...).
    case paneCommand(PaneCommand)
}

/// Operations a pane offers on its selected row. The shell only forwards
/// them (with the row id); the dashboard asks for confirmation and sends
/// model actions.
public enum PaneCommand: String, Hashable, Sendable, CaseIterable {
    case start, stop, reboot, delete, publish, unpublish, openJob, openLog, newMachine, rescan, retry, cancel, cleanup
    /// Opens the notifications list (any pane; acknowledges them).
    case notifications
}

/// What the shell asks of the world after an action; the dashboard turns
/// these into model actions (the shell itself does no I/O).
public enum ShellRequest: Hashable, Sendable {
    case quit
    /// The operator asked for another site with `:site NAME`.
    case switchSite(String)
    /// The operator opened the details of a row.
    case showDetails(PaneID, rowID: String)
    /// A pane operation on a row (nil when the pane has no selected row).
    case paneCommand(PaneCommand, PaneID, rowID: String?)
}

/// The `:` commands: names, completion and parsing.
public enum ShellCommand: Hashable, Sendable {
    case open(PaneID)
    case site(String)
    case quit

    /// Command words in completion order, and whether they take an argument.
    public static let words: [(name: String, argument: String?)] =
        PaneID.allCases.map { ($0.command, nil) } + [("site", "NAME"), ("quit", nil)]

    /// Parses a command line (without the `:`). Unique prefixes are accepted.
    public static func parse(_ line: String) -> Result<ShellCommand, CommandError> {
        let parts = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard let first = parts.first else { return .failure(CommandError(message: "type a command, e.g. :machines")) }
        let word = first.lowercased()
        let argument = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
        let matches = words.filter { $0.name.hasPrefix(word) }
        let chosen = matches.first(where: { $0.name == word }) ?? (matches.count == 1 ? matches[0] : nil)
        guard let chosen else {
            if word == "q" { return .success(.quit) }
            if matches.isEmpty { return .failure(CommandError(message: "unknown command :\(word) (Tab lists commands)")) }
            return .failure(CommandError(message: ":\(word) is ambiguous: " + matches.map(\.name).joined(separator: ", ")))
        }
        switch chosen.name {
        case "site":
            guard !argument.isEmpty else { return .failure(CommandError(message: "usage: :site NAME")) }
            return .success(.site(argument))
        case "quit": return .success(.quit)
        default:
            return .success(.open(PaneID.allCases.first { $0.command == chosen.name }!))
        }
    }

    /// Candidates for what is typed: command words, or site names after `site `.
    public static func candidates(for line: String, sites: [String]) -> [String] {
        if let space = line.firstIndex(of: " ") {
            let word = line[..<space].lowercased()
            guard word == "site" || (word.count > 1 && "site".hasPrefix(word)) else { return [] }
            let typed = line[line.index(after: space)...].trimmingCharacters(in: .whitespaces).lowercased()
            return sites.filter { $0.lowercased().hasPrefix(typed) }.map { "site \($0)" }
        }
        let typed = line.lowercased()
        return words.filter { $0.name.hasPrefix(typed) }.map { $0.argument == nil ? $0.name : "\($0.name) " }
    }

    /// Tab completion: the longest common prefix of the candidates, or the
    /// line unchanged when nothing matches.
    public static func complete(_ line: String, sites: [String]) -> String {
        let options = candidates(for: line, sites: sites)
        guard var prefix = options.first else { return line }
        for option in options.dropFirst() {
            while !option.lowercased().hasPrefix(prefix.lowercased()) { prefix.removeLast() }
        }
        return prefix.count >= line.count ? prefix : line
    }
}

/// An operator-facing message for a command that cannot run.
public struct CommandError: Error, Hashable, Sendable {
    public var message: String
}
