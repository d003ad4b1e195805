// The hand-written codecs' one value type: XML-RPC sends 64-bit ints as strings and JSON-RPC as numbers, and no library models that.
/// A value as XAPI puts it on the wire, independent of transport. XML-RPC
/// sends 64-bit ints as untyped strings and JSON-RPC as numbers, so readers
/// use the lenient accessors (`int64`, `bool`, `string`) rather than
/// matching cases: the same record decodes identically over both transports.
public enum XapiValue: Sendable, Equatable, CustomStringConvertible {
    case string(String)
    case int(Int64)
    case bool(Bool)
    case double(Double)
    /// `YYYYMMDDTHH:MM:SSZ` as XAPI prints it; kept as text so nothing is lost.
    case dateTime(String)
    case array([XapiValue])
    case structure([String: XapiValue])
    case null

    /// The text of a string-like value (ints and dates print as on the wire).
    public var string: String? {
        switch self {
        case .string(let s), .dateTime(let s): return s
        case .int(let i): return String(i)
        case .bool(let b): return b ? "true" : "false"
        case .double(let d): return String(d)
        default: return nil
        }
    }

    /// String value or "" — for fields that are always strings in the datamodel.
    public var text: String { string ?? "" }

    /// A 64-bit int from a JSON number or an XML-RPC decimal string.
    public var int64: Int64? {
        switch self {
        case .int(let i): return i
        case .string(let s): return Int64(s)
        case .double(let d) where d.isFinite && d == d.rounded(): return Int64(exactly: d)
        default: return nil
        }
    }

    public var bool: Bool? {
        switch self {
        case .bool(let b): return b
        case .string(let s): return s == "1" || s.lowercased() == "true"
        case .int(let i): return i != 0
        default: return nil
        }
    }

    /// A float; XAPI may send non-finite values (`Infinity`, `inf`, `nan`).
    public var double: Double? {
        switch self {
        case .double(let d): return d
        case .int(let i): return Double(i)
        case .string(let s):
            switch s.lowercased() {
            case "inf", "infinity", "+inf", "+infinity": return .infinity
            case "-inf", "-infinity": return -.infinity
            case "nan": return .nan
            default: return Double(s)
            }
        default: return nil
        }
    }

    public var array: [XapiValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var structure: [String: XapiValue]? {
        if case .structure(let s) = self { return s }
        return nil
    }

    /// Member of a struct; `.null` when absent or not a struct.
    public subscript(key: String) -> XapiValue {
        structure?[key] ?? .null
    }

    /// A string→string map (other_config, platform, networks...).
    public var stringMap: [String: String] {
        guard let s = structure else { return [:] }
        var out: [String: String] = [:]
        for (k, v) in s { out[k] = v.text }
        return out
    }

    public var stringArray: [String] { array?.map(\.text) ?? [] }

    public var description: String {
        switch self {
        case .string(let s): return "\"\(s)\""
        case .int(let i): return String(i)
        case .bool(let b): return String(b)
        case .double(let d): return String(d)
        case .dateTime(let s): return "date(\(s))"
        case .array(let a): return "[" + a.map(\.description).joined(separator: ", ") + "]"
        case .structure(let s):
            return "{" + s.keys.sorted().map { "\($0): \(s[$0]!.description)" }.joined(separator: ", ") + "}"
        case .null: return "null"
        }
    }
}

extension XapiValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
}

/// What came back from one call: the value, or XAPI's error description
/// (`[CODE, params...]`) which the session layer turns into a `BackendError`.
public enum XapiResponse: Sendable, Equatable {
    case success(XapiValue)
    case failure([String])
}

/// A decoding problem: the peer did not speak XAPI's wire format.
public struct XapiCodecError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
