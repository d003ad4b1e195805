import Foundation
import Yams

/// The schema: which keys exist where, and what they hold.
extension NodeReader {
    mutating func config(_ root: Node) -> VizorConfig {
        var config = VizorConfig(sites: [], file: file)
        guard let pairs = mapping(root, "", allowed: ["default_site", "sites", "exposure", "install_defaults", "ui", "boot_iso"]) else {
            return config
        }
        for (name, node) in pairs {
            switch name {
            case "default_site": config.defaultSite = string(node, name)
            case "sites": config.sites = sites(node)
            case "exposure": config.exposure = exposure(node)
            case "ui": config.ui = ui(node)
            case "boot_iso": config.bootISO = bootISO(node)
            default: config.installDefaults = installDefaults(node)
            }
        }
        if pairs.first(where: { $0.0 == "sites" }) == nil {
            fail(root, "sites", "required key is missing")
        }
        if let chosen = config.defaultSite, !config.sites.contains(where: { $0.name == chosen }) {
            let node = pairs.first { $0.0 == "default_site" }?.1
            fail(node, "default_site", "names no site of `sites` (\(config.sites.map(\.name).joined(separator: ", ")))")
        }
        return config
    }

    /// `boot_iso:` where the boot ISO's pieces are on this host, and the
    /// name it has on the platforms.
    private mutating func bootISO(_ node: Node) -> BootISOConfig {
        var config = BootISOConfig()
        let paths = ["ipxe_lkrn", "ipxe_efi", "isolinux", "ldlinux", "mtools"]
        guard let pairs = mapping(node, "boot_iso", allowed: ["name"] + paths) else { return config }
        for (name, value) in pairs {
            let key = "boot_iso.\(name)"
            guard let text = string(value, key) else { continue }
            if name == "name" {
                guard !text.isEmpty, text.count <= 200, !text.contains("/"), !text.hasPrefix("."),
                      text.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
                    fail(value, key, "expected a file name without spaces or slashes such as ipxe.iso, found \"\(text)\"")
                    continue
                }
                config.name = text
                continue
            }
            guard text.hasPrefix("/") else {
                fail(value, key, "must be an absolute path on this host, found \"\(text)\"")
                continue
            }
            switch name {
            case "ipxe_lkrn": config.inputs.ipxeLkrn = text
            case "ipxe_efi": config.inputs.ipxeEFI = text
            case "isolinux": config.inputs.isolinux = text
            case "ldlinux": config.inputs.ldlinux = text
            default: config.inputs.mtools = text
            }
        }
        return config
    }

    private mutating func ui(_ node: Node) -> UIConfig {
        var ui = UIConfig()
        guard let pairs = mapping(node, "ui", allowed: ["mouse", "log_lines"]) else { return ui }
        for (name, value) in pairs {
            switch name {
            case "mouse": if let mouse = bool(value, "ui.mouse") { ui.mouse = mouse }
            default:
                if let lines = number(value, "ui.log_lines", range: 1_000...10_000_000) {
                    guard lines == lines.rounded() else {
                        fail(value, "ui.log_lines", "expected a whole number of lines, found \(lines)")
                        continue
                    }
                    ui.logLines = Int(lines)
                }
            }
        }
        return ui
    }

    private mutating func sites(_ node: Node) -> [SiteConfig] {
        guard let pairs = mapping(node, "sites", allowed: nil) else { return [] }
        if pairs.isEmpty { fail(node, "sites", "at least one site is needed") }
        var result: [SiteConfig] = []
        for (name, value) in pairs {
            let key = "sites.\(name)"
            if name.isEmpty || name.contains(where: { $0.isWhitespace || $0 == "/" || $0 == "." }) {
                fail(value, key, "site names may not contain spaces, dots or slashes")
            }
            guard let fields = mapping(value, key, allowed: ["xenserver", "cloudstack", "razor", "media", "install_concurrency"])
            else { continue }
            var site = SiteConfig(name: name)
            for (field, node) in fields {
                switch field {
                case "xenserver": site.xenserver = xenserver(node, "\(key).xenserver")
                case "cloudstack": site.cloudstack = cloudstack(node, "\(key).cloudstack")
                case "razor": site.razor = razor(node, "\(key).razor")
                case "install_concurrency":
                    if let limit = number(node, "\(key).install_concurrency", range: 1...256) {
                        if limit == limit.rounded() { site.installConcurrency = Int(limit) } else {
                            fail(node, "\(key).install_concurrency", "expected a whole number of jobs, found \(limit)")
                        }
                    }
                default: site.media = media(node, "\(key).media")
                }
            }
            if !fields.contains(where: { $0.0 == "xenserver" || $0.0 == "cloudstack" }) {
                fail(value, key, "a site needs a xenserver or cloudstack endpoint")
            }
            result.append(site)
        }
        return result
    }

    private mutating func xenserver(_ node: Node, _ key: String) -> XenServerConfig? {
        guard let pairs = mapping(node, key, allowed: ["url", "username", "password", "verify_tls"]) else { return nil }
        let url = required(pairs, "url", in: node, key).flatMap { self.url($0, "\(key).url") }
        let username = required(pairs, "username", in: node, key).flatMap { string($0, "\(key).username") }
        let password = required(pairs, "password", in: node, key).flatMap { secret($0, "\(key).password") }
        let verify = pairs.first { $0.0 == "verify_tls" }.flatMap { bool($0.1, "\(key).verify_tls") } ?? true
        guard let url, let username, let password else { return nil }
        return XenServerConfig(url: url, username: username, password: password, verifyTLS: verify)
    }

    private mutating func cloudstack(_ node: Node, _ key: String) -> CloudStackConfig? {
        guard let pairs = mapping(node, key, allowed: ["url", "api_key", "secret_key", "poll_interval", "verify_tls"])
        else { return nil }
        let url = required(pairs, "url", in: node, key).flatMap { self.url($0, "\(key).url") }
        let apiKey = required(pairs, "api_key", in: node, key).flatMap { secret($0, "\(key).api_key") }
        let secretKey = required(pairs, "secret_key", in: node, key).flatMap { secret($0, "\(key).secret_key") }
        let interval = pairs.first { $0.0 == "poll_interval" }
            .flatMap { number($0.1, "\(key).poll_interval", range: 1...3600) } ?? 15
        let verify = pairs.first { $0.0 == "verify_tls" }.flatMap { bool($0.1, "\(key).verify_tls") } ?? true
        guard let url, let apiKey, let secretKey else { return nil }
        return CloudStackConfig(url: url, apiKey: apiKey, secretKey: secretKey, pollInterval: interval, verifyTLS: verify)
    }

    private mutating func razor(_ node: Node, _ key: String) -> RazorConfig? {
        guard let pairs = mapping(node, key, allowed: ["url", "username", "password", "poll_interval", "wimboot"]) else { return nil }
        let url = required(pairs, "url", in: node, key).flatMap { self.url($0, "\(key).url") }
        let username = pairs.first { $0.0 == "username" }.flatMap { string($0.1, "\(key).username") }
        let password = pairs.first { $0.0 == "password" }.flatMap { secret($0.1, "\(key).password") }
        let interval = pairs.first { $0.0 == "poll_interval" }
            .flatMap { number($0.1, "\(key).poll_interval", range: 5...86400) } ?? 120
        let wimboot = pairs.first { $0.0 == "wimboot" }.map { wimbootFiles($0.1, "\(key).wimboot") } ?? WimbootFiles()
        guard let url else { return nil }
        return RazorConfig(url: url, username: username, password: password, pollInterval: interval, wimboot: wimboot)
    }

    /// `wimboot: {x86_64: …, i386: …, arm64: …}`: repo-store paths or http(s) URLs.
    private mutating func wimbootFiles(_ node: Node, _ key: String) -> WimbootFiles {
        var files = WimbootFiles()
        guard let pairs = mapping(node, key, allowed: ["x86_64", "i386", "arm64"]) else { return files }
        for (name, value) in pairs {
            let field = "\(key).\(name)"
            guard let text = string(value, field) else { continue }
            let isURL = text.hasPrefix("http://") || text.hasPrefix("https://")
            if text.isEmpty || text.contains(where: { " \"'%^&\\".contains($0) })
                || (!isURL && (text.hasPrefix("/") || text.split(separator: "/").contains(".."))) {
                fail(value, field, "expected a path in Razor's repo store (e.g. wimboot.i386) or an http(s) URL, "
                     + "without spaces, quotes, '%', '^', '&' or backslashes, found \"\(text)\"")
                continue
            }
            switch name {
            case "x86_64": files.x86_64 = text
            case "i386": files.i386 = text
            default: files.arm64 = text
            }
        }
        return files
    }

    private mutating func media(_ node: Node, _ key: String) -> [MediaSourceInfo] {
        guard let items = node.sequence else {
            fail(node, key, "expected a list of {name, path}, found \(kindName(node))")
            return []
        }
        var result: [MediaSourceInfo] = []
        for (index, item) in items.enumerated() {
            let itemKey = "\(key)[\(index)]"
            guard let pairs = mapping(item, itemKey, allowed: ["name", "path"]) else { continue }
            let name = required(pairs, "name", in: item, itemKey).flatMap { string($0, "\(itemKey).name") }
            let path = required(pairs, "path", in: item, itemKey).flatMap { string($0, "\(itemKey).path") }
            if let path, !path.hasPrefix("/") {
                fail(pairs.first { $0.0 == "path" }?.1, "\(itemKey).path", "must be an absolute path, found \"\(path)\"")
                continue
            }
            if let name, let path { result.append(MediaSourceInfo(name: name, path: path)) }
        }
        return result
    }

    private mutating func exposure(_ node: Node) -> ExposureConfig {
        var exposure = ExposureConfig()
        let paths = ["smb_share_root", "samba_include_file", "samba_config_file"]
        guard let pairs = mapping(node, "exposure", allowed: ["http_bind", "advertise_host", "winpe_curl", "samba_user",
                                                              "samba_password"] + paths)
        else { return exposure }
        for (name, value) in pairs {
            let key = "exposure.\(name)"
            if name == "winpe_curl" {
                exposure.winPECurl = winPECurl(value, key)
                continue
            }
            if name == "samba_password" {
                exposure.sambaPassword = secret(value, key)
                continue
            }
            if name == "samba_user" {
                guard let text = string(value, key) else { continue }
                // Samba and Windows account names; nothing the WinPE start-up (a cmd script) would read as syntax.
                guard (1...20).contains(text.count), !text.hasPrefix("-"),
                      text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
                    fail(value, key, "expected a Samba account name of 1-20 letters, digits, '.', '_' or '-', found \"\(text)\"")
                    continue
                }
                exposure.sambaUser = text
                continue
            }
            guard let text = string(value, key) else { continue }
            switch name {
            case "http_bind":
                let parts = text.split(separator: ":", omittingEmptySubsequences: false)
                guard parts.count >= 2, let port = Int(parts.last!), (0...65535).contains(port) else {
                    fail(value, key, "expected ADDRESS:PORT such as 0.0.0.0:8080 (port 0: any free port), found \"\(text)\"")
                    continue
                }
                exposure.httpBind = text
            case "advertise_host":
                guard !text.isEmpty, !text.contains("/"), !text.contains(" "), text != "0.0.0.0", text != "::" else {
                    fail(value, key, "expected the host name or address machines reach vizor at, found \"\(text)\"")
                    continue
                }
                exposure.advertiseHost = text
            default:
                guard text.hasPrefix("/") else {
                    fail(value, key, "must be an absolute path, found \"\(text)\"")
                    continue
                }
                switch name {
                case "smb_share_root": exposure.smbShareRoot = text
                case "samba_include_file": exposure.sambaIncludeFile = text
                default: exposure.sambaConfigFile = text
                }
            }
        }
        let bindHost = exposure.bindAddress.host
        if ["0.0.0.0", "::", ""].contains(bindHost), exposure.advertiseHost == nil {
            fail(node, "exposure.advertise_host",
                 "http_bind \(exposure.httpBind) listens on every address; say which name installing machines use to reach this host")
        }
        if (exposure.sambaUser == nil) != (exposure.sambaPassword == nil) {
            fail(node, exposure.sambaUser == nil ? "exposure.samba_user" : "exposure.samba_password",
                 "give both samba_user and samba_password (the account WinPE maps the shares with), or neither for guest shares")
        }
        if exposure.sambaUser != nil, exposure.sambaIncludeFile == nil {
            fail(node, "exposure.samba_include_file", "a Samba account (samba_user) is only used with SMB exposure; set samba_include_file too")
        }
        if exposure.sambaIncludeFile != nil, exposure.smbShareRoot == nil {
            fail(node, "exposure.smb_share_root", "SMB exposure (samba_include_file) needs smb_share_root, where the ISO views are mounted")
        }
        return exposure
    }

    /// `winpe_curl: {x86: PATH, amd64: PATH, arm64: PATH}`: absolute paths on this host.
    private mutating func winPECurl(_ node: Node, _ key: String) -> WinPECurlFiles {
        var files = WinPECurlFiles()
        guard let pairs = mapping(node, key, allowed: ["x86", "amd64", "arm64"]) else { return files }
        for (name, value) in pairs {
            guard let text = string(value, "\(key).\(name)") else { continue }
            guard text.hasPrefix("/") else {
                fail(value, "\(key).\(name)", "must be the absolute path of a curl.exe on this host, found \"\(text)\"")
                continue
            }
            switch name {
            case "x86": files.x86 = text
            case "amd64": files.amd64 = text
            default: files.arm64 = text
            }
        }
        return files
    }

    private mutating func installDefaults(_ node: Node) -> InstallDefaults {
        var defaults = InstallDefaults()
        guard let pairs = mapping(node, "install_defaults", allowed: ["locale", "keyboard", "time_zone", "password_policy"])
        else { return defaults }
        for (name, value) in pairs {
            let key = "install_defaults.\(name)"
            switch name {
            case "locale": if let text = string(value, key) { defaults.locale = text }
            case "keyboard": if let text = string(value, key) { defaults.keyboard = text }
            case "time_zone":
                guard let text = string(value, key) else { continue }
                if TimeZone(identifier: text) == nil {
                    fail(value, key, "unknown time zone \"\(text)\" (use an IANA name such as Europe/Paris)")
                } else {
                    defaults.timeZone = text
                }
            default:
                guard let policy = mapping(value, key, allowed: ["min_length", "require_classes"]) else { continue }
                for (field, fieldNode) in policy {
                    if field == "min_length", let number = number(fieldNode, "\(key).min_length", range: 8...256) {
                        defaults.passwordPolicy.minLength = Int(number)
                    } else if field == "require_classes",
                              let number = number(fieldNode, "\(key).require_classes", range: 1...4) {
                        defaults.passwordPolicy.requireClasses = Int(number)
                    }
                }
            }
        }
        return defaults
    }
}
