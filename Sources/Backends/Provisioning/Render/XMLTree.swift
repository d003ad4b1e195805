/// A minimal XML tree for the files Vizor writes. Answer files are small and
/// their shape is fixed, so a value tree with careful escaping is all that is
/// needed (Foundation's XMLDocument is not available on every platform).
struct XMLTree: Sendable, Equatable {
    var name: String
    var attributes: [(String, String)]
    var children: [XMLTree]
    var text: String?

    init(_ name: String, _ attributes: [(String, String)] = [], text: String? = nil, _ children: [XMLTree] = []) {
        self.name = name
        self.attributes = attributes
        self.children = children
        self.text = text
    }

    /// A leaf element with text content.
    static func leaf(_ name: String, _ value: String, _ attributes: [(String, String)] = []) -> XMLTree {
        XMLTree(name, attributes, text: value)
    }

    static func == (lhs: XMLTree, rhs: XMLTree) -> Bool {
        lhs.name == rhs.name && lhs.text == rhs.text && lhs.children == rhs.children
            && lhs.attributes.map { $0.0 + "=" + $0.1 } == rhs.attributes.map { $0.0 + "=" + $0.1 }
    }

    /// The whole document, UTF-8, with declaration and a trailing newline.
    func document() -> String {
        var out = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
        write(into: &out, depth: 0)
        return out
    }

    private func write(into out: inout String, depth: Int) {
        let pad = String(repeating: "  ", count: depth)
        out += pad + "<" + name
        for (key, value) in attributes { out += " \(key)=\"\(XMLTree.escape(value))\"" }
        if let text {
            out += ">" + XMLTree.escape(text) + "</" + name + ">\n"
        } else if children.isEmpty {
            out += " />\n"
        } else {
            out += ">\n"
            for child in children { child.write(into: &out, depth: depth + 1) }
            out += pad + "</" + name + ">\n"
        }
    }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(character)
            }
        }
        return out
    }
}
