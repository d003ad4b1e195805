import AsyncHTTPClient
import Foundation

/// The HTTP clients inside the lab's guest, each sending what the real one
/// sends and nothing more: iPXE (its User-Agent; the lab stops reading a big
/// image after its head), `curl.exe` in WinPE (curl's default headers),
/// and .NET's WebClient and HttpWebRequest in Windows PowerShell (no
/// User-Agent, no other header of their own). The URL goes out as written.
public enum LabGuestClient: String, Sendable {
    case ipxe = "iPXE"
    case curl = "curl"
    case webClient = "WebClient"
    case webRequest = "HttpWebRequest"
    /// The lab's stand-in for the SMB share (reads the medium's files by range); not a client of the machine.
    case share = "share"
}

/// What one GET came back with.
public struct LabGuestHTTPAnswer: Sendable {
    public var status: Int?
    public var body: [UInt8]
    public var headers: [(name: String, value: String)]
    /// Set when the request failed: no connection, a deadline, or a status that is not 2xx.
    public var failure: String?

    public var succeeded: Bool { failure == nil }
    public var text: String { String(decoding: body, as: UTF8.self) }
}

enum LabGuestHTTP {
    /// Bodies are read up to this size: the rendered files are far smaller.
    static let bodyLimit = 4 << 20

    static func get(_ url: String, client: LabGuestClient, range: ClosedRange<Int>? = nil,
                    timeout: Duration = .seconds(15), limit: Int = bodyLimit) async -> LabGuestHTTPAnswer {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        switch client {
        case .ipxe: request.headers.add(name: "User-Agent", value: "iPXE/1.21.1")
        case .curl:
            request.headers.add(name: "User-Agent", value: "curl/8.4.0")
            request.headers.add(name: "Accept", value: "*/*")
        case .webClient, .webRequest: break
        case .share: request.headers.add(name: "User-Agent", value: "vizor-lab-share")
        }
        if let range { request.headers.add(name: "Range", value: "bytes=\(range.lowerBound)-\(range.upperBound)") }
        do {
            let milliseconds = timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
            let response = try await HTTPClient.shared.execute(request, timeout: .milliseconds(milliseconds))
            var body: [UInt8] = []
            for try await chunk in response.body {
                body += chunk.readableBytesView
                if body.count >= limit { break }
            }
            let status = Int(response.status.code)
            let headers = response.headers.map { (name: $0.name, value: $0.value) }
            guard (200..<300).contains(status) else {
                return LabGuestHTTPAnswer(status: status, body: body, headers: headers,
                                          failure: "HTTP \(status) \(response.status.reasonPhrase)")
            }
            return LabGuestHTTPAnswer(status: status, body: body, headers: headers, failure: nil)
        } catch {
            return LabGuestHTTPAnswer(status: nil, body: [], headers: [], failure: "\(error)")
        }
    }

    /// The URL as status lines show it: the job token's value is not repeated.
    static func shown(_ url: String) -> String { LabIPXELoad.redacted(url) }
}
