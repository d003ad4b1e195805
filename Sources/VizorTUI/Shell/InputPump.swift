import Foundation

/// Watches a file descriptor on its own thread and says when input is
/// ready, without reading it: the main actor then drains ncurses itself,
/// so ncurses is only ever called from one thread. After each wake-up the
/// pump waits for `acknowledge()` (the drain) before polling again.
final class InputPump: @unchecked Sendable {
    enum Signal: Sendable { case ready, hangup }

    private let fd: Int32
    private let notify: @Sendable (Signal) -> Void
    private let lock = NSLock()
    private var stopped = false
    private let drained = DispatchSemaphore(value: 0)

    init(fd: Int32, notify: @escaping @Sendable (Signal) -> Void) {
        self.fd = fd
        self.notify = notify
    }

    func start() {
        let thread = Thread { [self] in self.run() }
        thread.name = "vizor-input"
        thread.start()
    }

    func stop() {
        lock.withLock { stopped = true }
        drained.signal()
    }

    func acknowledge() { drained.signal() }

    private var isStopped: Bool { lock.withLock { stopped } }

    private func run() {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while !isStopped {
            descriptor.revents = 0
            let result = poll(&descriptor, 1, 250)
            if isStopped { return }
            if result > 0, descriptor.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 {
                notify(.hangup)
                return
            }
            if result > 0 || (result < 0 && errno == EINTR) {
                notify(.ready)
                _ = drained.wait(timeout: .now() + .seconds(1))
            }
        }
    }
}
