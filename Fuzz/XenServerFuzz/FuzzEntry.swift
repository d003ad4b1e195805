/// libFuzzer entry for the XAPI wire codecs: every input is decoded as a
/// JSON-RPC response, an XML-RPC response and a bare `<value>` fragment.
/// Thrown errors are fine; a crash, a sanitizer report, a hang, or a broken
/// property is a failure. Properties checked on every value that decodes:
/// encode → decode → encode gives the same bytes (JSON and XML-RPC, and a
/// JSON value carried over XML-RPC), and an error description maps to a
/// `BackendError` an operator can read.
@_cdecl("LLVMFuzzerTestOneInput")
public func xenFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))

    if let value = try? JSONRPCCodec.parse(bytes) {
        checkJSONRoundTrip(value)
        checkXMLRoundTrip(value)
    }
    if let response = try? JSONRPCCodec.decodeResponse(bytes) { checkResponse(response) }
    if let response = try? XMLRPCCodec.decodeResponse(bytes) {
        checkResponse(response)
        if case .success(let value) = response { checkXMLRoundTrip(value) }
    }
    if let value = try? XMLRPCCodec.decodeValueFragment(String(decoding: bytes, as: UTF8.self)) {
        checkXMLRoundTrip(value)
    }
    return 0
}

/// A property that does not hold: stop with the evidence (libFuzzer saves the input).
func violated(_ what: String, _ detail: String) -> Never {
    fatalError("property violated: \(what)\n\(detail.prefix(2000))")
}

func checkJSONRoundTrip(_ value: XapiValue) {
    let first = JSONRPCCodec.encode(value)
    guard let again = try? JSONRPCCodec.parse(Array(first.utf8)) else {
        violated("JSON-RPC encoding does not parse back", first)
    }
    let second = JSONRPCCodec.encode(again)
    if first != second { violated("JSON-RPC encode → parse → encode differs", first + "\n---\n" + second) }
}

/// XML-RPC carries ints as strings, so the property is on the encoded form.
func checkXMLRoundTrip(_ value: XapiValue) {
    // JSON's limit counts containers, XML-RPC's every <value>, plus the envelope's struct.
    guard nesting(value) + 1 <= XMLScanner.maximumDepth else { return }
    let first = xmlResponse(value)
    let decoded: XapiResponse
    do { decoded = try XMLRPCCodec.decodeResponse(first) } catch {
        violated("XML-RPC encoding does not decode back (\(error))", String(decoding: first, as: UTF8.self))
    }
    guard case .success(let again) = decoded else {
        violated("XML-RPC Success envelope decoded as \(decoded)", String(decoding: first, as: UTF8.self))
    }
    let second = xmlResponse(again)
    if first != second {
        violated("XML-RPC encode → decode → encode differs",
                 String(decoding: first, as: UTF8.self) + "\n---\n" + String(decoding: second, as: UTF8.self))
    }
}

/// The body xapi sends for a successful call returning `value`.
func xmlResponse(_ value: XapiValue) -> [UInt8] {
    var out = "<?xml version=\"1.0\"?>\n<methodResponse><params><param>"
    XMLRPCCodec.appendValue(.structure(["Status": "Success", "Value": value]), to: &out)
    out += "</param></params></methodResponse>\n"
    return Array(out.utf8)
}

func checkResponse(_ response: XapiResponse) {
    guard case .failure(let description) = response else { return }
    let error = XapiErrorMapper.map(description, method: "VM.get_all_records")
    if error.backend != xenserverBackendName || error.message.isEmpty {
        violated("error description mapped to an unreadable BackendError", "\(description) → \(error)")
    }
}

/// `<value>` elements on the deepest path of `value`.
func nesting(_ value: XapiValue) -> Int {
    switch value {
    case .array(let items): return 1 + (items.map(nesting).max() ?? 0)
    case .structure(let members): return 1 + (members.values.map(nesting).max() ?? 0)
    default: return 1
    }
}
