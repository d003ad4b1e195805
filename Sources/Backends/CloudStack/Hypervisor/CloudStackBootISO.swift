import BackendKit
import Foundation

/// The boot ISO on CloudStack: an ISO registered by URL (`registerIso`,
/// `bootable=true`, every zone with `zoneid=-1`) that secondary storage
/// downloads from Vizor's media server and checks against the SHA-256 given
/// as `checksum={SHA-256}<hex>`; ready once `listIsos` says `isready` in
/// every zone.
extension CloudStackHypervisor: BootISOHost {
    public func bootISOCopies(name: String) async throws -> [BootISOCopy] {
        // `self` shows this account's ISOs ready or not; `executable` adds
        // public ones (what installs can boot).
        var seen = Set<String>()
        var copies: [BootISOCopy] = []
        for filter: CSTemplateFilter in [.`self`, .executable] {
            for iso in try await client.listIsos(filter: filter, name: name) where iso.name == name {
                guard seen.insert(iso.id + "/" + iso.zoneID).inserted else { continue }
                copies.append(Self.copy(iso))
            }
        }
        return copies.sorted { ($0.location, $0.id) < ($1.location, $1.id) }
    }

    public func publishBootISO(_ upload: BootISOUpload, removing outdated: [BootISOCopy]) async throws -> [BootISOCopy] {
        guard let url = upload.url else {
            throw BackendError(.invalidInput, backend: cloudstackBackendName,
                               message: "registerIso needs a URL secondary storage can download \(upload.name) from")
        }
        for id in Set(outdated.map(\.id)).sorted() {
            try await client.deleteIso(id: id)
        }
        let types = try await client.listOsTypes()
        let osType = types.first { $0.description == "Other (64-bit)" } ?? types.first { $0.description.hasPrefix("Other") } ?? types.first
        let registered = try await client.registerIso(name: upload.name, url: url, zoneID: "-1", osTypeID: osType?.id,
                                                      bootable: true, checksum: "{SHA-256}" + upload.sha256)
        return try await waitUntilReadyEverywhere(id: registered.id, name: upload.name)
    }

    /// listIsos answers one row per zone: every row must say `isready`.
    func waitUntilReadyEverywhere(id: String, name: String) async throws -> [BootISOCopy] {
        let clock = ContinuousClock()
        let jobs = client.configuration.jobs
        let deadline = clock.now.advanced(by: jobs.templateTimeout)
        var interval = jobs.initialInterval
        while true {
            let rows = try await client.listIsos(filter: .self, id: id)
            guard !rows.isEmpty else {
                throw BackendError(.notFound, backend: cloudstackBackendName, message: "ISO \(name) (\(id)) has disappeared")
            }
            if let failed = rows.first(where: { $0.status.lowercased().contains("error") || $0.status.lowercased().contains("fail") }) {
                throw BackendError(.remoteFailure, backend: cloudstackBackendName,
                                   message: "\(name) (\(id)) will not become ready in zone \(failed.zoneName): \(failed.status)")
            }
            if rows.allSatisfy(\.isReady) { return rows.map(Self.copy) }
            if clock.now >= deadline {
                let waiting = rows.filter { !$0.isReady }.map { "\($0.zoneName): \($0.status)" }.joined(separator: ", ")
                throw BackendError(.timeout, backend: cloudstackBackendName,
                                   message: "\(name) (\(id)) not ready after \(Int(jobs.templateTimeout.components.seconds)) s (\(waiting))",
                                   hint: "secondary storage may still be downloading it; vizor doctor shows when it is ready")
            }
            try await Task.sleep(for: min(interval, deadline - clock.now))
            interval = min(interval * jobs.multiplier, jobs.maxInterval)
        }
    }

    static func copy(_ iso: CSTemplate) -> BootISOCopy {
        var sha: String?
        if let checksum = iso.checksum, checksum.uppercased().hasPrefix("{SHA-256}") {
            sha = String(checksum.dropFirst("{SHA-256}".count)).lowercased()
        }
        return BootISOCopy(location: iso.zoneName.isEmpty ? iso.zoneID : iso.zoneName, id: iso.id, name: iso.name,
                           ready: iso.isReady, sha256: sha, status: iso.status)
    }
}
