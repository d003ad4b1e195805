// Hand-written, not FoundationXML's XMLParser: an ISO's WIM XML is untrusted, and this parser has no DTDs or entities to abuse and is fuzzed as Swift under ASan (scripts/fuzz.d/media.sh).
import Foundation

/// An element of a small XML document. The WIM XML uses elements, attributes,
/// text and the five predefined entities only, so a strict little parser is
/// enough, and it is safe to fuzz (no DTDs, no external entities).
struct XMLElement: Sendable, Equatable {
    var name: String
    var attributes: [String: String] = [:]
    var children: [XMLElement] = []
    var text: String = ""

    /// First child with this name, compared case-insensitively.
    func child(_ name: String) -> XMLElement? {
        children.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }
    }

    func all(_ name: String) -> [XMLElement] {
        children.filter { $0.name.caseInsensitiveCompare(name) == .orderedSame }
    }

    /// Text of a descendant reached by a slash path, trimmed; nil when absent or empty.
    func value(_ path: String) -> String? {
        var node = self
        for part in path.split(separator: "/") {
            guard let next = node.child(String(part)) else { return nil }
            node = next
        }
        let trimmed = node.text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }

    func attribute(_ name: String) -> String? {
        attributes.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

enum MiniXML {
    struct Failure: Error { var message: String }

    static let maxDepth = 64
    static let maxElements = 200_000

    static func parse(_ text: String) throws -> XMLElement {
        var parser = Parser(scalars: Array(text.unicodeScalars))
        return try parser.document()
    }

    private struct Parser {
        let scalars: [Unicode.Scalar]
        var position = 0
        var elements = 0

        init(scalars: [Unicode.Scalar]) { self.scalars = scalars }

        mutating func document() throws -> XMLElement {
            try skipMisc()
            let root = try element(depth: 0)
            try skipMisc()
            guard position == scalars.count else { throw Failure(message: "content after the root element") }
            return root
        }

        private func peek(_ literal: String) -> Bool {
            var index = position
            for scalar in literal.unicodeScalars {
                guard index < scalars.count, scalars[index] == scalar else { return false }
                index += 1
            }
            return true
        }

        private mutating func skip(past literal: String) throws {
            while position < scalars.count {
                if peek(literal) { position += literal.unicodeScalars.count; return }
                position += 1
            }
            throw Failure(message: "unterminated markup, expected \(literal)")
        }

        private mutating func skipSpace() {
            while position < scalars.count, scalars[position].properties.isWhitespace { position += 1 }
        }

        private mutating func skipMisc() throws {
            while true {
                skipSpace()
                if peek("\u{FEFF}") { position += 1; continue }
                if peek("<?") { try skip(past: "?>"); continue }
                if peek("<!--") { try skip(past: "-->"); continue }
                if peek("<!") { try skip(past: ">"); continue }
                return
            }
        }

        private mutating func name() throws -> String {
            let start = position
            while position < scalars.count {
                let s = scalars[position]
                if s.properties.isWhitespace || s == ">" || s == "/" || s == "=" || s == "<" { break }
                position += 1
            }
            guard position > start else { throw Failure(message: "expected a name") }
            var result = String.UnicodeScalarView()
            result.append(contentsOf: scalars[start..<position])
            return String(result)
        }

        private mutating func element(depth: Int) throws -> XMLElement {
            guard depth < maxDepth else { throw Failure(message: "elements nested too deeply") }
            elements += 1
            guard elements <= maxElements else { throw Failure(message: "too many elements") }
            guard peek("<") else { throw Failure(message: "expected an element") }
            position += 1
            var node = XMLElement(name: try name())
            while true {
                skipSpace()
                guard position < scalars.count else { throw Failure(message: "unterminated start tag") }
                if peek("/>") { position += 2; return node }
                if peek(">") { position += 1; break }
                let key = try name()
                skipSpace()
                guard peek("=") else { throw Failure(message: "attribute without a value") }
                position += 1
                skipSpace()
                guard position < scalars.count, scalars[position] == "\"" || scalars[position] == "'" else {
                    throw Failure(message: "unquoted attribute value")
                }
                let quote = scalars[position]
                position += 1
                let start = position
                while position < scalars.count, scalars[position] != quote { position += 1 }
                guard position < scalars.count else { throw Failure(message: "unterminated attribute value") }
                node.attributes[key] = try decode(start, position)
                position += 1
            }
            var text = ""
            while true {
                guard position < scalars.count else { throw Failure(message: "unterminated element \(node.name)") }
                if peek("</") {
                    position += 2
                    let closing = try name()
                    guard closing == node.name else { throw Failure(message: "mismatched end tag \(closing)") }
                    skipSpace()
                    guard peek(">") else { throw Failure(message: "unterminated end tag") }
                    position += 1
                    node.text = text
                    return node
                }
                if peek("<!--") { try skip(past: "-->"); continue }
                if peek("<![CDATA[") {
                    position += 9
                    let start = position
                    try skip(past: "]]>")
                    var view = String.UnicodeScalarView()
                    view.append(contentsOf: scalars[start..<(position - 3)])
                    text += String(view)
                    continue
                }
                if peek("<?") { try skip(past: "?>"); continue }
                if peek("<") {
                    node.children.append(try element(depth: depth + 1))
                    continue
                }
                let start = position
                while position < scalars.count, scalars[position] != "<" { position += 1 }
                text += try decode(start, position)
            }
        }

        private func decode(_ start: Int, _ end: Int) throws -> String {
            var result = String.UnicodeScalarView()
            var index = start
            while index < end {
                let scalar = scalars[index]
                guard scalar == "&" else { result.append(scalar); index += 1; continue }
                var semicolon = index + 1
                while semicolon < end, semicolon - index < 12, scalars[semicolon] != ";" { semicolon += 1 }
                guard semicolon < end, scalars[semicolon] == ";" else { throw Failure(message: "bad entity") }
                var view = String.UnicodeScalarView()
                view.append(contentsOf: scalars[(index + 1)..<semicolon])
                let entity = String(view)
                switch entity {
                case "amp": result.append("&")
                case "lt": result.append("<")
                case "gt": result.append(">")
                case "quot": result.append("\"")
                case "apos": result.append("'")
                default:
                    var number: UInt32?
                    if entity.hasPrefix("#x") || entity.hasPrefix("#X") {
                        number = UInt32(entity.dropFirst(2), radix: 16)
                    } else if entity.hasPrefix("#") {
                        number = UInt32(entity.dropFirst(1))
                    }
                    guard let number, let value = Unicode.Scalar(number) else {
                        throw Failure(message: "unknown entity &\(entity);")
                    }
                    result.append(value)
                }
                index = semicolon + 1
            }
            return String(result)
        }
    }
}
