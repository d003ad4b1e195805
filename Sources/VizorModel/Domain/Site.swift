import BackendKit
import Foundation

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

    public var id: String { name }

    public init(name: String, isLab: Bool = false, xenserverURL: String? = nil, cloudstackURL: String? = nil,
                razorURL: String? = nil, mediaSources: [MediaSourceInfo] = []) {
        self.name = name
        self.isLab = isLab
        self.xenserverURL = xenserverURL
        self.cloudstackURL = cloudstackURL
        self.razorURL = razorURL
        self.mediaSources = mediaSources
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
