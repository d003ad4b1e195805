import BackendKit
import Foundation

/// Razor's error shapes, mapped to operator messages.
enum RazorErrors {
    static func forStatus(_ status: Int, body: [UInt8], method: String, url: String) -> BackendError {
        let json = try? RazorJSON.decode(body)
        var detail = json?["error"]?.text ?? String(decoding: body.prefix(300), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        if let more = json?["details"]?.text, !more.isEmpty { detail += " (\(more))" }
        let code = String(status)
        switch status {
        case 400:
            return BackendError(.invalidInput, backend: razorBackendName, message: "Razor rejected \(method) \(url): \(detail)",
                                code: code, hint: "the request is malformed or refers to something still in use")
        case 401:
            return BackendError(.unauthorized, backend: razorBackendName,
                                message: "Razor refused the credentials for \(url)", code: code,
                                hint: "set the Razor username and password of this site (razor auth.enabled uses its shiro.ini users)")
        case 403:
            return BackendError(.unauthorized, backend: razorBackendName, message: "Razor denied \(method) \(url): \(detail)",
                                code: code, hint: "give the Razor user the needed permission in shiro.ini")
        case 404:
            return BackendError(.notFound, backend: razorBackendName,
                                message: json?["error"] != nil ? "Razor: \(detail)" : "Razor has nothing at \(url)", code: code)
        case 406, 415:
            return BackendError(.protocolViolation, backend: razorBackendName,
                                message: "Razor refused the content type of \(method) \(url): \(detail)", code: code)
        case 409:
            return BackendError(.conflict, backend: razorBackendName, message: "Razor: \(detail)", code: code,
                                hint: "an object of that name exists with other settings; remove it or pick another name")
        case 422:
            return BackendError(.invalidInput, backend: razorBackendName, message: "Razor refused the values: \(detail)",
                                code: code)
        case 500..<600:
            return BackendError(.remoteFailure, backend: razorBackendName,
                                message: "Razor failed on \(method) \(url) with HTTP \(status): \(detail.isEmpty ? "no details" : detail)",
                                code: code, hint: "see the Razor server log (razor-server.log); retry when it is healthy")
        default:
            return BackendError(.protocolViolation, backend: razorBackendName,
                                message: "Razor answered \(method) \(url) with unexpected HTTP \(status): \(detail)", code: code)
        }
    }
}
