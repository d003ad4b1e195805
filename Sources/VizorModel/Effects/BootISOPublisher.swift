import BackendKit
import Foundation
import VizorProvisioning

/// The boot ISO on one hypervisor of a site, as `doctor` and `boot-iso
/// publish` report it.
public struct BootISOStatus: Sendable, Equatable, Encodable {
    public var site: String
    public var backend: String
    public var name: String
    /// The SHA-256 of the ISO `vizor boot-iso build` makes now; nil when it
    /// cannot be built here (no Razor URL, a missing piece).
    public var expectedSHA256: String?
    public var copies: [BootISOCopy]
    /// What `publish` did: `published`, `replaced`, `unchanged`; nil for a check.
    public var action: String?
    /// Why this hypervisor could not be checked or published to.
    public var error: BackendError?

    public var present: Bool { !copies.isEmpty }
    public var ready: Bool { present && copies.allSatisfy(\.ready) }
    /// Every copy has the checksum of the ISO `build` makes now.
    public var current: Bool { present && expectedSHA256 != nil && copies.allSatisfy { $0.sha256 == expectedSHA256 } }

    public init(site: String, backend: String, name: String, expectedSHA256: String?, copies: [BootISOCopy], action: String? = nil) {
        self.site = site
        self.backend = backend
        self.name = name
        self.expectedSHA256 = expectedSHA256
        self.copies = copies
        self.action = action
    }

    enum CodingKeys: String, CodingKey {
        case site, backend, name, expectedSHA256 = "expected_sha256", copies, action, error, hint, present, ready, current
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(site, forKey: .site)
        try c.encode(backend, forKey: .backend)
        try c.encode(name, forKey: .name)
        try c.encode(expectedSHA256, forKey: .expectedSHA256)
        try c.encode(copies, forKey: .copies)
        try c.encodeIfPresent(action, forKey: .action)
        try c.encodeIfPresent(error?.message, forKey: .error)
        try c.encodeIfPresent(error?.hint, forKey: .hint)
        try c.encode(present, forKey: .present)
        try c.encode(ready, forKey: .ready)
        try c.encode(current, forKey: .current)
    }

    /// One line for an operator.
    public var summary: String {
        if let error { return error.message + (error.hint.map { " — \($0)" } ?? "") }
        guard present else { return "\(name) is missing" }
        let places = copies.map { "\($0.location): \($0.ready ? "ready" : $0.status)" }.joined(separator: ", ")
        let checksum: String
        if current {
            checksum = "checksum matches the ISO boot-iso build makes now"
        } else if expectedSHA256 == nil {
            checksum = "checksum not compared (the ISO cannot be built here)"
        } else if copies.contains(where: { $0.sha256 == nil }) {
            checksum = "no checksum recorded (not published by vizor)"
        } else {
            checksum = "checksum differs from the ISO boot-iso build makes now"
        }
        return "\(name) \(ready ? "ready" : "not ready") (\(places)); \(checksum)"
    }
}

/// Finds and publishes the boot ISO on a site's hypervisors.
public enum BootISOPublisher {
    /// The site's hypervisors that can hold the boot ISO.
    public static func hosts(_ connected: ConnectedSites, site: Site) -> [(id: BackendID, host: any BootISOHost)] {
        site.backends.compactMap { id in
            guard let host = connected.backends[id]?.hypervisor as? any BootISOHost else { return nil }
            return (id, host)
        }
    }

    /// Where the boot ISO is on every hypervisor of the site.
    public static func status(_ connected: ConnectedSites, site: Site, name: String, expectedSHA256: String?) async throws -> [BootISOStatus] {
        var result: [BootISOStatus] = []
        for (id, host) in hosts(connected, site: site) {
            var status = BootISOStatus(site: site.name, backend: id.kind.rawValue, name: name, expectedSHA256: expectedSHA256, copies: [])
            do {
                status.copies = try await host.bootISOCopies(name: name)
            } catch {
                status.error = backendError(error, backend: id.kind.rawValue)
            }
            result.append(status)
        }
        return result
    }

    /// Publishes `image` as `name` on every hypervisor of the site: nothing
    /// to do where every copy already has its checksum; an outdated or
    /// foreign copy is replaced only with `replace`, else refused.
    /// CloudStack downloads the ISO from `serving` (offered under a one-time
    /// token while this runs). A hypervisor that fails does not stop the
    /// others; its status carries the error.
    public static func publish(_ image: BootISOImage, name: String, site: Site, connected: ConnectedSites,
                               serving: InstallServing, replace: Bool) async throws -> [BootISOStatus] {
        let key = "boot-iso-" + site.name
        var offered = false
        var result: [BootISOStatus] = []
        let targets = hosts(connected, site: site)
        if targets.isEmpty {
            throw BackendError(.invalidInput, backend: "vizor", message: "site \(site.name) has no hypervisor to publish the boot ISO to")
        }
        for (id, host) in targets {
            var status = BootISOStatus(site: site.name, backend: id.kind.rawValue, name: name, expectedSHA256: image.sha256, copies: [])
            do {
                try await publish(image, to: host, id: id, key: key, status: &status, serving: serving, replace: replace,
                                  offered: &offered)
            } catch {
                status.error = backendError(error, backend: id.kind.rawValue)
            }
            result.append(status)
        }
        if offered { await serving.registry.withdraw(key) }
        return result
    }

    private static func publish(_ image: BootISOImage, to host: any BootISOHost, id: BackendID, key: String,
                                status: inout BootISOStatus, serving: InstallServing, replace: Bool,
                                offered: inout Bool) async throws {
        let name = status.name
        let copies = try await host.bootISOCopies(name: name)
        status.copies = copies
        if status.current {
            status.action = "unchanged"
            return
        }
        if status.present && !replace {
            throw BackendError(.conflict, backend: "vizor", message: status.summary,
                               hint: "run `vizor boot-iso publish --site \(id.site) --replace` to replace it")
        }
        var url: String?
        if id.kind == .cloudstack {
            guard let data = FileManager.default.contents(atPath: image.path) else {
                throw BackendError(.notFound, backend: "vizor", message: "the boot ISO is not readable at \(image.path)")
            }
            let token = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            await serving.registry.offer(Artefact(name: name, contentType: "application/octet-stream", body: Array(data),
                                                  carriesSecrets: false), key: key, token: token)
            offered = true
            url = try await serving.baseURL() + "/artefacts/\(key)/\(name)?token=\(token)"
        }
        let upload = BootISOUpload(name: name, sha256: image.sha256, bytes: image.bytes, path: image.path, url: url)
        status.copies = try await host.publishBootISO(upload, removing: copies)
        status.action = copies.isEmpty ? "published" : "replaced"
    }
}

extension Doctor {
    /// One `doctor` line per hypervisor: is the boot ISO there, ready, and
    /// the one `vizor boot-iso build` makes now? Missing, not ready, or a
    /// Vizor-published copy with another checksum fail; a copy registered
    /// by hand (no checksum recorded) passes with a note.
    public static func bootISOChecks(_ connected: ConnectedSites, name: String,
                                     expected: [String: String?]) async -> [DoctorCheck] {
        var checks: [DoctorCheck] = []
        for site in connected.sites {
            let started = Date()
            let statuses = (try? await BootISOPublisher.status(connected, site: site, name: name,
                                                               expectedSHA256: expected[site.name] ?? nil)) ?? []
            for status in statuses {
                let milliseconds = Int((Date().timeIntervalSince(started) * 1000).rounded())
                let outdated = status.present && status.expectedSHA256 != nil
                    && status.copies.contains { $0.sha256 != nil && $0.sha256 != status.expectedSHA256 }
                let ok = status.error == nil && status.ready && !outdated
                var hint: String?
                if status.error == nil, !status.present {
                    hint = "run `vizor boot-iso publish --site \(site.name)`"
                } else if outdated || (status.present && !status.current && status.expectedSHA256 != nil) {
                    hint = "run `vizor boot-iso publish --site \(site.name) --replace`"
                }
                checks.append(DoctorCheck(site: site.name, backend: "boot-iso", target: "\(status.backend): \(name)", ok: ok,
                                          milliseconds: milliseconds, detail: status.error?.message ?? status.summary,
                                          errorKind: status.error?.kind.rawValue ?? (ok ? nil : BackendError.Kind.notFound.rawValue),
                                          hint: status.error?.hint ?? hint))
            }
        }
        return checks
    }
}

extension BootISOPublisher {
    /// Why an install on `kind` at `site` cannot boot: the boot ISO `name`
    /// is on none of its zones or ISO libraries. Nil when it is there, or
    /// when the hypervisor cannot be asked now (the job then waits for it).
    public static func missing(_ connected: ConnectedSites, site: String, kind: HypervisorKind, name: String) async -> BackendError? {
        guard let backendKind = BackendKindName(rawValue: kind.rawValue),
              let host = connected.backends[BackendID(site: site, kind: backendKind)]?.hypervisor as? any BootISOHost,
              let copies = try? await host.bootISOCopies(name: name) else { return nil }
        guard copies.isEmpty else { return nil }
        return BackendError(.notFound, backend: "vizor",
                            message: "the boot ISO \(name) is not on \(site) (\(kind.rawValue)): every install boots it",
                            hint: "run `vizor boot-iso build --site \(site)` then `vizor boot-iso publish --site \(site)`")
    }
}
