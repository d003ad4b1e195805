import LabServing
import OrderedCollections

/// The lab's answer tree. Members keep their insertion order so answers
/// read like the real server's (`count` before the list), and the same tree
/// renders as JSON (`response=json`) or XML (the server's default).
indirect enum LabJSON: Sendable {
    case string(String)
    case int(Int)
    case bool(Bool)
    case array([LabJSON])
    case object(OrderedDictionary<String, LabJSON>)

    /// An object of the members whose value is there, in the order given.
    static func obj(_ members: [(String, LabJSON?)]) -> LabJSON {
        .object(OrderedDictionary(members.compactMap { key, value in value.map { (key, $0) } },
                                  uniquingKeysWith: { _, last in last }))
    }

    subscript(key: String) -> LabJSON? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// Compact JSON; UTF-8 written raw as the server's serializer does.
    func json() -> String {
        var out = ""
        writeJSON(into: &out)
        return out
    }

    private func writeJSON(into out: inout String) {
        switch self {
        case .string(let text): LabJSONText.appendString(text, to: &out)
        case .int(let value): out += String(value)
        case .bool(let value): out += value ? "true" : "false"
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                item.writeJSON(into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { out += "," }
                LabJSONText.appendString(key, to: &out)
                out += ":"
                value.writeJSON(into: &out)
            }
            out += "}"
        }
    }

    /// XML as the server writes it: the response element with a version
    /// attribute, members as elements, list members repeated.
    func xml(root: String) -> String {
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><\(root) cloud-stack-version=\"4.19.1.0\">"
        if case .object(let members) = self {
            for (key, value) in members { Self.writeXML(key, value, into: &out) }
        }
        return out + "</\(root)>"
    }

    private static func writeXML(_ name: String, _ value: LabJSON, into out: inout String) {
        switch value {
        case .array(let items):
            for item in items { writeXML(name, item, into: &out) }
        case .object(let members):
            out += "<\(name)>"
            for (key, member) in members { writeXML(key, member, into: &out) }
            out += "</\(name)>"
        case .string(let text):
            out += "<\(name)>" + escapeXML(text) + "</\(name)>"
        case .int(let number):
            out += "<\(name)>\(number)</\(name)>"
        case .bool(let flag):
            out += "<\(name)>\(flag)</\(name)>"
        }
    }

    private static func escapeXML(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
