import Glibc
import Testing
import VizorTUI

@Suite("Display width, grid and diff")
@MainActor
struct TerminalLayerTests {
    @Test func displayWidthCountsWideAsTwoAndCombiningAsZero() {
        #expect(DisplayWidth.of("abc") == 3)
        #expect(DisplayWidth.of("日本語") == 6)
        #expect(DisplayWidth.of("한국어") == 6)
        #expect(DisplayWidth.of("💿") == 2)
        #expect(DisplayWidth.of("👩‍💻") == 2, "a ZWJ sequence is one glyph")
        #expect(DisplayWidth.of("e\u{301}") == 1, "a combining accent adds nothing")
        #expect(DisplayWidth.of(Character("\u{301}")) == 0)
        #expect(DisplayWidth.of("ＡＢ") == 4, "fullwidth Latin")
        #expect(DisplayWidth.of("…") == 1)
    }

    @Test func displayWidthAgreesWithTheCLibraryInAUTF8Locale() throws {
        let previous = String(cString: setlocale(LC_CTYPE, nil))
        defer { setlocale(LC_CTYPE, previous) }
        try #require(setlocale(LC_CTYPE, "C.UTF-8") != nil)
        let samples: [Unicode.Scalar] = ["a", "Z", "é", "ß", "日", "本", "語", "한", "\u{3042}", "\u{FF21}", "\u{301}", "\u{20DD}",
                                         "\u{1F4BF}", "\u{1F600}", "\u{4E00}", "\u{9FFF}", "\u{AC00}", "\u{D7A3}", "\u{2026}", "\u{2500}", "\u{20000}"]
        for scalar in samples {
            #expect(DisplayWidth.of(scalar) == NcursesTerminal.systemWidth(of: scalar), "U+\(String(scalar.value, radix: 16, uppercase: true))")
        }
    }

    @Test func truncationEndsWithAnEllipsisAndNeverSplitsAWideCharacter() {
        #expect(DisplayWidth.truncate("Windows Server", to: 8) == "Windows…")
        #expect(DisplayWidth.truncate("日本語版", to: 6) == "日本…", "4 columns of CJK plus the ellipsis; a third character would overflow")
        #expect(DisplayWidth.truncate("日本語版", to: 5) == "日本…")
        #expect(DisplayWidth.truncate("short", to: 10) == "short")
        #expect(DisplayWidth.truncate("anything", to: 0) == "")
        #expect(DisplayWidth.of(DisplayWidth.pad("日本語版", to: 6)) == 6)
        #expect(DisplayWidth.of(DisplayWidth.pad("cafe\u{301}", to: 6)) == 6)
    }

    @Test func putClipsWideCharactersAtTheEdgeAndRepairsOverwrittenHalves() {
        var grid = CellGrid(size: Size(width: 5, height: 1))
        grid.put("ab日本", x: 0, y: 0)
        #expect(grid.line(0) == "ab日 ", "本 would straddle the right edge")
        grid.put("x", x: 3, y: 0)
        #expect(grid.line(0) == "ab x ", "overwriting the right half of 日 blanks its left half")
        grid.put("\u{7}bell", x: 0, y: 0)
        #expect(grid.line(0).hasPrefix("\u{FFFD}bel"), "control characters never reach the terminal")
    }

    @Test func identicalFramesProduceNoOutput() {
        let state = Fixtures.state(Size(width: 80, height: 24))
        let renderer = ShellRenderer()
        let terminal = VirtualTerminal(size: state.size)
        terminal.present(renderer.render(state))
        #expect(terminal.lastCellsWritten == 80 * 24, "the first frame paints everything")
        terminal.present(renderer.render(state))
        #expect(terminal.lastCellsWritten == 0)
        #expect(terminal.lastBytesWritten == 0)
    }

    @Test func oneChangedRowWritesOnlyThatRow() {
        var state = Fixtures.state(Size(width: 80, height: 24))
        let renderer = ShellRenderer()
        let before = renderer.render(state)
        var rows = Fixtures.catalogRows
        rows[2].cells[3] = "2.7"
        ShellReducer.reduce(&state, .setContent(.catalog, .table(columns: Fixtures.catalogColumns, rows: rows)))
        let runs = renderer.render(state).diff(from: before)
        #expect(runs.count == 1)
        #expect(runs.first?.y == 5)
        #expect(runs.first?.cells.count == 1)
        let bytes = ANSIEncoder.encode(runs)
        #expect(String(decoding: bytes, as: UTF8.self).hasPrefix("\u{1B}[6;"))
        #expect(bytes.count < 30)
    }

    @Test func diffOfAWideCharacterIncludesItsLeadCell() {
        var a = CellGrid(size: Size(width: 6, height: 1))
        a.put("日本", x: 0, y: 0)
        var b = a
        b.put("日x", x: 0, y: 0)
        let runs = b.diff(from: a)
        #expect(runs.count == 1)
        #expect(runs.first?.x == 2)
        var c = a
        c.put("a", x: 1, y: 0)
        let repaired = c.diff(from: a)
        #expect(repaired.first?.x == 0, "a change in a continuation cell rewrites from the lead cell")
    }
}
