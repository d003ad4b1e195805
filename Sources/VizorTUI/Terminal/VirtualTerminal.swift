/// An in-memory terminal for tests and benchmarks: it keeps the presented
/// grid, replays injected input, and counts what each frame would cost on
/// the wire (runs, cells and ANSI bytes) so tests can assert that an idle
/// frame writes nothing.
@MainActor
public final class VirtualTerminal: Terminal {
    public private(set) var size: Size
    /// What the screen shows now.
    public private(set) var screen: CellGrid
    /// Cells written by the last `present`.
    public private(set) var lastCellsWritten = 0
    /// ANSI bytes the last `present` would have sent.
    public private(set) var lastBytesWritten = 0
    /// ANSI bytes of every `present` so far (idle-traffic measurements).
    public private(set) var totalBytesWritten = 0
    /// Frames presented so far.
    public private(set) var framesPresented = 0
    /// Whether mouse reporting was turned on (a real terminal would have
    /// received the mouse escape sequences).
    public private(set) var mouseReporting = false
    /// How many times reporting was switched (on or off).
    public private(set) var mouseSwitches = 0
    private var pending: [InputEvent] = []
    private var hasPresented = false

    public init(size: Size) {
        self.size = size
        self.screen = CellGrid(size: size)
    }

    public func present(_ grid: CellGrid) {
        let runs = grid.diff(from: hasPresented ? screen : nil)
        lastCellsWritten = runs.reduce(0) { $0 + $1.cells.count }
        lastBytesWritten = ANSIEncoder.encode(runs).count
        totalBytesWritten += lastBytesWritten
        screen = grid
        hasPresented = true
        framesPresented += 1
    }

    public func readEvents() -> [InputEvent] {
        defer { pending.removeAll() }
        return pending
    }

    public func setMouseReporting(_ enabled: Bool) {
        mouseReporting = enabled
        mouseSwitches += 1
    }

    /// Queues a click at a cell, as a terminal reports it: only when mouse
    /// reporting is on (otherwise the terminal keeps the click to itself).
    public func click(x: Int, y: Int, kind: MouseEvent.Kind = .click) {
        guard mouseReporting else { return }
        pending.append(.mouse(MouseEvent(x: x, y: y, kind: kind)))
    }

    /// Queues keys as if typed.
    public func type(_ keys: Key...) { pending.append(contentsOf: keys.map(InputEvent.key)) }
    /// Queues each character of `text` as a key.
    public func type(text: String) { pending.append(contentsOf: text.map { InputEvent.key(.char($0)) }) }
    /// Changes the size and queues the resize event a real terminal reports.
    public func resize(to newSize: Size) {
        size = newSize
        hasPresented = false
        pending.append(.resize(newSize))
    }
    /// The screen as text, trailing spaces trimmed per line.
    public var text: String { screen.text }
}
