import Testing
@testable import VizorTUI

@Suite struct PlainTableTests {
    @Test func wideCharactersKeepLaterColumnsAligned() {
        let lines = PlainTable.lines(["NAME", "STATE"], [["ウィンドウズ", "running"], ["win11", "halted"], ["🚀 rocket", "paused"]])
        // Every STATE cell starts at the same display column: 12 columns of the widest name plus 2.
        for line in lines {
            let state = line.split(separator: " ", omittingEmptySubsequences: true).last!
            let prefix = line[..<line.range(of: String(state), options: .backwards)!.lowerBound]
            #expect(DisplayWidth.of(prefix) == 14, "\(line)")
        }
        #expect(lines[1] == "ウィンドウズ  running")
        #expect(lines[2] == "win11         halted")
    }

    @Test func lastColumnCarriesNoTrailingBlanks() {
        let lines = PlainTable.lines(["A", "B"], [["x", ""], ["longer", "yes"]])
        #expect(lines.allSatisfy { !$0.hasSuffix(" ") })
        #expect(lines[1] == "x")
        #expect(lines[0] == "A       B")
        #expect(lines[2] == "longer  yes")
    }
}
