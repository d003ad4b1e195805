/// The four panes of the dashboard, in tab order. The raw value is the digit
/// that selects the pane.
public enum PaneID: Int, CaseIterable, Hashable, Sendable, Comparable {
    case catalog = 1, machines, templates, installs

    public var title: String {
        switch self {
        case .catalog: "Catalog"
        case .machines: "Machines"
        case .templates: "Templates"
        case .installs: "Installs"
        }
    }

    /// The `:` command that opens the pane.
    public var command: String { title.lowercased() }

    /// What the pane shows before the model has given it anything.
    public var placeholder: PaneContent {
        switch self {
        case .catalog:
            .empty(title: "No media catalogued yet",
                   detail: "ISO images and the Windows editions inside them appear here once the media sources of the site are scanned. With no configuration the lab's sample library is used.")
        case .machines:
            .empty(title: "No machines yet",
                   detail: "VMs on CloudStack and XenServer appear here after the first poll of each hypervisor; their health shows in the header.")
        case .templates:
            .empty(title: "No templates yet",
                   detail: "Templates appear here after the first poll; a finished install is turned into one and listed here.")
        case .installs:
            .empty(title: "No installs running",
                   detail: "Installs you start appear here with their stage and progress, live from the Razor node log.")
        }
    }

    public static func < (a: PaneID, b: PaneID) -> Bool { a.rawValue < b.rawValue }
}

/// The health of one backend as the header shows it.
public enum HealthStatus: Hashable, Sendable {
    /// No poll has answered yet.
    case unknown
    case ok
    /// Last good data is old; `detail` says since when (e.g. "2m").
    case stale(detail: String)
    /// Polls fail; `detail` is the operator-facing error.
    case failing(detail: String)
}

/// One backend badge in the header (e.g. "XenServer", stale).
public struct HealthBadge: Hashable, Sendable {
    public var name: String
    public var status: HealthStatus
    public init(name: String, status: HealthStatus) {
        self.name = name
        self.status = status
    }

    /// The badges shown before the model reports anything.
    public static let waiting: [HealthBadge] = ["CloudStack", "XenServer", "Razor"].map { HealthBadge(name: $0, status: .unknown) }
}

/// Per-pane table view state: sort, selection (by item id) and scroll.
public struct TableState: Hashable, Sendable {
    public var sort: SortOrder?
    /// The selected row's id; kept across refreshes and re-sorts.
    public var selectedID: String?
    /// Where the selection was, used when its row disappears.
    public var selectedIndex: Int = 0
    /// Index of the first visible row.
    public var top: Int = 0
    public init(sort: SortOrder? = SortOrder(column: 0)) { self.sort = sort }
}

/// What the keyboard is currently talking to.
public enum ShellMode: Hashable, Sendable {
    case normal
    /// Typing a `:` command.
    case command
    /// Typing the live `/` filter of the active pane.
    case filter
    /// The `?` overlay listing the bindings of the active pane.
    case help
    /// The details of one row of the active pane.
    case details(rowID: String)
}

/// The whole view state of the dashboard shell, a plain value: the reducer
/// changes it and `ShellRenderer.render` draws it. Model data arrives in it as
/// `PaneContent` and header values through `ShellAction`s.
public struct ShellState: Hashable, Sendable {
    public var size: Size
    public var site: String = "lab"
    public var badges: [HealthBadge] = HealthBadge.waiting
    /// Site names offered by `:site` completion.
    public var knownSites: [String] = ["lab"]
    public var activePane: PaneID = .catalog
    public var mode: ShellMode = .normal
    /// The text after `:` while in command mode.
    public var commandText: String = ""
    public var filters: [PaneID: String] = [:]
    public var tables: [PaneID: TableState] = [:]
    public var panes: [PaneID: PaneContent] = [:]
    /// A one-line message (e.g. an unknown command) until the next key.
    public var flash: String?
    /// What runs in the background (rescan progress), under any flash.
    public var activity: String?
    /// Install-job notifications not yet acknowledged, and how many of them
    /// tell of a failure: the header shows a badge until the list is opened.
    public var unreadNotices = 0
    public var unreadFailures = 0
    public var quitRequested = false

    public init(size: Size) { self.size = size }

    public func content(_ pane: PaneID) -> PaneContent { panes[pane] ?? pane.placeholder }
    public func table(_ pane: PaneID) -> TableState { tables[pane] ?? TableState() }
    public func filter(_ pane: PaneID) -> String { filters[pane] ?? "" }

    /// The active pane's rows as displayed: filtered then sorted.
    public func visibleRows(_ pane: PaneID) -> [Row] {
        RowOrdering.visibleRows(content(pane), filter: filter(pane), sort: table(pane).sort)
    }

    /// Index of the selected row among the visible rows, if any row is visible.
    public func selectedIndex(_ pane: PaneID, in rows: [Row]) -> Int? {
        guard !rows.isEmpty else { return nil }
        let state = table(pane)
        if let id = state.selectedID, let index = rows.firstIndex(where: { $0.id == id }) { return index }
        return min(max(0, state.selectedIndex), rows.count - 1)
    }
}

/// Where the shell's parts go for a size. Shared by the reducer (page size)
/// and the renderer so both agree.
public struct ShellLayout: Hashable, Sendable {
    public static let minimum = Size(width: 40, height: 10)
    public let size: Size
    public init(_ size: Size) { self.size = size }

    public var isTooSmall: Bool { size.width < Self.minimum.width || size.height < Self.minimum.height }
    public var headerRow: Int { 0 }
    public var tabsRow: Int { 1 }
    public var bodyTop: Int { 2 }
    public var bodyHeight: Int { max(0, size.height - 4) }
    public var statusRow: Int { size.height - 2 }
    public var footerRow: Int { size.height - 1 }
    /// Table rows that fit under the column header.
    public var tableRows: Int { max(1, bodyHeight - 1) }

    /// Where each tab's label is on the tabs row: full titles when they all
    /// fit, else digits except for the active tab. Shared by the renderer
    /// and mouse clicks.
    public static func tabSpans(width: Int, active: PaneID) -> [(pane: PaneID, label: String, span: Range<Int>)] {
        let full = PaneID.allCases.map { " \($0.rawValue) \($0.title) " }
        let fullWidth = full.reduce(0) { $0 + DisplayWidth.of($1) + 1 }
        var x = 0
        return PaneID.allCases.map { pane in
            let label = fullWidth <= width || pane == active ? " \(pane.rawValue) \(pane.title) " : " \(pane.rawValue) "
            let start = x
            x += DisplayWidth.of(label) + 1
            return (pane, label, start..<(start + DisplayWidth.of(label)))
        }
    }
}
