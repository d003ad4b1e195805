import BackendKit
import Foundation

/// Reading a node's log incrementally. Razor sends it newest first and pages
/// it with `start`/`limit` counted from the newest entry, without a total.
/// Vizor keeps the number of entries read (the cursor) and never re-reads
/// the log: one small probe per poll when nothing is new, a few one-entry
/// probes to count what is new, then one page with exactly the new entries.
extension RazorClient {
    /// Entries after `cursor`, oldest first, and the cursor to use next time.
    public func readLog(node: String, after cursor: NodeLogCursor) async throws -> (entries: [NodeLogEntry], cursor: NodeLogCursor) {
        let logURL = try await collectionURL("nodes").url + "/" + Self.escape(node) + "/log"
        let seen = max(0, cursor.seen)
        for _ in 0..<5 {
            // Entries at newest-first positions seen-1 and seen: the newest one
            // already read and, if there is one, the oldest new one.
            let probeStart = max(0, seen - 1)
            let probe = try await logItems(logURL, start: probeStart, limit: seen == 0 ? 1 : 2)
            let hasNew = seen == 0 ? !probe.isEmpty : probe.count == 2
            if seen > 0, probe.isEmpty {
                throw BackendError(.conflict, backend: razorBackendName,
                                   message: "the log of \(node) has fewer entries than the \(seen) already read",
                                   hint: "the node was deleted or re-created in Razor; start following it again")
            }
            if !hasNew { return ([], NodeLogCursor(seen: seen)) }
            // Count: smallest newest-first position that is empty = total.
            var low = seen + 1, step = 1, high = 0
            while true {
                let position = seen + step
                if try await logItems(logURL, start: position, limit: 1).isEmpty { high = position; break }
                low = position + 1
                step *= 2
            }
            while low < high {
                let middle = (low + high) / 2
                if try await logItems(logURL, start: middle, limit: 1).isEmpty { high = middle } else { low = middle + 1 }
            }
            let total = high
            let fresh = total - seen
            let page = try await logItems(logURL, start: 0, limit: fresh + (seen > 0 ? 1 : 0))
            let stillTotal = try await logItems(logURL, start: total, limit: 1).isEmpty
            guard stillTotal, page.count == fresh + (seen > 0 ? 1 : 0) else { continue }
            if seen > 0, let mark = logMarks[node], mark.seen == seen, page.last?.encoded() != mark.fingerprint { continue }
            let newOnes = Array(page.prefix(fresh))
            if let newest = newOnes.first { logMarks[node] = (total, newest.encoded()) }
            return (try newOnes.reversed().map(RazorDecoding.logEntry), NodeLogCursor(seen: total))
        }
        throw BackendError(.remoteFailure, backend: razorBackendName,
                           message: "the log of \(node) kept changing while it was read", hint: "it is read again on the next poll")
    }

    private func logItems(_ url: String, start: Int, limit: Int) async throws -> [RazorJSON] {
        let document = try await transport.get("\(url)?start=\(start)&limit=\(limit)")
        return try RazorDecoding.items(document, url: url, what: "a log")
    }
}
