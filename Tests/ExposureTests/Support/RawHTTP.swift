import Foundation

/// A response read off a socket exactly as the server sent it.
struct RawResponse {
    var status: Int
    var headers: [(String, String)]
    var body: Data

    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}

/// Sends request bytes verbatim (no client-side path normalising, unlike
/// URLSession or curl) and reads until the server closes. The blocking socket
/// work runs on its own thread, never on the 2-thread cooperative pool that
/// the server's async handlers need. 15 s timeouts.
func rawRequest(port: Int, _ request: [UInt8]) async throws -> RawResponse {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try blockingRawRequest(port: port, request) })
        }
        thread.start()
    }
}

private func blockingRawRequest(port: Int, _ request: [UInt8]) throws -> RawResponse {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw FixtureError(description: "socket failed") }
    defer { close(fd) }
    var timeout = timeval(tv_sec: 15, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw FixtureError(description: "connect failed") }
    var sent = 0
    while sent < request.count {
        let n = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { throw FixtureError(description: "send failed") }
        sent += n
    }
    var received = Data()
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = recv(fd, &buffer, buffer.count, 0)
        if n == 0 { break }
        guard n > 0 else { throw FixtureError(description: "recv failed or timed out") }
        received.append(contentsOf: buffer[0..<n])
    }
    guard let split = received.range(of: Data("\r\n\r\n".utf8)) else {
        throw FixtureError(description: "no header terminator in \(received.count) bytes")
    }
    let headText = String(decoding: received[..<split.lowerBound], as: UTF8.self)
    var lines = headText.components(separatedBy: "\r\n")
    let statusLine = lines.removeFirst().split(separator: " ")
    guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw FixtureError(description: "bad status line") }
    let headers = lines.compactMap { line -> (String, String)? in
        guard let colon = line.firstIndex(of: ":") else { return nil }
        return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
    }
    return RawResponse(status: status, headers: headers, body: Data(received[split.upperBound...]))
}

func rawGET(port: Int, target: String, method: String = "GET", headers: [String: String] = [:]) async throws -> RawResponse {
    var text = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    for (name, value) in headers { text += "\(name): \(value)\r\n" }
    return try await rawRequest(port: port, Array((text + "\r\n").utf8))
}
