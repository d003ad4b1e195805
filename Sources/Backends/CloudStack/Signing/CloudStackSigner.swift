// Hand-written: CloudStack's canonical string (Java URLEncoder escaping, UTF-16 name order, first of repeated names) is its server's own and in no available package; the HMAC-SHA1 is swift-crypto's.
import Crypto
import Foundation

/// Signs CloudStack API requests the way the management server verifies them
/// (`ApiServer.verifyRequest`): every parameter but `signature`, names sorted
/// case-sensitively by UTF-16 code unit, values encoded as Java's
/// `URLEncoder` does (with `+` written `%20`), the whole string lower-cased,
/// HMAC-SHA1 keyed with the secret, standard Base64.
///
/// It is a value type with no state beyond the key so that signing is cheap
/// and can run on any task.
public struct CloudStackSigner: Sendable {
    private let secret: [UInt8]

    public init(secretKey: String) {
        self.secret = Array(secretKey.utf8)
    }

    /// The string the server signs, before lower-casing. Exposed so tests and
    /// operators debugging a 401 can compare it with the server's view.
    public static func canonicalString(_ parameters: [(name: String, value: String)]) -> String {
        var seen = Set<String>()
        var unique: [(name: String, value: String)] = []
        for parameter in parameters where parameter.name.lowercased() != "signature" {
            // Only the first value of a repeated name takes part (Java reads getParameterValues()[0]).
            if seen.insert(parameter.name).inserted { unique.append(parameter) }
        }
        unique.sort { $0.name.utf16.lexicographicallyPrecedes($1.name.utf16) }
        var out = ""
        out.reserveCapacity(unique.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 2 })
        for (index, parameter) in unique.enumerated() {
            if index > 0 { out.append("&") }
            out.append(parameter.name)
            out.append("=")
            out.append(javaURLEncode(parameter.value))
        }
        return out
    }

    /// The Base64 signature of the given parameters.
    public func signature(for parameters: [(name: String, value: String)]) -> String {
        let text = Self.canonicalString(parameters).lowercased()
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Data(text.utf8), using: SymmetricKey(data: secret))
        return Data(mac).base64EncodedString()
    }

    /// Java `URLEncoder.encode(value, "UTF-8")` followed by `+` → `%20`:
    /// `A-Z a-z 0-9 . - _ *` stay, everything else (including `~`) becomes `%XX`.
    public static func javaURLEncode(_ value: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(value.utf8.count)
        for byte in value.utf8 {
            if isJavaUnreserved(byte) {
                bytes.append(byte)
            } else {
                bytes.append(UInt8(ascii: "%"))
                bytes.append(hexDigits[Int(byte >> 4)])
                bytes.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Percent-encoding for the wire (query string or form body). Any
    /// encoding decoding to the same value is accepted; using the canonical
    /// one keeps `+` and the signature's `+ / =` safe.
    public static func wireEncode(_ value: String) -> String { javaURLEncode(value) }

    static func isJavaUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "*"):
            return true
        default:
            return false
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// The `expires` value of signature version 3: `yyyy-MM-dd'T'HH:mm:ss+0000`
    /// in UTC, the one form every server version since 4.11 parses.
    public static func expiresString(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(year)-\(two(month))-\(two(day))T\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60))+0000"
    }

    /// Gregorian date from days since 1970-01-01 (Howard Hinnant's civil_from_days).
    private static func civilDate(daysSinceEpoch: Int) -> (Int, Int, Int) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
