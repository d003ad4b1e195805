import Foundation
import Testing

/// The README's configured-site walk-through against a served lab, each
/// step its own `vizor` process: an install is refused while the site lacks
/// the configured boot ISO; `boot-iso publish` puts it on both hypervisors
/// (CloudStack downloads it from Vizor's media server); publishing again
/// changes nothing; `doctor` shows it present, ready and current.
@Suite(.serialized)
struct BootISOEndToEndTests {
    typealias CLI = InstallCLITests

    @Test func aConfiguredSiteGetsItsBootISOOnceAndDoctorSeesIt() throws {
        let lab = try InstallCrashTests.ServedLab(pace: 3)
        defer { lab.stop() }
        let config = lab.home.root.appendingPathComponent("config/vizor/config.yaml")
        let text = try String(contentsOf: config, encoding: .utf8)
        try (text + "boot_iso:\n  name: vizor-ipxe.iso\n").write(to: config, atomically: true, encoding: .utf8)

        let refused = try CLI.run(CLI.startXen + ["--hostname", "boot1"], lab.home, timeout: 60)
        #expect(refused.status == 3, "\(refused.stdout)\n\(refused.stderr)")
        #expect(refused.stderr.contains("the boot ISO vizor-ipxe.iso is not on lab (xenserver)")
                && refused.stderr.contains("vizor boot-iso publish --site lab"), "\(refused.stderr)")

        let published = try CLI.run(["boot-iso", "publish", "--json"], lab.home, timeout: 120)
        #expect(published.status == 0, "\(published.stdout)\n\(published.stderr)")
        let first = try #require(CLI.json(published.stdout) as? [[String: Any]], "\(published.stdout)")
        #expect(first.map { $0["backend"] as? String } == ["xenserver", "cloudstack"])
        #expect(first.allSatisfy { $0["action"] as? String == "published" && $0["ready"] as? Bool == true && $0["current"] as? Bool == true })

        let again = try CLI.run(["boot-iso", "publish", "--json"], lab.home, timeout: 120)
        #expect(again.status == 0, "\(again.stderr)")
        let second = try #require(CLI.json(again.stdout) as? [[String: Any]], "\(again.stdout)")
        #expect(second.allSatisfy { $0["action"] as? String == "unchanged" }, "\(again.stdout)")

        let doctor = try CLI.run(["doctor", "--json"], lab.home, timeout: 120)
        let checks = try #require(CLI.json(doctor.stdout) as? [[String: Any]], "\(doctor.stdout)")
        let boot = checks.filter { $0["backend"] as? String == "boot-iso" }
        #expect(boot.compactMap { $0["target"] as? String }.sorted() == ["cloudstack: vizor-ipxe.iso", "xenserver: vizor-ipxe.iso"])
        #expect(boot.allSatisfy { $0["ok"] as? Bool == true && ($0["detail"] as? String)?.contains("checksum matches") == true },
                "\(boot)")
    }
}
