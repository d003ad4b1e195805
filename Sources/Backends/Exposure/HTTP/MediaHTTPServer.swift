import BackendKit
import NIOCore
import NIOHTTP1
import NIOPosix

/// The read-only HTTP server that wimboot, iPXE and Linux installers fetch
/// install files from: `/media/<image-id>/<path>` straight from the ISO's
/// extents, and `/artefacts/...` from a pluggable route.
public final class MediaHTTPServer: Sendable {
    public let images: ExposedImages
    /// The address actually bound (port resolved when 0 was asked for).
    public let host: String
    public let port: Int
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel

    /// `http://host:port` as clients should use it.
    public var baseURL: String {
        let shown = host.contains(":") ? "[\(host)]" : host
        return "http://\(shown):\(port)"
    }

    /// The URL of a file inside an exposed image.
    public func url(imageID: String, path: String) -> String {
        let encoded = path.split(separator: "/").map { component in
            component.addingPercentEncodingForPath()
        }.joined(separator: "/")
        return "\(baseURL)/media/\(imageID)/\(encoded)"
    }

    private init(images: ExposedImages, host: String, port: Int, group: MultiThreadedEventLoopGroup, channel: any Channel) {
        self.images = images
        self.host = host
        self.port = port
        self.group = group
        self.channel = channel
    }

    /// Binds and starts serving. `port` 0 lets the kernel choose.
    public static func start(host: String, port: Int, images: ExposedImages,
                             artefacts: (any ArtefactRoute)? = nil, threads: Int = System.coreCount,
                             idleTimeout: TimeAmount = .seconds(60),
                             accessLog: @escaping @Sendable (AccessLogRecord) -> Void = { _ in }) async throws -> MediaHTTPServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        let serving = ServingContext(images: images, artefacts: artefacts, accessLog: accessLog)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: idleTimeout))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(MediaRequestHandler(serving: serving))
                }
            }
        do {
            let channel = try await bootstrap.bind(host: host, port: port).get()
            let bound = channel.localAddress?.port ?? port
            return MediaHTTPServer(images: images, host: host, port: bound, group: group, channel: channel)
        } catch {
            try? await group.shutdownGracefully()
            throw BackendError(.conflict, backend: exposureBackendName,
                               message: "cannot listen on \(host):\(port): \(error)",
                               hint: "choose another --bind address or port, or stop what holds it")
        }
    }

    /// Stops listening and closes every open connection.
    public func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }
}

extension Substring {
    func addingPercentEncodingForPath() -> String {
        var out = ""
        for byte in utf8 {
            let unreserved = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "~")
            if unreserved { out.append(Character(Unicode.Scalar(byte))) } else {
                out += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return out
    }
}
