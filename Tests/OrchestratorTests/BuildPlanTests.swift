import BackendKit
import Foundation
import Testing
@testable import VizorModel
import VizorStore

@Suite("Batch build plans")
struct BuildPlanTests {
    static let plan = """
        name: "{edition}-{locale}-{hypervisor}"
        public: true
        options: {timezone: "W. Europe Standard Time"}
        images:
          - image: w2022
            path: /srv/iso/w2022.iso
            editions:
              - {index: 1, name: Windows Server 2022 Standard}
              - {index: 2, name: Windows Server 2022 Datacenter}
        targets:
          - {site: lab, hypervisor: cloudstack, zone: lab-zone-1, offering: Medium Instance}
          - {site: lab, hypervisor: cloudstack, zone: lab-zone-2, offering: Medium Instance, copy_to_zones: [lab-zone-1]}
        locales: [en-US, fr-FR]
        """

    @Test func aPlanCrossesEditionsTargetsAndLocalesIntoOneJobEach() throws {
        let requests = try BuildPlan.parse(Self.plan).requests()
        #expect(requests.count == 8)
        #expect(Set(requests.map(\.templateName)).count == 4, "names repeat only across zones")
        #expect(requests[0].templateName == "windows-server-2022-standard-en-US-cloudstack")
        #expect(requests[0].options == ["locale": "en-US", "timeZone": "W. Europe Standard Time",
                                        "hostname": "windows-server-2022-standard-en-US-cloudstack"])
        // The OS type comes from the edition through the mapping the wizard and the CLI share.
        #expect(requests.allSatisfy { $0.osTemplate == "Windows Server 2022 (64-bit)" })
        #expect(requests.filter { $0.location == "lab-zone-2" }.allSatisfy { $0.copyToLocations == ["lab-zone-1"] })
        #expect(requests.allSatisfy { $0.makePublic && $0.serviceOffering == "Medium Instance" })
        let rows = BuildReport.rows(requests, jobs: Array(repeating: nil, count: requests.count))
        #expect(rows.count == 8 && rows.allSatisfy { $0[5] == "planned" })
        #expect(requests.allSatisfy { $0.bootISO == "ipxe.iso" })
    }

    @Test func aTargetWithoutBootISOBootsTheConfiguredOne() throws {
        let plan = Self.plan.replacingOccurrences(of: "copy_to_zones: [lab-zone-1]}", with: "boot_iso: other.iso}")
        let requests = try BuildPlan.parse(plan).requests(defaultBootISO: "site-ipxe.iso")
        #expect(requests.filter { $0.location == "lab-zone-1" }.allSatisfy { $0.bootISO == "site-ipxe.iso" })
        #expect(requests.filter { $0.location == "lab-zone-2" }.allSatisfy { $0.bootISO == "other.iso" })
    }

    @Test(arguments: ["images: []\ntargets: []", "images: [{image: x, path: /x.iso, editions: []}]\ntargets: [{site: lab, hypervisor: xenserver}]",
                      "targets: [{site: lab, hypervisor: vmware}]\nimages: [{image: x, path: /x.iso, editions: [{index: 1, name: A}]}]",
                      ": : not yaml ["])
    func aBadPlanIsAClearError(text: String) {
        #expect(throws: BackendError.self) { _ = try BuildPlan.parse(text) }
    }

    @Test func aBatchRunsWithinTheSiteLimitAndReportsEveryJob() async throws {
        var h = try Harness(kind: .cloudstack)
        h.configuration.siteLimits = ["lab": 3]
        let orchestrator = h.orchestrator("batch")
        let requests = try BuildPlan.parse(Self.plan).requests()
        var ids: [String] = []
        for request in requests { ids.append(try await orchestrator.submit(request).id) }
        let all = ids
        let jobs = try await h.pumping(limit: 60) { try await orchestrator.runAll(all) }
        #expect(jobs.count == 8 && jobs.allSatisfy { $0.status == .succeeded })
        let rows = BuildReport.rows(requests, jobs: jobs)
        #expect(rows.allSatisfy { $0[5] == "succeeded" && $0[6].isEmpty })
        h.expectOnlyTemplateLeft(templates: 8)
    }
}
