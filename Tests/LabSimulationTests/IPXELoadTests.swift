import BackendKit
import Foundation
import LabRazor
import Testing
import VizorLab

/// The simulated iPXE running a script from a task defined with
/// `create-task`: it loads each `kernel` / `initrd` over HTTP in order, and
/// the first one that fails stops the boot as `|| goto failed` does.
@Suite(.serialized)
struct IPXELoadTests {
    @Test func loadsAreTheKernelAndInitrdURLsInScriptOrder() {
        let script = """
            #!ipxe
            # kernel http://comment.example/not-a-load
            imgfree
            kernel http://h/wimboot gui || goto failed
            initrd --name BCD http://h/boot/bcd BCD || goto failed
            initrd http://h/boot.wim boot.wim
            boot || goto failed
            """
        #expect(LabIPXELoad.loads(in: script) == [
            LabIPXELoad(command: "kernel", url: "http://h/wimboot"),
            LabIPXELoad(command: "initrd", url: "http://h/boot/bcd", givenName: "BCD"),
            LabIPXELoad(command: "initrd", url: "http://h/boot.wim", givenName: "boot.wim"),
        ])
        #expect(LabIPXELoad(command: "initrd", url: "http://h/a/x.ini?token=s3cr3t-t0ken&node=node1").shownURL
                == "http://h/a/x.ini?token=…&node=node1")
    }

    @Test func anInitrdThatAnswers404LeavesTheGuestFailedAtBootWithThatURL() async throws {
        try await withWorld { world in
            let mac = "02:aa:bb:cc:00:31"
            let svc = world.razorLab.baseURL + "/svc"
            let missing = "\(svc)/repo/no-such-repo/boot/bcd"
            let script = """
                #!ipxe
                kernel \(svc)/repo/wimboot || goto failed
                initrd \(missing) BCD || goto failed
                initrd \(svc)/repo/wimboot never-reached || goto failed
                boot || goto failed
                :failed
                echo could not load the boot files
                sleep 60
                reboot
                """
            let created = try await world.xen.createContainer(world.xenSpec("ipxe-404", mac: mac))
            let plan = ProvisioningPlan(
                repoName: "ipxe-404", repoURL: "http://127.0.0.1:9/media/w2022", taskName: "vizor-ipxe-404",
                taskDefinition: ["os": "Windows", "boot_seq.1": "vizor_boot", "boot_seq.default": "boot_local", "vizor_boot": script],
                tagName: "ipxe-404", mac: mac, policyName: "ipxe-404", hostname: "ipxe404", rootPassword: "s3cret-pass")
            let node = try #require(try await world.razor.provision(plan).nodeName)
            try await world.xen.start(machineID: created.machineID)
            let failed = Snapshot()
            try await world.wait("boot failure") {
                guard let status = await world.simulator.status(forMAC: mac), status.activity.contains("failed") else { return false }
                await failed.keep(status)
                return true
            }
            let status = try #require(await failed.status)
            #expect(status.activity.contains("initrd \(missing) failed: HTTP 404"), "\(status.activity)")
            #expect(status.fetches == ["200 \(svc)/repo/wimboot", "404 \(missing)"])
            #expect(status.node == node && !status.sealed && status.boots == 1)
            // The script's `:failed` branch reboots: the next boot runs the same script and fails the same way.
            try await world.wait("a second failed boot") {
                (await world.simulator.status(forMAC: mac)?.fetches.count ?? 0) >= 4
            }
            let again = try #require(await world.simulator.status(forMAC: mac))
            #expect(Array(again.fetches.prefix(4)) == ["200 \(svc)/repo/wimboot", "404 \(missing)", "200 \(svc)/repo/wimboot", "404 \(missing)"])
            #expect(again.boots >= 2)
            // The node booted Vizor's template and got no further: WinPE never started, no stage came.
            let log = try await world.log(node)
            #expect(log.contains { $0.event == "boot" && $0.fields["template"] == "vizor_boot" && $0.fields["task"] == "vizor-ipxe-404" })
            #expect(!log.contains { $0.message.hasPrefix("winpe_started") || $0.event == "stage_done" })
            #expect(!again.fetches.contains { $0.hasSuffix("never-reached") })
        }
    }

    @Test func onlyAFailedBranchThatRebootsRestartsTheGuest() {
        #expect(LabIPXELoad.failureReboots("#!ipxe\nkernel x || goto failed\n:failed\necho no\nsleep 60\nreboot\n"))
        #expect(!LabIPXELoad.failureReboots("#!ipxe\nreboot\nkernel x || goto failed\n:failed\nshell\n"))
        #expect(!LabIPXELoad.failureReboots("#!ipxe\nkernel x\nboot\n"))
    }

    /// iPXE's `boot` by firmware: BIOS wants the Linux boot header; UEFI starts an EFI application of its own
    /// width only (the reason 32-bit UEFI needs wimboot.i386).
    @Test func theFirmwareStartsOnlyTheWimbootItCanRun() {
        let x64 = LabWimbootStandIn.bytes(machine: 0x8664, bios: true), i386 = LabWimbootStandIn.bytes(machine: 0x014c, bios: true)
        #expect(LabIPXEBoot.refusal(x64, name: "wimboot", firmware: .bios) == nil)
        #expect(LabIPXEBoot.refusal(i386, name: "wimboot.i386", firmware: .bios) == nil)
        #expect(LabIPXEBoot.refusal(x64, name: "wimboot", firmware: .uefi(.x64)) == nil)
        #expect(LabIPXEBoot.refusal(i386, name: "wimboot.i386", firmware: .uefi(.ia32)) == nil)
        let wide = LabIPXEBoot.refusal(x64, name: "wimboot", firmware: .uefi(.ia32))
        #expect(wide == "wimboot is an x86_64 EFI application, which 32-bit (IA32) UEFI firmware cannot start (Exec format error)")
        #expect(LabIPXEBoot.refusal(i386, name: "wimboot.i386", firmware: .uefi(.x64)) != nil)
        #expect(LabIPXEBoot.refusal(LabWimbootStandIn.bytes(machine: 0x8664, bios: false), name: "w", firmware: .bios) != nil)
        #expect(LabIPXEBoot.refusal(Array("#!ipxe\n".utf8), name: "w", firmware: .uefi(.x64)) != nil)
    }
}

/// The first status that matched a wait, kept for the assertions after it.
actor Snapshot {
    var status: LabGuestStatus?
    func keep(_ value: LabGuestStatus) { status = value }
}
