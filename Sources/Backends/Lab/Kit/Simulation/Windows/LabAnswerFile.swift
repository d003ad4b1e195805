import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// An unattend answer file as Windows Setup reads it: a well-formed XML
/// document whose root is `unattend` in `urn:schemas-microsoft-com:unattend`,
/// its settings grouped by pass and component. Setup only applies the
/// components of its own processor architecture (`processorArchitecture`).
public struct LabAnswerFile: Sendable, Equatable {
    /// One element, by local name (namespace prefixes dropped).
    public struct Element: Sendable, Equatable {
        public var name: String
        public var namespace: String?
        public var attributes: [String: String]
        public var children: [Element]
        public var text: String

        public func child(_ name: String) -> Element? { children.first { $0.name == name } }
        public func all(_ name: String) -> [Element] { children.filter { $0.name == name } }
        /// Text of the element at a `/`-separated path below this one.
        public func value(_ path: String) -> String? {
            var element: Element? = self
            for part in path.split(separator: "/") { element = element?.child(String(part)) }
            return element.map { $0.text.trimmingCharacters(in: .whitespacesAndNewlines) }
        }
    }

    public static let namespace = "urn:schemas-microsoft-com:unattend"

    public var root: Element

    /// Parses the file as Setup does; a malformed file is refused as Setup refuses it.
    public static func parse(_ text: String, path: String) throws(LabGuestFailure) -> LabAnswerFile {
        let invalid = "Windows could not parse or process the unattend answer file [\(path)]"
        let builder = TreeBuilder()
        let parser = XMLParser(data: Data(text.utf8))
        parser.shouldProcessNamespaces = true
        parser.delegate = builder
        guard parser.parse(), !builder.failed, let root = builder.root else {
            throw LabGuestFailure("\(invalid): it is not well-formed XML")
        }
        guard root.name == "unattend", root.namespace == namespace else {
            throw LabGuestFailure("\(invalid): the root element is not <unattend xmlns=\"\(namespace)\">")
        }
        return LabAnswerFile(root: root)
    }

    /// The components of one pass for one architecture (`amd64`, `x86`, `arm64`), by name.
    public func components(pass: String, architecture: String) -> [String: Element] {
        var found: [String: Element] = [:]
        for settings in root.all("settings") where settings.attributes["pass"] == pass {
            for component in settings.all("component") where component.attributes["processorArchitecture"] == architecture {
                if let name = component.attributes["name"] { found[name] = component }
            }
        }
        return found
    }

    /// Every architecture the file has a component for, in any pass.
    public var architectures: Set<String> {
        Set(root.all("settings").flatMap { $0.all("component") }.compactMap { $0.attributes["processorArchitecture"] })
    }

    final class TreeBuilder: NSObject, XMLParserDelegate {
        var stack: [Element] = []
        var root: Element?
        var failed = false

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            var plain: [String: String] = [:]
            for (key, value) in attributes {
                plain[String(key.split(separator: ":").last ?? Substring(key))] = value
            }
            stack.append(Element(name: name, namespace: namespaceURI, attributes: plain, children: [], text: ""))
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            guard !stack.isEmpty else { return }
            stack[stack.count - 1].text += string
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            guard let element = stack.popLast() else { return failed = true }
            if stack.isEmpty { root = element } else { stack[stack.count - 1].children.append(element) }
        }

        func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) { failed = true }
        func parser(_ parser: XMLParser, validationErrorOccurred validationError: Error) { failed = true }
    }
}
