import Crypto
import Foundation

/// The request's parameters as the servlet sees them: form body merged with
/// the query string, the query re-decoded with `URLDecoder` rules (`+` is a
/// space) and overriding the body. Names are kept exactly as sent, because
/// the signature covers them as sent.
struct LabRequestParameters: Sendable {
    private(set) var names: [String] = []
    private(set) var values: [String: String] = [:]

    init(query: String?, formBody: String?) {
        if let formBody { add(formBody) }
        if let query { add(query) }
    }

    private mutating func add(_ encoded: String) {
        for pair in encoded.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            let value = parts.count > 1 ? Self.decode(parts[1]) : ""
            if values[name] == nil { names.append(name) }
            values[name] = value
        }
    }

    /// `java.net.URLDecoder.decode(s, "UTF-8")`: `+` is a space, `%XX` a byte.
    static func decode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "+") {
                bytes.append(0x20)
            } else if byte == UInt8(ascii: "%"), iterator.count >= 2,
                      let high = hexValue(iterator[iterator.startIndex]),
                      let low = hexValue(iterator[iterator.startIndex + 1]) {
                bytes.append(high << 4 | low)
                iterator = iterator.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x41...0x46: return byte - 0x37
        case 0x61...0x66: return byte - 0x57
        default: return nil
        }
    }

    /// Exact-name lookup.
    subscript(name: String) -> String? { values[name] }

    /// Lookup without regard to case, as the server matches `apiKey`,
    /// `signatureVersion` and `expires`, and as commands read their parameters.
    func value(_ lowercasedName: String) -> String? {
        if let exact = values[lowercasedName] { return exact }
        return names.first { $0.lowercased() == lowercasedName }.flatMap { values[$0] }
    }

    /// Parameters with names lower-cased (what `BaseCmd.unpackParams` sees).
    var lowercased: [String: String] {
        var out: [String: String] = [:]
        for name in names { out[name.lowercased()] = values[name] }
        return out
    }

    /// The string `ApiServer.verifyRequest` signs, lower-cased.
    func stringToSign() -> String {
        let sorted = names.filter { $0.lowercased() != "signature" }
            .sorted { $0.utf16.lexicographicallyPrecedes($1.utf16) }
        return sorted.map { "\($0)=\(Self.javaEncode(values[$0] ?? ""))" }.joined(separator: "&").lowercased()
    }

    /// `URLEncoder.encode(value, "UTF-8").replace("+", "%20")`.
    static func javaEncode(_ value: String) -> String {
        let keep = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_*".utf8)
        var out = ""
        for byte in value.utf8 {
            if byte == 0x20 {
                out += "+"
            } else if keep.contains(byte) {
                out.unicodeScalars.append(UnicodeScalar(byte))
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out.replacingOccurrences(of: "+", with: "%20")
    }

    /// Whether `signature` is the HMAC-SHA1 of the request under `secret`,
    /// compared in constant time.
    func signatureMatches(secret: String) -> Bool {
        guard let sent = value("signature"), let sentBytes = Data(base64Encoded: sent) else { return false }
        let expected = HMAC<Insecure.SHA1>.authenticationCode(for: Data(stringToSign().utf8),
                                                              using: SymmetricKey(data: Data(secret.utf8)))
        let expectedBytes = Array(expected)
        guard sentBytes.count == expectedBytes.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(sentBytes, expectedBytes) { difference |= a ^ b }
        return difference == 0
    }
}

/// Parses the `expires` timestamps `DateUtil.parseTZDateString` accepts:
/// `2030-01-01T00:00:00+0000`, `…+00:00`, `…Z`, with optional fractions,
/// and the legacy `…'Z'+0000`.
enum LabExpires {
    static func parse(_ text: String) -> Date? {
        let chars = Array(text.utf8)
        guard chars.count >= 20 else { return nil }
        func number(_ from: Int, _ length: Int) -> Int? {
            guard from + length <= chars.count else { return nil }
            var value = 0
            for byte in chars[from..<from + length] {
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard let year = number(0, 4), chars[4] == 0x2D, let month = number(5, 2), chars[7] == 0x2D,
              let day = number(8, 2), chars[10] == 0x54, let hour = number(11, 2), chars[13] == 0x3A,
              let minute = number(14, 2), chars[16] == 0x3A, let second = number(17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var index = 19
        if index < chars.count, chars[index] == 0x2E {
            index += 1
            while index < chars.count, (0x30...0x39).contains(chars[index]) { index += 1 }
        }
        var offsetSeconds = 0
        if index < chars.count, chars[index] == 0x5A { index += 1 }  // Z
        if index < chars.count {
            let sign = chars[index]
            guard sign == 0x2B || sign == 0x2D else { return nil }
            let rest = Array(chars[(index + 1)...]).filter { $0 != 0x3A }
            guard rest.count == 4, let offset = Int(String(decoding: rest, as: UTF8.self)) else { return nil }
            offsetSeconds = (offset / 100 * 3600 + offset % 100 * 60) * (sign == 0x2B ? 1 : -1)
        } else if chars[chars.count - 1] != 0x5A {
            return nil
        }
        var components = DateComponents()
        components.year = year; components.month = month; components.day = day
        components.hour = hour; components.minute = minute; components.second = second
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let local = calendar.date(from: components) else { return nil }
        return local.addingTimeInterval(TimeInterval(-offsetSeconds))
    }
}
