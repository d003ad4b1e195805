import BackendKit
import Foundation
import Testing
import VizorModel

/// A notification when an install job ends, as model state: produced by the
/// reducer from the journal-fed job updates, whichever process drove the job.
@Suite("Job notifications")
struct JobNotificationTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func job(_ id: String, _ phase: InstallPhase, error: String? = nil, template: Bool = false) -> InstallJob {
        InstallJob(id: id, site: "lab", machineName: "vm-\(id)", imageID: "img", editionIndex: 1, makeTemplate: template,
                   phase: phase, error: error)
    }

    @Test func aRunningJobThatSucceedsFailsOrIsCancelledNotifiesOnceWithItsOutcome() {
        var state = AppState(now: t0)
        for id in ["a", "b", "c"] { _ = reduce(&state, .installUpdated(job(id, .installing))) }
        #expect(state.notifications.isEmpty)
        _ = reduce(&state, .tick(t0.addingTimeInterval(60)))
        _ = reduce(&state, .installUpdated(job("a", .done, template: true)))
        _ = reduce(&state, .installUpdated(job("b", .failed, error: "Razor: no node checked in")))
        _ = reduce(&state, .installUpdated(job("c", .cancelled)))
        // A further update of a finished job (log lines, progress) does not notify again.
        _ = reduce(&state, .installUpdated(job("a", .done, template: true)))

        #expect(state.notifications.map(\.job) == [JobNotice(jobID: "a", outcome: .succeeded),
                                                   JobNotice(jobID: "b", outcome: .failed),
                                                   JobNotice(jobID: "c", outcome: .cancelled)])
        #expect(state.notifications.map(\.level) == [.info, .error, .warning])
        #expect(state.notifications[0].text == "install of vm-a succeeded: template ready (job a)")
        #expect(state.notifications[1].text == "install of vm-b failed (job b): Razor: no node checked in")
        #expect(state.notifications[2].text == "install of vm-c was cancelled (job c)")
        #expect(state.notifications.allSatisfy { $0.time == t0.addingTimeInterval(60) && !$0.acknowledged })
        #expect(state.unacknowledgedJobNotifications.count == 3)
    }

    @Test func jobsFirstSeenFinishedAreHistoryAndStayQuiet() {
        var state = AppState(now: t0)
        _ = reduce(&state, .installUpdated(job("old", .done)))
        _ = reduce(&state, .installUpdated(job("older", .failed, error: "x")))
        #expect(state.notifications.isEmpty)
        // Queued to running is no ending either.
        _ = reduce(&state, .installUpdated(job("new", .queued)))
        _ = reduce(&state, .installUpdated(job("new", .exposingMedia)))
        #expect(state.notifications.isEmpty)
    }

    @Test func acknowledgingMarksEveryNotificationSeenAndKeepsThem() {
        var state = AppState(now: t0)
        _ = reduce(&state, .installUpdated(job("a", .installing)))
        _ = reduce(&state, .installUpdated(job("a", .failed, error: "boom")))
        _ = reduce(&state, .machineCommand(site: "lab", machineID: "ghost", .start))
        #expect(state.notifications.count == 2 && state.unacknowledgedJobNotifications.count == 1)
        let effects = reduce(&state, .acknowledgeNotifications)
        #expect(effects.isEmpty)
        #expect(state.notifications.count == 2 && state.notifications.allSatisfy(\.acknowledged))
        #expect(state.unacknowledgedJobNotifications.isEmpty)
        // A later ending is new again.
        _ = reduce(&state, .installUpdated(job("b", .installing)))
        _ = reduce(&state, .installUpdated(job("b", .done)))
        #expect(state.unacknowledgedJobNotifications.map(\.job?.jobID) == ["b"])
    }
}
