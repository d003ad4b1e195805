import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// A TCP relay in front of the lab that a test can cut, to see what the
/// client does when a connection drops in the middle of a call.
final class FaultProxy: @unchecked Sendable {
    private let listener: any Channel
    private let registry: Registry
    let port: Int

    /// With `tls`, the relay terminates TLS (an https front for the plain-HTTP lab).
    init(targetPort: Int, tls: NIOSSLContext? = nil) async throws {
        let registry = Registry()
        listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { inbound in
                registry.add(inbound)
                if let tls {
                    do { try inbound.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) } catch {
                        return inbound.eventLoop.makeFailedFuture(error)
                    }
                }
                return ClientBootstrap(group: inbound.eventLoop).connect(host: "127.0.0.1", port: targetPort).flatMapThrowing { outbound in
                    registry.add(outbound)
                    try outbound.pipeline.syncOperations.addHandler(Relay(partner: inbound))
                    try inbound.pipeline.syncOperations.addHandler(Relay(partner: outbound))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = listener.localAddress?.port ?? 0
        self.registry = registry
    }

    /// Drops every open connection (both sides), keeping the listener.
    func cutAll() { registry.closeAll() }

    /// Stops listening and drops everything.
    func shutdown() async {
        registry.closeAll()
        try? await listener.close()
    }

    final class Registry: @unchecked Sendable {
        private let lock = NSLock()
        private var channels: [any Channel] = []
        func add(_ c: any Channel) { lock.lock(); channels.append(c); lock.unlock() }
        func closeAll() {
            lock.lock(); let all = channels; channels = []; lock.unlock()
            for c in all { c.close(promise: nil) }
        }
    }

    final class Relay: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let partner: any Channel
        init(partner: any Channel) { self.partner = partner }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            partner.writeAndFlush(unwrapInboundIn(data), promise: nil)
        }
        func channelInactive(context: ChannelHandlerContext) { partner.close(promise: nil) }
        func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
    }
}
