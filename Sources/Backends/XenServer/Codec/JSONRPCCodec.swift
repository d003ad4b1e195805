// Hand-written, not JSONSerialization/Codable: XAPI prints bare Infinity/NaN, which strict JSON refuses, and values must decode straight to XapiValue with 64-bit ints exact; round trips are fuzzed.
/// JSON-RPC as XAPI speaks it (`POST /jsonrpc`, v2 from API 2.8, v1 before).
/// Own parser because XAPI prints non-finite floats as bare `Infinity`/`NaN`
/// (strict parsers reject them) and 64-bit ints must stay exact.
public enum JSONRPCCodec {
    public enum Version: Sendable { case v1, v2 }

    public static func encodeCall(method: String, params: [XapiValue], id: Int, version: Version = .v2) -> [UInt8] {
        var out = "{"
        if version == .v2 { out += "\"jsonrpc\":\"2.0\"," }
        out += "\"method\":"
        appendString(method, to: &out)
        out += ",\"params\":"
        append(.array(params), to: &out)
        out += ",\"id\":\(id)}"
        return Array(out.utf8)
    }

    public static func encode(_ value: XapiValue) -> String {
        var out = ""
        append(value, to: &out)
        return out
    }

    static func append(_ value: XapiValue, to out: inout String) {
        switch value {
        case .string(let s), .dateTime(let s): appendString(s, to: &out)
        case .int(let i): out += String(i)
        case .bool(let b): out += b ? "true" : "false"
        case .double(let d):
            if d.isNaN { out += "NaN" } else if d.isInfinite { out += d < 0 ? "-Infinity" : "Infinity" } else { out += String(d) }
        case .array(let a):
            out += "["
            for (n, item) in a.enumerated() {
                if n > 0 { out += "," }
                append(item, to: &out)
            }
            out += "]"
        case .structure(let s):
            out += "{"
            for (n, key) in s.keys.sorted().enumerated() {
                if n > 0 { out += "," }
                appendString(key, to: &out)
                out += ":"
                append(s[key]!, to: &out)
            }
            out += "}"
        case .null: out += "null"
        }
    }

    static func appendString(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    /// Decodes a v1 or v2 response envelope.
    public static func decodeResponse(_ bytes: [UInt8]) throws -> XapiResponse {
        let v = try parse(bytes)
        guard let obj = v.structure else { throw XapiCodecError("JSON-RPC response is not an object") }
        if let err = obj["error"], err != .null {
            if let list = err.array { return .failure(list.map(\.text)) }  // v1
            if let e = err.structure {  // v2: {code, message, data}
                var desc = [e["message"]?.text ?? "INTERNAL_ERROR"]
                switch e["data"] ?? .null {
                case .array(let a): desc += a.map(\.text)
                case .null: break
                case let other: desc.append(other.text)
                }
                return .failure(desc)
            }
            return .failure(["INTERNAL_ERROR", err.text])
        }
        guard let result = obj["result"] else { throw XapiCodecError("JSON-RPC response has neither result nor error") }
        return .success(result)
    }

    public static func parse(_ bytes: [UInt8]) throws -> XapiValue {
        var p = JSONScanner(b: bytes)
        let v = try p.value()
        p.skipSpace()
        guard p.i == bytes.count else { throw XapiCodecError("trailing bytes after JSON value at \(p.i)") }
        return v
    }
}

struct JSONScanner {
    let b: [UInt8]
    var i = 0
    var depth = 0

    mutating func skipSpace() {
        while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
    }

    mutating func literal(_ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard i + n <= b.count else { return false }
        let ok = s.withUTF8Buffer { buf in (0..<n).allSatisfy { b[i + $0] == buf[$0] } }
        if ok { i += n }
        return ok
    }

    mutating func value() throws -> XapiValue {
        skipSpace()
        guard i < b.count else { throw XapiCodecError("unexpected end of JSON") }
        switch b[i] {
        case UInt8(ascii: "{"):
            depth += 1
            guard depth < 512 else { throw XapiCodecError("JSON nested too deeply") }
            defer { depth -= 1 }
            i += 1
            var members: [String: XapiValue] = [:]
            skipSpace()
            if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return .structure(members) }
            while true {
                skipSpace()
                guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw XapiCodecError("expected a key at \(i)") }
                let key = try string()
                skipSpace()
                guard i < b.count, b[i] == UInt8(ascii: ":") else { throw XapiCodecError("expected ':' at \(i)") }
                i += 1
                members[key] = try value()
                skipSpace()
                guard i < b.count else { throw XapiCodecError("unterminated object") }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "}") { i += 1; return .structure(members) }
                throw XapiCodecError("expected ',' or '}' at \(i)")
            }
        case UInt8(ascii: "["):
            depth += 1
            guard depth < 512 else { throw XapiCodecError("JSON nested too deeply") }
            defer { depth -= 1 }
            i += 1
            var items: [XapiValue] = []
            skipSpace()
            if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            while true {
                items.append(try value())
                skipSpace()
                guard i < b.count else { throw XapiCodecError("unterminated array") }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                throw XapiCodecError("expected ',' or ']' at \(i)")
            }
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): if literal("true") { return .bool(true) }
        case UInt8(ascii: "f"): if literal("false") { return .bool(false) }
        case UInt8(ascii: "n"): if literal("null") { return .null }
        case UInt8(ascii: "N"): if literal("NaN") { return .double(.nan) }
        case UInt8(ascii: "I"): if literal("Infinity") { return .double(.infinity) }
        case UInt8(ascii: "+"): if literal("+Infinity") { return .double(.infinity) }
        case UInt8(ascii: "-"): if literal("-Infinity") { return .double(-.infinity) }
            return try number()
        default: return try number()
        }
        throw XapiCodecError("unexpected token at \(i)")
    }

    mutating func number() throws -> XapiValue {
        let start = i
        var isFloat = false
        while i < b.count {
            let c = b[i]
            if (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+") {
                i += 1
            } else if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                isFloat = true; i += 1
            } else { break }
        }
        let s = String(decoding: b[start..<i], as: UTF8.self)
        guard !s.isEmpty else { throw XapiCodecError("unexpected character at \(start)") }
        if !isFloat, let n = Int64(s) { return .int(n) }
        guard let d = Double(s) else { throw XapiCodecError("bad number \(s)") }
        return .double(d)
    }

    mutating func hex4() throws -> UInt32 {
        guard i + 4 <= b.count, let v = UInt32(String(decoding: b[i..<(i + 4)], as: UTF8.self), radix: 16) else {
            throw XapiCodecError("bad \\u escape at \(i)")
        }
        i += 4
        return v
    }

    /// The low surrogate escape (`\\uDC00`-`\\uDFFF`) at the cursor, consumed; nil (nothing consumed) otherwise.
    mutating func lowSurrogate() -> UInt32? {
        guard i + 6 <= b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u"),
              let low = UInt32(String(decoding: b[(i + 2)..<(i + 6)], as: UTF8.self), radix: 16),
              low >= 0xDC00 && low < 0xE000 else { return nil }
        i += 6
        return low
    }

    mutating func string() throws -> String {
        i += 1
        var bytes: [UInt8] = []
        while true {
            guard i < b.count else { throw XapiCodecError("unterminated string") }
            let c = b[i]
            if c == UInt8(ascii: "\"") { i += 1; break }
            if c != UInt8(ascii: "\\") { bytes.append(c); i += 1; continue }
            i += 1
            guard i < b.count else { throw XapiCodecError("unterminated escape") }
            let e = b[i]; i += 1
            switch e {
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "u"):
                var code = try hex4()
                // A high surrogate pairs only with a following low one; a lone
                // half becomes U+FFFD and the next escape is read on its own.
                if code >= 0xD800 && code < 0xDC00, let low = lowSurrogate() {
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"
                bytes.append(contentsOf: Array(String(scalar).utf8))
            default: bytes.append(e)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
