/// A terminal size in cells. Layout, the reducer's paging and the renderer all
/// work from this one value so that tests can pin any size.
public struct Size: Hashable, Sendable, CustomStringConvertible {
    public var width: Int
    public var height: Int
    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
    }
    public var description: String { "\(width)x\(height)" }
}

/// A key as the shell understands it, decoded from ncurses (or injected by
/// tests). Keeping it a plain enum lets one keymap table serve dispatch, the
/// footer hints and the help overlay.
public enum Key: Hashable, Sendable {
    case char(Character)
    case ctrl(Character)
    case up, down, left, right
    case pageUp, pageDown, home, end
    case enter, escape, tab, backTab, backspace, delete
    case function(Int)

    /// The label an operator reads in hints and help.
    public var label: String {
        switch self {
        case .char(" "): return "Space"
        case .char(let c): return String(c)
        case .ctrl(let c): return "Ctrl-\(c)"
        case .up: return "↑"
        case .down: return "↓"
        case .left: return "←"
        case .right: return "→"
        case .pageUp: return "PgUp"
        case .pageDown: return "PgDn"
        case .home: return "Home"
        case .end: return "End"
        case .enter: return "Enter"
        case .escape: return "Esc"
        case .tab: return "Tab"
        case .backTab: return "S-Tab"
        case .backspace: return "Bksp"
        case .delete: return "Del"
        case .function(let n): return "F\(n)"
        }
    }
}

/// A mouse action at a cell (only reported when mouse support is on).
public struct MouseEvent: Hashable, Sendable {
    public enum Kind: Hashable, Sendable { case click, scrollUp, scrollDown }
    public var x: Int
    public var y: Int
    public var kind: Kind
    public init(x: Int, y: Int, kind: Kind = .click) {
        self.x = x
        self.y = y
        self.kind = kind
    }
}

/// What a terminal reports: a key, a mouse action, or that its size changed.
public enum InputEvent: Hashable, Sendable {
    case key(Key)
    case resize(Size)
    case mouse(MouseEvent)
}

/// The surface the main loop draws on. `present` receives a whole frame and
/// is responsible for writing only what changed since the previous frame;
/// `readEvents` never blocks.
@MainActor
public protocol Terminal: AnyObject {
    /// The current size in cells.
    var size: Size { get }
    /// Shows `grid`, writing only the cells that differ from the last frame.
    func present(_ grid: CellGrid)
    /// Returns every input event already available, without waiting.
    func readEvents() -> [InputEvent]
    /// Whether the terminal was asked to report mouse actions. Off unless
    /// enabled (config `ui.mouse` or `--mouse`): over SSH the operator's own
    /// terminal keeps selection and copy.
    var mouseReporting: Bool { get }
    /// Turns mouse reporting on or off.
    func setMouseReporting(_ enabled: Bool)
}

/// Whether the dashboard asks for mouse reporting: the command-line flag
/// wins, then the configuration's `ui.mouse`; off by default.
public enum MouseSetting {
    public static func enabled(flag: Bool?, configured: Bool?) -> Bool { flag ?? configured ?? false }
}
