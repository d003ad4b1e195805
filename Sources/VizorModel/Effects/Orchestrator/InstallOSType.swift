import BackendKit
import VizorMedia

/// The hypervisor's name for a Windows edition: the XenServer install
/// template a VM is cloned from, or the CloudStack OS type its template is
/// registered with. The names are the products' own: XenServer's stock
/// templates are "Windows 11", "Windows 10 (64-bit)", "Windows Server 2022
/// (64-bit)"; CloudStack's guest OS list says "Windows 11 (64-bit)" (mapped to
/// XenServer's "Windows 11" in its guest-OS table) and "Windows Server 2022
/// (64-bit)". The edition's build and installation type decide, not its name.
public enum InstallOSType {
    public static func name(for edition: InstallChoices.EditionRef, on hypervisor: HypervisorKind) -> String {
        let bits = edition.architecture == .x86 ? "32-bit" : "64-bit"
        let build = edition.build ?? 0
        if edition.isClient {
            switch build {
            case 22000...:
                // XenServer has one Windows 11 template (64-bit only), without a suffix.
                return hypervisor == .xenserver ? "Windows 11" : "Windows 11 (64-bit)"
            case 10240..<22000: return "Windows 10 (\(bits))"
            case 9600..<10240: return "Windows 8.1 (\(bits))"
            case 9200..<9600: return "Windows 8 (\(bits))"
            case 7600..<9200: return "Windows 7 (\(bits))"
            case 0:
                // Build unknown: trust the name as the last resort.
                if edition.name.contains("11") { return hypervisor == .xenserver ? "Windows 11" : "Windows 11 (64-bit)" }
                return "Windows 10 (\(bits))"
            default: return "Windows 10 (\(bits))"
            }
        }
        switch build {
        case 26100...: return "Windows Server 2025 (64-bit)"
        case 20348..<26100: return "Windows Server 2022 (64-bit)"
        case 17763..<20348: return "Windows Server 2019 (64-bit)"
        case 14393..<17763: return "Windows Server 2016 (64-bit)"
        case 9600..<14393: return "Windows Server 2012 R2 (64-bit)"
        case 1..<9600: return "Windows Server 2012 (64-bit)"
        default:
            for year in ["2025", "2019", "2016"] where edition.name.contains(year) { return "Windows Server \(year) (64-bit)" }
            return "Windows Server 2022 (64-bit)"
        }
    }
}
