// Hand-written: no XML-RPC package is available, the lab's XAPI server parses with FoundationXML's XMLParser (client and lab must not share a parser), and this one needs no libxml2 or DOM.
/// XML-RPC as XAPI speaks it (`POST /`): requests with typed values (ints as
/// decimal strings, the documented convention, since XML-RPC's `<int>` is
/// 32-bit), responses as a `Status`/`Value`/`ErrorDescription` struct with
/// untyped `<value>` text. A hand-written byte parser: no libxml2 needed, and
/// a 2,000-VM `get_all_records` decodes without building a DOM.
public enum XMLRPCCodec {
    public static func encodeCall(method: String, params: [XapiValue]) -> [UInt8] {
        var out = "<?xml version=\"1.0\"?>\n<methodCall><methodName>"
        appendEscaped(method, to: &out)
        out += "</methodName><params>"
        for p in params {
            out += "<param>"
            appendValue(p, to: &out)
            out += "</param>"
        }
        out += "</params></methodCall>\n"
        return Array(out.utf8)
    }

    static func appendValue(_ value: XapiValue, to out: inout String) {
        out += "<value>"
        switch value {
        case .string(let s):
            out += "<string>"; appendEscaped(s, to: &out); out += "</string>"
        case .int(let i):
            // XAPI ints are 64-bit: sent as a decimal string (XML-RPC <int> is 32-bit).
            out += "<string>\(i)</string>"
        case .bool(let b):
            out += b ? "<boolean>1</boolean>" : "<boolean>0</boolean>"
        case .double(let d):
            out += "<double>\(d)</double>"
        case .dateTime(let s):
            out += "<dateTime.iso8601>"; appendEscaped(s, to: &out); out += "</dateTime.iso8601>"
        case .array(let items):
            out += "<array><data>"
            for item in items { appendValue(item, to: &out) }
            out += "</data></array>"
        case .structure(let members):
            out += "<struct>"
            for key in members.keys.sorted() {
                out += "<member><name>"; appendEscaped(key, to: &out); out += "</name>"
                appendValue(members[key]!, to: &out)
                out += "</member>"
            }
            out += "</struct>"
        case .null:
            out += "<nil/>"
        }
        out += "</value>"
    }

    static func appendEscaped(_ s: String, to out: inout String) {
        for scalar in s.unicodeScalars {
            switch scalar {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            default: out.unicodeScalars.append(scalar)
            }
        }
    }

    /// Decodes a `methodResponse`. XAPI answers API errors with a
    /// `Status: Failure` struct; an XML-RPC `<fault>` means a non-XAPI peer.
    public static func decodeResponse(_ bytes: [UInt8]) throws -> XapiResponse {
        var p = XMLScanner(bytes)
        try p.open("methodResponse")
        let tag = try p.nextTag()
        if tag.name == "fault" && !tag.closing {
            let fault = try p.value()
            throw XapiCodecError("XML-RPC fault instead of a XAPI response: \(fault)")
        }
        guard tag.name == "params", !tag.closing else { throw XapiCodecError("expected <params>, found <\(tag.name)>") }
        try p.open("param")
        let v = try p.value()
        return try XapiEnvelope.interpret(v)
    }

    /// Decodes a bare `<value>` fragment, as found in `task.result`.
    public static func decodeValueFragment(_ text: String) throws -> XapiValue {
        let trimmed = text.trimmingWhitespace()
        if trimmed.isEmpty { return .string("") }
        var p = XMLScanner(Array(trimmed.utf8))
        return try p.value()
    }
}

/// The `Status`/`Value`/`ErrorDescription` struct every XML-RPC answer wraps.
enum XapiEnvelope {
    static func interpret(_ v: XapiValue) throws -> XapiResponse {
        guard let s = v.structure, let status = s["Status"]?.string else {
            throw XapiCodecError("response has no Status member")
        }
        switch status {
        case "Success": return .success(s["Value"] ?? .string(""))
        case "Failure":
            let desc = s["ErrorDescription"]?.array?.map(\.text) ?? []
            return .failure(desc.isEmpty ? ["INTERNAL_ERROR", "failure without ErrorDescription"] : desc)
        default: throw XapiCodecError("unknown Status \(status)")
        }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let f = scalars.first, f.isWhitespace { scalars.removeFirst() }
        while let l = scalars.last, l.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}

/// A forward-only scanner over XML-RPC bytes.
struct XMLScanner {
    struct Tag { var name: String; var closing: Bool; var selfClosing: Bool }
    let b: [UInt8]
    var i = 0
    /// Values open around the cursor; bounded so that nested arrays or
    /// structs from a hostile peer cannot exhaust the stack.
    var depth = 0
    static let maximumDepth = 512

    init(_ bytes: [UInt8]) { b = bytes }

    mutating func skipMisc() throws {
        while true {
            while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
            if starts("<?") { try skipPast("?>") } else if starts("<!--") { try skipPast("-->") } else { return }
        }
    }

    func starts(_ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard i + n <= b.count else { return false }
        return s.withUTF8Buffer { buf in
            for k in 0..<n where b[i + k] != buf[k] { return false }
            return true
        }
    }

    mutating func skipPast(_ s: StaticString) throws {
        while i < b.count {
            if starts(s) { i += s.utf8CodeUnitCount; return }
            i += 1
        }
        throw XapiCodecError("unterminated XML construct")
    }

    mutating func nextTag() throws -> Tag {
        try skipMisc()
        guard i < b.count, b[i] == UInt8(ascii: "<") else { throw XapiCodecError("expected a tag at byte \(i)") }
        i += 1
        var closing = false
        if i < b.count, b[i] == UInt8(ascii: "/") { closing = true; i += 1 }
        let start = i
        while i < b.count, b[i] != UInt8(ascii: ">"), b[i] != UInt8(ascii: "/"), b[i] != 0x20, b[i] != 0x0A, b[i] != 0x09, b[i] != 0x0D { i += 1 }
        let name = String(decoding: b[start..<i], as: UTF8.self)
        while i < b.count, b[i] != UInt8(ascii: ">") { i += 1 }
        guard i < b.count else { throw XapiCodecError("unterminated tag <\(name)") }
        let selfClosing = b[i - 1] == UInt8(ascii: "/")
        i += 1
        return Tag(name: name, closing: closing, selfClosing: selfClosing)
    }

    mutating func open(_ name: String) throws {
        let t = try nextTag()
        guard t.name == name, !t.closing else { throw XapiCodecError("expected <\(name)>, found <\(t.closing ? "/" : "")\(t.name)>") }
    }

    mutating func close(_ name: String) throws {
        let t = try nextTag()
        guard t.name == name, t.closing else { throw XapiCodecError("expected </\(name)>, found <\(t.closing ? "/" : "")\(t.name)>") }
    }

    /// Text up to the next `<`, entities decoded.
    mutating func text() throws -> String {
        let start = i
        var hasEntity = false
        while i < b.count, b[i] != UInt8(ascii: "<") {
            if b[i] == UInt8(ascii: "&") { hasEntity = true }
            i += 1
        }
        if starts("<![CDATA[") {
            let before = String(decoding: b[start..<i], as: UTF8.self)
            i += 9
            let cstart = i
            try skipPast("]]>")
            let inner = String(decoding: b[cstart..<(i - 3)], as: UTF8.self)
            return (hasEntity ? try Self.unescape(before) : before) + inner + (try text())
        }
        let raw = String(decoding: b[start..<i], as: UTF8.self)
        return hasEntity ? try Self.unescape(raw) : raw
    }

    /// Entities decoded scalar by scalar: searched as Characters, a `;` or
    /// `&` followed by a combining mark would fuse with it and be missed.
    static func unescape(_ s: String) throws -> String {
        let scalars = Array(s.unicodeScalars)
        var out = String.UnicodeScalarView()
        var k = 0
        while k < scalars.count {
            guard scalars[k] == "&" else { out.append(scalars[k]); k += 1; continue }
            guard let semi = scalars[k...].firstIndex(of: ";") else { throw XapiCodecError("bad entity in \(s.prefix(40))") }
            let name = String(String.UnicodeScalarView(scalars[(k + 1)..<semi]))
            switch name {
            case "lt": out.append("<")
            case "gt": out.append(">")
            case "amp": out.append("&")
            case "quot": out.append("\"")
            case "apos": out.append("'")
            default:
                var code: UInt32?
                if name.hasPrefix("#x") || name.hasPrefix("#X") { code = UInt32(name.dropFirst(2), radix: 16) }
                else if name.hasPrefix("#") { code = UInt32(name.dropFirst()) }
                guard let c = code, let scalar = Unicode.Scalar(c) else { throw XapiCodecError("unknown entity &\(name);") }
                out.append(scalar)
            }
            k = semi + 1
        }
        return String(out)
    }

    /// Parses one `<value>…</value>` (the opening tag not yet consumed).
    mutating func value() throws -> XapiValue {
        let t = try nextTag()
        guard t.name == "value", !t.closing else { throw XapiCodecError("expected <value>, found <\(t.name)>") }
        if t.selfClosing { return .string("") }
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumDepth else { throw XapiCodecError("XML-RPC values nested too deeply") }
        return try valueBody()
    }

    mutating func valueBody() throws -> XapiValue {
        let leading = try text()
        let t = try nextTag()
        if t.closing {
            guard t.name == "value" else { throw XapiCodecError("unexpected </\(t.name)>") }
            return .string(leading)
        }
        let v: XapiValue
        if t.selfClosing {
            switch t.name {
            case "nil": v = .null
            case "string": v = .string("")
            case "array": v = .array([])
            case "struct": v = .structure([:])
            default: throw XapiCodecError("empty <\(t.name)/>")
            }
        } else {
            switch t.name {
            case "string": v = .string(try text()); try close("string")
            case "int", "i4", "i8":
                let s = try text().trimmingWhitespace()
                guard let n = Int64(s) else { throw XapiCodecError("bad integer \(s)") }
                v = .int(n); try close(t.name)
            case "boolean":
                let s = try text().trimmingWhitespace()
                v = .bool(s == "1"); try close("boolean")
            case "double":
                let s = try text().trimmingWhitespace()
                guard let d = XapiValue.string(s).double else { throw XapiCodecError("bad double \(s)") }
                v = .double(d); try close("double")
            case "dateTime.iso8601": v = .dateTime(try text().trimmingWhitespace()); try close(t.name)
            case "base64": v = .string(try text()); try close("base64")
            case "nil": try close("nil"); v = .null
            case "array": v = try arrayBody()
            case "struct": v = try structBody()
            default: throw XapiCodecError("unknown XML-RPC type <\(t.name)>")
            }
        }
        try close("value")
        return v
    }

    mutating func arrayBody() throws -> XapiValue {
        let d = try nextTag()
        if d.name == "data" && d.selfClosing { try close("array"); return .array([]) }
        guard d.name == "data", !d.closing else { throw XapiCodecError("expected <data>") }
        var items: [XapiValue] = []
        while true {
            let save = i
            let t = try nextTag()
            if t.closing && t.name == "data" { break }
            i = save
            items.append(try value())
        }
        try close("array")
        return .array(items)
    }

    mutating func structBody() throws -> XapiValue {
        var members: [String: XapiValue] = [:]
        while true {
            let t = try nextTag()
            if t.closing && t.name == "struct" { break }
            guard t.name == "member", !t.closing else { throw XapiCodecError("expected <member>, found <\(t.name)>") }
            try open("name")
            let name = try text()
            try close("name")
            members[name] = try value()
            try close("member")
        }
        return .structure(members)
    }
}
