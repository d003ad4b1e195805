import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// What a served lab and its home hold after an install: Razor collections,
/// exposure records, a job's journal as `vizor install show --json` prints it.
extension InstallCrashTests.ServedLab {
    typealias CLI = InstallCLITests

    /// Names in a Razor collection (`repos`, `tags`, `policies`, `nodes`), read over the lab's `/api`.
    func razorNames(_ collection: String) throws -> [String] {
        let url = try #require(URL(string: (razor["url"] ?? "") + "/collections/\(collection)"))
        var request = URLRequest(url: url, timeoutInterval: 15)
        if let user = razor["username"], let password = razor["password"] {
            request.setValue("Basic " + Data("\(user):\(password)".utf8).base64EncodedString(), forHTTPHeaderField: "Authorization")
        }
        let answer = Answer()
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: request) { data, response, _ in
            answer.set(data, (response as? HTTPURLResponse)?.statusCode)
            done.signal()
        }.resume()
        guard done.wait(timeout: .now() + 20) == .success else { throw CocoaError(.fileReadUnknown) }
        let (data, status) = answer.value
        #expect(status == 200, "GET \(url) answered \(status.map(String.init) ?? "nothing")")
        let object = data.flatMap { try? JSONSerialization.jsonObject(with: $0) } as? [String: Any]
        return ((object?["items"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }
    }

    /// Exposure records left in the home's state directory (shared by every vizor process).
    func exposures() -> [Any] {
        let file = home.root.appendingPathComponent("state/vizor/exposure/exposures.json")
        return (try? Data(contentsOf: file)).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [Any] } ?? []
    }

    /// `vizor install show <job> --json`: the job and its step attempts.
    func show(_ job: String) throws -> (job: [String: Any], steps: [[String: Any]]) {
        let run = try CLI.run(["install", "show", job, "--json"], home, timeout: 30)
        let object = try #require(CLI.json(run.stdout) as? [String: Any], "\(run.stdout)\n\(run.stderr)")
        return ((object["job"] as? [String: Any]) ?? [:], (object["steps"] as? [[String: Any]]) ?? [])
    }

    /// The job's log as `vizor install logs` prints it.
    func logs(_ job: String) throws -> [String] {
        try CLI.run(["install", "logs", job], home, timeout: 30).stdout.split(separator: "\n").map(String.init)
    }

    /// The newest job whose VM is named `hostname`, polled until it appears.
    func job(hostname: String, timeout: TimeInterval = 60) throws -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let list = try CLI.run(["install", "list", "--json"], home, timeout: 30)
            for job in (CLI.json(list.stdout) as? [[String: Any]]) ?? [] {
                let request = job["request"] as? [String: Any]
                if request?["machineName"] as? String == hostname { return job["id"] as? String }
            }
            usleep(200_000)
        }
        return nil
    }

    /// Nothing of the job left on Razor (repo, tag, policy, its node) nor exposed.
    func expectRazorAndExposureClean(job: String, node: String?, _ context: String) throws {
        for collection in ["repos", "tags", "policies"] {
            let left = try razorNames(collection).filter { $0 == "vizor-\(job)" }
            #expect(left.isEmpty, "\(context): Razor \(collection) left: \(left)")
        }
        if let node {
            #expect(!(try razorNames("nodes")).contains(node), "\(context): Razor node \(node) left")
        }
        #expect(exposures().isEmpty, "\(context): exposures left: \(exposures())")
    }
}

/// Carries a URLSession answer out of its completion handler.
private final class Answer: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?
    private var status: Int?
    func set(_ data: Data?, _ status: Int?) { lock.withLock { (self.data, self.status) = (data, status) } }
    var value: (Data?, Int?) { lock.withLock { (data, status) } }
}
