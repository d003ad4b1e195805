import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Opens loopback TCP connections as fast as it can, each sending the start
/// of an HTTP request, until the port refuses or `deadline` passes: the
/// re-connect storm a stopping lab sees from polling clients. Runs on its own
/// thread (blocking sockets stay off the cooperative pool).
final class ConnectionStorm: @unchecked Sendable {
    private let lock = NSLock()
    private var opened = 0
    private var done = false
    private let finished = DispatchSemaphore(value: 0)

    init(port: Int, deadline: Date) {
        let thread = Thread { [self] in
            while Date() < deadline {
                guard Self.connectAndSend(port: port) else { break }
                lock.lock(); opened += 1; lock.unlock()
                usleep(200)  // thousands a second, yet leaves the other tests' CPU alone
            }
            lock.lock(); done = true; lock.unlock()
            finished.signal()
        }
        thread.start()
    }

    /// Connections opened so far.
    var count: Int { lock.lock(); defer { lock.unlock() }; return opened }

    /// Waits (bounded) for the storm to end by itself.
    func wait(timeout: TimeInterval) -> Bool {
        finished.wait(timeout: .now() + timeout) == .success
    }

    private static func connectAndSend(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else { return false }
        let request = Array("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        return true
    }
}
