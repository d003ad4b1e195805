import BackendKit
import Foundation

/// A plain TCP connect to a URL's host and port, so `doctor` can say
/// "connection refused" or "no route" at once instead of waiting for an
/// HTTP client's retries to run out.
public enum TCPProbe {
    /// nil when something accepts connections there; otherwise why not.
    public static func check(_ urlString: String, backend: String, timeout: TimeInterval = 5) async -> BackendError? {
        guard let url = URL(string: urlString), let host = url.host else {
            return BackendError(.invalidInput, backend: backend, message: "\(urlString) is not a URL with a host")
        }
        let port = url.port ?? (url.scheme == "https" ? 443 : 80)
        return await Task.detached { connect(host: host, port: port, backend: backend, timeout: timeout) }.value
    }

    private static func connect(host: String, port: Int, backend: String, timeout: TimeInterval) -> BackendError? {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            return BackendError(.unreachable, backend: backend, message: "cannot resolve \(host): \(String(cString: gai_strerror(status)))",
                                hint: "check the host name in the configuration and DNS")
        }
        defer { freeaddrinfo(list) }
        var lastError: Int32 = 0
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            guard fd >= 0 else { lastError = errno; continue }
            defer { close(fd) }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return nil }
            guard errno == EINPROGRESS else { lastError = errno; continue }
            var descriptor = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&descriptor, 1, Int32(timeout * 1000))
            if ready == 0 {
                return BackendError(.timeout, backend: backend, message: "no TCP answer from \(host):\(port) within \(Int(timeout)) s",
                                    hint: "a firewall may drop the packets, or the host is down")
            }
            var socketError: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &socketError, &length)
            if socketError == 0 { return nil }
            lastError = socketError
        }
        let reason = String(cString: strerror(lastError))
        return BackendError(.unreachable, backend: backend, message: "cannot connect to \(host):\(port): \(reason)",
                            hint: lastError == ECONNREFUSED ? "nothing listens there: is the service running, is the port right?" : nil)
    }
}
