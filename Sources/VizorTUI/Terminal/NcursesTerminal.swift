import CNcurses
import Foundation

/// The real terminal, through ncursesw. It owns the screen between `start`
/// and `stop`; every call must come from the main actor because ncurses is
/// not thread-safe (`wget_wch` may refresh the screen itself).
@MainActor
public final class NcursesTerminal: Terminal {
    /// How to set the terminal up.
    public struct Options: Sendable {
        /// Milliseconds ncurses waits after Esc for the rest of an arrow-key
        /// sequence: short enough that Esc feels instant, long enough that a
        /// slow SSH link does not split arrow keys. `ESCDELAY` in the
        /// environment wins.
        public var escapeDelay: Int = 75
        /// Colour off when NO_COLOR is set (https://no-color.org) or asked.
        public var color: Bool = ProcessInfo.processInfo.environment["NO_COLOR"].map(\.isEmpty) ?? true
        /// The palette; `VIZOR_THEME` (dark, light, monochrome) in the environment picks it.
        public var theme: Theme = ProcessInfo.processInfo.environment["VIZOR_THEME"].flatMap(Theme.init(rawValue:)) ?? .dark
        /// Mouse reporting (clicks select rows and tabs); off by default.
        public var mouse = false
        public init() {}
    }

    public enum StartError: Error, CustomStringConvertible {
        case notATerminal
        case cannotInitialize(term: String)
        public var description: String {
            switch self {
            case .notATerminal: "the dashboard needs a terminal: stdin and stdout must be a TTY (use the CLI sub-commands in scripts)"
            case .cannotInitialize(let term): "cannot start the terminal (TERM=\(term)); check that TERM names an installed terminfo entry"
            }
        }
    }

    private var previous: CellGrid?
    private var palette: [Role: (attrs: attr_t, pair: Int16)] = [:]
    private var stopped = false
    public private(set) var colors: Int = 0
    public private(set) var mouseReporting = false

    private init() {}

    /// Takes over the terminal: locale, cbreak, noecho, keypad, ESCDELAY,
    /// colours, and the crash handlers that give the terminal back.
    public static func start(_ options: Options = Options()) throws -> NcursesTerminal {
        guard isatty(0) == 1, isatty(1) == 1 else { throw StartError.notATerminal }
        _ = vz_setlocale_from_environment()
        guard vz_newterm() != nil else {
            throw StartError.cannotInitialize(term: ProcessInfo.processInfo.environment["TERM"] ?? "")
        }
        // Swift emits a header's inline C functions only when Swift itself
        // references them; the crash handler's storage is reached from C only.
        _ = vz_previous_actions()
        vz_install_fatal_handlers()
        vz_atexit_restore()
        let screen = vz_stdscr()
        cbreak()
        noecho()
        nonl()
        intrflush(screen, false)
        keypad(screen, true)
        nodelay(screen, true)
        curs_set(0)
        if ProcessInfo.processInfo.environment["ESCDELAY"] == nil { vz_set_escdelay(Int32(options.escapeDelay)) }
        let terminal = NcursesTerminal()
        terminal.setUpPalette(color: options.color && options.theme != .monochrome && has_colors(), light: options.theme == .light)
        // Never touch the mouse mask unless asked: with it untouched ncurses
        // sends no mouse-tracking sequence to the terminal.
        if options.mouse { terminal.setMouseReporting(true) }
        return terminal
    }

    /// Gives the terminal back (endwin). Safe to call more than once.
    public func stop() {
        guard !stopped else { return }
        stopped = true
        if mouseReporting { setMouseReporting(false) }
        vz_restore_terminal()
    }

    public func setMouseReporting(_ enabled: Bool) {
        mouseReporting = vz_set_mouse(enabled ? 1 : 0) != 0 && enabled
    }

    public var size: Size {
        var rows: Int32 = 0, columns: Int32 = 0
        vz_getmaxyx(vz_stdscr(), &rows, &columns)
        return Size(width: Int(columns), height: Int(rows))
    }

    /// Writes only the runs that differ from the previous frame, then one
    /// `doupdate`; an unchanged frame makes no ncurses call at all.
    public func present(_ grid: CellGrid) {
        let runs = grid.diff(from: previous)
        previous = grid
        guard !runs.isEmpty else { return }
        let screen = vz_stdscr()
        var buffer = [wchar_t](repeating: 0, count: 8)
        for run in runs {
            var x = run.x
            for cell in run.cells {
                defer { x += 1 }
                if cell.isContinuation { continue }
                let look = palette[cell.style.role] ?? (vz_a_normal(), 0)
                var attrs = look.attrs
                if cell.style.bold { attrs |= vz_a_bold() }
                if cell.style.reverse { attrs |= vz_a_reverse() }
                if cell.style.underline { attrs |= vz_a_underline() }
                let scalars = Array(cell.character.unicodeScalars.prefix(buffer.count - 1))
                for (i, scalar) in scalars.enumerated() { buffer[i] = wchar_t(bitPattern: scalar.value) }
                buffer[scalars.count] = 0
                _ = vz_put_wch(screen, Int32(run.y), Int32(x), buffer, attrs, look.pair)
            }
        }
        wnoutrefresh(screen)
        doupdate()
    }

    /// Forgets what is on screen so the next frame repaints everything
    /// (after a resize, or Ctrl-L).
    public func invalidate() {
        previous = nil
        clearok(vz_curscr(), true)
    }

    /// Drains every key ncurses already has, without waiting.
    public func readEvents() -> [InputEvent] {
        var events: [InputEvent] = []
        var value: UInt32 = 0
        while events.count < 4096 {
            let result = vz_get_wch(vz_stdscr(), &value)
            if result == ERR { break }
            if result == KEY_CODE_YES {
                if Int32(value) == KEY_RESIZE {
                    previous = nil
                    events.append(.resize(size))
                } else if Int32(value) == vz_key_mouse() {
                    if let mouse = readMouse() { events.append(.mouse(mouse)) }
                } else if let key = Self.decode(keyCode: Int32(value)) {
                    events.append(.key(key))
                }
            } else if let key = Self.decode(character: value) {
                events.append(.key(key))
            }
        }
        return events
    }

    private func readMouse() -> MouseEvent? {
        var x: Int32 = 0, y: Int32 = 0, kind: Int32 = 0
        guard mouseReporting, vz_get_mouse(&x, &y, &kind) == OK else { return nil }
        switch kind {
        case 1: return MouseEvent(x: Int(x), y: Int(y), kind: .click)
        case 4: return MouseEvent(x: Int(x), y: Int(y), kind: .scrollUp)
        case 5: return MouseEvent(x: Int(x), y: Int(y), kind: .scrollDown)
        default: return nil
        }
    }

    static func decode(character value: UInt32) -> Key? {
        switch value {
        case 9: return .tab
        case 10, 13: return .enter
        case 27: return .escape
        case 8, 127: return .backspace
        case 12: return .ctrl("l")
        case 1...26: return .ctrl(Character(Unicode.Scalar(value + 96)!))
        default:
            guard let scalar = Unicode.Scalar(value), value >= 32 else { return nil }
            return .char(Character(scalar))
        }
    }

    static func decode(keyCode: Int32) -> Key? {
        switch keyCode {
        case KEY_UP: return .up
        case KEY_DOWN: return .down
        case KEY_LEFT: return .left
        case KEY_RIGHT: return .right
        case KEY_NPAGE: return .pageDown
        case KEY_PPAGE: return .pageUp
        case KEY_HOME: return .home
        case KEY_END: return .end
        case KEY_ENTER: return .enter
        case KEY_BACKSPACE: return .backspace
        case KEY_DC: return .delete
        case KEY_BTAB: return .backTab
        case vz_key_f(1)...vz_key_f(24): return .function(Int(keyCode - vz_key_f(0)))
        default: return nil
        }
    }

    /// Maps each role to attributes and a colour pair: 256-colour tones where
    /// the terminal has them, the 8 basic colours otherwise, and attributes
    /// only (reverse, bold, dim) in monochrome or under NO_COLOR.
    private func setUpPalette(color: Bool, light: Bool) {
        let a = (normal: vz_a_normal(), bold: vz_a_bold(), dim: vz_a_dim(), reverse: vz_a_reverse(), underline: vz_a_underline())
        guard color else {
            palette = [
                .header: (a.reverse, 0), .activeTab: (a.reverse | a.bold, 0), .selected: (a.reverse, 0),
                .columnHeader: (a.bold, 0), .failing: (a.bold, 0), .stale: (a.bold, 0), .unknown: (a.dim, 0),
                .dim: (a.dim, 0), .warning: (a.bold, 0), .bad: (a.bold | a.underline, 0), .caution: (a.bold, 0),
            ]
            return
        }
        start_color()
        use_default_colors()
        colors = Int(vz_colors())
        let rich = colors >= 256
        let specs = light ? lightSpecs(rich: rich, a: a) : darkSpecs(rich: rich, a: a)
        for (index, spec) in specs.enumerated() {
            let pair = Int16(index + 1)
            guard Int32(pair) < vz_color_pairs() else { break }
            init_pair(pair, spec.1, spec.2)
            palette[spec.0] = (spec.3, pair)
        }
    }

    private typealias Attributes = (normal: attr_t, bold: attr_t, dim: attr_t, reverse: attr_t, underline: attr_t)

    /// Light text on the terminal's own (dark) background.
    private func darkSpecs(rich: Bool, a: Attributes) -> [(Role, Int16, Int16, attr_t)] {
        [
            (.header, rich ? 231 : Int16(COLOR_BLACK), rich ? 24 : Int16(COLOR_CYAN), a.normal),
            (.tab, Int16(COLOR_CYAN), -1, a.normal),
            (.activeTab, rich ? 16 : Int16(COLOR_BLACK), rich ? 179 : Int16(COLOR_YELLOW), a.bold),
            (.selected, rich ? 231 : Int16(COLOR_BLACK), rich ? 25 : Int16(COLOR_WHITE), a.normal),
            (.columnHeader, -1, -1, a.bold),
            (.ok, Int16(COLOR_GREEN), rich ? 24 : Int16(COLOR_CYAN), a.normal),
            (.stale, Int16(COLOR_YELLOW), rich ? 24 : Int16(COLOR_CYAN), a.normal),
            (.failing, rich ? 203 : Int16(COLOR_RED), rich ? 24 : Int16(COLOR_CYAN), a.normal),
            (.unknown, rich ? 250 : Int16(COLOR_WHITE), rich ? 24 : Int16(COLOR_CYAN), a.normal),
            (.dim, rich ? 244 : -1, -1, rich ? a.normal : a.dim),
            (.accent, Int16(COLOR_CYAN), -1, a.normal),
            (.warning, Int16(COLOR_YELLOW), -1, a.normal),
            (.overlay, rich ? 252 : -1, rich ? 236 : -1, a.normal),
            (.good, Int16(COLOR_GREEN), -1, a.normal),
            (.caution, Int16(COLOR_YELLOW), -1, a.normal),
            (.bad, rich ? 203 : Int16(COLOR_RED), -1, a.bold),
        ]
    }

    /// Dark text for terminals with a light background.
    private func lightSpecs(rich: Bool, a: Attributes) -> [(Role, Int16, Int16, attr_t)] {
        [
            (.header, rich ? 16 : Int16(COLOR_BLACK), rich ? 153 : Int16(COLOR_CYAN), a.normal),
            (.tab, rich ? 24 : Int16(COLOR_BLUE), -1, a.normal),
            (.activeTab, rich ? 16 : Int16(COLOR_BLACK), rich ? 222 : Int16(COLOR_YELLOW), a.bold),
            (.selected, rich ? 16 : Int16(COLOR_BLACK), rich ? 153 : Int16(COLOR_CYAN), a.normal),
            (.columnHeader, -1, -1, a.bold),
            (.ok, rich ? 22 : Int16(COLOR_GREEN), rich ? 153 : Int16(COLOR_CYAN), a.bold),
            (.stale, rich ? 130 : Int16(COLOR_YELLOW), rich ? 153 : Int16(COLOR_CYAN), a.bold),
            (.failing, rich ? 124 : Int16(COLOR_RED), rich ? 153 : Int16(COLOR_CYAN), a.bold),
            (.unknown, rich ? 240 : Int16(COLOR_BLACK), rich ? 153 : Int16(COLOR_CYAN), a.normal),
            (.dim, rich ? 244 : -1, -1, rich ? a.normal : a.dim),
            (.accent, rich ? 25 : Int16(COLOR_BLUE), -1, a.normal),
            (.warning, rich ? 130 : Int16(COLOR_RED), -1, a.normal),
            (.overlay, rich ? 16 : -1, rich ? 254 : -1, a.normal),
            (.good, rich ? 22 : Int16(COLOR_GREEN), -1, a.bold),
            (.caution, rich ? 130 : Int16(COLOR_YELLOW), -1, a.bold),
            (.bad, rich ? 124 : Int16(COLOR_RED), -1, a.bold),
        ]
    }

    /// The C library's opinion of a character's width in the current locale,
    /// exposed so tests can check `DisplayWidth` against it.
    public nonisolated static func systemWidth(of scalar: Unicode.Scalar) -> Int {
        Int(vz_wcwidth(wchar_t(bitPattern: scalar.value)))
    }
}
