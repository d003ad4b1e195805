import Foundation
import VizorProvisioning

/// Vizor's configuration: sites and their endpoints, media, exposure and
/// install defaults. Loaded from `$XDG_CONFIG_HOME/vizor/config.yaml`;
/// secrets appear only as references (`SecretRef`), never as values.
public struct VizorConfig: Sendable, Equatable {
    public var sites: [SiteConfig]
    public var defaultSite: String?
    public var exposure: ExposureConfig
    public var installDefaults: InstallDefaults
    /// Dashboard preferences.
    public var ui = UIConfig()
    /// The boot ISO's pieces and its name on the platforms (`boot_iso:`).
    public var bootISO = BootISOConfig()
    /// The file it came from, for messages.
    public var file: String

    public init(sites: [SiteConfig], defaultSite: String? = nil, exposure: ExposureConfig = ExposureConfig(),
                installDefaults: InstallDefaults = InstallDefaults(), file: String = "") {
        self.sites = sites
        self.defaultSite = defaultSite
        self.exposure = exposure
        self.installDefaults = installDefaults
        self.file = file
    }
}

/// The boot ISO (`boot_iso:` in the file): where `vizor boot-iso build`
/// finds Debian's iPXE, ISOLINUX and mtools, and the name the ISO has on
/// CloudStack and XenServer (what installs boot, `--boot-iso`).
public struct BootISOConfig: Sendable, Equatable {
    public var name: String
    public var inputs: BootISOInputs
    public init(name: String = "ipxe.iso", inputs: BootISOInputs = .debian) {
        self.name = name
        self.inputs = inputs
    }
}

/// Dashboard preferences (`ui:` in the file).
public struct UIConfig: Sendable, Equatable {
    /// Mouse reporting in the dashboard (`ui.mouse`): clicks select rows and
    /// tabs. Off by default so that, over SSH, the operator's terminal keeps
    /// selecting and copying text; `vizor --mouse` / `--no-mouse` override it.
    public var mouse: Bool
    /// Lines a job's log tail keeps (`ui.log_lines`); the oldest go first.
    public var logLines: Int
    public init(mouse: Bool = false, logLines: Int = 100_000) {
        self.mouse = mouse
        self.logLines = logLines
    }
}

/// Where a value came from in the file, for error messages.
public struct ConfigLocation: Sendable, Equatable, Codable {
    public var line: Int
    public var key: String
    public init(line: Int, key: String) {
        self.line = line
        self.key = key
    }
}

/// One site's endpoints.
public struct SiteConfig: Sendable, Equatable {
    public var name: String
    public var xenserver: XenServerConfig?
    public var cloudstack: CloudStackConfig?
    public var razor: RazorConfig?
    public var media: [MediaSourceInfo]
    /// How many install jobs of this site run at once (`install_concurrency`).
    public var installConcurrency: Int

    /// The per-site limit when the configuration names none.
    public static let defaultInstallConcurrency = 4

    public init(name: String, xenserver: XenServerConfig? = nil, cloudstack: CloudStackConfig? = nil,
                razor: RazorConfig? = nil, media: [MediaSourceInfo] = [],
                installConcurrency: Int = SiteConfig.defaultInstallConcurrency) {
        self.name = name
        self.installConcurrency = installConcurrency
        self.xenserver = xenserver
        self.cloudstack = cloudstack
        self.razor = razor
        self.media = media
    }

    /// The model's view of this site (no secrets).
    public var site: Site {
        Site(name: name, xenserverURL: xenserver?.url, cloudstackURL: cloudstack?.url, razorURL: razor?.url,
             mediaSources: media, wimboot: razor?.wimboot)
    }
}

public struct XenServerConfig: Sendable, Equatable {
    public var url: String
    public var username: String
    public var password: SecretRef
    public var verifyTLS: Bool
    public init(url: String, username: String, password: SecretRef, verifyTLS: Bool = true) {
        self.url = url
        self.username = username
        self.password = password
        self.verifyTLS = verifyTLS
    }
}

public struct CloudStackConfig: Sendable, Equatable {
    public var url: String
    public var apiKey: SecretRef
    public var secretKey: SecretRef
    /// Seconds between listings.
    public var pollInterval: TimeInterval
    public var verifyTLS: Bool
    public init(url: String, apiKey: SecretRef, secretKey: SecretRef, pollInterval: TimeInterval = 15,
                verifyTLS: Bool = true) {
        self.url = url
        self.apiKey = apiKey
        self.secretKey = secretKey
        self.pollInterval = pollInterval
        self.verifyTLS = verifyTLS
    }
}

public struct RazorConfig: Sendable, Equatable {
    public var url: String
    public var username: String?
    public var password: SecretRef?
    /// Seconds between collection refreshes.
    public var pollInterval: TimeInterval
    /// wimboot's builds in Razor's repo store (`wimboot:`).
    public var wimboot: WimbootFiles
    public init(url: String, username: String? = nil, password: SecretRef? = nil, pollInterval: TimeInterval = 120,
                wimboot: WimbootFiles = WimbootFiles()) {
        self.url = url
        self.username = username
        self.password = password
        self.pollInterval = pollInterval
        self.wimboot = wimboot
    }
}

/// How media is offered to installing machines.
public struct ExposureConfig: Sendable, Equatable {
    /// Address:port the HTTP server for boot files binds to.
    public var httpBind: String
    /// Host name or address installing machines reach this host at; needed
    /// when `httpBind` is a wildcard address (nodes cannot fetch from 0.0.0.0).
    public var advertiseHost: String?
    /// Where the SMB share views of ISOs are mounted.
    public var smbShareRoot: String?
    /// The smb.conf include file Vizor owns (smb.conf has `include = <it>`);
    /// SMB exposure is on when this is set.
    public var sambaIncludeFile: String?
    /// The smb.conf the running smbd uses, for `smbcontrol`; nil: the system's.
    public var sambaConfigFile: String?
    /// curl.exe builds to inject into WinPE (`winpe_curl`), per architecture.
    public var winPECurl = WinPECurlFiles()
    /// The Samba account WinPE maps the shares with (`samba_user`); nil: guest shares.
    public var sambaUser: String?
    /// Its password (`samba_password`), delivered to each install's WinPE start-up.
    public var sambaPassword: SecretRef?
    /// Loopback and a kernel-chosen port unless the file says otherwise: the
    /// rendered artefacts carry the real URL, so no fixed port is needed.
    public init(httpBind: String = "127.0.0.1:0", advertiseHost: String? = nil, smbShareRoot: String? = nil,
                sambaIncludeFile: String? = nil, sambaConfigFile: String? = nil) {
        self.httpBind = httpBind
        self.advertiseHost = advertiseHost
        self.smbShareRoot = smbShareRoot
        self.sambaIncludeFile = sambaIncludeFile
        self.sambaConfigFile = sambaConfigFile
    }

    /// `httpBind` split into address and port (validated when the file was read).
    public var bindAddress: (host: String, port: Int) {
        guard let colon = httpBind.lastIndex(of: ":"), let port = Int(httpBind[httpBind.index(after: colon)...]) else {
            return (httpBind, 8080)
        }
        var host = String(httpBind[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }
}

/// The curl.exe the WinPE start-up uses, per Windows architecture (`winpe_curl:`
/// in `exposure`): absolute paths on this host, or nil to rely on the medium's
/// `boot.wim` having `Windows\System32\curl.exe`.
public struct WinPECurlFiles: Sendable, Equatable {
    public var x86: String?
    public var amd64: String?
    public var arm64: String?
    public init(x86: String? = nil, amd64: String? = nil, arm64: String? = nil) {
        self.x86 = x86
        self.amd64 = amd64
        self.arm64 = arm64
    }

    /// The configured files, by the architecture names answer files use.
    public var configured: [(architecture: String, path: String)] {
        [("x86", x86), ("amd64", amd64), ("arm64", arm64)].compactMap { entry in entry.1.map { (entry.0, $0) } }
    }

    /// The file for an architecture (`x86`, `amd64`, `arm64`).
    public func path(for architecture: String) -> String? {
        configured.first { $0.architecture == architecture }?.path
    }
}

/// Defaults for new installs: what `vizor install start` and the wizard use
/// when the operator names no locale, keyboard or time zone, and the rule
/// the Administrator password must meet.
public struct InstallDefaults: Sendable, Equatable {
    public var locale: String
    /// nil: the keyboard of the locale.
    public var keyboard: String?
    public var timeZone: String
    public var passwordPolicy: PasswordPolicy
    public init(locale: String = "en-US", keyboard: String? = nil, timeZone: String = "UTC",
                passwordPolicy: PasswordPolicy = PasswordPolicy()) {
        self.locale = locale
        self.keyboard = keyboard
        self.timeZone = timeZone
        self.passwordPolicy = passwordPolicy
    }
}

/// What generated and operator-chosen passwords must satisfy.
public struct PasswordPolicy: Sendable, Hashable {
    public var minLength: Int
    /// How many of: lower case, upper case, digits, symbols.
    public var requireClasses: Int
    public init(minLength: Int = 14, requireClasses: Int = 3) {
        self.minLength = minLength
        self.requireClasses = requireClasses
    }

    /// Whether a password satisfies the policy (Windows complexity counts classes the same way).
    public func accepts(_ password: String) -> Bool {
        guard password.count >= minLength else { return false }
        let classes = [
            password.contains { $0.isLowercase }, password.contains { $0.isUppercase },
            password.contains { $0.isNumber }, password.contains { !$0.isLetter && !$0.isNumber },
        ].filter { $0 }.count
        return classes >= requireClasses
    }
}

/// A problem with the configuration, naming the file, the line and the key.
public struct ConfigIssue: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var key: String
    public var message: String

    public init(file: String, line: Int?, key: String, message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    public var description: String {
        let place = line.map { "\(file):\($0)" } ?? file
        return key.isEmpty ? "\(place): \(message)" : "\(place): \(key): \(message)"
    }
}

/// Every problem found in one file.
public struct ConfigErrors: Error, Sendable, Equatable, CustomStringConvertible {
    public var issues: [ConfigIssue]
    public init(_ issues: [ConfigIssue]) {
        self.issues = issues
    }
    public var description: String { issues.map(\.description).joined(separator: "\n") }
}
