import Foundation
import Testing
import VizorExposure
import VizorMedia

@Suite("Mapping file bytes onto image extents")
struct ExtentMapTests {
    let multi = MediaFileEntry(path: "a", name: "a", isDirectory: false, size: 100, modified: Date(),
                               extents: [FileExtent(offset: 1000, length: 30), FileExtent(offset: 5000, length: 20, isSparse: true),
                                         FileExtent(offset: 9000, length: 40)])

    @Test("a range across extents is stitched in order; sparse extents and the unrecorded tail read as zeros")
    func stitchesExtents() {
        #expect(ExtentMap.segments(of: multi, from: 0, to: 100) == [
            .image(offset: 1000, length: 30), .zeros(length: 20), .image(offset: 9000, length: 40), .zeros(length: 10),
        ])
        #expect(ExtentMap.segments(of: multi, from: 25, to: 55) == [
            .image(offset: 1025, length: 5), .zeros(length: 20), .image(offset: 9000, length: 5),
        ])
        #expect(ExtentMap.segments(of: multi, from: 60, to: 70) == [.image(offset: 9010, length: 10)])
        #expect(ExtentMap.segments(of: multi, from: 100, to: 120).isEmpty)
        #expect(ExtentMap.segments(of: multi, from: 95, to: 500) == [.zeros(length: 5)])
    }

    @Test("embedded (in-descriptor) data is served from the entry itself")
    func embeddedData() {
        let small = MediaFileEntry(path: "s", name: "s", isDirectory: false, size: 5, modified: Date(), extents: [],
                                   embeddedData: Array("hello".utf8))
        #expect(ExtentMap.segments(of: small, from: 1, to: 4) == [.bytes(Array("ell".utf8))])
        #expect(ExtentMap.segments(of: small, from: 0, to: 99) == [.bytes(Array("hello".utf8))])
    }
}
