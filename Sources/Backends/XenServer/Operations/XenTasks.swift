import BackendKit

/// Progress of an `Async.*` call as the pool reports it.
public struct XenTaskProgress: Sendable, Equatable {
    public var name: String
    public var progress: Double
    public var status: String
}

extension XapiSession {
    /// Runs `Async.<method>`, follows its task with `event.from` on
    /// `task/<ref>` until it leaves `pending`, destroys the task, and returns
    /// the decoded result (or throws the task's `error_info`).
    public func runAsync(_ method: String, _ params: [XapiValue] = [], deadline: Duration = .seconds(600),
                         progress: (@Sendable (XenTaskProgress) -> Void)? = nil) async throws -> XapiValue {
        let taskRef = try await call("Async." + method, params).text
        defer { Task { _ = try? await self.call("task.destroy", [.string(taskRef)]) } }
        let clock = ContinuousClock()
        let end = clock.now + deadline
        var token = ""
        while true {
            let record = try await call("task.get_record", [.string(taskRef)])
            let status = record["status"].text
            progress?(XenTaskProgress(name: method, progress: record["progress"].double ?? 0, status: status))
            switch status {
            case "success":
                return try XMLRPCCodec.decodeValueFragment(record["result"].text)
            case "failure":
                throw XapiErrorMapper.map(record["error_info"].stringArray, method: method)
            case "cancelled", "cancelling":
                throw XapiErrorMapper.map(["TASK_CANCELLED", taskRef], method: method)
            default:
                break
            }
            guard clock.now < end else {
                throw BackendError(.timeout, backend: xenserverBackendName, message: "\(method) did not finish within \(deadline)",
                                   hint: "the task is still running on the pool; look at it in XenCenter")
            }
            // Wait for the task to change (or 5 s), instead of polling blindly.
            let batch = try await call("event.from", [.array([.string("task/" + taskRef)]), .string(token), .double(5)],
                                       timeout: configuration.callTimeout + .seconds(5))
            token = batch["token"].text
        }
    }
}
