/// The one error shape every backend returns, so the dashboard and the CLI
/// can show an operator what failed, why, and what to do next, whatever
/// product or file format produced it.
public struct BackendError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is; decides retry policy and CLI exit codes.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// The server could not be reached at all (refused, DNS, TLS handshake).
        case unreachable
        /// The server did not answer within the configured time.
        case timeout
        /// Credentials or a session were refused.
        case unauthorized
        /// The named object does not exist.
        case notFound
        /// The object exists already or is in a state that forbids the call.
        case conflict
        /// The request (or a file, or a config value) is invalid.
        case invalidInput
        /// The other side answered something that does not follow its protocol.
        case protocolViolation
        /// The server understood and reported a failure of its own.
        case remoteFailure
        /// The operation was cancelled.
        case cancelled
    }

    public var kind: Kind
    /// Which backend or subsystem speaks: "xenserver", "cloudstack", "razor", "media", ...
    public var backend: String
    /// One sentence for the operator.
    public var message: String
    /// The remote error code when there is one (`SESSION_INVALID`, `431`, `409`).
    public var code: String?
    /// What the operator can do about it.
    public var hint: String?

    public init(_ kind: Kind, backend: String, message: String, code: String? = nil, hint: String? = nil) {
        self.kind = kind
        self.backend = backend
        self.message = message
        self.code = code
        self.hint = hint
    }

    public var description: String {
        var text = "\(backend): \(message)"
        if let code { text += " [\(code)]" }
        if let hint { text += " — \(hint)" }
        return text
    }

    /// Whether trying again later may succeed without the operator changing anything.
    public var isTransient: Bool {
        switch kind {
        case .unreachable, .timeout: return true
        default: return false
        }
    }
}
