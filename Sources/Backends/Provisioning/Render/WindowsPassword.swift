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
        return base64(bytes)
    }

    static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var out = ""
        var index = 0
        while index < bytes.count {
            let b0 = Int(bytes[index])
            let b1 = index + 1 < bytes.count ? Int(bytes[index + 1]) : 0
            let b2 = index + 2 < bytes.count ? Int(bytes[index + 2]) : 0
            out.append(alphabet[b0 >> 2])
            out.append(alphabet[((b0 & 0x03) << 4) | (b1 >> 4)])
            out.append(index + 1 < bytes.count ? alphabet[((b1 & 0x0F) << 2) | (b2 >> 6)] : "=")
            out.append(index + 2 < bytes.count ? alphabet[b2 & 0x3F] : "=")
            index += 3
        }
        return out
    }
}
