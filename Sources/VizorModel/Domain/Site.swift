import BackendKit
import Foundation
import VizorProvisioning

/// Which kind of backend a poller talks to; the header shows one health per
/// (site, kind) so an operator sees at a glance which product is in trouble.
public enum BackendKindName: String, Sendable, Codable, CaseIterable, Comparable {
    case xenserver, cloudstack, razor, media

    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// Names one backend of one site: the key of health, pollers and generations.
public struct BackendID: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var site: String
    public var kind: BackendKindName

    public init(site: String, kind: BackendKindName) {
        self.site = site
        self.kind = kind
    }

    public var description: String { "\(site)/\(kind.rawValue)" }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.site, lhs.kind) < (rhs.site, rhs.kind)
    }
}

/// A place where Vizor builds machines: one CloudStack and/or one XenServer,
/// the Razor server that drives installs there, and where the ISOs are.
/// Holds no secret: secrets stay in the configuration and the clients.
public struct Site: Sendable, Equatable, Codable, Identifiable {
    public var name: String
    /// True for the embedded lab, so the header can say so.
    public var isLab: Bool
    /// Base URLs, for display and `doctor`.
    public var xenserverURL: String?
    public var cloudstackURL: String?
    public var razorURL: String?
    public var mediaSources: [MediaSourceInfo]
    /// Where the site's installs load wimboot from (with Razor).
    public var wimboot: WimbootFiles?

    public var id: String { name }

    public init(name: String, isLab: Bool = false, xenserverURL: String? = nil, cloudstackURL: String? = nil,
                razorURL: String? = nil, mediaSources: [MediaSourceInfo] = [], wimboot: WimbootFiles? = nil) {
        self.name = name
        self.isLab = isLab
        self.xenserverURL = xenserverURL
        self.cloudstackURL = cloudstackURL
        self.razorURL = razorURL
        self.mediaSources = mediaSources
        self.wimboot = wimboot ?? (razorURL == nil ? nil : WimbootFiles())
    }

    /// The backends this site has, in display order.
    public var backends: [BackendID] {
        var ids: [BackendID] = []
        if xenserverURL != nil { ids.append(BackendID(site: name, kind: .xenserver)) }
        if cloudstackURL != nil { ids.append(BackendID(site: name, kind: .cloudstack)) }
        if razorURL != nil { ids.append(BackendID(site: name, kind: .razor)) }
        if !mediaSources.isEmpty { ids.append(BackendID(site: name, kind: .media)) }
        return ids
    }
}

/// A directory of ISOs (local or a mounted share) the catalog scans.
public struct MediaSourceInfo: Sendable, Equatable, Codable {
    public var name: String
    public var path: String
    public init(name: String, path: String) {
        self.name = name
        self.path = path
    }
}

/// wimboot's builds as a site's installs fetch them (`razor.wimboot` in the
/// configuration): each a path in Razor's repo store (`repo_store_root`,
/// served at `/svc/repo/<path>`) or a full http(s) URL. `x86_64` is the
/// release file `wimboot` (BIOS and 64-bit UEFI), `i386` is `wimboot.i386`
/// (BIOS and 32-bit UEFI, for 32-bit Windows), `arm64` is `wimboot.arm64`.
public struct WimbootFiles: Sendable, Equatable, Codable {
    public var x86_64: String
    public var i386: String
    /// nil: `wimboot.arm64`, not checked by `doctor` (few sites install ARM64 Windows).
    public var arm64: String?

    public init(x86_64: String = "wimboot", i386: String = "wimboot.i386", arm64: String? = nil) {
        self.x86_64 = x86_64
        self.i386 = i386
        self.arm64 = arm64
    }

    /// The files `doctor` checks, with the machine type each must be built for.
    public var checked: [(file: String, machine: PEImage.Machine)] {
        [(x86_64, .x86_64), (i386, .i386)] + (arm64.map { [($0, .arm64)] } ?? [])
    }

    /// A file's URL: itself when it is a URL, else under Razor's `/svc/repo/`.
    public static func url(_ file: String, razorService: String) -> String {
        if file.hasPrefix("http://") || file.hasPrefix("https://") { return file }
        return razorService + "/repo/" + file
    }
}
