import AsyncHTTPClient
import Foundation

/// The image loads of an iPXE script: every `kernel` and `initrd` (and their
/// aliases `imgexec`/`imgfetch`/`module`) with the URL it names.
public struct LabIPXELoad: Sendable, Equatable {
    public var command: String
    public var url: String

    public init(command: String, url: String) {
        self.command = command
        self.url = url
    }

    /// The loads in script order. Options (`--name x`) are skipped; the first
    /// other word is the URL; `||` / `&&` end the command.
    public static func loads(in script: String) -> [LabIPXELoad] {
        let commands: Set<String> = ["kernel", "initrd", "imgexec", "imgfetch", "module"]
        var found: [LabIPXELoad] = []
        for line in script.split(whereSeparator: \.isNewline) {
            var words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if let end = words.firstIndex(where: { $0 == "||" || $0 == "&&" }) { words.removeSubrange(end...) }
            guard let command = words.first, commands.contains(command) else { continue }
            var rest = words.dropFirst()
            while let word = rest.first, word.hasPrefix("-") {
                rest = rest.dropFirst()
                // `--name x` takes a value; `--name=x` and `-a` flags do not.
                if word.hasPrefix("--"), !word.contains("="), word != "--autofree", word != "--replace", word != "--timeout" {
                    rest = rest.dropFirst()
                }
            }
            if let url = rest.first { found.append(LabIPXELoad(command: command, url: url)) }
        }
        return found
    }

    /// Whether the script's `:failed` label (where `|| goto failed` jumps) leads to a `reboot`.
    public static func failureReboots(_ script: String) -> Bool {
        let lines = script.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let label = lines.firstIndex(of: ":failed") else { return false }
        return lines[(label + 1)...].contains { $0.split(separator: " ").first == "reboot" }
    }

    /// The URL as status lines show it: the job token's value is not repeated.
    public var shownURL: String { Self.redacted(url) }

    static func redacted(_ url: String) -> String {
        guard let range = url.range(of: "token=") else { return url }
        let end = url[range.upperBound...].firstIndex(where: { $0 == "&" || $0 == "#" }) ?? url.endIndex
        return url.replacingCharacters(in: range.upperBound..<end, with: "…")
    }
}

extension LabGuestSimulator {
    /// How much of each image the simulated loader reads: enough to prove the
    /// file is served. wimboot itself reads boot.wim in pieces by range.
    static let ipxeReadLimit = 64 * 1024

    /// Runs the image loads of a script the way iPXE does, in order, each an
    /// HTTP GET (ranged to the first bytes). The first load that fails ends
    /// the script's happy path: as with `|| goto failed`, the guest goes to
    /// the `:failed` branch, where Vizor's script waits and reboots; the
    /// activity names the URL and the answer meanwhile. Returns whether every
    /// load succeeded.
    func ipxeLoad(_ key: String, script: String) async throws -> Bool {
        for load in LabIPXELoad.loads(in: script) {
            setActivity(key, "iPXE: \(load.command) \(load.shownURL)")
            let outcome = await Self.fetch(load.url)
            try Task.checkCancellation()
            tracked[key]?.fetches.append("\(outcome.status.map(String.init) ?? "error") \(load.shownURL)")
            if let failure = outcome.failure {
                setActivity(key, "iPXE: \(load.command) \(load.shownURL) failed: \(failure); boot failed, waiting in the script's :failed branch")
                return false
            }
        }
        return true
    }

    /// One GET with a 15 s deadline; a status other than 200/206, a refused
    /// connection or the deadline is a failure.
    static func fetch(_ url: String) async -> (status: Int?, failure: String?) {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        request.headers.add(name: "Range", value: "bytes=0-\(ipxeReadLimit - 1)")
        request.headers.add(name: "User-Agent", value: "iPXE/1.21.1 (lab simulation)")
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(15))
            var read = 0
            for try await chunk in response.body {
                read += chunk.readableBytes
                if read >= ipxeReadLimit { break }
            }
            let status = Int(response.status.code)
            guard status == 200 || status == 206 else { return (status, "HTTP \(status) \(response.status.reasonPhrase)") }
            return (status, nil)
        } catch {
            return (nil, "\(error)")
        }
    }
}
