import Foundation
import Testing
import VizorTUI

@Suite("Log tail")
struct LogTailTests {
    static func lines(_ count: Int, from start: Int = 0) -> [LogLine] {
        (start..<(start + count)).map { i in
            LogLine(time: Date(timeIntervalSince1970: Double(i)), severity: i % 10 == 0 ? "error" : "info", source: "razor", message: "line \(i)")
        }
    }

    @Test func theBufferIsBoundedAndDropsTheOldest() {
        var tail = LogTail(capacity: 1_000)
        for batch in 0..<30 { tail.append(Self.lines(100, from: batch * 100)) }
        #expect(tail.lines.count <= 1_100)
        #expect(tail.lines.count >= 1_000)
        #expect(tail.lines.last?.message == "line 2999")
        #expect(tail.dropped + tail.lines.count == 3_000)
    }

    @Test func searchFindsNextAndPreviousAndWraps() {
        var tail = LogTail()
        tail.append(Self.lines(50))
        for c in "/line 4" { _ = tail.handle(.char(c), pageHeight: 10) }
        _ = tail.handle(.enter, pageHeight: 10)
        #expect(tail.hit == 4)
        #expect(tail.follow == false)
        _ = tail.handle(.char("n"), pageHeight: 10)
        #expect(tail.hit == 40)
        _ = tail.handle(.char("N"), pageHeight: 10)
        #expect(tail.hit == 4)
        _ = tail.handle(.char("N"), pageHeight: 10)
        #expect(tail.hit == 49)
    }

    @Test func filterHidesOtherLinesAndKeepsUpWithNewOnes() {
        var tail = LogTail()
        tail.append(Self.lines(100))
        tail.setFilter("line 9")
        #expect(tail.shownCount == 11)   // 9, 90...99
        tail.append(Self.lines(10, from: 900))
        #expect(tail.shownCount == 21)
        tail.setFilter("")
        #expect(tail.shownCount == 110)
    }

    @Test func followPauseWrapTimestampsAndEnds() {
        var tail = LogTail()
        tail.append(Self.lines(100))
        #expect(tail.follow)
        _ = tail.handle(.char(" "), pageHeight: 10)
        #expect(!tail.follow)
        _ = tail.handle(.char("g"), pageHeight: 10)
        #expect(tail.top == 0)
        _ = tail.handle(.char("G"), pageHeight: 10)
        #expect(tail.follow && tail.top == 90)
        _ = tail.handle(.char("w"), pageHeight: 10)
        _ = tail.handle(.char("t"), pageHeight: 10)
        #expect(tail.wrap && !tail.timestamps)
        var grid = CellGrid(size: Size(width: 12, height: 6))
        tail.draw(into: &grid, x: 0, y: 0, width: 12, height: 6, title: "t")
        // Wrapped: "[razor] line 99" spans two rows at width 12, and in
        // follow mode the last line is the one at the bottom.
        #expect(grid.line(3).hasPrefix("[razor] line"))
        #expect(grid.line(4).hasPrefix(" 99"))
        #expect(grid.line(5).hasPrefix("F follow") || grid.line(5).contains("follow"))
        #expect(LogTail.role("error") == .bad && LogTail.role("warning") == .caution)
    }

    @Test func staysFastWithAHundredThousandLines() {
        var tail = LogTail()
        let start = Date()
        for batch in 0..<100 { tail.append(Self.lines(2_000, from: batch * 2_000)) }
        var grid = CellGrid(size: Size(width: 160, height: 48))
        for _ in 0..<100 { tail.draw(into: &grid, x: 0, y: 0, width: 160, height: 48, title: "bench") }
        let elapsed = Date().timeIntervalSince(start)
        #expect(tail.lines.count <= 110_000)
        #expect(elapsed < 10, "200,000 lines appended and 100 frames drawn in \(elapsed) s")
    }
}
