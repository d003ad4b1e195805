/// Owns the shell state on the main actor and runs keys through the keymap
/// and the reducer. Tests drive it exactly as the main loop does.
@MainActor
public final class ShellStore {
    public private(set) var state: ShellState
    public let keymap: Keymap
    public let renderer: ShellRenderer

    public init(state: ShellState, keymap: Keymap = .standard) {
        self.state = state
        self.keymap = keymap
        self.renderer = ShellRenderer(keymap: keymap)
    }

    /// Applies an action; returns what the shell asks of the world.
    @discardableResult
    public func send(_ action: ShellAction) -> [ShellRequest] {
        ShellReducer.reduce(&state, action)
    }

    /// Dispatches a key through the keymap. Unbound keys do nothing.
    @discardableResult
    public func press(_ key: Key) -> [ShellRequest] {
        guard let action = keymap.action(for: key, in: state) else { return [] }
        return send(action)
    }

    /// Presses each key in turn, collecting requests.
    @discardableResult
    public func press(_ keys: [Key]) -> [ShellRequest] { keys.flatMap { press($0) } }

    /// Types text: each character is a key press.
    @discardableResult
    public func type(_ text: String) -> [ShellRequest] { press(text.map { Key.char($0) }) }

    /// Handles a terminal event.
    @discardableResult
    public func handle(_ event: InputEvent) -> [ShellRequest] {
        switch event {
        case .key(let key): press(key)
        case .resize(let size): send(.resize(size))
        case .mouse(let mouse): send(.mouse(mouse))
        }
    }

    /// The frame for the current state.
    public func render() -> CellGrid { renderer.render(state) }
}
