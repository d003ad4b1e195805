import Foundation

/// One VM as the lab's guest simulation needs to see it: state, how many
/// times it booted, its MACs and the ISO in its CD drive.
public struct LabCloudStackGuestView: Sendable, Equatable {
    public var id: String
    public var state: String
    public var bootCount: Int
    public var macs: [String]
    /// Name of the attached ISO (`attachIso`, or the ISO the VM was deployed from).
    public var isoName: String?
    public var isoIsGuestTools: Bool
    /// `boottype`: `BIOS`, or `UEFI` for a VM deployed with UEFI firmware.
    public var bootType: String = "BIOS"
}

/// Read-only views for the lab's guest simulation (added by the simulation,
/// beside the cloud's own hooks).
extension LabCloudStack {
    public func guestViews() -> [LabCloudStackGuestView] {
        settle()
        return vms.map { vm in
            let iso = vm.isoID.flatMap { id in images.first { $0.id == id } }
            return LabCloudStackGuestView(id: vm.id, state: vm.state, bootCount: vm.bootCount, macs: vm.nics.map(\.mac),
                                          isoName: iso?.name, isoIsGuestTools: vm.isoID == guestToolsISOID, bootType: vm.bootType)
        }
    }
}
