import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Reads rendered XML with Foundation's parser (libxml2 on Linux), an
/// implementation independent of Vizor's writer.
struct ParsedXML {
    let document: XMLDocument

    init(_ text: String) throws {
        document = try XMLDocument(data: Data(text.utf8), options: [])
    }

    /// Text of every node the XPath selects.
    func texts(_ xpath: String) throws -> [String] {
        try document.nodes(forXPath: xpath).map { $0.stringValue ?? "" }
    }

    func text(_ xpath: String) throws -> String? { try texts(xpath).first }

    /// XPath to a component of a pass, ignoring the default namespace.
    static func component(_ pass: String, _ name: String) -> String {
        "/*[local-name()='unattend']/*[local-name()='settings'][@pass='\(pass)']/*[local-name()='component'][@name='\(name)']"
    }

    /// Appends `a/b/c` as local-name steps.
    static func path(_ base: String, _ relative: String) -> String {
        base + relative.split(separator: "/").map { step -> String in
            // "Name[2]" keeps its positional predicate after the name test.
            let parts = step.split(separator: "[", maxSplits: 1)
            let predicate = parts.count == 2 ? "[" + parts[1] : ""
            return "/*[local-name()='\(parts[0])']" + predicate
        }.joined()
    }

    func value(_ pass: String, _ component: String, _ relative: String) throws -> String? {
        try text(Self.path(Self.component(pass, component), relative))
    }
}

/// SAX well-formedness check with XMLParser, separate from the DOM above.
func isWellFormed(_ text: String) -> Bool {
    XMLParser(data: Data(text.utf8)).parse()
}
