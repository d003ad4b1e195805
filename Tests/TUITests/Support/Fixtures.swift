import Foundation
import VizorTUI

/// Pane contents shaped like what the model will give: stable ids, a few
/// columns, wide characters in places.
enum Fixtures {
    static let catalogColumns = [
        Column("Image", minWidth: 14, weight: 3),
        Column("OS", minWidth: 8, weight: 2),
        Column("Editions", minWidth: 5, weight: 0, kind: .number),
        Column("Size GB", minWidth: 7, weight: 0, kind: .number),
        Column("Source", minWidth: 10, weight: 2),
    ]

    static let catalogRows = [
        Row(id: "iso-1", cells: ["SW_DVD9_Win_Server_2022", "Windows Server 2022", "4", "5.3", "smb://files/iso"]),
        Row(id: "iso-2", cells: ["Win11_23H2_English_x64", "Windows 11", "11", "6.2", "smb://files/iso"]),
        Row(id: "iso-3", cells: ["ubuntu-24.04-live-server", "Ubuntu 24.04", "1", "2.6", "nfs://media/linux"]),
        Row(id: "iso-4", cells: ["Win11_23H2_Japanese_x64", "Windows 11 日本語版", "9", "6.4", "smb://files/iso/日本"]),
        Row(id: "iso-5", cells: ["debian-12.5-netinst", "Debian 12", "1", "0.6", "nfs://media/linux"]),
        Row(id: "iso-6", cells: ["Win10_22H2_German_x64", "Windows 10", "9", "5.8", "smb://files/iso/de"]),
    ]

    static var catalog: PaneContent { .table(columns: catalogColumns, rows: catalogRows) }

    static let machineColumns = [
        Column("Name", minWidth: 12, weight: 2),
        Column("Hypervisor", minWidth: 10, weight: 1),
        Column("State", minWidth: 8, weight: 0),
        Column("CPU", minWidth: 3, weight: 0, kind: .number),
        Column("Memory MB", minWidth: 9, weight: 0, kind: .number),
    ]

    static func machines(count: Int) -> PaneContent {
        .table(columns: machineColumns, rows: (1...count).map { i in
            Row(id: "vm-\(i)", cells: ["build-\(String(format: "%03d", i))", i % 2 == 0 ? "xen-pool-a" : "cloudstack-z1",
                                       i % 3 == 0 ? "Stopped" : "Running", "\(i % 8 + 1)", "\(1024 * (i % 4 + 1))"])
        })
    }

    static let badges = [
        HealthBadge(name: "CloudStack", status: .ok),
        HealthBadge(name: "XenServer", status: .stale(detail: "since 12:04")),
        HealthBadge(name: "Razor", status: .failing(detail: "connection refused")),
    ]

    /// A state showing the catalog table with live badges.
    static func state(_ size: Size, pane: PaneID = .catalog) -> ShellState {
        var state = ShellState(size: size)
        ShellReducer.reduce(&state, .setHeader(site: "lab", badges: badges))
        ShellReducer.reduce(&state, .setContent(.catalog, catalog))
        ShellReducer.reduce(&state, .setContent(.machines, machines(count: 40)))
        ShellReducer.reduce(&state, .selectPane(pane))
        return state
    }
}
