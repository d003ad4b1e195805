import BackendKit
import Foundation
import LabCloudStack
import Testing
@testable import VizorCloudStack

/// Failures: gateways, hung servers, cut JSON, failing and endless jobs.
/// Each ends in a clear BackendError, without hanging, and leaves no
/// object behind that nobody knows about.
@Suite struct FaultTests {
    @Test func gatewayHTMLPageBecomesATransientError() async throws {
        try await withLab { lab in
            await lab.cloud.injectFaults([.badGateway()])
            let error = await backendError { _ = try await lab.client().listZones() }
            #expect(error?.kind == .unreachable)
            #expect(error?.code == "502")
            #expect(error?.isTransient == true)
            let zones = try await lab.client().listZones()
            #expect(zones.count == 2, "the next request is answered normally")
        }
    }

    @Test func internalServerErrorWithoutEnvelopeIsReported() async throws {
        try await withLab { lab in
            await lab.cloud.injectFaults([LabHTTPFault(status: 500, contentType: "text/plain", body: "boom")])
            let error = await backendError { _ = try await lab.client().listZones() }
            #expect(error?.kind == .remoteFailure)
            #expect(error?.code == "500")
        }
    }

    @Test func malformedJSONIsAProtocolViolation() async throws {
        try await withLab { lab in
            await lab.cloud.injectFaults([.truncatedJSON()])
            let error = await backendError { _ = try await lab.client().listZones() }
            #expect(error?.kind == .protocolViolation)
            #expect(error?.message.contains("malformed JSON") == true)
        }
    }

    @Test func jsonExpectedButHTMLWith200IsAProtocolViolation() async throws {
        try await withLab { lab in
            await lab.cloud.injectFaults([LabHTTPFault(status: 200, contentType: "text/html", body: "<html>login</html>")])
            let error = await backendError { _ = try await lab.client().listZones() }
            #expect(error?.kind == .protocolViolation)
        }
    }

    @Test func hungServerTimesOutWithinTheRequestTimeout() async throws {
        try await withLab { lab in
            await lab.cloud.injectFaults([.stall(.seconds(3))])
            let started = ContinuousClock.now
            let error = await backendError { _ = try await lab.client(requestTimeout: .milliseconds(300)).listZones() }
            #expect(error?.kind == .timeout)
            #expect(ContinuousClock.now - started < .seconds(2))
        }
    }

    @Test func unreachableServerIsReported() async throws {
        let configuration = CloudStackConfiguration(endpoint: URL(string: "http://127.0.0.1:1/client/api")!, apiKey: "k", secretKey: "s",
                                                    requestTimeout: .seconds(2))
        let error = await backendError { _ = try await CloudStackClient(configuration: configuration).listZones() }
        #expect(error?.kind == .unreachable)
    }

    @Test func synchronousParameterErrorsKeepTheirCodes() async throws {
        try await withLab { lab in
            let client = lab.client()
            let missing = await backendError { _ = try await client.submit("deployVirtualMachine", ["zoneid": "x"]) }
            #expect(missing?.kind == .invalidInput)
            #expect(missing?.code == "431/9999")
            #expect(missing?.message.contains("missing parameter serviceofferingid") == true)
            let zone = try await client.listZones()[0]
            let offering = try await client.listServiceOfferings()[0]
            let noHypervisor = await backendError {
                _ = try await client.deployVirtualMachine(.init(zoneID: zone.id, serviceOfferingID: offering.id,
                                                                templateID: lab.cloud.ipxeISOID, name: "x"))
            }
            #expect(noHypervisor?.code == "431/4350")
            let expunge = await backendError { try await client.destroyVirtualMachine(id: "nope", expunge: true) }
            #expect(expunge?.kind == .invalidInput, "an unknown id is a 431 before the expunge check")
            let unknown = await backendError { _ = try await client.call("fooBar") }
            #expect(unknown?.kind == .unauthorized, "unknown commands get 401 under API-key authentication")
        }
    }

    @Test func failingDeployJobReportsTheJobErrorAndRemovesTheVM() async throws {
        try await withLab { lab in
            await lab.cloud.failJobs(of: "deployVirtualMachine", errorCode: 533,
                                     errorText: "Unable to create a deployment for VM[User|i-2-101-VM]", count: 1)
            let hypervisor = lab.hypervisor(admin: true)
            let error = await backendError { _ = try await hypervisor.createContainer(labSpec("doomed")) }
            #expect(error?.kind == .remoteFailure)
            #expect(error?.code == "533")
            #expect(error?.message.contains("Unable to create a deployment") == true)
            #expect(error?.message.contains("was destroyed") == true)
            let left = await lab.cloud.virtualMachines()
            #expect(left.allSatisfy { $0.state == "Expunging" }, "the failed VM is being expunged")
        }
    }

    @Test func failedJobOfAPlainCommandIsReported() async throws {
        try await withLab { lab in
            let hypervisor = lab.hypervisor()
            let vm = try await hypervisor.createContainer(labSpec("stubborn"))
            await lab.cloud.failJobs(of: "startVirtualMachine", errorText: "Unable to start VM on any host")
            let error = await backendError { try await hypervisor.start(machineID: vm.machineID) }
            #expect(error?.kind == .remoteFailure)
            #expect(error?.code == "530")
            #expect(error?.message.contains("Unable to start VM on any host") == true)
            #expect(await lab.cloud.virtualMachine(id: vm.machineID)?.state == "Stopped")
        }
    }

    @Test func jobThatNeverFinishesTimesOutAndTheVMStaysFindable() async throws {
        try await withLab { lab in
            await lab.cloud.setJobDuration(.seconds(3600), for: "deployVirtualMachine")
            let hypervisor = lab.hypervisor(jobTimeout: .milliseconds(500))
            let started = ContinuousClock.now
            let error = await backendError { _ = try await hypervisor.createContainer(labSpec("endless", tags: ["vizor.job": "job-9"])) }
            // Bounded (a 500 ms job limit, then cleanup bookkeeping), never the job's hour.
            #expect(ContinuousClock.now - started < .seconds(20))
            #expect(error?.kind == .timeout)
            let vm = try #require(await lab.cloud.virtualMachines().first)
            #expect(error?.message.contains(vm.id) == true, "the error names the VM")
            #expect(error?.hint?.contains(vm.id) == true)
            // It carries the owner tag, so the job's cleanup finds it.
            let found = try await hypervisor.findMachines(taggedWith: "vizor.job", value: "job-9")
            #expect(found.map(\.id) == [vm.id])
        }
    }

    @Test func pollingBacksOffAndSurvivesAGatewayBlip() async throws {
        try await withLab { lab in
            await lab.cloud.setJobDuration(.milliseconds(1500), for: "deployVirtualMachine")
            let client = lab.client()
            let zone = try await client.listZones()[0]
            let offering = try await client.listServiceOfferings()[0]
            let disk = try await client.listDiskOfferings()[0]
            let ticket = try await client.deployVirtualMachine(.init(zoneID: zone.id, serviceOfferingID: offering.id,
                                                                     templateID: lab.cloud.ipxeISOID, hypervisor: "KVM",
                                                                     diskOfferingID: disk.id, name: "patient"))
            await lab.cloud.injectFaults([.badGateway()])
            let before = client.requestsSent
            let result = try await client.wait(for: ticket)
            #expect(result["virtualmachine"]?["id"]?.string == ticket.entityID)
            // 20 ms growing by 1.5x up to 200 ms: far fewer polls than a fixed 20 ms would make (75).
            #expect(client.requestsSent - before < 20)
        }
    }

    @Test func deployFromAnISOStillDownloadingIsRefusedAt530() async throws {
        try await withLab { lab in
            await lab.cloud.setJobDuration(.seconds(3600), for: "registerIso")
            let client = lab.client()
            let zone = try await client.listZones()[0]
            let iso = try await client.registerIso(name: "slow.iso", url: "http://media.lab/slow.iso", zoneID: zone.id)
            let offering = try await client.listServiceOfferings()[0]
            let disk = try await client.listDiskOfferings()[0]
            let error = await backendError {
                _ = try await client.deployVirtualMachine(.init(zoneID: zone.id, serviceOfferingID: offering.id, templateID: iso.id,
                                                                hypervisor: "KVM", diskOfferingID: disk.id, name: "early"))
            }
            #expect(error?.kind == .remoteFailure)
            #expect(error?.code == "530/4250")
            #expect(error?.message.contains("has not been completely downloaded") == true)
            let vms = await lab.cloud.virtualMachines()
            #expect(vms.isEmpty, "a synchronous refusal creates nothing")
            let waited = await backendError { _ = try await client.waitUntilReady(id: iso.id, isISO: true, timeout: .milliseconds(300)) }
            #expect(waited?.kind == .timeout)
        }
    }

    @Test func cancelledJobStatusIsACancellation() async throws {
        let ticket = CloudStackJobTicket(command: "copyTemplate", jobID: "j1", entityID: nil)
        let error = await backendError {
            _ = try CloudStackClient.outcome(of: .object(["jobstatus": .int(3)]), ticket: ticket)
        }
        #expect(error?.kind == .cancelled)
        let failed = await backendError {
            let job: CSValue = .object(["jobstatus": .int(2), "jobresultcode": .int(530),
                                        "jobresult": .object(["errorcode": .int(431), "errortext": .string("bad")])])
            _ = try CloudStackClient.outcome(of: job, ticket: ticket)
        }
        #expect(failed?.code == "431")
        #expect(try CloudStackClient.outcome(of: .object(["jobstatus": .int(0)]), ticket: ticket) == nil)
    }
}
