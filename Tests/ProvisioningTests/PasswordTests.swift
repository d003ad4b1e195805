import Foundation
import Testing
import VizorProvisioning

@Suite struct PasswordTests {
    /// "Password" alone (an empty password) is the value widely published in
    /// answer files written by Windows System Image Manager.
    @Test func emptyPasswordEncodesToTheWellKnownValue() {
        #expect(WindowsPassword.encode("", for: .password) == "UABhAHMAcwB3AG8AcgBkAA==")
    }

    /// Python's codecs are the independent oracle for UTF-16LE + base64.
    @Test(arguments: ["Adm1n-S3cret!", "Pässwörd€", "a", "ab", "ключ🔑"])
    func encodingMatchesPythonUTF16LEBase64(_ password: String) throws {
        for setting in [WindowsPassword.Setting.password, .administratorPassword] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c",
                                 "import base64,sys; print(base64.b64encode(sys.stdin.read().encode('utf-16-le')).decode())"]
            let input = Pipe(), output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            try process.run()
            input.fileHandleForWriting.write(Data((password + setting.rawValue).utf8))
            try input.fileHandleForWriting.close()
            let answer = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            #expect(WindowsPassword.encode(password, for: setting) == answer.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }
}
