import BackendKit
import Foundation
import LabCloudStack
import VizorCloudStack

/// Starts a lab CloudStack on 127.0.0.1:0 with fast jobs, hands out clients
/// for its accounts, and always stops it.
func withLab<T>(jobDuration: Duration = .milliseconds(40),
                _ body: (LabCloudStackServer) async throws -> T) async throws -> T {
    let server = try await LabCloudStackServer.start(cloud: LabCloudStack(jobDuration: jobDuration))
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}

extension LabCloudStackServer {
    func configuration(admin: Bool = false, secret: String? = nil, jobTimeout: Duration = .seconds(20),
                       requestTimeout: Duration = .seconds(10), pageSize: Int = 500) -> CloudStackConfiguration {
        let credentials = admin ? cloud.admin : cloud.user
        return CloudStackConfiguration(
            endpoint: URL(string: endpoint.url)!, apiKey: credentials.apiKey, secretKey: secret ?? credentials.secretKey,
            requestTimeout: requestTimeout, pageSize: pageSize,
            jobs: .init(initialInterval: .milliseconds(20), maxInterval: .milliseconds(200), timeout: jobTimeout,
                        templateTimeout: jobTimeout))
    }

    func client(admin: Bool = false, secret: String? = nil, jobTimeout: Duration = .seconds(20),
                requestTimeout: Duration = .seconds(10), pageSize: Int = 500) -> CloudStackClient {
        CloudStackClient(configuration: configuration(admin: admin, secret: secret, jobTimeout: jobTimeout,
                                                      requestTimeout: requestTimeout, pageSize: pageSize))
    }

    func hypervisor(admin: Bool = false, jobTimeout: Duration = .seconds(20), pollInterval: Duration = .milliseconds(100)) -> CloudStackHypervisor {
        CloudStackHypervisor(configuration: configuration(admin: admin, jobTimeout: jobTimeout),
                             options: .init(defaultZone: "lab-zone-1", pollInterval: pollInterval, expungeOnDestroy: admin))
    }
}

/// The spec of an install container on the lab.
func labSpec(_ name: String, tags: [String: String] = ["vizor.job": "job-1"]) -> ContainerSpec {
    ContainerSpec(name: name, location: "lab-zone-1", osTemplate: "Windows Server 2022 (64-bit)", bootISO: "ipxe.iso",
                  serviceOffering: "Medium Instance", diskOffering: "Custom", ownerTags: tags)
}

/// Runs `body` and returns the BackendError it throws (nil if none).
func backendError(_ body: () async throws -> Void) async -> BackendError? {
    do { try await body(); return nil } catch let error as BackendError { return error } catch { return nil }
}
