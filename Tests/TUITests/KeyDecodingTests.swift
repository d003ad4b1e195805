import Testing
@testable import VizorTUI

@Suite("Key decoding from ncurses characters")
@MainActor
struct KeyDecodingTests {
    @Test func controlBytesBecomeNamedKeys() {
        #expect(NcursesTerminal.decode(character: 27) == .escape)
        #expect(NcursesTerminal.decode(character: 13) == .enter)
        #expect(NcursesTerminal.decode(character: 10) == .enter)
        #expect(NcursesTerminal.decode(character: 9) == .tab)
        #expect(NcursesTerminal.decode(character: 127) == .backspace)
        #expect(NcursesTerminal.decode(character: 6) == .ctrl("f"))
        #expect(NcursesTerminal.decode(character: 2) == .ctrl("b"))
    }

    @Test func printableAndWideCharactersPassThrough() {
        #expect(NcursesTerminal.decode(character: 0x6A) == .char("j"))
        #expect(NcursesTerminal.decode(character: 0x65E5) == .char("日"))
        #expect(NcursesTerminal.decode(character: 0xD800) == nil, "a lone surrogate is not a character")
    }

    @Test func ctrlFAndCtrlBPageLikeTheirNamedKeys() {
        let store = ShellStore(state: Fixtures.state(Size(width: 80, height: 24), pane: .machines))
        store.press(.ctrl("f"))
        #expect(store.state.table(.machines).selectedIndex == ShellLayout(store.state.size).tableRows)
        store.press(.ctrl("b"))
        #expect(store.state.table(.machines).selectedIndex == 0)
    }
}
