import Foundation

/// Tag rules of `lib/razor/matcher.rb`: prefix expressions such as
/// `["=", ["fact", "macaddress"], "52:54:00:aa:bb:01"]`.
enum LabRazorMatcher {
    static let functions: Set<String> = ["and", "or", "not", "=", "eq", "!=", "neq", "in", "like", "<", "<=", ">", ">=",
                                         "num", "str", "lower", "upper", "tag", "fact", "metadata", "state"]

    /// Why a rule is not valid, or nil when it is.
    static func validate(_ rule: LabJSON) -> String? {
        guard case .array(let items) = rule, let head = items.first?.stringValue else {
            return "a rule must be an array starting with a function name"
        }
        guard functions.contains(head) else { return "unknown function \(head)" }
        for argument in items.dropFirst() {
            if case .array(let nested) = argument, nested.first?.stringValue != nil, let problem = validate(argument) {
                return problem
            }
        }
        return nil
    }

    static func matches(_ rule: LabJSON, node: LabNode, tags: [LabTag]) -> Bool {
        var visiting: Set<String> = []
        return (try? evaluate(rule, node: node, tags: tags, visiting: &visiting)) == .bool(true)
    }

    private struct EvaluationError: Error {}

    private static func evaluate(_ expression: LabJSON, node: LabNode, tags: [LabTag], visiting: inout Set<String>) throws -> LabJSON {
        guard case .array(let items) = expression, let head = items.first?.stringValue, functions.contains(head) else {
            return expression
        }
        var args: [LabJSON] = []
        for item in items.dropFirst() { args.append(try evaluate(item, node: node, tags: tags, visiting: &visiting)) }
        switch head {
        case "and": return .bool(args.allSatisfy { $0 == .bool(true) })
        case "or": return .bool(args.contains { $0 == .bool(true) })
        case "not":
            guard args.count == 1 else { throw EvaluationError() }
            return .bool(args[0] != .bool(true))
        case "=", "eq":
            guard args.count == 2 else { throw EvaluationError() }
            return .bool(args[0] == args[1])
        case "!=", "neq":
            guard args.count == 2 else { throw EvaluationError() }
            return .bool(args[0] != args[1])
        case "in":
            guard let first = args.first else { throw EvaluationError() }
            return .bool(args.dropFirst().contains(first))
        case "like":
            guard args.count == 2, let text = args[0].stringValue, let pattern = args[1].stringValue,
                  let regex = try? NSRegularExpression(pattern: pattern) else { throw EvaluationError() }
            return .bool(regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil)
        case "<", "<=", ">", ">=":
            guard args.count == 2, let lhs = number(args[0]), let rhs = number(args[1]) else { throw EvaluationError() }
            switch head {
            case "<": return .bool(lhs < rhs)
            case "<=": return .bool(lhs <= rhs)
            case ">": return .bool(lhs > rhs)
            default: return .bool(lhs >= rhs)
            }
        case "num":
            guard args.count == 1, let value = number(args[0]) else { throw EvaluationError() }
            return value == value.rounded() && abs(value) < 1e15 ? .int(Int(value)) : .double(value)
        case "str":
            guard args.count == 1 else { throw EvaluationError() }
            if case .string = args[0] { return args[0] }
            return .string(args[0].serialized())
        case "lower", "upper":
            guard args.count == 1, let text = args[0].stringValue else { throw EvaluationError() }
            return .string(head == "lower" ? text.lowercased() : text.uppercased())
        case "tag":
            guard args.count == 1, let name = args[0].stringValue,
                  let tag = tags.first(where: { $0.name == name }), !visiting.contains(name) else { throw EvaluationError() }
            visiting.insert(name)
            defer { visiting.remove(name) }
            return try evaluate(tag.rule, node: node, tags: tags, visiting: &visiting) == .bool(true) ? .bool(true) : .bool(false)
        case "fact", "metadata", "state":
            guard let path = args.first?.stringValue else { throw EvaluationError() }
            let source: LabObject
            switch head {
            case "fact": source = node.facts ?? LabObject()
            case "metadata": source = node.metadata
            default: source = ["installed": node.installed]
            }
            if let value = lookup(path, in: source) { return value }
            if args.count > 1 { return args[1] }
            throw EvaluationError()
        default:
            throw EvaluationError()
        }
    }

    /// Structured values are addressed with dots (razor 1.9.6).
    private static func lookup(_ path: String, in object: LabObject) -> LabJSON? {
        if let direct = object[path] { return direct }
        var current: LabJSON = .object(object)
        for part in path.split(separator: ".") {
            guard let next = current[String(part)] else { return nil }
            current = next
        }
        return current
    }

    private static func number(_ value: LabJSON) -> Double? {
        switch value {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .string(let s): return Double(s.trimmingCharacters(in: .whitespaces))
        default: return nil
        }
    }
}
