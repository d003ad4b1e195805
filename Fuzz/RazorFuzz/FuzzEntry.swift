import Foundation

/// libFuzzer entry for what VizorRazor reads out of Razor's bodies: the
/// first byte picks the HTTP status, the rest is the body. Every input goes
/// through the transport's status/JSON check and, when it is JSON, through
/// discovery, collection page, command receipt, command record and node log
/// decoding. Properties beyond "no crash": a decoded value survives
/// `encoded()` → decode unchanged (the node log fingerprints rely on it),
/// refusals are readable `BackendError`s with the status as their code, and
/// decoders keep exactly the items, errors and fields the body had.
@_cdecl("LLVMFuzzerTestOneInput")
public func razorFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let first = bytes.first else { return 0 }
    let statuses = [200, 200, 200, 202, 400, 401, 403, 404, 406, 409, 415, 422, 500, 503, 301, 418]
    let status = statuses[Int(first) % statuses.count]
    let body = Array(bytes.dropFirst())
    let url = "http://127.0.0.1:8150/api/collections/nodes"

    let document: RazorJSON
    do {
        document = try RazorDecoding.body(status: status, bytes: body, method: "GET", url: url)
        guard (200..<300).contains(status) else { violated("accepted HTTP \(status)", body) }
    } catch let error as BackendError {
        readable(error, body)
        if !(200..<300).contains(status), error.code != String(status) { violated("status lost: \(error)", body) }
        return 0
    } catch {
        violated("threw a non-BackendError \(error)", body)
    }

    let again = try? RazorJSON.decode(Array(document.encoded()))
    if again != document { violated("encoded() → decode changed the value: \(String(describing: again))", body) }

    decodeAsDiscovery(document, body)
    if let page = attempt({ try RazorDecoding.page(document, url: url) }, body),
       page.items.count != document["items"]?.array?.count {
        violated("page lost items", body)
    }
    if let receipt = attempt({ try RazorDecoding.receipt(document, command: "register-node") }, body),
       receipt.commandURL != document["command"]?.string {
        violated("receipt has another command URL", body)
    }
    if let record = attempt({ try RazorDecoding.commandStatus(document, commandURL: url) }, body) {
        if record.errors.count != (document["errors"]?.array?.count ?? 0) || record.status != document["status"]?.string {
            violated("command record lost errors or status: \(record)", body)
        }
    }
    for item in (document["items"]?.array ?? []) + [document] {
        guard let entry = attempt({ try RazorDecoding.logEntry(item) }, body) else { continue }
        let reserved: Set<String> = ["timestamp", "severity", "event", "msg"]
        let expected = Set((item.object ?? [:]).keys).subtracting(reserved)
        if Set(entry.fields.keys) != expected || entry.event.isEmpty {
            violated("log entry fields \(entry.fields.keys.sorted()) for keys \(expected.sorted())", body)
        }
    }
    return 0
}

func decodeAsDiscovery(_ document: RazorJSON, _ body: [UInt8]) {
    let apiURL = URL(string: "http://127.0.0.1:8150/api")!
    guard let api = attempt({ try RazorDecoding.api(document, apiURL: apiURL) }, body) else { return }
    if api.collections.count > (document["collections"]?.array?.count ?? 0)
        || api.commands.count > (document["commands"]?.array?.count ?? 0) {
        violated("discovery invented collections or commands", body)
    }
    for (name, collection) in api.collections where collection.name != name {
        violated("collection \(name) filed under another name", body)
    }
}

/// The value, or nil when the decoder refused with a readable error.
func attempt<T>(_ decode: () throws -> T, _ body: [UInt8]) -> T? {
    do { return try decode() } catch let error as BackendError {
        readable(error, body)
        return nil
    } catch {
        violated("threw a non-BackendError \(error)", body)
    }
}

func readable(_ error: BackendError, _ body: [UInt8]) {
    if error.backend != razorBackendName || error.message.isEmpty { violated("unreadable error \(error)", body) }
}

func violated(_ what: String, _ body: [UInt8]) -> Never {
    fatalError("property violated: \(what)\nbody: \(String(decoding: body.prefix(2000), as: UTF8.self))")
}
