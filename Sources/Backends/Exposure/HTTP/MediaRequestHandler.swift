import Foundation
import NIOCore
import NIOHTTP1
import VizorMedia

/// Everything a connection handler needs, shared by all connections.
struct ServingContext: Sendable {
    let images: ExposedImages
    let artefacts: (any ArtefactRoute)?
    let accessLog: @Sendable (AccessLogRecord) -> Void
}

/// Answers one HTTP/1.1 connection: files from exposed ISOs, straight from
/// their extents (file regions, so sendfile on Linux), plus the artefact hook.
final class MediaRequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let serving: ServingContext
    private var head: HTTPRequestHead?
    private var started = NIODeadline.now()
    /// Responses started and not yet fully written; an idle connection
    /// with none is closed, one busy sending a large file is not.
    private var pendingResponses = 0
    private static let zeroChunk = ByteBuffer(repeating: 0, count: 64 * 1024)

    init(serving: ServingContext) { self.serving = serving }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            started = .now()
        case .body:
            break
        case .end:
            guard let requestHead = head else { return }
            head = nil
            pendingResponses += 1
            respond(to: requestHead, context: context)
        }
    }

    /// Malformed requests: the protocol error handler has answered 400;
    /// close so the client is not left waiting.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read, pendingResponses == 0 {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func respond(to request: HTTPRequestHead, context: ChannelHandlerContext) {
        let method = request.method
        let target = RequestTarget.parse(request.uri)
        if case .artefacts(let components) = target, let route = serving.artefacts {
            routeToArtefacts(request, components: components, route: route, context: context)
            return
        }
        guard method == .GET || method == .HEAD else {
            var headers = HTTPHeaders()
            headers.add(name: "Allow", value: "GET, HEAD")
            sendSimple(.methodNotAllowed, extra: headers, request: request, context: context)
            return
        }
        switch target {
        case .refused(let status, _):
            sendSimple(HTTPResponseStatus(statusCode: Int(status)), request: request, context: context)
        case .artefacts:
            sendSimple(.notFound, request: request, context: context)
        case .media(let imageID, let components):
            guard let image = serving.images.image(imageID),
                  let found = try? image.resolve(components), !found.isDirectory else {
                sendSimple(.notFound, request: request, context: context)
                return
            }
            sendFile(found, of: image, request: request, context: context)
        }
    }

    private func validators(for entry: MediaFileEntry, in image: ExposedImage) -> Validators {
        let start = entry.extents.first?.offset ?? 0
        let tag = "\"\(image.fingerprint)-\(String(start, radix: 16))-\(String(entry.size, radix: 16))\""
        return Validators(etag: tag, lastModified: Int64(entry.modified.timeIntervalSince1970.rounded(.down)))
    }

    private func sendFile(_ entry: MediaFileEntry, of image: ExposedImage, request: HTTPRequestHead,
                          context: ChannelHandlerContext) {
        let checks = validators(for: entry, in: image)
        var headers = HTTPHeaders()
        headers.add(name: "ETag", value: checks.etag)
        headers.add(name: "Last-Modified", value: HTTPDate.format(entry.modified))
        headers.add(name: "Accept-Ranges", value: "bytes")
        let rangeHeader = request.headers.first(name: "Range")
        let outcome = checks.evaluate(
            ifMatch: request.headers.first(name: "If-Match"),
            ifUnmodifiedSince: request.headers.first(name: "If-Unmodified-Since"),
            ifNoneMatch: request.headers.first(name: "If-None-Match"),
            ifModifiedSince: request.headers.first(name: "If-Modified-Since"),
            ifRange: request.headers.first(name: "If-Range"),
            hasRange: rangeHeader != nil)
        let honourRange: Bool
        switch outcome {
        case .notModified:
            sendHead(.notModified, headers: headers, length: nil, request: request, context: context)
            return
        case .preconditionFailed:
            sendSimple(.preconditionFailed, request: request, context: context)
            return
        case .proceed(let honour):
            honourRange = honour
        }
        let contentType = ContentTypes.forName(entry.name)
        let ranges = honourRange ? RangeRequest.parse(rangeHeader, size: entry.size) : .whole
        var parts: [BodyPart] = []
        let status: HTTPResponseStatus
        switch ranges {
        case .unsatisfiable:
            headers.add(name: "Content-Range", value: "bytes */\(entry.size)")
            sendSimple(.rangeNotSatisfiable, extra: headers, request: request, context: context)
            return
        case .whole:
            status = .ok
            headers.add(name: "Content-Type", value: contentType)
            parts = ExtentMap.segments(of: entry, from: 0, to: entry.size).map(BodyPart.source)
        case .ranges(let list) where list.count == 1:
            status = .partialContent
            let range = list[0]
            headers.add(name: "Content-Type", value: contentType)
            headers.add(name: "Content-Range", value: "bytes \(range.lowerBound)-\(range.upperBound)/\(entry.size)")
            parts = ExtentMap.segments(of: entry, from: range.lowerBound, to: range.upperBound + 1).map(BodyPart.source)
        case .ranges(let list):
            status = .partialContent
            let boundary = "vizor-" + String(UInt64.random(in: 1...UInt64.max), radix: 36)
            headers.add(name: "Content-Type", value: "multipart/byteranges; boundary=\(boundary)")
            for range in list {
                let partHead = "\r\n--\(boundary)\r\nContent-Type: \(contentType)\r\n"
                    + "Content-Range: bytes \(range.lowerBound)-\(range.upperBound)/\(entry.size)\r\n\r\n"
                parts.append(.text(partHead))
                parts += ExtentMap.segments(of: entry, from: range.lowerBound, to: range.upperBound + 1).map(BodyPart.source)
            }
            parts.append(.text("\r\n--\(boundary)--\r\n"))
        }
        let length = parts.reduce(UInt64(0)) { $0 + $1.length }
        if request.method == .HEAD {
            sendHead(status, headers: headers, length: length, request: request, context: context)
            return
        }
        var fileHandle: NIOFileHandle?
        if parts.contains(where: \.needsImage) {
            let fd = dup(image.descriptor)
            guard fd >= 0 else {
                sendSimple(.serviceUnavailable, request: request, context: context)
                return
            }
            fileHandle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: fd)
        }
        headers.add(name: "Content-Length", value: String(length))
        keepAlive(request, &headers)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))),
                      promise: nil)
        for part in parts {
            switch part {
            case .text(let text):
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
            case .source(.bytes(let bytes)):
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: bytes)))), promise: nil)
            case .source(.zeros(var remaining)):
                while remaining > 0 {
                    var chunk = Self.zeroChunk
                    let take = Int(min(remaining, UInt64(chunk.readableBytes)))
                    chunk.moveWriterIndex(to: take)
                    context.write(wrapOutboundOut(.body(.byteBuffer(chunk))), promise: nil)
                    remaining -= UInt64(take)
                }
            case .source(.image(let offset, let count)):
                if let fileHandle {
                    let region = FileRegion(fileHandle: fileHandle, readerIndex: Int(offset), endIndex: Int(offset + count))
                    context.write(wrapOutboundOut(.body(.fileRegion(region))), promise: nil)
                }
            }
        }
        let opened = fileHandle
        finish(request, status: status, bytes: length, context: context) { if let opened { try? opened.close() } }
    }

    private enum BodyPart {
        case text(String)
        case source(ByteOrigin)
        var length: UInt64 {
            switch self {
            case .text(let text): return UInt64(text.utf8.count)
            case .source(let source): return source.length
            }
        }
        var needsImage: Bool { if case .source(.image) = self { return true } else { return false } }
    }

    private func keepAlive(_ request: HTTPRequestHead, _ headers: inout HTTPHeaders) {
        if !request.isKeepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
    }

    private func sendHead(_ status: HTTPResponseStatus, headers: HTTPHeaders, length: UInt64?,
                          request: HTTPRequestHead, context: ChannelHandlerContext) {
        var headers = headers
        if let length { headers.replaceOrAdd(name: "Content-Length", value: String(length)) }
        keepAlive(request, &headers)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))),
                      promise: nil)
        finish(request, status: status, bytes: 0, context: context, cleanup: {})
    }

    /// A short text body saying the status; no detail that could help probing.
    private func sendSimple(_ status: HTTPResponseStatus, extra: HTTPHeaders = HTTPHeaders(), request: HTTPRequestHead,
                            context: ChannelHandlerContext) {
        let body = "\(status.code) \(status.reasonPhrase)\n"
        var headers = extra
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        keepAlive(request, &headers)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))),
                      promise: nil)
        var sent: UInt64 = 0
        if request.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
            sent = UInt64(body.utf8.count)
        }
        finish(request, status: status, bytes: sent, context: context, cleanup: {})
    }

    private func finish(_ request: HTTPRequestHead, status: HTTPResponseStatus, bytes: UInt64,
                        context: ChannelHandlerContext, cleanup: @escaping @Sendable () -> Void) {
        let started = self.started
        let client = context.remoteAddress?.ipAddress ?? "-"
        let log = serving.accessLog
        let close = !request.isKeepAlive
        let channel = context.channel
        let method = request.method.rawValue
        let path = String(request.uri.prefix(512))
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { result in
            cleanup()
            handler.value.pendingResponses -= 1
            let duration = Double((NIODeadline.now() - started).nanoseconds) / 1e9
            let ok: Bool
            if case .success = result { ok = true } else { ok = false }
            log(AccessLogRecord(client: client, method: method, path: path, status: UInt(status.code),
                                bytes: ok ? bytes : 0, durationSeconds: duration))
            if close || !ok { channel.close(promise: nil) }
        }
    }

    private func routeToArtefacts(_ request: HTTPRequestHead, components: [String], route: any ArtefactRoute,
                                  context: ChannelHandlerContext) {
        let routeRequest = RouteRequest(
            method: request.method.rawValue, components: components,
            headers: request.headers.map { (name: $0.name, value: $0.value) },
            client: context.remoteAddress?.ipAddress ?? "-",
            query: Self.query(of: request.uri))
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        Task {
            let response = await route.respond(to: routeRequest)
            eventLoop.execute {
                let (handler, context) = bound.value
                handler.writeRouteResponse(response, request: request, context: context)
            }
        }
    }

    static func query(of uri: String) -> String? {
        guard let mark = uri.firstIndex(of: "?") else { return nil }
        let rest = uri[uri.index(after: mark)...]
        return String(rest.prefix { $0 != "#" })
    }

    private func writeRouteResponse(_ response: RouteResponse, request: HTTPRequestHead, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        for header in response.headers where header.name.lowercased() != "content-length" {
            headers.add(name: header.name, value: header.value)
        }
        headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
        keepAlive(request, &headers)
        let status = HTTPResponseStatus(statusCode: Int(response.status))
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))),
                      promise: nil)
        var sent: UInt64 = 0
        if request.method != .HEAD && !response.body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: response.body)))), promise: nil)
            sent = UInt64(response.body.count)
        }
        finish(request, status: status, bytes: sent, context: context, cleanup: {})
    }
}
