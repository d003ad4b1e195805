import Foundation
import Testing
@testable import VizorMedia

@Suite struct WIMReaderTests {
    static let editions = [
        EditionSpec(name: "Windows 11 Home", edition: "Core", arch: 9, languages: ["en-US", "de-DE"], build: 22621, spBuild: 2283),
        EditionSpec(name: "Windows 11 Pro", edition: "Professional", arch: 9, languages: ["en-US", "de-DE"], build: 22621, spBuild: 2283),
        EditionSpec(name: "Windows 11 Pro ARM", edition: "Professional", arch: 12, languages: ["fr-FR"], build: 22631, spBuild: 9),
        EditionSpec(name: "Windows 10 x86", edition: "Education", arch: 0, languages: ["ja-JP"], build: 19045, spBuild: 3803),
    ]

    /// Every field wiminfo prints agrees with what Vizor reads from the XML.
    func expectMatchesWimInfo(_ info: WIMInfo, _ file: URL) throws {
        let oracle = try WimInfoOracle.images(file)
        #expect(oracle.count == info.images.count)
        for (image, expected) in zip(info.images, oracle) {
            #expect(String(image.index) == expected["Index"])
            #expect(image.name == expected["Name"])
            #expect(image.description == expected["Description"])
            #expect(image.displayName == expected["Display Name"])
            #expect(image.editionID == expected["Edition ID"])
            #expect(image.flags == expected["Flags"])
            #expect(WimInfoOracle.architecture(image.architecture) == expected["Architecture"])
            #expect(image.productName == expected["Product Name"])
            #expect(image.installationType == expected["Installation Type"])
            #expect(image.languages.joined(separator: " ") == expected["Languages"])
            #expect(image.defaultLanguage == expected["Default Language"])
            #expect(image.version.map { String($0.major) } == expected["Major Version"])
            #expect(image.version.map { String($0.minor) } == expected["Minor Version"])
            #expect(image.version.map { String($0.build) } == expected["Build"])
            #expect(image.version.map { String($0.spBuild) } == expected["Service Pack Build"])
            #expect(image.totalBytes.map { String($0) } == expected["Total Bytes"])
            #expect(WimInfoOracle.collapse(WimInfoOracle.time(image.creationTime))
                    == WimInfoOracle.collapse(expected["Creation Time"]))
        }
    }

    @Test func wimCapturedByWimlibMatchesWiminfoFieldByField() throws {
        let scratch = try Scratch()
        let wim = scratch.path("install.wim")
        try WindowsFixture.captureWIM(scratch, editions: Self.editions, output: wim)
        let info = try WIMReader.read(FileByteSource(url: wim))
        #expect(info.header.imageCount == 4)
        #expect(!info.header.isSolid)
        #expect(info.header.compression == .lzx)
        #expect(!info.isEncrypted)
        try expectMatchesWimInfo(info, wim)
        // The raw XML wimlib extracts is what the reader decoded.
        let xmlFile = scratch.path("xml.bin")
        try Tool.run("wiminfo", [wim.path, "--extract-xml=\(xmlFile.path)"])
        let raw = try [UInt8](Data(contentsOf: xmlFile))
        #expect(UInt64(raw.count) == info.header.xml.originalSize)
    }

    @Test func solidESDIsReadThroughItsPlainXML() throws {
        let scratch = try Scratch()
        let esd = scratch.path("install.esd")
        try WindowsFixture.captureWIM(scratch, editions: Array(Self.editions.prefix(2)), output: esd, extra: ["--solid"])
        let info = try WIMReader.read(FileByteSource(url: esd))
        #expect(info.header.isSolid)
        #expect(info.header.compression == .lzms)
        try expectMatchesWimInfo(info, esd)
    }

    @Test func splitSWMPartsEachCarryTheXML() throws {
        let scratch = try Scratch()
        let wim = scratch.path("big.wim")
        var payload = Data(count: 3 << 20)
        for i in stride(from: 0, to: payload.count, by: 7) { payload[i] = UInt8(truncatingIfNeeded: i &* 2654435761 >> 13) }
        try scratch.write("payload/Windows/blob.bin", payload)
        try WindowsFixture.captureWIM(scratch, editions: Array(Self.editions.prefix(2)), output: wim,
                                      extra: ["--compress=none"], content: scratch.path("payload"))
        try Tool.run("wimlib-imagex", ["split", wim.path, scratch.path("install.swm").path, "1"])
        let first = try WIMReader.read(FileByteSource(url: scratch.path("install.swm")))
        #expect(first.header.partNumber == 1)
        #expect(first.header.totalParts >= 2)
        #expect(first.header.isSplit)
        #expect(first.images.map(\.name) == ["Windows 11 Home", "Windows 11 Pro"])
        let second = try WIMReader.read(FileByteSource(url: scratch.path("install2.swm")))
        #expect(second.header.partNumber == 2)
        #expect(second.images == first.images)
    }

    @Test func encryptedESDIsRecognisedFromItsXML() throws {
        let scratch = try Scratch()
        let wim = scratch.path("install.esd")
        try WindowsFixture.captureWIM(scratch, editions: Array(Self.editions.prefix(1)), output: wim, extra: ["--solid"])
        // Insert the <ESD><ENCRYPTED> block Microsoft's encrypted ESDs carry, as a new XML resource.
        var bytes = try [UInt8](Data(contentsOf: wim))
        let header = try WIMReader.readHeader(MemoryByteSource(bytes))
        let xmlStart = Int(header.xml.offset)
        let xml = WIMReader.decodeUTF16LE(Array(bytes[xmlStart..<(xmlStart + Int(header.xml.storedSize))]))
        let patched = xml.replacingOccurrences(of: "</WIM>",
            with: "<ESD><KEY>AAAA</KEY><ENCRYPTED Count=\"1\"><RANGE Offset=\"208\" Bytes=\"16\"/></ENCRYPTED></ESD></WIM>")
        var encoded: [UInt8] = [0xFF, 0xFE]
        for unit in patched.utf16 { encoded += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        let newOffset = UInt64(bytes.count)
        bytes += encoded
        func put64(_ value: UInt64, at: Int) { for i in 0..<8 { bytes[at + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) } }
        put64(UInt64(encoded.count) | UInt64(0x02) << 56, at: 0x48)
        put64(newOffset, at: 0x50)
        put64(UInt64(encoded.count), at: 0x58)
        for i in 0x7C..<(0x7C + 24) { bytes[i] = 0 }
        try Data(bytes).write(to: wim)
        let info = try WIMReader.read(FileByteSource(url: wim))
        #expect(info.isEncrypted)
        #expect(info.images.first?.name == "Windows 11 Home")
        // wimlib itself refuses the file for the same reason.
        #expect { try Tool.run("wiminfo", [wim.path]) } throws: { error in
            String(describing: error).contains("encrypted")
        }
    }

    @Test func compressedXMLAndBadMagicAreRefusedWithAMessage() throws {
        let scratch = try Scratch()
        let wim = scratch.path("install.wim")
        try WindowsFixture.captureWIM(scratch, editions: Array(Self.editions.prefix(1)), output: wim)
        var bytes = try [UInt8](Data(contentsOf: wim))
        bytes[0x48 + 7] |= 0x04
        #expect(throws: (any Error).self) { try WIMReader.read(MemoryByteSource(bytes)) }
        bytes[0] = 0x4E
        #expect(throws: (any Error).self) { try WIMReader.read(MemoryByteSource(bytes)) }
    }

    /// wimlib pads the day of the month (`%d`): an oracle that did not would disagree with
    /// wiminfo on days 1 to 9 of every month, whatever day the tests run.
    @Test(arguments: [(1, "Tue Dec 01 08:05:09 2026 UTC"), (9, "Wed Dec 09 08:05:09 2026 UTC"),
                      (10, "Thu Dec 10 08:05:09 2026 UTC")])
    func oracleTimeFormatPadsTheDayOfTheMonth(day: Int, expected: String) throws {
        #expect(WimInfoOracle.time(Self.utc(2026, 12, day, 8, 5, 9)) == expected)
    }

    /// The creation time set on the 1st and on the 9th reads back as wiminfo prints it,
    /// whatever today's date is.
    @Test(arguments: [1, 9])
    func creationTimeOnASingleDigitDayMatchesWiminfo(day: Int) throws {
        let scratch = try Scratch()
        let wim = scratch.path("install.wim")
        try WindowsFixture.captureWIM(scratch, editions: [Self.editions[0]], output: wim)
        let date = Self.utc(2026, 3, day, 23, 59, 58)
        let ticks = UInt64((date.timeIntervalSince1970 + 11_644_473_600) * 10_000_000)
        for (part, value) in [("HIGHPART", ticks >> 32), ("LOWPART", ticks & 0xFFFF_FFFF)] {
            try Tool.run("wiminfo", [wim.path, "1", "--image-property",
                                     "CREATIONTIME/\(part)=0x\(String(value, radix: 16, uppercase: true))"])
        }
        let info = try WIMReader.read(FileByteSource(url: wim))
        #expect(info.images.first?.creationTime == date)
        let oracle = try WimInfoOracle.images(wim)
        #expect(oracle.first?["Creation Time"] == WimInfoOracle.time(date))
        try expectMatchesWimInfo(info, wim)
    }

    static func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(from: DateComponents(year: year, month: month, day: day,
                                                  hour: hour, minute: minute, second: second))!
    }

    @Test func filetimeConvertsFrom1601() throws {
        let element = try MiniXML.parse("<T><HIGHPART>0x01D9B3C8</HIGHPART><LOWPART>0x7A2C1E00</LOWPART></T>")
        let date = try #require(WIMReader.filetime(element))
        // 0x01D9B3C87A2C1E00 100-ns ticks since 1601-01-01 is 2023-07-11 07:22:40.8683 UTC
        // (Python: datetime(1601,1,1) + timedelta(microseconds=ticks // 10)).
        #expect(WimInfoOracle.time(date) == "Tue Jul 11 07:22:40 2023 UTC")
        #expect(abs(date.timeIntervalSince1970.truncatingRemainder(dividingBy: 1) - 0.8683) < 0.0001)
    }
}
