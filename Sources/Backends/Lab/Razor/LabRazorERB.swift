import Foundation

/// A request razor-server fails with an uncaught Ruby exception (a template
/// the lab cannot render, a raw file of a database task), which Sinatra
/// turns into a bare 500 page; the lab answers that page (the message is for
/// tests and the simulation hooks).
struct LabRazorERBError: Error, Sendable, CustomStringConvertible {
    var message: String
    var description: String { "template error: \(message)" }
}

/// What a task template sees when razor-server renders it: the node, the
/// task, the policy's repo and the server's own URL (`app.rb` helpers).
struct LabRazorERBContext: Sendable {
    var base: String
    var node: LabNode
    var task: String
    var repo: LabRepo?
}

/// The part of ERB that Razor's task templates use, rendered the way
/// razor-server's helpers (`file_url`, `repo_url`, `stage_done_url`,
/// `log_url`, `node_url`) build their URLs: literal text, `<%%` (a literal
/// `<%`), `<%# comments %>`, and `<%= expr %>` where `expr` is one helper
/// call with literal arguments or one of `node.id`, `node.name`,
/// `node.hostname`, `task.name`. Ruby code (`<% if ... %>`) and any other
/// expression are refused rather than passed through.
enum LabRazorERB {
    static func render(_ template: String, context: LabRazorERBContext) throws -> String {
        var output = ""
        var rest = Substring(template)
        while let open = rest.range(of: "<%") {
            output += rest[..<open.lowerBound]
            rest = rest[open.upperBound...]
            if rest.first == "%" {
                output += "<%"
                rest = rest.dropFirst()
                continue
            }
            guard let close = rest.range(of: "%>") else {
                throw LabRazorERBError(message: "unterminated ERB tag (missing %>)")
            }
            let tag = rest[..<close.lowerBound]
            rest = rest[close.upperBound...]
            if tag.first == "#" { continue }
            guard tag.first == "=" else {
                throw LabRazorERBError(message: "Ruby code in an ERB tag is not supported: <%\(tag)%>")
            }
            output += try evaluate(tag.dropFirst().trimmingCharacters(in: .whitespaces), context: context)
        }
        output += rest
        return output
    }

    /// One `<%= %>` expression.
    static func evaluate(_ expression: String, context: LabRazorERBContext) throws -> String {
        let (name, arguments) = try call(expression)
        let node = context.node
        let url = { (path: String) in context.base + path }
        switch (name, arguments.count) {
        case ("node.id", 0): return String(node.id)
        case ("node.name", 0): return node.name
        case ("node.hostname", 0): return node.hostname ?? ""
        case ("task.name", 0): return context.task
        case ("node_url", 0): return url("/api/nodes/\(node.id)")
        case ("file_url", 1), ("file_url", 2):
            let file = try string(arguments[0], expression)
            let raw = arguments.count == 2 && arguments[1] != .literal("false") && arguments[1] != .literal("nil")
            return url("/svc/file/\(node.id)/\(raw ? "raw/" : "")\(escapedPath(file))")
        case ("stage_done_url", 0), ("stage_done_url", 1):
            let stage = try arguments.first.map { try string($0, expression) } ?? ""
            return url("/svc/stage-done/\(node.id)?name=\(stage)")
        case ("log_url", 1), ("log_url", 2):
            let message = try string(arguments[0], expression)
            let severity = arguments.count == 2 ? try string(arguments[1], expression) : "info"
            return url("/svc/log/\(node.id)?msg=\(formEncoded(message))&severity=\(formEncoded(severity))")
        case ("repo_url", 0), ("repo_url", 1):
            let path = try arguments.first.map { try string($0, expression) } ?? ""
            return try repoURL(path, context: context)
        default:
            throw LabRazorERBError(message: "undefined method or wrong arguments in <%= \(expression) %>")
        }
    }

    enum Argument: Equatable {
        case string(String)
        /// `true`, `false`, `nil`, or a symbol such as `:warn` (kept with its colon).
        case literal(String)
    }

    /// `name` or `name(arg, ...)`, arguments being quoted strings or literals.
    static func call(_ expression: String) throws -> (String, [Argument]) {
        let bad = LabRazorERBError(message: "unsupported expression <%= \(expression) %>")
        guard let paren = expression.firstIndex(of: "(") else {
            guard expression.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }), !expression.isEmpty else { throw bad }
            return (expression, [])
        }
        guard expression.hasSuffix(")") else { throw bad }
        let name = String(expression[..<paren])
        var inner = Substring(expression[expression.index(after: paren)..<expression.index(before: expression.endIndex)])
        var arguments: [Argument] = []
        while true {
            inner = inner.drop { $0 == " " }
            guard let first = inner.first else { break }
            if first == "'" || first == "\"" {
                var value = ""
                var index = inner.index(after: inner.startIndex)
                var closed = false
                while index < inner.endIndex {
                    let character = inner[index]
                    if character == "\\", inner.index(after: index) < inner.endIndex {
                        index = inner.index(after: index)
                        value.append(inner[index])
                    } else if character == first {
                        closed = true
                        break
                    } else {
                        if first == "\"", character == "#", inner[inner.index(after: index)...].hasPrefix("{") { throw bad }
                        value.append(character)
                    }
                    index = inner.index(after: index)
                }
                guard closed else { throw bad }
                arguments.append(.string(value))
                inner = inner[inner.index(after: index)...]
            } else {
                let word = inner.prefix { $0 != "," && $0 != " " }
                guard ["true", "false", "nil"].contains(word)
                        || (word.hasPrefix(":") && word.dropFirst().allSatisfy { $0.isLetter || $0 == "_" } && word.count > 1) else { throw bad }
                arguments.append(.literal(String(word)))
                inner = inner.dropFirst(word.count)
            }
            inner = inner.drop { $0 == " " }
            if inner.isEmpty { break }
            guard inner.first == "," else { throw bad }
            inner = inner.dropFirst()
        }
        return (name, arguments)
    }

    private static func string(_ argument: Argument, _ expression: String) throws -> String {
        switch argument {
        case .string(let value): return value
        case .literal(let value) where value.hasPrefix(":"): return String(value.dropFirst())
        case .literal: throw LabRazorERBError(message: "expected a string in <%= \(expression) %>")
        }
    }

    /// `repo_url`: the repo's `url` with `/path` appended to its path
    /// (slashes collapsed), or `/svc/repo/<name>/<path>` for a repo in the store.
    private static func repoURL(_ path: String, context: LabRazorERBContext) throws -> String {
        guard let repo = context.repo else { return context.base + collapsed("/svc/repo/microkernel/\(escapedPath(path))") }
        if let external = repo.url, var components = URLComponents(string: external) {
            components.percentEncodedPath = collapsed(components.percentEncodedPath + "/" + escapedPath(path))
            return components.string ?? external
        }
        return context.base + collapsed("/svc/repo/\(escapedPath(repo.name))/\(escapedPath(path))")
    }

    private static func collapsed(_ path: String) -> String {
        var result = ""
        for character in path where !(character == "/" && result.hasSuffix("/")) { result.append(character) }
        return result
    }

    private static func escapedPath(_ text: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// `application/x-www-form-urlencoded`, as Ruby's `URI.encode_www_form` writes it.
    private static func formEncoded(_ text: String) -> String {
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789*-._ ")
        return (text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text).replacingOccurrences(of: " ", with: "+")
    }
}
