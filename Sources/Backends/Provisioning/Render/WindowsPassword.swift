import Foundation

/// Windows Setup's "hidden" password form: the value is base64 of the UTF-16LE
/// bytes of the password followed by the setting's name ("Password" for
/// accounts and auto-logon, "AdministratorPassword" for the built-in
/// Administrator), with `PlainText` false. Not encryption, but it keeps
/// passwords out of plain sight in the answer file and in Setup's logs.
public enum WindowsPassword {
    public enum Setting: String, Sendable {
        case password = "Password"
        case administratorPassword = "AdministratorPassword"
    }

    public static func encode(_ password: String, for setting: Setting) -> String {
        var bytes: [UInt8] = []
        for unit in (password + setting.rawValue).utf16 {
            bytes.append(UInt8(unit & 0xFF))
            bytes.append(UInt8(unit >> 8))
        }
        return Data(bytes).base64EncodedString()
    }
}
