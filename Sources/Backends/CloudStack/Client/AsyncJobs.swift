import BackendKit
import Foundation

/// What an async command answered at once: its job, and for the "async
/// create" commands (deployVirtualMachine, createTemplate) the id of the
/// entity that exists already. Journal the entity id before waiting, so a
/// timeout or a crash never leaves an object nobody knows about.
public struct CloudStackJobTicket: Sendable, Equatable {
    public var command: String
    public var jobID: String
    public var entityID: String?
    public init(command: String, jobID: String, entityID: String?) {
        self.command = command
        self.jobID = jobID
        self.entityID = entityID
    }
}

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
                if let outcome = try Self.outcome(of: job, ticket: ticket) { return outcome }
            } catch let error as BackendError where error.isTransient {
                errorsInARow += 1
                if errorsInARow > configuration.jobs.maxConsecutiveErrors { throw error }
            }
            let now = clock.now
            if now >= deadline { throw Self.timeoutError(ticket, limit: limit) }
            let jitter = Double.random(in: 0.9...1.1)
            let pause = min(interval * jitter, deadline - now)
            do {
                try await Task.sleep(for: pause)
            } catch {
                throw BackendError(.cancelled, backend: cloudstackBackendName,
                                   message: "stopped waiting for \(ticket.command) job \(ticket.jobID)\(Self.entityText(ticket))")
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
        guard let status = job["jobstatus"]?.int else {
            throw BackendError(.protocolViolation, backend: cloudstackBackendName,
                               message: "queryAsyncJobResult for job \(ticket.jobID) has no jobstatus")
        }
        switch status {
        case 0:
            return nil
        case 1:
            let code = job["jobresultcode"]?.int ?? 0
            if code != 0 { throw failure(job, ticket: ticket) }
            return job["jobresult"] ?? .object([:])
        case 3:
            throw BackendError(.cancelled, backend: cloudstackBackendName,
                               message: "\(ticket.command) job \(ticket.jobID) was cancelled by the server\(entityText(ticket))",
                               hint: "the server cancels jobs that block others for too long; try again")
        default:
            throw failure(job, ticket: ticket)
        }
    }

    static func failure(_ job: CSValue, ticket: CloudStackJobTicket) -> BackendError {
        let result = job["jobresult"]
        let code = result?["errorcode"]?.int ?? job["jobresultcode"]?.int ?? 530
        let text = result?["errortext"]?.string ?? result?.string ?? "the job failed without an error text"
        var error = CloudStackEnvelope.apiError(command: ticket.command, code: Int(code), csCode: result?["cserrorcode"]?.int,
                                                text: text)
        error.message = "\(ticket.command) job \(ticket.jobID) failed: \(text)\(entityText(ticket))"
        return error
    }

    static func timeoutError(_ ticket: CloudStackJobTicket, limit: Duration) -> BackendError {
        BackendError(.timeout, backend: cloudstackBackendName,
                     message: "\(ticket.command) job \(ticket.jobID) did not finish within \(Int(limit.seconds.rounded())) s\(entityText(ticket))",
                     hint: "the job may still finish on the server; check it with queryAsyncJobResult, or raise the job timeout")
    }

    static func entityText(_ ticket: CloudStackJobTicket) -> String {
        ticket.entityID.map { " (object \($0))" } ?? ""
    }
}
