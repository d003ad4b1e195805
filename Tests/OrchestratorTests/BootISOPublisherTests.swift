import BackendKit
import Foundation
import Testing
import VizorLab
import VizorModel
import VizorProvisioning

/// `vizor boot-iso publish` against the whole lab: the seeded `ipxe.iso`
/// (registered by hand, no checksum) is refused until `--replace`; after
/// that, publishing again changes nothing, and the status `doctor` shows
/// says ready and current on CloudStack and XenServer.
@Suite(.serialized) struct BootISOPublisherTests {
    @Test func publishIsRefusedOverAForeignCopyThenReplacesItThenChangesNothing() async throws {
        let suite = try await LabSuite.start(simulation: .fastest)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-bootiso-\(UUID().uuidString.prefix(8))")
        let serving = InstallServing(configuration: InstallServingConfiguration(exposure: nil, stateDirectory: dir))
        do {
            let connected = SiteWiring.lab(suite, redactor: Redactor())
            let site = try #require(connected.sites.first)
            let image = try await BootISOBuilder(inputs: .debian, script: BootISOScript(razorService: "http://10.0.2.2:8150/svc", site: "lab"))
                .build(output: dir.appendingPathComponent("ipxe.iso"), scratch: dir)

            let before = try await BootISOPublisher.status(connected, site: site, name: "ipxe.iso", expectedSHA256: image.sha256)
            #expect(before.map(\.backend) == ["xenserver", "cloudstack"])
            #expect(before.allSatisfy { $0.present && $0.ready && !$0.current })

            let refused = try await BootISOPublisher.publish(image, name: "ipxe.iso", site: site, connected: connected,
                                                            serving: serving, replace: false)
            #expect(refused.allSatisfy { $0.error?.kind == .conflict && $0.error?.hint?.contains("--replace") == true })
            #expect(refused.allSatisfy { $0.summary.contains("no checksum recorded") })

            let replaced = try await BootISOPublisher.publish(image, name: "ipxe.iso", site: site, connected: connected,
                                                             serving: serving, replace: true)
            let cloudstack = try #require(replaced.first { $0.backend == "cloudstack" })
            #expect(cloudstack.action == "replaced" && cloudstack.error == nil)
            #expect(cloudstack.ready && cloudstack.current && cloudstack.copies.count == 2)
            let xen = try #require(replaced.first { $0.backend == "xenserver" })
            #expect(xen.action == "replaced" && xen.error == nil)
            #expect(xen.ready && xen.current && xen.copies.map(\.location) == ["ISO library"])

            let again = try await BootISOPublisher.publish(image, name: "ipxe.iso", site: site, connected: connected,
                                                          serving: serving, replace: false)
            #expect(again.map(\.action) == ["unchanged", "unchanged"])
            let after = try await BootISOPublisher.status(connected, site: site, name: "ipxe.iso", expectedSHA256: image.sha256)
            #expect(after.allSatisfy { $0.current })
            // Another Razor URL is another ISO: the published one is outdated again.
            let stale = try await BootISOPublisher.status(connected, site: site, name: "ipxe.iso", expectedSHA256: String(repeating: "0", count: 64))
            #expect(stale.first { $0.backend == "cloudstack" }?.summary.contains("checksum differs") == true)

            // What `vizor doctor` shows, per hypervisor.
            let checks = await Doctor.bootISOChecks(connected, name: "ipxe.iso", expected: ["lab": image.sha256])
            #expect(checks.map(\.target) == ["xenserver: ipxe.iso", "cloudstack: ipxe.iso"])
            #expect(checks.allSatisfy { $0.ok && $0.backend == "boot-iso" && $0.site == "lab" && $0.detail.contains("checksum matches") })
            let outdated = await Doctor.bootISOChecks(connected, name: "ipxe.iso", expected: ["lab": String(repeating: "0", count: 64)])
            #expect(outdated.allSatisfy { !$0.ok && $0.hint == "run `vizor boot-iso publish --site lab --replace`" })
            let missing = await Doctor.bootISOChecks(connected, name: "nope.iso", expected: ["lab": image.sha256])
            #expect(missing.count == 2 && missing.allSatisfy { !$0.ok && $0.detail == "nope.iso is missing" })
            #expect(missing.allSatisfy { $0.hint == "run `vizor boot-iso publish --site lab`" && $0.errorKind == "notFound" })
        } catch {
            await serving.stop()
            await suite.stop()
            try? FileManager.default.removeItem(at: dir)
            throw error
        }
        await serving.stop()
        await suite.stop()
        try? FileManager.default.removeItem(at: dir)
    }
}
