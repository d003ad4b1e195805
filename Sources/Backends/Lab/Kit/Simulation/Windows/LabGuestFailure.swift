import Foundation

/// Why the lab's guest stopped where a real machine would stop too, or why
/// it could not read a rendered file: the message says which file, which
/// line and what a real machine would show.
public struct LabGuestFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

/// Text helpers shared by the readers of the rendered files.
enum LabScriptText {
    /// Lines without their ends (CRLF or LF), in order. Cut by Unicode
    /// scalar: a String's Characters take "\r\n" as one.
    static func lines(_ text: String) -> [String] {
        var lines: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar == "\n" {
                if current.last == "\r" { current.removeLast() }
                lines.append(String(current))
                current = String.UnicodeScalarView()
            } else {
                current.append(scalar)
            }
        }
        if current.last == "\r" { current.removeLast() }
        lines.append(String(current))
        return lines
    }

    static func trimmed(_ line: String) -> String {
        line.trimmingCharacters(in: .whitespaces)
    }

    /// The contents of a PowerShell single-quoted literal that makes up all of
    /// `text` (`'it''s'` is `it's`), or nil when `text` is not exactly one.
    static func singleQuoted(_ text: Substring) -> String? {
        guard text.count >= 2, text.first == "'", text.last == "'" else { return nil }
        var out = ""
        var inner = text.dropFirst().dropLast()[...]
        while let character = inner.first {
            inner = inner.dropFirst()
            if character == "'" {
                guard inner.first == "'" else { return nil }
                inner = inner.dropFirst()
            }
            out.append(character)
        }
        return out
    }

    /// Reads `'...'` at the start of `text`; returns the literal's value and what follows it.
    static func leadingSingleQuoted(_ text: Substring) -> (value: String, rest: Substring)? {
        guard text.first == "'" else { return nil }
        var value = ""
        var index = text.index(after: text.startIndex)
        while index < text.endIndex {
            let character = text[index]
            if character == "'" {
                let next = text.index(after: index)
                if next < text.endIndex, text[next] == "'" {
                    value.append("'")
                    index = text.index(after: next)
                    continue
                }
                return (value, text[next...])
            }
            value.append(character)
            index = text.index(after: index)
        }
        return nil
    }

    /// A Windows path as a key: separators and case do not matter.
    static func pathKey(_ path: String) -> String {
        path.replacingOccurrences(of: "/", with: "\\").lowercased()
    }
}
