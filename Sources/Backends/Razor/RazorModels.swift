/// The name this backend uses in its errors and logs.
public let razorBackendName = "razor"

/// What `GET /api` advertises: Razor clients find every URL here, by name.
public struct RazorAPI: Sendable, Equatable {
    public struct Collection: Sendable, Equatable {
        public var name: String
        public var url: String
        /// Query parameters the collection takes (`depth`, and `start`/`limit` where the server pages).
        public var params: [String]
    }

    public var collections: [String: Collection]
    /// Command name to the URL to POST to.
    public var commands: [String: String]
    public var serverVersion: String
}

/// One page of a collection.
public struct RazorPage: Sendable, Equatable {
    public var items: [RazorJSON]
    /// The count before paging, when the server sends it (every collection but tasks).
    public var total: Int?
}

/// What a command's 202 said and where its status lives.
public struct RazorCommandReceipt: Sendable, Equatable {
    public var name: String
    /// The 202 body: a reference (`spec`, `id`, `name`) or `{result}`, plus `command`.
    public var response: RazorJSON
    public var commandURL: String
    /// The name in a reference answer (e.g. the node name of register-node).
    public var objectName: String? { response["name"]?.string }
    public var result: String? { response["result"]?.string }
}

/// A command record from `/api/collections/commands/<id>`.
public struct RazorCommandStatus: Sendable, Equatable {
    public var id: String
    public var command: String
    /// pending, running, finished or failed.
    public var status: String
    public var errors: [String]
}
