import BackendKit
import Foundation

/// Reads CloudStack's answer: one top-level `<command>response` (or
/// `errorresponse`) key, errors as `errorcode`/`cserrorcode`/`errortext`
/// with the HTTP status equal to `errorcode`, and non-JSON gateway pages.
enum CloudStackEnvelope {
    static func unwrap(command: String, status: Int, contentType: String, body: Data, endpoint: URL) throws -> CSValue {
        let type = contentType.lowercased()
        guard type.hasPrefix("application/json") || type.hasPrefix("text/javascript") else {
            if status == 200 {
                throw BackendError(.protocolViolation, backend: cloudstackBackendName,
                                   message: "\(command): expected JSON, got \(contentType.isEmpty ? "no content type" : contentType)",
                                   hint: "check that \(endpoint.absoluteString) is a CloudStack API endpoint (…/client/api)")
            }
            throw httpStatusError(command: command, status: status, detail: "not a CloudStack answer", endpoint: endpoint)
        }
        let decoded: CSValue
        do {
            decoded = try JSONDecoder().decode(CSValue.self, from: body)
        } catch {
            throw BackendError(.protocolViolation, backend: cloudstackBackendName,
                               message: "\(command): malformed JSON in the answer (HTTP \(status), \(body.count) bytes)",
                               code: status == 200 ? nil : String(status),
                               hint: "a proxy or a failing management server may have cut the answer; try again")
        }
        guard case .object(let top) = decoded, top.count == 1, let (key, inner) = top.first else {
            throw BackendError(.protocolViolation, backend: cloudstackBackendName,
                               message: "\(command): answer does not have the single <command>response key")
        }
        if let code = inner["errorcode"]?.int {
            throw apiError(command: command, code: Int(code), csCode: inner["cserrorcode"]?.int,
                           text: inner["errortext"]?.string ?? "")
        }
        if status != 200 {
            throw httpStatusError(command: command, status: status, detail: "answer without an error code", endpoint: endpoint)
        }
        let expected = command.lowercased() + "response"
        guard key == expected else {
            throw BackendError(.protocolViolation, backend: cloudstackBackendName,
                               message: "\(command): answer keyed \(key), expected \(expected)")
        }
        return inner
    }

    static func httpStatusError(command: String, status: Int, detail: String, endpoint: URL) -> BackendError {
        if [502, 503, 504].contains(status) {
            return BackendError(.unreachable, backend: cloudstackBackendName,
                                message: "\(command): HTTP \(status) from the gateway in front of CloudStack (\(detail))",
                                code: String(status), hint: "the management server may be restarting; try again shortly")
        }
        return BackendError(.remoteFailure, backend: cloudstackBackendName,
                            message: "\(command): HTTP \(status) (\(detail))", code: String(status),
                            hint: "make sure the endpoint URL \(endpoint.absoluteString) is correct")
    }

    /// Maps an ApiErrorCode to an operator message, whether it came back
    /// at once or as the result of a failed async job.
    static func apiError(command: String, code: Int, csCode: Int64?, text: String) -> BackendError {
        let codeText = csCode.map { "\(code)/\($0)" } ?? String(code)
        let what = text.isEmpty ? "no error text" : text
        func make(_ kind: BackendError.Kind, _ hint: String?) -> BackendError {
            BackendError(kind, backend: cloudstackBackendName, message: "\(command) refused: \(what)", code: codeText, hint: hint)
        }
        switch code {
        case 401:
            return make(.unauthorized, "check this site's API key and secret key, that the key is enabled, and the clock (signature v3 expires)")
        case 405: return make(.invalidInput, "the server wants this call as a POST")
        case 429: return make(.remoteFailure, "the account reached its API rate limit; retry later or slow the polling interval")
        case 430, 431: return make(.invalidInput, "a parameter is missing or wrong; check the names and ids in the site profile")
        case 432: return make(.invalidInput, "this CloudStack version or role does not offer \(command)")
        case 531: return make(.unauthorized, "the account lacks the permission; ask the CloudStack administrator")
        case 532: return make(.remoteFailure, "the account reached a resource limit; free resources or raise the limit")
        case 533: return make(.remoteFailure, "the zone has no capacity left for this request")
        case 534, 535: return make(.remoteFailure, "a resource is unavailable; retry later")
        case 536: return make(.conflict, "the resource is in use")
        case 537: return make(.conflict, "a network rule conflicts")
        default: return make(.remoteFailure, "see the management server log for the job or request")
        }
    }
}
