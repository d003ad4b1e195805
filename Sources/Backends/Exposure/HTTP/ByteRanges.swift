/// The `Range: bytes=...` header (RFC 9110 §14), resolved against a size.
public enum RangeRequest: Equatable, Sendable {
    /// No usable Range header: send the whole representation (200).
    case whole
    /// One or more satisfiable ranges, inclusive bounds, in request order (206).
    case ranges([ClosedRange<UInt64>])
    /// Syntactically valid but nothing satisfiable (416).
    case unsatisfiable

    /// More ranges than this and the header is ignored, as Apache does,
    /// rather than stitching thousands of tiny parts.
    public static let maximumRanges = 64

    public static func parse(_ header: String?, size: UInt64) -> RangeRequest {
        guard let header else { return .whole }
        let trimmed = header.trimmingSpaces()
        guard trimmed.lowercased().hasPrefix("bytes=") else { return .whole }
        let specs = trimmed.dropFirst(6).split(separator: ",", omittingEmptySubsequences: false)
        guard specs.count <= maximumRanges else { return .whole }
        var satisfiable: [ClosedRange<UInt64>] = []
        for rawSpec in specs {
            let spec = String(rawSpec).trimmingSpaces()
            if spec.isEmpty { continue }  // RFC 9110 allows empty list elements
            guard let dash = spec.firstIndex(of: "-") else { return .whole }
            let first = spec[..<dash], last = spec[spec.index(after: dash)...]
            if first.isEmpty {
                guard let suffix = digits(last) else { return .whole }
                if suffix == 0 || size == 0 { continue }
                satisfiable.append((size - min(suffix, size))...(size - 1))
            } else {
                guard let start = digits(first) else { return .whole }
                var end = size == 0 ? 0 : size - 1
                if !last.isEmpty {
                    guard let stated = digits(last), stated >= start else { return .whole }
                    end = min(end, stated)
                }
                if start >= size { continue }
                satisfiable.append(start...end)
            }
        }
        return satisfiable.isEmpty ? .unsatisfiable : .ranges(satisfiable)
    }

    private static func digits(_ text: Substring) -> UInt64? {
        guard !text.isEmpty, text.utf8.count <= 19, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return UInt64(text)
    }
}

extension String {
    func trimmingSpaces() -> String {
        var view = Substring(self)
        while let first = view.first, first == " " || first == "\t" { view = view.dropFirst() }
        while let last = view.last, last == " " || last == "\t" { view = view.dropLast() }
        return String(view)
    }
}
