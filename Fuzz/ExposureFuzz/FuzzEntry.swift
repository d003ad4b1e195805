import Foundation

/// libFuzzer entry for the exposure server's parsers of untrusted input:
/// the request-target sanitiser, the Range header, HTTP dates and
/// conditional headers, and the extent mapper that turns a file range into
/// image reads (the extents come from untrusted disc metadata). Every input
/// feeds all of them. Properties beyond "no crash":
/// - an accepted target never names a component that is empty, `.`, `..`,
///   or holds `/`, `\`, `:`, NUL or another control byte, never goes deeper
///   than allowed, and re-encoding its components parses back to it;
/// - every range lies inside the file, there are at most `maximumRanges`;
/// - a date that parses formats back to the same second;
/// - the segments of a file range add up to its length, read each image
///   byte where a per-byte model of the extents says, and zeros elsewhere.
@_cdecl("LLVMFuzzerTestOneInput")
public func exposureFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let text = String(decoding: bytes, as: UTF8.self)
    checkTarget(text)
    checkTarget("/media/" + text)
    checkRanges(bytes)
    checkDate(text)
    checkExtents(bytes)
    return 0
}

func violated(_ what: String, _ input: String) -> Never {
    fatalError("property violated: \(what)\ninput: \(input.debugDescription.prefix(2000))")
}

func checkTarget(_ raw: String) {
    let components: [String]
    switch RequestTarget.parse(raw) {
    case .refused(let status, let reason):
        if ![400, 404, 414].contains(status) || reason.isEmpty { violated("refusal \(status) \(reason)", raw) }
        return
    case .media(let imageID, let rest):
        if !RequestTarget.isValidImageID(imageID) || imageID == "." || imageID == ".." || imageID.contains("/") {
            violated("accepted image id \(imageID)", raw)
        }
        if rest.isEmpty { violated("accepted a media target without a file", raw) }
        components = rest
    case .artefacts(let rest):
        components = rest
    }
    if components.count > RequestTarget.maximumDepth + 1 { violated("accepted \(components.count) components", raw) }
    var depth = 0
    for component in components {
        if component.isEmpty || component == "." || component == ".." { violated("accepted component \(component.debugDescription)", raw) }
        if component.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == 0x2F || $0 == 0x5C || $0 == 0x3A }) {
            violated("accepted component \(component.debugDescription)", raw)
        }
        if component.utf8.count > RequestTarget.maximumComponentLength { violated("accepted a long component", raw) }
        depth += 1  // no component can go up, so the depth only grows: the root is never left
    }
    // Percent-encoding every byte of each component must give back the same target.
    let prefix: String
    if case .media(let imageID, _) = RequestTarget.parse(raw) { prefix = "/media/" + imageID } else { prefix = "/artefacts" }
    let encoded = prefix + components.map { "/" + $0.utf8.map { "%" + String($0, radix: 16, uppercase: true).leftPad() }.joined() }.joined()
    if encoded.utf8.count <= RequestTarget.maximumTargetLength, RequestTarget.parse(encoded) != RequestTarget.parse(raw) {
        violated("re-encoded target \(encoded) parses to \(RequestTarget.parse(encoded))", raw)
    }
}

extension String {
    func leftPad() -> String { count == 1 ? "0" + self : self }
}

/// Input: 8 bytes of file size (kept under 2^40 half the time), then the header.
func checkRanges(_ bytes: [UInt8]) {
    guard bytes.count >= 8 else { return }
    var size = bytes.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    if bytes[0] & 1 == 0 { size &= (1 << 40) - 1 }
    let header = String(decoding: bytes.dropFirst(8), as: UTF8.self)
    switch RangeRequest.parse(header, size: size) {
    case .whole, .unsatisfiable: break
    case .ranges(let ranges):
        if ranges.isEmpty || ranges.count > RangeRequest.maximumRanges { violated("\(ranges.count) ranges", header) }
        for range in ranges where range.upperBound >= size { violated("range \(range) outside size \(size)", header) }
    }
    _ = RangeRequest.parse(header, size: 0)
}

func checkDate(_ text: String) {
    guard let seconds = HTTPDate.parse(text) else { return }
    let formatted = HTTPDate.format(Date(timeIntervalSince1970: TimeInterval(seconds)))
    if HTTPDate.parse(formatted) != seconds { violated("date \(seconds) formats as \(formatted)", text) }
    let validators = Validators(etag: "\"abc\"", lastModified: seconds)
    _ = validators.evaluate(ifMatch: text, ifUnmodifiedSince: text, ifNoneMatch: text, ifModifiedSince: text,
                            ifRange: text, hasRange: true)
}

/// Input: a file described by small extents (so a per-byte model is cheap),
/// then a byte range of it.
func checkExtents(_ bytes: [UInt8]) {
    guard bytes.count >= 6 else { return }
    var cursor = 0
    func next() -> UInt64 {
        guard cursor < bytes.count else { return 0 }
        defer { cursor += 1 }
        return UInt64(bytes[cursor])
    }
    let count = Int(next() % 9)
    var extents: [FileExtent] = []
    for _ in 0..<count {
        let flags = next()
        let offset = (next() << 8 | next()) + ((flags & 2) != 0 ? UInt64(1) << 40 : 0)
        extents.append(FileExtent(offset: offset, length: next() * 3, isSparse: flags & 1 == 1))
    }
    let embedded: [UInt8]? = next() % 5 == 0 ? Array(bytes.suffix(Int(next() % 32))) : nil
    let fileSize = next() * 5
    let from = next() * 4, to = next() * 5
    let entry = MediaFileEntry(path: "a/b", name: "b", isDirectory: false, size: fileSize, modified: Date(timeIntervalSince1970: 0),
                               extents: extents, embeddedData: embedded)
    let segments = ExtentMap.segments(of: entry, from: from, to: to)
    let end = min(to, fileSize)
    let expectedLength = from < end ? end - from : 0
    let total = segments.reduce(UInt64(0)) { $0 + $1.length }
    let described = "extents \(extents) embedded \(embedded.map(\.count) ?? -1) size \(fileSize) range \(from)..<\(to)"
    if total != expectedLength { violated("segments cover \(total) bytes, expected \(expectedLength)", described) }

    // Per-byte model: where each file byte comes from.
    enum Origin: Equatable { case image(UInt64), zero, embedded(UInt8) }
    var model: [Origin] = []
    if let embedded {
        model = embedded.map(Origin.embedded)
    } else {
        for extent in extents {
            for k in 0..<extent.length { model.append(extent.isSparse ? .zero : .image(extent.offset + k)) }
        }
    }
    var actual: [Origin] = []
    for segment in segments {
        switch segment {
        case .image(let offset, let length): for k in 0..<length { actual.append(.image(offset + k)) }
        case .zeros(let length): actual += Array(repeating: .zero, count: Int(length))
        case .bytes(let data): actual += data.map(Origin.embedded)
        }
    }
    for (n, origin) in actual.enumerated() {
        let position = Int(from) + n
        let expected = position < model.count ? model[position] : .zero
        if origin != expected { violated("file byte \(position) read from \(origin), expected \(expected)", described) }
    }
}
