import BackendKit
import Foundation
import LabRazor
import Testing
import TestSupport
import VizorChildProcess
import VizorProvisioning

/// The real judge of the boot ISO: QEMU (software emulation; hardware
/// virtualisation does not work on these machines) boots the ISO that
/// `BootISOBuilder` makes, once with SeaBIOS and once with OVMF, with
/// user-mode networking. The guest sees the host's loopback as 10.0.2.2, so
/// the ISO's script is built for `http://10.0.2.2:<port>` where a lab Razor
/// listens on 127.0.0.1:<port>. The test passes when that Razor has a node
/// whose `/svc/boot` came with the guest's MAC.
@Suite(.serialized)
struct QEMUBootTests {
    static let perMode: Duration = .seconds(180)

    @Test func seaBIOSBootsTheISOToTheLabRazor() async throws {
        try await boot(mode: .bios, mac: "52:54:00:b0:07:01")
    }

    @Test func ovmfBootsTheISOToTheLabRazor() async throws {
        try await boot(mode: .uefi, mac: "52:54:00:b0:07:02")
    }

    /// The first NIC gets no DHCP answer (its frames go to a UDP port
    /// nobody reads): the script gives up on it after its attempts and boots
    /// from the second, whose MAC alone reaches Razor.
    @Test func aNICWithoutDHCPIsPassedOverForTheNextOne() async throws {
        let silent = closedLoopbackPort(udp: true)
        try await boot(mode: .bios, mac: "52:54:00:b0:07:04", silentNIC: (mac: "52:54:00:b0:07:03", port: silent))
    }

    enum Mode: String { case bios, uefi }

    func boot(mode: Mode, mac: String, silentNIC: (mac: String, port: Int)? = nil) async throws {
        let razor = try await LabRazorServer.start()
        defer { Task { await razor.stop() } }
        let port = try #require(URL(string: razor.baseURL)?.port)
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-qemu-\(mode)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }

        let service = try #require(BootISOScript.serviceBase("http://10.0.2.2:\(port)"))
        let iso = try await BootISOBuilder(inputs: .debian, script: BootISOScript(razorService: service, site: "qemu"))
            .build(output: work.appendingPathComponent("ipxe.iso"), scratch: work)

        // Debian 12's ipxe.efi (2019) predates `autoexec.ipxe`: under UEFI it
        // runs iPXE's own DHCP autoboot, so the DHCP server names Razor's
        // bootstrap script (`/api/microkernel/bootstrap`), as a Razor site's
        // DHCP does for stock iPXE. A newer ipxe.efi runs the ISO's script.
        var netdev = "user,id=n0"
        let viaDHCP = mode == .uefi && !iso.efiRunsScript
        if viaDHCP { netdev += ",bootfile=http://10.0.2.2:\(port)/api/microkernel/bootstrap?nic_max=1" }
        var arguments = ["-accel", "tcg", "-m", mode == .uefi ? "512" : "256", "-display", "none", "-no-reboot",
                         "-serial", "none", "-parallel", "none",
                         "-cdrom", iso.path, "-boot", "d"]
        if let silentNIC {
            arguments += ["-netdev", "socket,id=dead,udp=127.0.0.1:\(silentNIC.port),localaddr=127.0.0.1:0",
                          "-device", "virtio-net-pci,netdev=dead,mac=\(silentNIC.mac),romfile="]
        }
        arguments += ["-netdev", netdev, "-device", "virtio-net-pci,netdev=n0,mac=\(mac),romfile="]
        if mode == .uefi {
            let vars = work.appendingPathComponent("OVMF_VARS.fd")
            try FileManager.default.copyItem(atPath: "/usr/share/OVMF/OVMF_VARS.fd", toPath: vars.path)
            arguments += ["-drive", "if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE.fd",
                          "-drive", "if=pflash,format=raw,unit=1,file=\(vars.path)"]
        }
        let started = ContinuousClock.now
        // QEMU runs in a process group of its own; cancelling the task (the
        // node was seen, or the deadline passed) sends it SIGTERM then SIGKILL.
        // coreutils' timeout bounds it as well, should this process die first.
        let bound = String(Int(Self.perMode.components.seconds) + 15)
        let qemu = Task {
            try await ChildProcess("/usr/bin/timeout", ["-s", "KILL", bound, "/usr/bin/qemu-system-x86_64"] + arguments,
                                   timeout: Self.perMode, displayName: "qemu-system-x86_64 (\(mode.rawValue))").run()
        }
        defer { qemu.cancel() }
        var seen: Duration?
        var node = ""
        while ContinuousClock.now - started < Self.perMode {
            if let found = await Self.nodeBooted(razor, mac: mac) {
                seen = ContinuousClock.now - started
                node = found
                break
            }
            try await Task.sleep(for: .seconds(1))
        }
        qemu.cancel()
        let outcome = await qemu.result
        let elapsed = try #require(seen, "\(mode): the lab Razor saw no /svc/boot from \(mac) within \(Self.perMode); QEMU: \(outcome)")
        print("qemu \(mode.rawValue): /svc/boot from \(mac) after \(elapsed.components.seconds) s\(viaDHCP ? " via DHCP autoboot" : " via the ISO's script") (ISO \(iso.bytes) bytes, iPXE \(iso.ipxeVersion))")
        #expect(elapsed < Self.perMode)
        // iPXE itself asked, in the firmware mode under test (`${platform}`).
        #expect(node.contains(mode == .uefi ? "\"efi\"" : "\"pcbios\""), "\(node)")
        if let silentNIC {
            let hyphens = silentNIC.mac.replacingOccurrences(of: ":", with: "-")
            #expect(!node.lowercased().contains(hyphens) && !node.lowercased().contains(silentNIC.mac), "\(node)")
        }
    }

    /// The JSON of the lab Razor's node whose hardware info holds `mac`: it
    /// exists only once a `/svc/boot` carried the MAC.
    static func nodeBooted(_ razor: LabRazorServer, mac: String) async -> String? {
        let hyphens = mac.replacingOccurrences(of: ":", with: "-")
        for node in await razor.inventory().nodes {
            guard let json = await razor.nodeJSON(node) else { continue }
            if json.lowercased().contains(hyphens) || json.lowercased().contains(mac) { return json }
        }
        return nil
    }
}

