import Foundation

/// The set of images the HTTP server may serve. Lookups happen on event-loop
/// threads, so this is a lock-guarded table rather than an actor; nothing
/// outside it is reachable through `/media/`.
public final class ExposedImages: @unchecked Sendable {
    private let lock = NSLock()
    private var images: [String: ExposedImage] = [:]

    public init() {}

    public func image(_ id: String) -> ExposedImage? {
        lock.lock(); defer { lock.unlock() }
        return images[id]
    }

    public func insert(_ image: ExposedImage) {
        lock.lock(); defer { lock.unlock() }
        images[image.id] = image
    }

    public func remove(_ id: String) {
        lock.lock(); defer { lock.unlock() }
        images[id] = nil
    }

    public var ids: [String] {
        lock.lock(); defer { lock.unlock() }
        return images.keys.sorted()
    }
}

/// One line of the access log: what the install timeline needs.
public struct AccessLogRecord: Sendable, Equatable, Codable {
    public var client: String
    public var method: String
    public var path: String
    public var status: UInt
    /// Body bytes sent (0 for HEAD and refusals without a body).
    public var bytes: UInt64
    public var durationSeconds: Double

    /// `client method path status bytes duration`, one line, no secrets.
    public var line: String {
        "\(client) \(method) \(path) \(status) \(bytes) \(String(format: "%.6f", durationSeconds))s"
    }
}

/// A request handed to a pluggable route (the `/artefacts/` prefix), after
/// the same path sanitising as `/media/`.
public struct RouteRequest: Sendable {
    public var method: String
    public var components: [String]
    public var headers: [(name: String, value: String)]
    public var client: String
    /// The raw query string (after `?`, without the fragment), nil when absent:
    /// artefact URLs carry the job token there.
    public var query: String? = nil
}

/// What a pluggable route answers; bodies are small generated documents.
public struct RouteResponse: Sendable {
    public var status: UInt
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: UInt, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Serves per-node install artefacts (unattend.xml, iPXE scripts, ...) from
/// the same listener as the media, under `/artefacts/`.
public protocol ArtefactRoute: Sendable {
    func respond(to request: RouteRequest) async -> RouteResponse
}
