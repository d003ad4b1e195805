import Foundation
import Testing
@testable import VizorProvisioning

/// Vizor's time-zone tables against tzlocal's `windows_tz` (generated from the
/// Unicode CLDR windowsZones table), an independent source.
@Suite struct TimeZoneTableTests {
    struct Oracle: Decodable {
        var windows: [String]
        var ianaToWindows: [String: String]
    }

    static func oracle() throws -> Oracle {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", """
            import json, tzlocal.windows_tz as w
            print(json.dumps({'windows': sorted(w.win_tz), 'ianaToWindows': w.tz_win}))
            """]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return try JSONDecoder().decode(Oracle.self, from: data)
    }

    @Test func everyWindowsIDIsARealWindowsTimeZone() throws {
        let known = Set(try Self.oracle().windows)
        #expect(known.count > 100)
        let unknown = TimeZoneTable.windowsIDs.subtracting(known).sorted()
        #expect(unknown.isEmpty, "not Windows time zones: \(unknown)")
    }

    @Test func everyIANAMappingAgreesWithCLDR() throws {
        let oracle = try Self.oracle().ianaToWindows
        for (iana, windows) in TimeZoneTable.ianaToWindows.sorted(by: { $0.key < $1.key }) {
            if TimeZoneTable.olderWindowsCompatible.contains(iana) {
                // CLDR names a zone newer Windows only; Vizor's choice must be an older, known one.
                let newer = try #require(oracle[iana])
                #expect(!TimeZoneTable.windowsIDs.contains(newer) && TimeZoneTable.windowsIDs.contains(windows), "\(iana)")
                continue
            }
            #expect(oracle[iana] == windows, "\(iana): Vizor says \(windows), CLDR says \(oracle[iana] ?? "nothing")")
        }
    }
}
