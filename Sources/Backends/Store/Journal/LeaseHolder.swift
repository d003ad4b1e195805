import Foundation

/// Who holds a job's lease, as written in the journal: `host/pid/random`.
///
/// A lease lapses on its own when its holder stops renewing it, but waiting
/// for that (tens of seconds) is needless when the holder is provably dead:
/// it ran on this very host and its pid no longer exists (`kill(pid, 0)`
/// answers ESRCH). Anything else — another host, a pid that exists (even if
/// reused by an unrelated process), a permission error, an owner string in
/// another shape — proves nothing, and the lease is left to lapse.
public enum LeaseHolder {
    /// This host's name as `gethostname(2)` reports it (no DNS look-up).
    public static func localHost() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// An owner string for process `pid` on `host`, unique per process start.
    public static func owner(host: String = localHost(), pid: Int32 = getpid(),
                             random: String = String(UUID().uuidString.prefix(8)).lowercased()) -> String {
        "\(host)/\(pid)/\(random)"
    }

    /// The host and pid in an owner string, when it has the `host/pid/random` shape.
    public static func parse(_ owner: String) -> (host: String, pid: Int32)? {
        let parts = owner.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 3, let pid = Int32(parts[parts.count - 2]), pid > 0 else { return nil }
        let host = parts.dropLast(2).joined(separator: "/")
        guard !host.isEmpty else { return nil }
        return (host, pid)
    }

    /// True only when `owner` ran on `host` (this one by default) and its process is gone.
    @Sendable public static func isProvablyDead(_ owner: String) -> Bool {
        isProvablyDead(owner, host: localHost())
    }

    public static func isProvablyDead(_ owner: String, host: String) -> Bool {
        guard let holder = parse(owner), holder.host == host else { return false }
        if kill(holder.pid, 0) == 0 { return isZombie(holder.pid) }
        return errno == ESRCH
    }

    /// A killed process its parent has not reaped yet still answers `kill(pid, 0)`; it renews nothing.
    static func isZombie(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        // `pid (comm) S ...`: the state follows the command name, which may itself contain ')'.
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first == "Z"
    }
}
