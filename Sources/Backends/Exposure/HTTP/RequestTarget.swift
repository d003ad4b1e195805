/// A request target reduced to safe path components, or the status that
/// refuses it. Everything is decided before any lookup so that no crafted
/// path (dots, encoded separators, backslashes, NULs, absolute forms) can
/// name anything outside the image it addresses.
public enum RequestTarget: Equatable, Sendable {
    /// `/media/<image-id>/<components...>`
    case media(imageID: String, components: [String])
    /// `/artefacts/<components...>`, handed to the pluggable artefact handler.
    case artefacts(components: [String])
    case refused(status: UInt, reason: String)

    public static let maximumTargetLength = 2048
    public static let maximumComponentLength = 255
    public static let maximumDepth = 32

    public static func parse(_ raw: String) -> RequestTarget {
        let bytes = Array(raw.utf8)
        if bytes.count > maximumTargetLength { return .refused(status: 414, reason: "request target too long") }
        guard bytes.first == UInt8(ascii: "/") else {
            return .refused(status: 400, reason: "request target must be an absolute path")
        }
        var pathBytes = bytes[...]
        if let mark = pathBytes.firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }) {
            pathBytes = pathBytes[..<mark]
        }
        let rawComponents = pathBytes.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        var components: [String] = []
        for raw in rawComponents {
            switch decode(Array(raw)) {
            case .failure(let refusal): return refusal
            case .success(let component): components.append(component)
            }
        }
        if components.count > maximumDepth + 2 { return .refused(status: 414, reason: "path too deep") }
        guard let root = components.first else { return .refused(status: 404, reason: "no such resource") }
        switch root {
        case "media":
            guard components.count >= 3 else { return .refused(status: 404, reason: "no file named") }
            let imageID = components[1]
            guard isValidImageID(imageID) else { return .refused(status: 404, reason: "no such image") }
            return .media(imageID: imageID, components: Array(components.dropFirst(2)))
        case "artefacts":
            guard components.count >= 2 else { return .refused(status: 404, reason: "no artefact named") }
            return .artefacts(components: Array(components.dropFirst()))
        default:
            return .refused(status: 404, reason: "no such resource")
        }
    }

    /// Image ids are catalog ids or hashes: letters, digits, `-`, `_`, `.` (not only dots).
    public static func isValidImageID(_ id: String) -> Bool {
        guard (1...64).contains(id.utf8.count), id != ".", id != ".." else { return false }
        return id.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        }
    }

    private enum Decoded { case success(String), failure(RequestTarget) }

    private static func decode(_ raw: [UInt8]) -> Decoded {
        if raw.isEmpty { return .failure(.refused(status: 400, reason: "empty path component")) }
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var index = 0
        while index < raw.count {
            let byte = raw[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < raw.count, let high = hex(raw[index + 1]), let low = hex(raw[index + 2]) else {
                    return .failure(.refused(status: 400, reason: "malformed percent-encoding"))
                }
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(byte)
                index += 1
            }
        }
        for byte in out {
            if byte < 0x20 || byte == 0x7F { return .failure(.refused(status: 400, reason: "control character in path")) }
            if byte == UInt8(ascii: "/") { return .failure(.refused(status: 400, reason: "encoded slash in path")) }
            if byte == UInt8(ascii: "\\") { return .failure(.refused(status: 400, reason: "backslash in path")) }
        }
        guard let text = String(validating: out, as: UTF8.self) else {
            return .failure(.refused(status: 400, reason: "path is not UTF-8"))
        }
        if text == "." || text == ".." { return .failure(.refused(status: 400, reason: "dot segment in path")) }
        if text.utf8.count > maximumComponentLength { return .failure(.refused(status: 414, reason: "path component too long")) }
        if text.contains(":") { return .failure(.refused(status: 400, reason: "colon in path")) }
        return .success(text)
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x41...0x46: return byte - 0x41 + 10
        case 0x61...0x66: return byte - 0x61 + 10
        default: return nil
        }
    }
}
