import Foundation

/// A JSON value as Razor sends it. Razor's payloads are partly free-form
/// (node log entries, metadata, facts, `state.installed` that is a boolean or
/// a string), so the client reads them as values rather than fixed structs.
public enum RazorJSON: Sendable, Equatable, Codable, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([RazorJSON])
    case object([String: RazorJSON])

    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: RazorJSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, RazorJSON)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .int(value) }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null; return }
        if let value = try? container.decode(Bool.self) { self = .bool(value); return }
        if let value = try? container.decode(Int.self) { self = .int(value); return }
        if let value = try? container.decode(Double.self) {
            // A fraction lost to Double's precision (`-9223372036858547.07`) or
            // written as `2.0` is a whole number: keep it as one, so that
            // encoding (which writes whole doubles without a fraction) and
            // decoding again gives the same value.
            if let whole = Int(exactly: value) { self = .int(whole) } else { self = .double(value) }
            return
        }
        if let value = try? container.decode(String.self) { self = .string(value); return }
        if let value = try? container.decode([RazorJSON].self) { self = .array(value); return }
        self = .object(try container.decode([String: RazorJSON].self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    public subscript(key: String) -> RazorJSON? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    public var string: String? { if case .string(let value) = self { return value }; return nil }
    public var int: Int? { if case .int(let value) = self { return value }; return nil }
    public var bool: Bool? { if case .bool(let value) = self { return value }; return nil }
    public var array: [RazorJSON]? { if case .array(let value) = self { return value }; return nil }
    public var object: [String: RazorJSON]? { if case .object(let value) = self { return value }; return nil }

    /// Compact JSON with sorted keys (stable, so it can serve as a fingerprint).
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data("null".utf8)
    }

    /// A display string: strings as they are, everything else as JSON.
    public var text: String {
        if case .string(let value) = self { return value }
        return String(decoding: encoded(), as: UTF8.self)
    }

    static func decode(_ bytes: [UInt8]) throws -> RazorJSON {
        try JSONDecoder().decode(RazorJSON.self, from: Data(bytes))
    }
}
