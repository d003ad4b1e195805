import Foundation

/// A lab server's listening socket, with an outage switch: it can close
/// (connections are refused, as a rebooting XenServer host or a restarting
/// CloudStack management server refuses them) and listen again on the SAME
/// port, so clients configured with the server's URL find it again by
/// themselves. Going down is a graceful shutdown of the HTTP server (see
/// `LabServing`): the listener closes first, in-flight requests answer, idle
/// keep-alive connections close. The state behind the server (VMs, sessions,
/// jobs) lives on, as it does on a host that comes back.
public actor LabListener {
    /// Starts the server on `port` (0: the kernel chooses) and answers the running server and the bound port.
    public typealias Start = @Sendable (_ port: Int) async throws -> (serving: LabServing, port: Int)

    /// The bound port; the same after every outage.
    public nonisolated let port: Int
    private let start: Start
    private var serving: LabServing?
    private var stopped = false

    private init(start: @escaping Start, serving: LabServing, port: Int) {
        self.start = start
        self.serving = serving
        self.port = port
    }

    /// Starts listening on `port` (0: a kernel-chosen port, kept for every later restart).
    public static func open(port: Int = 0, _ start: @escaping Start) async throws -> LabListener {
        let (serving, bound) = try await start(port)
        return LabListener(start: start, serving: serving, port: bound)
    }

    /// Whether the listener is closed by the outage switch (or stopped).
    public var isDown: Bool { serving == nil }

    /// Closes the listener; connections are refused until `comeUp()`.
    public func goDown() async {
        guard let serving else { return }
        self.serving = nil
        await serving.stop()
    }

    /// Listens again on the same port. A port still held by the system (or taken by
    /// someone else meanwhile) is retried for a few seconds, then reported.
    public func comeUp() async throws {
        guard serving == nil, !stopped else { return }
        var lastError: (any Error)?
        for _ in 0..<50 {
            do {
                let (restarted, bound) = try await start(port)
                if stopped {
                    await restarted.stop()
                    return
                }
                if bound == port {
                    serving = restarted
                    return
                }
                await restarted.stop()
            } catch {
                lastError = error
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw lastError ?? CancellationError()
    }

    /// An outage of `duration`: down now, up again afterwards on the same port. Returns when listening again.
    public func outage(for duration: Duration) async throws {
        await goDown()
        try await Task.sleep(for: duration)
        try await comeUp()
    }

    /// Stops for good (no later `comeUp`).
    public func stop() async {
        stopped = true
        await goDown()
    }
}
