import Foundation

/// A CloudStack JSON value. The API's field sets vary across versions and
/// commands, so responses are read through this tolerant tree rather than
/// strict `Codable` types that would fail on one missing field.
public enum CSValue: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([CSValue])
    case object([String: CSValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        // Most frequent first: each failed attempt costs a thrown error.
        if container.decodeNil() { self = .null; return }
        if let value = try? container.decode(String.self) { self = .string(value); return }
        if let value = try? container.decode([String: CSValue].self) { self = .object(value); return }
        if let value = try? container.decode(Int64.self) { self = .int(value); return }
        if let value = try? container.decode(Bool.self) { self = .bool(value); return }
        if let value = try? container.decode(Double.self) { self = .double(value); return }
        self = .array(try container.decode([CSValue].self))
    }

    public subscript(key: String) -> CSValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// Strings as they are, numbers and booleans as their text.
    public var string: String? {
        switch self {
        case .string(let value): return value
        case .int(let value): return String(value)
        case .double(let value): return String(value)
        case .bool(let value): return value ? "true" : "false"
        default: return nil
        }
    }

    public var int: Int64? {
        switch self {
        case .int(let value): return value
        case .double(let value): return Int64(exactly: value.rounded()) ?? nil
        case .string(let value): return Int64(value)
        default: return nil
        }
    }

    /// Booleans; older servers send `"true"` as a string.
    public var bool: Bool? {
        switch self {
        case .bool(let value): return value
        case .string(let value): return value.lowercased() == "true" ? true : (value.lowercased() == "false" ? false : nil)
        default: return nil
        }
    }

    public var array: [CSValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    public var object: [String: CSValue]? {
        if case .object(let members) = self { return members }
        return nil
    }
}
