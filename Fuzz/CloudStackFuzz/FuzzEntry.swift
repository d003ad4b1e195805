import Foundation

/// libFuzzer entry for CloudStack's response envelope: the first byte picks
/// the HTTP status, the second the Content-Type, the bytes up to the first
/// newline are the command name and the rest is the body, so the decoder
/// sees arbitrary bodies for arbitrary commands. Properties: an answer is
/// accepted only with status 200, a JSON type and the single key
/// `<command>response`; every refusal is a readable `BackendError` that
/// carries CloudStack's errorcode when the body had one; the async job
/// reader agrees with `jobstatus`.
@_cdecl("LLVMFuzzerTestOneInput")
public func cloudStackFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard bytes.count >= 2 else { return 0 }
    let statuses = [200, 200, 200, 401, 405, 431, 432, 500, 502, 503, 530, 531, 533, 536, 404, 302]
    let types = ["application/json;charset=UTF-8", "text/javascript; charset=UTF-8", "text/html", "", "APPLICATION/JSON"]
    let status = statuses[Int(bytes[0]) % statuses.count]
    let contentType = types[Int(bytes[1]) % types.count]
    let rest = bytes.dropFirst(2)
    let newline = rest.firstIndex(of: 0x0A) ?? rest.startIndex
    let command = String(decoding: rest[..<newline], as: UTF8.self)
    let body = Data(rest[newline...].dropFirst(newline == rest.startIndex ? 0 : 1))
    let endpoint = URL(string: "http://127.0.0.1:8080/client/api")!

    let decoded = try? JSONDecoder().decode(CSValue.self, from: body)
    do {
        let inner = try CloudStackEnvelope.unwrap(command: command, status: status, contentType: contentType,
                                                  body: body, endpoint: endpoint)
        guard status == 200, contentType.lowercased().contains("json") || contentType.lowercased().contains("javascript"),
              case .object(let top)? = decoded, top.count == 1,
              top.first?.key == command.lowercased() + "response", top.first?.value == inner else {
            violated("accepted an answer that is not a 200 <command>response", command, body)
        }
        if inner["errorcode"]?.int != nil { violated("accepted an answer with an errorcode", command, body) }
        walk(inner, depth: 0)
        checkJob(inner, command, body)
    } catch let error as BackendError {
        if error.backend != cloudstackBackendName || error.message.isEmpty {
            violated("unreadable error \(error)", command, body)
        }
        if case .object(let top)? = decoded, top.count == 1, let code = top.first?.value["errorcode"]?.int,
           contentType.lowercased().contains("json"), error.code?.hasPrefix(String(code)) != true {
            violated("errorcode \(code) lost: \(error)", command, body)
        }
    } catch {
        violated("threw a non-BackendError \(error)", command, body)
    }
    // The job reader on the body itself and on its members, envelope or not.
    if let decoded {
        checkJob(decoded, command, body)
        for (_, member) in decoded.object ?? [:] { checkJob(member, command, body) }
    }
    return 0
}

/// `queryAsyncJobResult`: running only for jobstatus 0, a result only for a
/// successful 1, every other answer a readable error naming the job.
func checkJob(_ job: CSValue, _ command: String, _ body: Data) {
    let ticket = CloudStackJobTicket(command: command, jobID: "9a1b2c3d", entityID: "d6a1")
    let status = job["jobstatus"]?.int
    do {
        let outcome = try AsyncJobResult.outcome(of: job, ticket: ticket)
        if outcome == nil && status != 0 { violated("job with status \(String(describing: status)) still running", command, body) }
        if outcome != nil && (status != 1 || (job["jobresultcode"]?.int ?? 0) != 0) {
            violated("job with status \(String(describing: status)) succeeded", command, body)
        }
    } catch let error as BackendError {
        if error.backend != cloudstackBackendName || !error.message.contains(ticket.jobID) || status == 0 {
            violated("job error \(error) for status \(String(describing: status))", command, body)
        }
    } catch {
        violated("job reader threw a non-BackendError \(error)", command, body)
    }
}

/// Every accessor on every node of the tree.
func walk(_ value: CSValue, depth: Int) {
    _ = (value.string, value.int, value.bool)
    guard depth < 64 else { return }
    for item in value.array ?? [] { walk(item, depth: depth + 1) }
    for (_, member) in value.object ?? [:] { walk(member, depth: depth + 1) }
}

func violated(_ what: String, _ command: String, _ body: Data) -> Never {
    fatalError("property violated: \(what)\ncommand: \(command)\nbody: \(String(decoding: body.prefix(2000), as: UTF8.self))")
}
