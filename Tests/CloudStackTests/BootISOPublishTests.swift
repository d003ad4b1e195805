import BackendKit
import Foundation
import LabCloudStack
import Testing
import TestSupport
import VizorCloudStack

/// The boot ISO on the lab CloudStack, with the calls the real product takes:
/// - `registerIso` (RegisterIsoCmd, api/.../command/user/iso/RegisterIsoCmd.java)
///   is synchronous and list-shaped; `zoneid=-1` registers it in every zone;
///   `checksum` is "{<algorithm>}<hex>" or plain hex for MD5 (the parameter's
///   description in RegisterIsoCmd / RegisterTemplateCmd);
/// - the TemplateResponse (api/.../response/TemplateResponse.java) carries
///   the registered `checksum`, one row per zone, `isready` once secondary
///   storage has it;
/// - secondary storage downloads the URL and checks the bytes against the
///   checksum before the ISO is ready; the lab fetches loopback URLs only;
/// - `deleteIso` (DeleteIsoCmd) is asynchronous, and refused while a VM has
///   the ISO attached (TemplateManagerImpl.deleteIso checks the VMs using it).
@Suite struct BootISOPublishTests {
    static let sha = String(repeating: "ab", count: 32)

    func upload(_ sha: String = sha) -> BootISOUpload {
        BootISOUpload(name: "vizor-ipxe.iso", sha256: sha, bytes: 3_137_536, path: "/nonexistent",
                      url: "http://10.0.0.5:8080/artefacts/boot-iso-lab/vizor-ipxe.iso?token=t0ken")
    }

    @Test func registersInEveryZoneWithItsChecksumAndWaitsUntilReady() async throws {
        try await withLab { lab in
            await lab.cloud.setJobDuration(.milliseconds(300), for: "registerIso")
            let hypervisor = lab.hypervisor()
            #expect(try await hypervisor.bootISOCopies(name: "vizor-ipxe.iso").isEmpty)
            let copies = try await hypervisor.publishBootISO(upload(), removing: [])
            #expect(copies.map(\.location) == ["lab-zone-1", "lab-zone-2"])
            #expect(copies.allSatisfy { $0.ready && $0.sha256 == Self.sha && $0.status == "Successfully Installed" })
            // As another client sees it.
            let rows = try await lab.client().listIsos(filter: .self, name: "vizor-ipxe.iso")
            #expect(rows.count == 2)
            #expect(rows.allSatisfy { $0.checksum == "{SHA-256}" + Self.sha && $0.bootable && $0.osTypeName == "Other (64-bit)" })
            #expect(try await hypervisor.bootISOCopies(name: "vizor-ipxe.iso") == copies)
        }
    }

    /// Secondary storage downloads the URL before the ISO is ready: a URL
    /// nothing answers leaves it failed, and the wait says so.
    @Test func anISOWhoseURLCannotBeDownloadedFailsInsteadOfBecomingReady() async throws {
        try await withLab { lab in
            var bad = upload()
            bad.url = "http://127.0.0.1:\(closedLoopbackPort())/artefacts/boot-iso-lab/vizor-ipxe.iso?token=t"
            do {
                _ = try await lab.hypervisor().publishBootISO(bad, removing: [])
                Issue.record("an ISO nobody serves became ready")
            } catch let error as BackendError {
                #expect(error.kind == .remoteFailure, "\(error)")
                #expect(error.message.contains("will not become ready") && error.message.contains("Unable to download"), "\(error)")
            }
        }
    }

    @Test func aReplacementDeletesTheOutdatedCopyFirst() async throws {
        try await withLab { lab in
            let hypervisor = lab.hypervisor()
            let old = try await hypervisor.publishBootISO(upload(), removing: [])
            let newSHA = String(repeating: "cd", count: 32)
            let new = try await hypervisor.publishBootISO(upload(newSHA), removing: old)
            #expect(Set(new.map(\.id)).count == 1)
            #expect(new.first?.id != old.first?.id)
            let now = try await hypervisor.bootISOCopies(name: "vizor-ipxe.iso")
            #expect(now.map(\.sha256) == [newSHA, newSHA])
        }
    }

    @Test func anISOAVMHasAttachedIsNotDeleted() async throws {
        try await withLab { lab in
            let client = lab.client()
            let iso = try #require(try await client.listIsos(filter: .executable, name: "ipxe.iso").first)
            let zone = try #require(try await client.listZones().first { $0.id == iso.zoneID })
            let offering = try #require(try await client.listServiceOfferings().first)
            let disk = try #require(try await client.listDiskOfferings().first)
            let network = try #require(try await client.listNetworks(zoneID: zone.id).first)
            _ = try await client.deployVirtualMachine(.init(
                zoneID: zone.id, serviceOfferingID: offering.id, templateID: iso.id, hypervisor: "KVM", diskOfferingID: disk.id,
                networkIDs: [network.id], name: "boot-iso-user"))
            do {
                try await lab.client(admin: true).deleteIso(id: iso.id)
                Issue.record("deleteIso removed an ISO a VM boots from")
            } catch let error as BackendError {
                #expect(error.message.contains("used by other vms"), "\(error)")
            }
        }
    }
}
