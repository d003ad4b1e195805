import Foundation
import Yams

/// Reads and validates `config.yaml`, reporting every problem with its file,
/// line and key, so `vizor config check` can list them all at once.
public enum ConfigLoader {
    /// Parses `text` (the contents of `file`). Throws `ConfigErrors` listing every problem.
    public static func parse(_ text: String, file: String) throws(ConfigErrors) -> VizorConfig {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigErrors([yamlIssue(error, file: file)])
        } catch {
            throw ConfigErrors([ConfigIssue(file: file, line: nil, key: "", message: "not valid YAML: \(error)")])
        }
        var reader = NodeReader(file: file)
        guard let root else {
            throw ConfigErrors([ConfigIssue(file: file, line: 1, key: "", message: "the file is empty; expected a mapping with `sites`")])
        }
        let config = reader.config(root)
        if !reader.issues.isEmpty { throw ConfigErrors(reader.issues) }
        return config
    }

    /// Loads the file at `url`; nil when it does not exist (the lab is used then).
    public static func load(_ url: URL) throws(ConfigErrors) -> VizorConfig? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ConfigErrors([ConfigIssue(file: url.path, line: nil, key: "", message: "cannot be read (check its permissions)")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigErrors([ConfigIssue(file: url.path, line: nil, key: "", message: "is not UTF-8 text")])
        }
        return try parse(text, file: url.path)
    }

    /// Resolves every secret the configuration names; returns the problems (empty when all resolve).
    public static func checkSecrets(_ config: VizorConfig, text: String, resolver: SecretResolver) async -> [ConfigIssue] {
        var issues: [ConfigIssue] = []
        for (key, reference) in secretReferences(config) {
            do { _ = try await resolver.resolve(reference) } catch {
                issues.append(ConfigIssue(file: config.file, line: line(of: key, in: text), key: key, message: error.message))
            }
        }
        return issues
    }

    /// Every secret reference with its dotted key.
    public static func secretReferences(_ config: VizorConfig) -> [(String, SecretRef)] {
        var references: [(String, SecretRef)] = []
        for site in config.sites {
            let prefix = "sites.\(site.name)"
            if let xen = site.xenserver { references.append(("\(prefix).xenserver.password", xen.password)) }
            if let cs = site.cloudstack {
                references.append(("\(prefix).cloudstack.api_key", cs.apiKey))
                references.append(("\(prefix).cloudstack.secret_key", cs.secretKey))
            }
            if let password = site.razor?.password { references.append(("\(prefix).razor.password", password)) }
        }
        if let password = config.exposure.sambaPassword { references.append(("exposure.samba_password", password)) }
        return references
    }

    /// The line of a dotted key in the text, found by walking the YAML again.
    static func line(of dottedKey: String, in text: String) -> Int? {
        guard var node = try? Yams.compose(yaml: text) else { return nil }
        for part in dottedKey.split(separator: ".") {
            guard let mapping = node.mapping,
                  let pair = mapping.first(where: { $0.key.string == String(part) }) else { return nil }
            node = pair.value
        }
        return node.mark?.line
    }

    private static func yamlIssue(_ error: YamlError, file: String) -> ConfigIssue {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let detail = context.map { "\($0.text) — " } ?? ""
            return ConfigIssue(file: file, line: mark.line, key: "", message: "not valid YAML: \(detail)\(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ConfigIssue(file: file, line: context.mark.line, key: duplicates.joined(separator: ", "),
                               message: "the key appears more than once")
        default:
            return ConfigIssue(file: file, line: nil, key: "", message: "not valid YAML: \(error)")
        }
    }
}

/// Walks the YAML node tree, collecting issues instead of stopping at the first.
struct NodeReader {
    let file: String
    var issues: [ConfigIssue] = []

    init(file: String) {
        self.file = file
    }

    mutating func fail(_ node: Node?, _ key: String, _ message: String) {
        issues.append(ConfigIssue(file: file, line: node?.mark?.line, key: key, message: message))
    }

    /// The pairs of a mapping, reporting keys that are not in `allowed`.
    mutating func mapping(_ node: Node, _ key: String, allowed: [String]?) -> [(String, Node)]? {
        guard let mapping = node.mapping else {
            fail(node, key, "expected a mapping, found \(kindName(node))")
            return nil
        }
        var pairs: [(String, Node)] = []
        for (keyNode, value) in mapping {
            guard let name = keyNode.string, keyNode.scalar != nil else {
                fail(keyNode, key, "keys must be plain strings")
                continue
            }
            let path = key.isEmpty ? name : "\(key).\(name)"
            if let allowed, !allowed.contains(name) {
                fail(keyNode, path, "unknown key (expected one of: \(allowed.joined(separator: ", ")))")
                continue
            }
            pairs.append((name, value))
        }
        return pairs
    }

    mutating func string(_ node: Node, _ key: String) -> String? {
        guard let scalar = node.scalar else {
            fail(node, key, "expected a string, found \(kindName(node))")
            return nil
        }
        if node.null != nil && scalar.style == .plain {
            fail(node, key, "expected a string, found nothing")
            return nil
        }
        return scalar.string
    }

    mutating func url(_ node: Node, _ key: String) -> String? {
        guard let text = string(node, key) else { return nil }
        guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil
        else {
            fail(node, key, "expected an http:// or https:// URL, found \"\(text)\"")
            return nil
        }
        return text
    }

    mutating func number(_ node: Node, _ key: String, range: ClosedRange<Double>) -> Double? {
        guard node.scalar != nil, let value = node.float, node.scalar?.style == .plain else {
            fail(node, key, "expected a number, found \(kindName(node))")
            return nil
        }
        guard range.contains(value) else {
            fail(node, key, "must be between \(Int(range.lowerBound)) and \(Int(range.upperBound)), found \(value)")
            return nil
        }
        return value
    }

    mutating func bool(_ node: Node, _ key: String) -> Bool? {
        guard let value = node.bool, node.scalar?.style == .plain else {
            fail(node, key, "expected true or false, found \(kindName(node))")
            return nil
        }
        return value
    }

    mutating func secret(_ node: Node, _ key: String) -> SecretRef? {
        guard node.mapping != nil else {
            fail(node, key, "secrets are given by reference, never inline: use {env: NAME}, {file: PATH} or {command: CMD}")
            return nil
        }
        guard let pairs = mapping(node, key, allowed: ["env", "file", "command"]) else { return nil }
        guard pairs.count == 1, let (kind, value) = pairs.first else {
            fail(node, key, "give exactly one of env, file or command")
            return nil
        }
        guard let text = string(value, "\(key).\(kind)"), !text.isEmpty else { return nil }
        switch kind {
        case "env": return .env(text)
        case "file": return .file(text)
        default: return .command(text)
        }
    }

    func kindName(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            if node.null != nil && scalar.style == .plain { return "nothing" }
            if scalar.style == .plain, node.int != nil || node.float != nil { return "the number \(scalar.string)" }
            if scalar.style == .plain, node.bool != nil { return "the boolean \(scalar.string)" }
            return "the string \"\(scalar.string)\""
        }
    }

    /// Reads a required key from pairs, reporting it when missing.
    mutating func required(_ pairs: [(String, Node)], _ name: String, in parent: Node, _ key: String) -> Node? {
        if let node = pairs.first(where: { $0.0 == name })?.1 { return node }
        fail(parent, key.isEmpty ? name : "\(key).\(name)", "required key is missing")
        return nil
    }
}
