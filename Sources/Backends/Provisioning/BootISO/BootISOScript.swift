import Foundation

/// The iPXE script the boot ISO embeds: DHCP on each NIC in turn, chain to
/// the site's Razor `/svc/boot` with that NIC's MAC (the query Razor's own
/// bootstrap script builds), say on the console what failed, and start over.
///
/// Written for the oldest iPXE Vizor meets (Debian 12's 2019 build): no
/// `inc` command, so the NIC loop is unrolled; `isset`, `iseq`, `sleep`,
/// `:hexhyp` and `:uristring` are all there.
public struct BootISOScript: Sendable, Equatable {
    /// Razor's service base, e.g. `http://razor.example:8150/svc`.
    public var razorService: String
    /// The site named in the console messages.
    public var site: String
    /// NICs tried, `net0` up to `net<nicMax-1>` (Razor's bootstrap: 4).
    public var nicMax: Int
    /// DHCP attempts on one NIC before the next (each is iPXE's own DHCP
    /// exchange with its retransmissions).
    public var dhcpAttempts: Int
    /// Seconds between two rounds over all NICs.
    public var retrySeconds: Int

    public init(razorService: String, site: String, nicMax: Int = 4, dhcpAttempts: Int = 2, retrySeconds: Int = 10) {
        self.razorService = razorService
        self.site = site
        self.nicMax = max(1, nicMax)
        self.dhcpAttempts = max(1, dhcpAttempts)
        self.retrySeconds = max(1, retrySeconds)
    }

    /// Turns what an operator gives (`http://h:8150`, `…/api` or `…/svc`)
    /// into Razor's service base. Nil when it is not an http(s) URL.
    public static func serviceBase(_ url: String) -> String? {
        var base = url.trimmingCharacters(in: .whitespaces)
        guard base.hasPrefix("http://") || base.hasPrefix("https://"), base.count > 8,
              !base.contains(" "), !base.contains("?"), !base.contains("#") else { return nil }
        while base.hasSuffix("/") { base.removeLast() }
        if base.hasSuffix("/api") { base.removeLast(4) } else if base.hasSuffix("/svc") { base.removeLast(4) }
        return base + "/svc"
    }

    public var text: String {
        let boot = razorService + "/boot"
        var lines = [
            "#!ipxe",
            "# Vizor boot ISO for site \(site): DHCP on each NIC in turn, then chain",
            "# to Razor's /svc/boot with that NIC's MAC. Every failure is printed.",
            "set vizor-razor \(boot)",
            ":round",
            "echo Vizor boot ISO (site \(site)): looking for Razor at ${vizor-razor}",
        ]
        for nic in 0..<nicMax {
            let next = nic + 1 < nicMax ? "nic\(nic + 1)" : "wait"
            lines += [
                ":nic\(nic)",
                "isset ${net\(nic)/mac} || goto \(next)",
                "echo Vizor: DHCP on net\(nic) (${net\(nic)/mac})",
            ]
            for attempt in 1...dhcpAttempts {
                let onFail = attempt < dhcpAttempts ? "echo Vizor: DHCP on net\(nic) failed (${errno}), trying again"
                                                    : "echo Vizor: no DHCP answer on net\(nic) (${errno}) && goto \(next)"
                lines.append("dhcp net\(nic) && goto chain\(nic) || \(onFail)")
            }
            lines += [
                ":chain\(nic)",
                "echo Vizor: net\(nic) is ${net\(nic)/ip}; chaining to ${vizor-razor}",
                "chain ${vizor-razor}?net\(nic)=${net\(nic)/mac:hexhyp}&dhcp_mac=${net\(nic)/mac:hexhyp}"
                    + "&serial=${serial:uristring}&asset=${asset:uristring}&uuid=${uuid}&fact_boot_type=${platform} || "
                    + "echo Vizor: Razor at ${vizor-razor} failed from net\(nic) (${errno})",
                "ifclose net\(nic)",
            ]
            if nic + 1 < nicMax { lines.append("goto \(next)") }
        }
        lines += [
            ":wait",
            "echo Vizor: no NIC reached Razor at ${vizor-razor}; trying again in \(retrySeconds) s",
            "sleep \(retrySeconds)",
            "goto round",
            "",
        ]
        return lines.joined(separator: "\n")
    }
}
