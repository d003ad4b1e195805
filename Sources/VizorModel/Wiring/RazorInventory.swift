import BackendKit
import Foundation
import VizorRazor

/// Razor's collections, counted through the ordinary Razor client, for the
/// slow refresher and `doctor`.
public struct RazorInventory: ProvisioningInventory {
    public let client: RazorClient
    /// The collections shown; the ones a server does not offer are skipped.
    public static let collections = ["nodes", "repos", "tasks", "tags", "policies", "brokers"]

    public init(client: RazorClient) {
        self.client = client
    }

    public func collectionSizes() async throws -> [String: Int] {
        let api = try await client.discover()
        var sizes: [String: Int] = [:]
        for name in Self.collections where api.collections[name] != nil {
            sizes[name] = try await client.list(name).count
        }
        return sizes
    }
}
