import BackendKit
import Foundation
import VizorMedia
import VizorModel
import VizorTUI

/// A model state like the lab's: one site with XenServer, CloudStack, Razor
/// and a media source; two ISOs with editions; machines in several power
/// states; templates; a running, a finished and a failed install.
enum ModelFixtures {
    static let t0 = Date(timeIntervalSince1970: 1_790_000_000)

    static func edition(_ index: Int, _ name: String, _ id: String, build: Int, languages: [String] = ["en-US"]) -> Edition {
        Edition(index: index, name: name, displayName: name, editionID: id, architecture: .x64, languages: languages,
                version: WindowsVersion(major: 10, minor: 0, build: build, spBuild: 1), totalBytes: 9_000_000_000)
    }

    static let server = MediaImage(id: "img-ws2022", path: "/srv/iso/Windows_Server_2022_x64_en-US.iso", size: 5_600_000_000,
                                   modified: t0, inode: 1, kind: .windows, bootable: [.bios, .uefi],
                                   editions: [edition(1, "Windows Server 2022 Standard", "ServerStandard", build: 20348),
                                              edition(2, "Windows Server 2022 Datacenter", "ServerDatacenter", build: 20348)],
                                   mediaLanguages: ["en-US"], buildArchitecture: .x64)
    static let client = MediaImage(id: "img-w11", path: "/srv/iso/Windows_11_22H2_x64.iso", size: 6_200_000_000,
                                   modified: t0, inode: 2, kind: .windows, bootable: [.uefi],
                                   editions: [edition(1, "Windows 11 Pro", "Professional", build: 22621, languages: ["en-US", "de-DE"])],
                                   mediaLanguages: ["en-US", "de-DE"], buildArchitecture: .x64,
                                   languagePacks: [LanguagePack(language: "fr-FR", architecture: .x64, build: 22621, path: "x64/fr-FR.cab")])
    static let broken = MediaImage(id: "img-bad", path: "/srv/iso/truncated.iso", size: 1_024, modified: t0, inode: 3,
                                   error: "not an ISO 9660 image: no primary volume descriptor")

    static var state: AppState {
        let site = Site(name: "lab", isLab: true, xenserverURL: "http://127.0.0.1:1", cloudstackURL: "http://127.0.0.1:2",
                        razorURL: "http://127.0.0.1:3", mediaSources: [MediaSourceInfo(name: "iso share", path: "/srv/iso")])
        var state = AppState(now: t0.addingTimeInterval(600), sites: [site])
        let xen = BackendID(site: "lab", kind: .xenserver), cs = BackendID(site: "lab", kind: .cloudstack)
        state.health[xen] = .ok(since: t0, staleAfter: nil)
        state.health[cs] = .stale(since: t0)
        state.health[BackendID(site: "lab", kind: .razor)] = .ok(since: t0, staleAfter: 60)
        state.health[BackendID(site: "lab", kind: .media)] = .connecting
        state.catalog = [server, client, broken]
        state.machines[xen] = [
            "vm-1": MachineRecord(id: "vm-1", name: "web-01", powerState: .running, vcpus: 2, memoryMiB: 4096, ipAddresses: ["10.0.0.21"],
                                  macAddresses: ["26:14:b4:f3:65:76"], location: "lab", sourceTemplate: "Windows Server 2022 (64-bit)"),
            "vm-2": MachineRecord(id: "vm-2", name: "db-01", powerState: .halted, vcpus: 4, memoryMiB: 8192, macAddresses: ["ba:cf:7c:67:0e:a6"],
                                  location: "lab", sourceTemplate: "Windows Server 2022 (64-bit)"),
        ]
        state.machines[cs] = [
            "i-7": MachineRecord(id: "i-7", name: "win11-a", powerState: .starting, vcpus: 2, memoryMiB: 4096, ipAddresses: ["10.1.1.7"],
                                 macAddresses: ["02:00:4c:00:00:07"], location: "lab-zone-1", sourceTemplate: "vizor-ipxe"),
        ]
        state.templates[xen] = ["t-1": TemplateRecord(id: "t-1", name: "ws2022-golden", osType: "windows-server-2022", location: "lab",
                                                      isPublic: false, isFeatured: false, isReady: true, sizeBytes: 68_719_476_736)]
        state.templates[cs] = ["t-2": TemplateRecord(id: "t-2", name: "win11-base", osType: "Windows 11 (64-bit)", location: "lab-zone-1",
                                                     isPublic: true, isFeatured: true, isReady: false, sizeBytes: 17_179_869_184)]
        func events(_ count: Int, from start: Date) -> [InstallEvent] {
            (0..<count).map { i in
                InstallEvent(time: start.addingTimeInterval(Double(i * 20)), severity: i == 4 ? "warning" : "info", source: i < 3 ? "vizor" : "razor",
                             message: ["exposed media over HTTP and SMB", "rendered unattend.xml", "created VM stopped", "node booted iPXE",
                                       "fetched boot.wim slowly (retry 1)", "stage windows-setup started", "applying image 42%"][i % 7])
            }
        }
        state.installs["job-a"] = InstallJob(id: "job-a", site: "lab", machineName: "win11-a", imageID: "img-w11", editionIndex: 1,
                                             phase: .installing, progress: 0.42, machineID: "i-7", events: events(7, from: t0.addingTimeInterval(300)))
        state.installs["job-b"] = InstallJob(id: "job-b", site: "lab", machineName: "web-01", imageID: "img-ws2022", editionIndex: 2, makeTemplate: true,
                                             phase: .done, progress: 1, machineID: "vm-1", events: events(5, from: t0))
        state.installs["job-c"] = InstallJob(id: "job-c", site: "lab", machineName: "bad-01", imageID: "img-ws2022", editionIndex: 1,
                                             phase: .failed, progress: 0.1, error: "Razor: no node checked in within 10 min (check the VM's network)",
                                             events: events(3, from: t0.addingTimeInterval(100)))
        return state
    }

    /// A dashboard over the fixture state; `sent` collects the model actions.
    @MainActor
    static func dashboard(_ size: Size, state: AppState = ModelFixtures.state) -> (DashboardProgram, Recorder) {
        let recorder = Recorder()
        let program = DashboardProgram(shell: ShellStore(state: DashboardProgram.initialShellState(size: size)),
                                       source: { state }, dispatch: { recorder.actions.append($0) })
        return (program, recorder)
    }

    @MainActor final class Recorder { var actions: [Action] = [] }
}

extension DashboardProgram {
    func press(_ keys: Key...) { for key in keys { handle(.key(key)) } }
    func type(_ text: String) { for c in text { handle(.key(.char(c))) } }
    func frame() -> CellGrid {
        let terminal = VirtualTerminal(size: shell.state.size)
        terminal.present(render(size: shell.state.size))
        return terminal.screen
    }
}
