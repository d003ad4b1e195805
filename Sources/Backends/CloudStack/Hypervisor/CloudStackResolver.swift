import BackendKit

/// Turns the names an operator writes in a site profile (zone, offerings,
/// ISO, network, OS type) into ids, requiring exactly one match, as the
/// original `cloudmonkey ... keyword=` lookups did.
struct CloudStackResolver: Sendable {
    let client: CloudStackClient

    func zone(_ nameOrID: String?) async throws -> CSZone {
        let zones = try await client.listZones()
        if let nameOrID, !nameOrID.isEmpty {
            return try pick(zones.filter { $0.id == nameOrID || $0.name == nameOrID }, what: "zone", named: nameOrID, all: zones.map(\.name))
        }
        guard zones.count == 1 else {
            throw BackendError(.invalidInput, backend: cloudstackBackendName,
                               message: zones.isEmpty ? "the cloud has no zone" : "several zones (\(zones.map(\.name).joined(separator: ", "))); name one",
                               hint: "set the zone in the site profile")
        }
        return zones[0]
    }

    func serviceOffering(_ nameOrID: String?, vcpus: Int, memoryMiB: Int, zoneID: String) async throws -> CSServiceOffering {
        let offerings = try await client.listServiceOfferings(zoneID: zoneID)
        if let nameOrID, !nameOrID.isEmpty {
            return try pick(offerings.filter { $0.id == nameOrID || $0.name == nameOrID }, what: "service offering",
                            named: nameOrID, all: offerings.map(\.name))
        }
        let matching = offerings.filter { $0.cpuNumber == vcpus && $0.memoryMiB == memoryMiB }
        guard let first = matching.first else {
            throw BackendError(.invalidInput, backend: cloudstackBackendName,
                               message: "no service offering with \(vcpus) vCPUs and \(memoryMiB) MiB",
                               hint: "name one of: \(offerings.map(\.name).joined(separator: ", "))")
        }
        return first
    }

    func diskOffering(_ nameOrID: String?, sizeGiB: Int, zoneID: String) async throws -> CSDiskOffering {
        let offerings = try await client.listDiskOfferings(zoneID: zoneID)
        if let nameOrID, !nameOrID.isEmpty {
            return try pick(offerings.filter { $0.id == nameOrID || $0.name == nameOrID }, what: "disk offering",
                            named: nameOrID, all: offerings.map(\.name))
        }
        if let exact = offerings.first(where: { $0.diskSizeGiB == sizeGiB && !$0.isCustomized }) { return exact }
        if let custom = offerings.first(where: \.isCustomized) { return custom }
        throw BackendError(.invalidInput, backend: cloudstackBackendName, message: "no disk offering of \(sizeGiB) GiB and none custom",
                           hint: "name one of: \(offerings.map(\.name).joined(separator: ", "))")
    }

    func iso(_ nameOrID: String, zoneID: String) async throws -> CSTemplate {
        let isos = try await client.listIsos(filter: .executable, zoneID: zoneID)
        return try pick(isos.filter { $0.id == nameOrID || $0.name == nameOrID }, what: "ISO", named: nameOrID, all: isos.map(\.name))
    }

    func networks(_ nameOrID: String, zone: CSZone) async throws -> [String] {
        // Basic zones refuse a network id (error 431): leave it to the zone.
        if zone.networkType.lowercased() == "basic" { return [] }
        let networks = try await client.listNetworks(zoneID: zone.id).filter(\.canUseForDeploy)
        if nameOrID.isEmpty { return networks.first.map { [$0.id] } ?? [] }
        return [try pick(networks.filter { $0.id == nameOrID || $0.name == nameOrID }, what: "network", named: nameOrID,
                         all: networks.map(\.name)).id]
    }

    func osType(_ descriptionOrID: String, fallback: String?) async throws -> String {
        if descriptionOrID.isEmpty, let fallback { return fallback }
        let types = try await client.listOsTypes()
        return try pick(types.filter { $0.id == descriptionOrID || $0.description == descriptionOrID }, what: "OS type",
                        named: descriptionOrID, all: []).id
    }

    private func pick<T>(_ matches: [T], what: String, named: String, all: [String]) throws -> T {
        if matches.count == 1 { return matches[0] }
        if matches.isEmpty {
            let known = all.isEmpty ? "" : "; known: \(all.prefix(12).joined(separator: ", "))"
            throw BackendError(.notFound, backend: cloudstackBackendName, message: "no \(what) named \(named)\(known)")
        }
        throw BackendError(.invalidInput, backend: cloudstackBackendName, message: "\(matches.count) \(what)s are named \(named); use the id")
    }
}
