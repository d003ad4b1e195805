import Foundation
import Testing
@testable import VizorProvisioning

/// The language id of every input profile names the locale it belongs to,
/// checked against Python's `locale.windows_locale` (Windows LCID table).
@Suite struct LocaleTableTests {
    @Test func inputProfileLanguageIDsMatchWindowsLCIDs() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c",
                             "import json, locale; print(json.dumps({'%04x' % k: v.replace('_', '-') for k, v in locale.windows_locale.items()}))"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let lcids = try JSONDecoder().decode([String: String].self, from: data)
        #expect(lcids.count > 100)
        for entry in LocaleTable.entries {
            #expect(LocaleTable.isInputProfile(entry.inputProfile), "\(entry.name)")
            let languageID = String(entry.inputProfile.prefix(4)).lowercased()
            #expect(lcids[languageID] == entry.name, "\(entry.name): \(languageID) is \(lcids[languageID] ?? "unknown")")
        }
    }

    @Test func inputProfilesAreRecognised() {
        #expect(LocaleTable.isInputProfile("0409:00000409"))
        #expect(LocaleTable.isInputProfile("0c0c:00001009"))
        #expect(!LocaleTable.isInputProfile("0409-00000409"))
        #expect(!LocaleTable.isInputProfile("409:00000409"))
        #expect(!LocaleTable.isInputProfile("04g9:00000409"))
        #expect(LocaleTable.info("EN-us")?.name == "en-US")
    }
}
