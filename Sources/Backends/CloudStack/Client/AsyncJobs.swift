import BackendKit
import Foundation

extension CloudStackClient {
    /// Sends an async command and returns its ticket without waiting.
    public func submit(_ command: String, _ parameters: [String: String] = [:]) async throws -> CloudStackJobTicket {
        let answer = try await call(command, parameters)
        guard let jobID = answer["jobid"]?.string else {
            throw BackendError(.protocolViolation, backend: cloudstackBackendName,
                               message: "\(command) answered without a jobid; is it an async command on this server?")
        }
        return CloudStackJobTicket(command: command, jobID: jobID, entityID: answer["id"]?.string)
    }

    /// Polls `queryAsyncJobResult` with exponential backoff and jitter until
    /// the job leaves status 0, and returns its `jobresult`. Status 2 becomes
    /// the job's error, 3 a cancellation; past `timeout` a `.timeout` error
    /// names the job and the entity so nothing is lost. `jobprocstatus` is
    /// never trusted.
    public func wait(for ticket: CloudStackJobTicket, timeout: Duration? = nil) async throws -> CSValue {
        let limit = timeout ?? configuration.jobs.timeout
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: limit)
        var interval = configuration.jobs.initialInterval
        var errorsInARow = 0
        while true {
            do {
                let job = try await call("queryAsyncJobResult", ["jobid": ticket.jobID])
                errorsInARow = 0
                if let outcome = try AsyncJobResult.outcome(of: job, ticket: ticket) { return outcome }
            } catch let error as BackendError where error.isTransient {
                errorsInARow += 1
                if errorsInARow > configuration.jobs.maxConsecutiveErrors { throw error }
            }
            let now = clock.now
            if now >= deadline { throw AsyncJobResult.timeoutError(ticket, limit: limit) }
            let jitter = Double.random(in: 0.9...1.1)
            let pause = min(interval * jitter, deadline - now)
            do {
                try await Task.sleep(for: pause)
            } catch {
                throw BackendError(.cancelled, backend: cloudstackBackendName,
                                   message: "stopped waiting for \(ticket.command) job \(ticket.jobID)\(AsyncJobResult.entityText(ticket))")
            }
            interval = min(interval * configuration.jobs.multiplier, configuration.jobs.maxInterval)
        }
    }

    /// Submits and waits in one go, for commands that create nothing.
    public func run(_ command: String, _ parameters: [String: String] = [:], timeout: Duration? = nil) async throws -> CSValue {
        try await wait(for: submit(command, parameters), timeout: timeout)
    }

    /// `nil` while the job runs; the result when it succeeded; throws when it failed.
    static func outcome(of job: CSValue, ticket: CloudStackJobTicket) throws -> CSValue? {
        try AsyncJobResult.outcome(of: job, ticket: ticket)
    }
}
