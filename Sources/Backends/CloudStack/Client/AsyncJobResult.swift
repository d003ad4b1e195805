import BackendKit

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

/// What `queryAsyncJobResult` says about a job, read apart from the polling
/// so that a server's answer can be checked (and fuzzed) on its own.
enum AsyncJobResult {
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
