import Foundation
import VizorStore

/// "The next vizor command restarts the agent": a job an agent was driving
/// when it died (kill -9, a crash, a reboot) is taken up again by the next
/// command that looks at installs, which starts a new agent. Jobs driven by
/// a `--no-agent` process are that process's, resumed by `vizor install resume`.
enum AgentRevival {
    /// The random part of an agent's lease owner starts with this.
    static let ownerMark = "agent-"

    /// A lease identity that says an agent holds it (`host/pid/agent-xxxxxxxx`).
    static func agentOwner() -> String {
        LeaseHolder.owner(random: ownerMark + String(UUID().uuidString.prefix(8)).lowercased())
    }

    static func isAgent(_ owner: String) -> Bool {
        owner.split(separator: "/").last?.hasPrefix(ownerMark) == true
    }

    /// Unfinished jobs whose last driver was an agent that is gone.
    static func orphans(in journal: InstallJournal, now: Date = Date()) async -> [JournalJob] {
        guard let jobs = try? await journal.jobs(unfinishedOnly: true) else { return [] }
        return jobs.filter { job in
            guard let owner = job.leaseOwner, isAgent(owner) else { return false }
            return !job.isLeased(at: now) || LeaseHolder.isProvablyDead(owner)
        }
    }

    /// Starts an agent when a job needs one; says so on stderr (never on
    /// stdout, which scripts read), and why when none can start.
    static func reviveIfNeeded(_ journal: InstallJournal) async {
        let orphans = await orphans(in: journal)
        guard !orphans.isEmpty else { return }
        let ids = orphans.map(\.id).joined(separator: ", ")
        do {
            _ = try await agentClient()
            FileHandle.standardError.write(Data("vizor: the agent driving \(ids) was gone; a new agent takes the job\(orphans.count == 1 ? "" : "s") up\n".utf8))
        } catch let error as CLIError {
            FileHandle.standardError.write(Data("vizor: job \(ids) has no driver, and no agent could start: \(error.message)\n".utf8))
        } catch {
            FileHandle.standardError.write(Data("vizor: job \(ids) has no driver, and no agent could start: \(error)\n".utf8))
        }
    }
}
