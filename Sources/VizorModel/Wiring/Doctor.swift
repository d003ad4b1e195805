import BackendKit
import Foundation

/// One line of `vizor doctor`: a backend reached (with how long it took and
/// what it holds) or not (with the reason).
public struct DoctorCheck: Sendable, Equatable, Codable {
    public var site: String
    public var backend: String
    public var target: String
    public var ok: Bool
    public var milliseconds: Int
    /// What was found ("12 machines, 3 templates") or why it failed.
    public var detail: String
    public var errorKind: String?
    public var hint: String?
}

/// Reaches every backend and media source once, in parallel, each with its own
/// timeout, and fetches the wimboot builds installs load from each Razor site.
public enum Doctor {
    public static func run(_ connected: ConnectedSites, timeout: TimeInterval = 15,
                           winPECurl: WinPECurlFiles = WinPECurlFiles()) async -> [DoctorCheck] {
        let clock = SystemClock()
        let targets: [BackendID: String] = Dictionary(uniqueKeysWithValues: connected.sites.flatMap { site in
            site.backends.map { id -> (BackendID, String) in
                switch id.kind {
                case .xenserver: return (id, site.xenserverURL ?? "")
                case .cloudstack: return (id, site.cloudstackURL ?? "")
                case .razor: return (id, site.razorURL ?? "")
                case .media: return (id, site.mediaSources.map(\.path).joined(separator: ", "))
                }
            }
        })
        return await withTaskGroup(of: DoctorCheck.self) { group in
            for (id, target) in targets {
                let handle = connected.backends[id]
                group.addTask {
                    let started = Date()
                    do {
                        guard let handle else {
                            throw BackendError(.invalidInput, backend: id.kind.rawValue, message: "no client configured")
                        }
                        if id.kind != .media, let refused = await TCPProbe.check(target, backend: id.kind.rawValue,
                                                                                  timeout: min(timeout, 5)) {
                            throw refused
                        }
                        let detail = try await withTimeout(timeout, clock: clock, backend: id.kind.rawValue) {
                            try await probe(handle)
                        }
                        return DoctorCheck(site: id.site, backend: id.kind.rawValue, target: target, ok: true,
                                           milliseconds: elapsed(since: started), detail: detail)
                    } catch {
                        let failure = backendError(error, backend: id.kind.rawValue)
                        return DoctorCheck(site: id.site, backend: id.kind.rawValue, target: target, ok: false,
                                           milliseconds: elapsed(since: started), detail: failure.message,
                                           errorKind: failure.kind.rawValue, hint: failure.hint)
                    }
                }
            }
            var checks: [DoctorCheck] = []
            for await check in group { checks.append(check) }
            checks += await BootFileProbe.wimbootChecks(connected.sites, timeout: timeout)
            checks += BootFileProbe.winPECurlChecks(winPECurl)
            return checks.sorted { ($0.site, $0.backend, $0.target) < ($1.site, $1.backend, $1.target) }
        }
    }

    private static func elapsed(since start: Date) -> Int {
        Int((Date().timeIntervalSince(start) * 1000).rounded())
    }

    private static func probe(_ handle: BackendHandle) async throws -> String {
        switch handle {
        case .streaming(let hypervisor), .polling(let hypervisor, _):
            async let machines = hypervisor.listMachines()
            async let templates = hypervisor.listTemplates()
            let (vms, images) = try await (machines, templates)
            return "\(vms.count) machines, \(images.count) templates"
        case .provisioning(let inventory, _):
            let sizes = try await inventory.collectionSizes()
            return sizes.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        case .media(let scanner, _):
            let images = try await scanner.scan()
            return "\(images.count) ISO images"
        }
    }
}
