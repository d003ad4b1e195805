import Foundation
import Testing
import VizorLab

struct OptionsTests {
    @Test func paceSpreadsAnInstallDurationOverTheDefaultPlansWeight() {
        let standard = LabSimulationPace.standard.unit * LabSimulationPace.defaultInstallWeight
        #expect(standard > .milliseconds(59_990) && standard <= .seconds(60))
        #expect(LabSimulationPace.install(taking: .milliseconds(4300)).unit == .milliseconds(100))
        #expect(LabSimulationPace.fastest.unit < LabSimulationPace.standard.unit)
    }

    @Test func hangPointsParseAsTheCommandLineWritesThem() {
        #expect(LabGuestHangPoint(parsing: "winpe") == .winpe)
        #expect(LabGuestHangPoint(parsing: "setup") == .setup)
        #expect(LabGuestHangPoint(parsing: "step:guest-tools") == .step("guest-tools"))
        #expect(LabGuestHangPoint(parsing: "step:") == nil)
        #expect(LabGuestHangPoint(parsing: "reboot") == nil)
    }

    @Test func aSuiteStartedWithoutSimulationHasNoSimulatorAndTheSameAnnouncement() async throws {
        let suite = try await LabSuite.start(simulation: nil)
        #expect(suite.simulator == nil)
        let line = suite.announcementLine()
        await suite.stop()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["razor", "xenserver", "cloudstack"])
    }
}
