import AsyncHTTPClient
import BackendKit
import Foundation
import LabRazor
import NIOCore
import VizorRazor

/// A lab server for one test, stopped when the body ends (even on failure).
func withLab<T>(auth: LabRazorAuth? = nil, backgroundDelay: TimeInterval = 0.05,
                _ body: (LabRazorServer) async throws -> T) async throws -> T {
    let lab = try await LabRazorServer.start(auth: auth, backgroundDelay: backgroundDelay)
    do {
        let result = try await body(lab)
        await lab.stop()
        return result
    } catch {
        await lab.stop()
        throw error
    }
}

let testAuth = LabRazorAuth(username: "fred", password: "dead")

func makeClient(_ lab: LabRazorServer, username: String? = nil, password: String? = nil,
                requestTimeout: Duration = .seconds(5), commandTimeout: Duration = .seconds(10),
                pageSize: Int = 100) -> RazorClient {
    RazorClient(configuration: RazorConfiguration(
        apiURL: URL(string: lab.endpoint.url)!, username: username ?? lab.endpoint.credentials["username"],
        password: password ?? lab.endpoint.credentials["password"], requestTimeout: requestTimeout,
        commandTimeout: commandTimeout, pollInterval: .milliseconds(20), maxPollInterval: .milliseconds(200),
        pageSize: pageSize))
}

/// Catches the `BackendError` a call throws, or nil when it does not throw one.
func backendError(_ body: () async throws -> Void) async -> BackendError? {
    do {
        try await body()
        return nil
    } catch let error as BackendError {
        return error
    } catch {
        return BackendError(.protocolViolation, backend: "test", message: "unexpected error \(error)")
    }
}

/// Plain HTTP, independent of Vizor's client: what razor-client sends.
struct RawHTTP: Sendable {
    struct Reply: Sendable {
        var status: Int
        var headers: [(String, String)]
        var body: String
        var json: Any? { try? JSONSerialization.jsonObject(with: Data(body.utf8), options: [.fragmentsAllowed]) }
        var object: [String: Any] { json as? [String: Any] ?? [:] }
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    var username: String?
    var password: String?

    func send(_ method: String, _ url: String, body: String? = nil, contentType: String? = "application/json",
              headers: [(String, String)] = []) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = method == "POST" ? .POST : method == "HEAD" ? .HEAD : .GET
        if let username, let password {
            request.headers.add(name: "Authorization", value: "Basic " + Data("\(username):\(password)".utf8).base64EncodedString())
        }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let buffer = try await response.body.collect(upTo: 16 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
                     body: String(buffer: buffer))
    }

    func get(_ url: String) async throws -> Reply { try await send("GET", url) }
    func post(_ url: String, _ body: String) async throws -> Reply { try await send("POST", url, body: body) }
}

/// A typical plan for one Windows job.
func samplePlan(suffix: String = "01", repoURL: String? = "http://127.0.0.1:9/media/w2016") -> ProvisioningPlan {
    ProvisioningPlan(repoName: "w2016-\(suffix)", repoURL: repoURL, taskName: "windows/2016",
                     tagName: "vizor-mac-52-54-00-aa-bb-\(suffix)", mac: "52:54:00:AA:BB:\(suffix)",
                     policyName: "vizor-job-\(suffix)", hostname: "win\(suffix).example.com", rootPassword: "s3cret",
                     metadata: ["productkey": "XXXXX-XXXXX", "win_language": "en-US"])
}

enum VizorHelpers {
    static func provisioningServer(_ lab: LabRazorServer) -> RazorProvisioningServer {
        RazorProvisioningServer(client: makeClient(lab))
    }
}
