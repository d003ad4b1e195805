import BackendKit
import Foundation
import LabCloudStack
import Testing
import VizorCloudStack

/// Vizor's client against the lab server over loopback HTTP.
@Suite struct ClientLabTests {
    @Test func catalogueListingsReturnTheLabsObjects() async throws {
        try await withLab { lab in
            let client = lab.client()
            let zones = try await client.listZones()
            #expect(zones.map(\.name) == ["lab-zone-1", "lab-zone-2"])
            #expect(zones.allSatisfy { $0.networkType == "Advanced" && $0.allocationState == "Enabled" })
            #expect(try await lab.hypervisor().listLocations() == ["lab-zone-1", "lab-zone-2"], "enabled zones are the wizard's choices")
            #expect(try await client.listServiceOfferings().contains { $0.name == "Medium Instance" && $0.cpuNumber == 2 && $0.memoryMiB == 4096 })
            #expect(try await client.listDiskOfferings().contains { $0.isCustomized })
            #expect(try await client.listNetworks(zoneID: zones[0].id).map(\.name) == ["lab-net-1"])
            #expect(try await client.listOsTypes().contains { $0.description == "Windows Server 2022 (64-bit)" })
            #expect(try await client.listHypervisors(zoneID: zones[0].id) == ["KVM"])
            let isos = try await client.listIsos(filter: .executable, zoneID: zones[0].id)
            #expect(Set(isos.map(\.name)) == ["ipxe.iso", "guest-tools.iso"])
            #expect(try await client.listTemplates(filter: .featured).count == 2, "one row per zone")
            #expect(try await client.listTemplates(filter: .self).isEmpty, "the user owns nothing yet")
        }
    }

    @Test func theLabCountsTheRequestsItAnswered() async throws {
        try await withLab { lab in
            let before = lab.requests.total
            _ = try await lab.client().listZones()
            _ = try await lab.client().listServiceOfferings()
            #expect(lab.requests.total == before + 2)
            #expect(lab.requests.byPrefix["/client"] == before + 2)
        }
    }

    @Test func wrongSecretIsRefusedAsUnauthorized() async throws {
        try await withLab { lab in
            let error = await backendError { _ = try await lab.client(secret: "not-the-secret").listZones() }
            #expect(error?.kind == .unauthorized)
            #expect(error?.code == "401")
        }
    }

    @Test func expiredVersion3RequestIsRefused() async throws {
        try await withLab { lab in
            var configuration = lab.configuration()
            configuration.expiresAfter = .seconds(-60)
            let error = await backendError { _ = try await CloudStackClient(configuration: configuration).listZones() }
            #expect(error?.kind == .unauthorized)
        }
    }

    @Test func signatureVersion2AndFormPOSTAreAccepted() async throws {
        try await withLab { lab in
            var configuration = lab.configuration()
            configuration.useSignatureVersion3 = false
            let client = CloudStackClient(configuration: configuration)
            #expect(try await client.call("listZones", forcePOST: true)["count"]?.int == 2)
            // A value with every awkward character survives signing and the query string.
            let answer = try await client.call("listVirtualMachines", ["name": "a b*c~d+e/f=é&x"])
            #expect(answer == .object([:]))
        }
    }

    @Test func largeParametersGoAsPOST() async throws {
        try await withLab { lab in
            let client = lab.client()
            let long = String(repeating: "x", count: 5000)
            let answer = try await client.call("listVirtualMachines", ["keyword": long])
            #expect(answer == .object([:]))
            #expect(client.requestsSent == 1)
        }
    }

    @Test func pagingFetchesEveryRowAndStopsAtTheEnd() async throws {
        try await withLab { lab in
            await lab.cloud.addVirtualMachines(count: 23)
            let client = lab.client(admin: true, pageSize: 5)
            let vms = try await client.listVirtualMachines()
            #expect(vms.count == 23)
            #expect(Set(vms.map(\.id)).count == 23)
            #expect(client.requestsSent == 5)
            // The raw envelopes: a page past the end has count and no list; no match is {}.
            let past = try await client.call("listVirtualMachines", ["listall": "true", "page": "9", "pagesize": "5"])
            #expect(past == .object(["count": .int(23)]))
            let none = try await client.call("listVirtualMachines", ["listall": "true", "name": "no-such-vm"])
            #expect(none == .object([:]))
        }
    }

    @Test func pageSizeAbove500IsAParameterError() async throws {
        try await withLab { lab in
            let error = await backendError { _ = try await lab.client().call("listZones", ["page": "1", "pagesize": "501"]) }
            #expect(error?.kind == .invalidInput)
            #expect(error?.code == "431/9999")
            #expect(error?.message.contains("500") == true)
        }
    }

    @Test func createContainerDeploysStoppedFromTheIPXEISOAndReportsTheMAC() async throws {
        try await withLab { lab in
            let hypervisor = lab.hypervisor()
            let created = try await hypervisor.createContainer(labSpec("win-build-1"))
            let labVM = try #require(await lab.cloud.virtualMachine(id: created.machineID))
            #expect(labVM.state == "Stopped")
            #expect(labVM.macAddresses == [created.mac])
            #expect(labVM.isoID == lab.cloud.ipxeISOID)
            #expect(labVM.tags == ["vizor.job": "job-1"])
            #expect(await lab.cloud.virtualMachine(macAddress: created.mac.uppercased())?.id == created.machineID)
            let found = try await hypervisor.findMachines(taggedWith: "vizor.job", value: "job-1")
            #expect(found.map(\.id) == [created.machineID])
            #expect(found.first?.powerState == .halted)
            #expect(found.first?.macAddresses == [created.mac])
        }
    }

    @Test func vmLifecycleAndCDSwapThroughTheHypervisor() async throws {
        try await withLab { lab in
            let hypervisor = lab.hypervisor()
            let vm = try await hypervisor.createContainer(labSpec("lifecycle"))
            try await hypervisor.start(machineID: vm.machineID)
            #expect(await lab.cloud.virtualMachine(id: vm.machineID)?.state == "Running")
            try await hypervisor.reboot(machineID: vm.machineID)
            #expect(await lab.cloud.virtualMachine(id: vm.machineID)?.bootCount == 2)
            try await hypervisor.insertCD(machineID: vm.machineID, iso: "guest-tools.iso")
            #expect(await lab.cloud.virtualMachine(id: vm.machineID)?.isoID == lab.cloud.guestToolsISOID)
            try await hypervisor.ejectCD(machineID: vm.machineID)
            #expect(await lab.cloud.virtualMachine(id: vm.machineID)?.isoID == nil)
            try await hypervisor.stop(machineID: vm.machineID, force: true)
            #expect(await lab.cloud.virtualMachine(id: vm.machineID)?.state == "Stopped")
            // A user may not expunge: destroy falls back to a plain destroy.
            let userHypervisor = CloudStackHypervisor(configuration: lab.configuration(), options: .init(expungeOnDestroy: true))
            try await userHypervisor.destroy(machineID: vm.machineID)
            #expect(await lab.cloud.virtualMachine(id: vm.machineID)?.state == "Destroyed")
            #expect(try await hypervisor.listMachines().isEmpty, "users do not see destroyed VMs")
        }
    }

    @Test func guestPowerOffThenTemplatePublishCopyAndDelete() async throws {
        try await withLab { lab in
            let hypervisor = lab.hypervisor()
            let vm = try await hypervisor.createContainer(labSpec("tmpl-src"))
            try await hypervisor.start(machineID: vm.machineID)
            let early = await backendError {
                _ = try await hypervisor.convertToTemplate(machineID: vm.machineID, request: TemplateRequest(name: "too-early"))
            }
            #expect(early?.kind == .conflict)
            try await lab.cloud.guestPoweredOff(vmID: vm.machineID)
            let template = try await hypervisor.convertToTemplate(
                machineID: vm.machineID,
                request: TemplateRequest(name: "Win2022-gold", osType: "Windows Server 2022 (64-bit)", copyToLocations: ["lab-zone-2"],
                                         ownerTags: ["vizor.job": "job-1"]))
            #expect(template.isReady)
            #expect(template.osType == "Windows Server 2022 (64-bit)")
            let client = lab.client()
            let rows = try await client.listTemplates(filter: .self, id: template.id)
            #expect(Set(rows.map(\.zoneName)) == ["lab-zone-1", "lab-zone-2"])
            #expect(rows.allSatisfy { $0.tags == ["vizor.job": "job-1"] })
            #expect(try await client.listTemplates(filter: .featured).allSatisfy { $0.id != template.id })
            try await hypervisor.setPublished(templateID: template.id, isPublic: true, featured: true)
            #expect(try await client.listTemplates(filter: .featured).contains { $0.id == template.id })
            let renamed = try await client.updateTemplate(id: template.id, displayText: "Gold image")
            #expect(renamed.displayText == "Gold image")
            try await hypervisor.deleteTemplate(templateID: template.id)
            #expect(try await client.listTemplates(filter: .self).isEmpty)
        }
    }

    @Test func createdTemplateIsUnreadyUnderSelfUntilItsJobEnds() async throws {
        try await withLab { lab in
            let hypervisor = lab.hypervisor()
            let vm = try await hypervisor.createContainer(labSpec("slow-template"))
            await lab.cloud.setJobDuration(.milliseconds(600), for: "createTemplate")
            let client = lab.client()
            let volume = try #require(try await client.listVolumes(virtualMachineID: vm.machineID).first)
            let osType = try #require(try await client.listOsTypes(description: "Windows 10 (64-bit)").first)
            let ticket = try await client.createTemplate(.init(name: "t1", osTypeID: osType.id, volumeID: volume.id))
            let pending = try await client.listTemplates(filter: .self, id: ticket.entityID)
            #expect(pending.first?.isReady == false)
            #expect(try await client.listTemplates(filter: .selfexecutable).isEmpty)
            _ = try await client.wait(for: ticket)
            #expect(try await client.listTemplates(filter: .selfexecutable).map(\.id) == [ticket.entityID])
        }
    }

    @Test func registerIsoBecomesReadyAfterItsDownload() async throws {
        try await withLab { lab in
            await lab.cloud.setJobDuration(.milliseconds(300), for: "registerIso")
            let client = lab.client()
            let zone = try await client.listZones()[0]
            let iso = try await client.registerIso(name: "custom-ipxe.iso", url: "http://media.lab/ipxe.iso", zoneID: zone.id)
            #expect(!iso.isReady)
            let ready = try await client.waitUntilReady(id: iso.id, isISO: true, timeout: .seconds(5))
            #expect(ready.isReady)
            #expect(ready.status == "Successfully Installed")
        }
    }

    @Test func changesStreamStartsWithASnapshotThenReportsPolledChanges() async throws {
        try await withLab { lab in
            let hypervisor = lab.hypervisor(pollInterval: .milliseconds(100))
            let created = try await hypervisor.createContainer(labSpec("watched"))
            var iterator = hypervisor.changes().makeAsyncIterator()
            guard case .snapshot(let machines, _) = try await iterator.next() else {
                Issue.record("first event is not a snapshot")
                return
            }
            #expect(machines.map(\.id) == [created.machineID])
            try await hypervisor.start(machineID: created.machineID)
            var sawRunning = false
            for _ in 0..<10 {
                if case .machineUpdated(let record) = try await iterator.next(), record.powerState == .running { sawRunning = true; break }
            }
            #expect(sawRunning)
        }
    }

    @Test func templateFiltersFollowTheServersRules() async throws {
        try await withLab { lab in
            let user = lab.client(), admin = lab.client(admin: true)
            #expect(try await user.listTemplates(filter: .featured).map(\.id) == [lab.cloud.builtinTemplateID, lab.cloud.builtinTemplateID])
            #expect(try await user.listTemplates(filter: .community).map(\.id) == [lab.cloud.communityTemplateID])
            #expect(try await user.listTemplates(filter: .sharedexecutable).map(\.id) == [lab.cloud.sharedTemplateID])
            #expect(try await user.listTemplates(filter: .executable).count == 4, "public rows per zone, plus the shared one")
            #expect(try await admin.listTemplates(filter: .all).count == 4)
            #expect(try await admin.listTemplates(filter: .self).count == 2, "the admin owns the community and the shared template")
            let refused = await backendError { _ = try await user.listTemplates(filter: .all) }
            #expect(refused?.code == "431/4350")
            // A user's template shared with the admin shows under the admin's sharedexecutable.
            let hypervisor = lab.hypervisor()
            let vm = try await hypervisor.createContainer(labSpec("share-src"))
            let template = try await hypervisor.convertToTemplate(machineID: vm.machineID,
                                                                  request: TemplateRequest(name: "shared", osType: "Other (64-bit)"))
            #expect(try await admin.listTemplates(filter: .sharedexecutable).isEmpty)
            try await user.updateTemplatePermissions(id: template.id, addAccounts: ["admin"])
            #expect(try await admin.listTemplates(filter: .sharedexecutable).map(\.id) == [template.id])
            try await user.updateTemplatePermissions(id: template.id, isPublic: true)
            #expect(try await user.listTemplates(filter: .community).map(\.id) == [lab.cloud.communityTemplateID, template.id])
            let byName = try await user.listTemplates(filter: .self, name: "share")
            #expect(byName.isEmpty, "the template name filter is an exact match")
            let tags = try await user.listTags(resourceType: "UserVm", key: "vizor.job")
            #expect(tags.map(\.resourceID) == [vm.machineID])
        }
    }

    @Test func asyncJobsAreListedWithTheirOutcome() async throws {
        try await withLab { lab in
            let hypervisor = lab.hypervisor()
            _ = try await hypervisor.createContainer(labSpec("jobs", tags: [:]))
            let jobs = try await lab.client().listAsyncJobs()
            #expect(jobs.count == 1)
            #expect(jobs.first?.status == 1)
            #expect(jobs.first?.instanceType == "VirtualMachine")
            #expect(jobs.first?.command.hasSuffix("DeployVMCmd") == true)
        }
    }
}
