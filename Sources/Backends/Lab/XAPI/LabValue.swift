import Foundation
import LabServing
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A value in the lab's database and on its wire. Written apart from the
/// client's codec on purpose: the lab must be judged by independent clients
/// (the XenAPI Python SDK), not agree with Vizor by sharing its bugs.
enum LabValue: Sendable, Equatable {
    case str(String)
    case int(Int64)
    /// Emitted as `<i4>` (only `valid_ref_counts` uses it, as xapi does).
    case i32(Int32)
    case bool(Bool)
    case double(Double)
    case date(String)
    case list([LabValue])
    case map([String: LabValue])

    static let null = LabValue.str("OpaqueRef:NULL")
    static let empty = LabValue.map([:])

    var s: String {
        switch self {
        case .str(let v), .date(let v): return v
        case .int(let v): return String(v)
        case .i32(let v): return String(v)
        case .bool(let v): return v ? "true" : "false"
        case .double(let v): return String(v)
        default: return ""
        }
    }
    var i: Int64? {
        switch self {
        case .int(let v): return v
        case .i32(let v): return Int64(v)
        case .str(let v): return Int64(v)
        case .double(let v): return v.isFinite ? Int64(exactly: v.rounded()) : nil
        default: return nil
        }
    }
    var b: Bool? {
        if case .bool(let v) = self { return v }
        return nil
    }
    var d: Double? {
        switch self {
        case .double(let v): return v
        case .int(let v): return Double(v)
        case .str(let v): return Double(v)
        default: return nil
        }
    }
    var list: [LabValue] { if case .list(let l) = self { return l }; return [] }
    var map: [String: LabValue] { if case .map(let m) = self { return m }; return [:] }
    var strings: [String] { list.map(\.s) }
    static func strMap(_ m: [String: String]) -> LabValue { .map(m.mapValues { .str($0) }) }
    static func strList(_ l: [String]) -> LabValue { .list(l.map { .str($0) }) }

    // MARK: XML-RPC out (xapi style: untyped strings and ints, one line)

    func xml(into out: inout String) {
        out += "<value>"
        switch self {
        case .str(let v): Self.escape(v, into: &out)
        case .int(let v): out += String(v)
        case .i32(let v): out += "<i4>\(v)</i4>"
        case .bool(let v): out += v ? "<boolean>1</boolean>" : "<boolean>0</boolean>"
        case .double(let v):
            out += "<double>"
            out += v.isNaN ? "nan" : v.isInfinite ? (v < 0 ? "-inf" : "inf") : Self.shortest(v)
            out += "</double>"
        case .date(let v): out += "<dateTime.iso8601>\(v)</dateTime.iso8601>"
        case .list(let l):
            out += "<array><data>"
            for x in l { x.xml(into: &out) }
            out += "</data></array>"
        case .map(let m):
            out += "<struct>"
            for (k, v) in m {
                out += "<member><name>"; Self.escape(k, into: &out); out += "</name>"
                v.xml(into: &out)
                out += "</member>"
            }
            out += "</struct>"
        }
        out += "</value>"
    }

    static func shortest(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }

    static func escape(_ s: String, into out: inout String) {
        for c in s.unicodeScalars {
            switch c {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            default:
                if c.value < 0x20 && c != "\t" && c != "\n" && c != "\r" { continue }
                out.unicodeScalars.append(c)
            }
        }
    }

    // MARK: JSON out (xapi style: 64-bit ints, bare Infinity/NaN)

    func json(into out: inout String) {
        switch self {
        case .str(let v), .date(let v): LabJSONText.appendString(v, to: &out)
        case .int(let v): out += String(v)
        case .i32(let v): out += String(v)
        case .bool(let v): out += v ? "true" : "false"
        case .double(let v): out += v.isNaN ? "NaN" : v.isInfinite ? (v < 0 ? "-Infinity" : "Infinity") : String(v)
        case .list(let l):
            out += "["
            for (n, x) in l.enumerated() { if n > 0 { out += "," }; x.json(into: &out) }
            out += "]"
        case .map(let m):
            out += "{"
            var first = true
            for (k, v) in m {
                if !first { out += "," }
                first = false
                LabJSONText.appendString(k, to: &out); out += ":"; v.json(into: &out)
            }
            out += "}"
        }
    }


}

/// JSON in, through Foundation's strict decoder (booleans stay booleans,
/// integers stay 64-bit): requests come from ordinary JSON-RPC clients.
struct LabJSON: Decodable {
    let value: LabValue
    let isNull: Bool

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        isNull = c.decodeNil()
        if isNull { value = .str(""); return }
        if let b = try? c.decode(Bool.self) { value = .bool(b) }
        else if let i = try? c.decode(Int64.self) { value = .int(i) }
        else if let d = try? c.decode(Double.self) { value = .double(d) }
        else if let s = try? c.decode(String.self) { value = .str(s) }
        else if let a = try? c.decode([LabJSON].self) { value = .list(a.map(\.value)) }
        else { value = .map(try c.decode([String: LabJSON].self).mapValues(\.value)) }
    }
}

/// Parses an XML-RPC `methodCall` with Foundation's XMLParser.
final class LabXMLCallParser: NSObject, XMLParserDelegate {
    private enum Node { case value(LabValue?), array([LabValue]), structure([String: LabValue], String?) }
    private var stack: [Node] = []
    private var text = ""
    private var method = ""
    private var params: [LabValue] = []
    private var failed = false

    static func parse(_ data: Data) -> (String, [LabValue])? {
        let delegate = LabXMLCallParser()
        let parser = XMLParser(data: data)
        parser.delegate = delegate
        guard parser.parse(), !delegate.failed, !delegate.method.isEmpty, delegate.stack.isEmpty else { return nil }
        return (delegate.method, delegate.params)
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        text = ""
        switch name {
        case "value": stack.append(.value(nil))
        case "array": stack.append(.array([]))
        case "struct": stack.append(.structure([:], nil))
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    private func setTyped(_ v: LabValue) {
        guard case .value? = stack.last else { failed = true; return }
        stack[stack.count - 1] = .value(v)
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        switch name {
        case "methodName": method = t
        case "name":
            if case .structure(let m, _)? = stack.last { stack[stack.count - 1] = .structure(m, text) } else { failed = true }
        case "array":
            guard case .array(let items)? = stack.popLast() else { failed = true; return }
            setTyped(.list(items))
        case "struct":
            guard case .structure(let m, _)? = stack.popLast() else { failed = true; return }
            setTyped(.map(m))
        case "string", "base64": setTyped(.str(text))
        case "int", "i4", "i8": if let n = Int64(t) { setTyped(.int(n)) } else { failed = true }
        case "boolean": setTyped(.bool(t == "1"))
        case "double": if let d = Double(t) { setTyped(.double(d)) } else { failed = true }
        case "dateTime.iso8601": setTyped(.date(t))
        case "nil": setTyped(.str(""))
        case "value":
            guard case .value(let typed)? = stack.popLast() else { failed = true; return }
            let v = typed ?? .str(text)
            switch stack.last {
            case nil: params.append(v)
            case .array(var items)?: items.append(v); stack[stack.count - 1] = .array(items)
            case .structure(var m, let key)?: m[key ?? ""] = v; stack[stack.count - 1] = .structure(m, nil)
            case .value?: failed = true
            }
        default: break
        }
        text = ""
    }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) { failed = true }
}
