import Foundation
import Testing
import VizorExposure

/// A request target and the status it must get; nothing may be served.
struct Attempt: CustomStringConvertible, Sendable {
    var target: [UInt8]
    var status: Int
    var description: String { String(decoding: target, as: UTF8.self).debugDescription }
    init(_ target: String, _ status: Int) { self.target = Array(target.utf8); self.status = status }
    init(bytes: [UInt8], _ status: Int) { self.target = bytes; self.status = status }
}

let refusals: [Attempt] = [
    Attempt("/media/img-1/../../etc/passwd", 400),
    Attempt("/media/img-1/sources/../../../etc/passwd", 400),
    Attempt("/media/img-1/%2e%2e/%2e%2e/etc/passwd", 400),
    Attempt("/media/img-1/%2E%2E%2Fetc%2Fpasswd", 400),
    Attempt("/media/img-1/sources%2finstall.wim", 400),
    Attempt("/media/img-1/sources%5cinstall.wim", 400),
    Attempt("/media/img-1/sources\\install.wim", 400),
    Attempt("/media/img-1/..%5c..%5cetc%5cpasswd", 400),
    Attempt("/media/img-1//etc/passwd", 400),
    Attempt("/media/img-1/sources/install.wim%00.txt", 400),
    Attempt("/media/img-1/%00", 400),
    Attempt("/media/../media/img-1/bootmgr", 400),
    Attempt("/media/img-1/./bootmgr", 400),
    Attempt("/media/img-1/%2e/bootmgr", 400),
    Attempt("/media/img-1/sources/install.wim/..", 400),
    Attempt("/media/img-1/bootmgr%", 400),
    Attempt("/media/img-1/bootmgr%zz", 400),
    Attempt("/media/img-1/%c0%ae%c0%ae/etc/passwd", 400),
    Attempt("/media/img-1/%ff%fe", 400),
    Attempt("/media/img-1/C:/Windows/win.ini", 400),
    Attempt("/media/img-1/sources%0d%0aX-Injected:%20yes", 400),
    Attempt("http://127.0.0.1/media/img-1/bootmgr", 400),
    Attempt("*", 400),
    Attempt("/media/img-1/" + String(repeating: "a/", count: 40) + "x", 414),
    Attempt("/media/img-1/" + String(repeating: "a", count: 300), 414),
    Attempt("/media/img-1/" + String(repeating: "x", count: 3000), 414),
    Attempt("/media/img-2/bootmgr", 404),
    Attempt("/media/..%2fimg-1/bootmgr", 400),
    Attempt("/media/img-1/sources", 404),
    Attempt("/media/img-1", 404),
    Attempt("/media/img-1/", 400),
    Attempt("/etc/passwd", 404),
    Attempt("/media/img-1/..;/bootmgr", 404),
    Attempt("/media/img-1/%20bootmgr", 404),
    Attempt(bytes: Array("/media/img-1/boot".utf8) + [0] + Array("mgr".utf8), 400),
]

@Suite("Traversal and malformed paths", .serialized)
struct PathRefusalTests {
    @Test("each attempt is refused with its status and serves nothing", arguments: refusals)
    func refused(attempt: Attempt) async throws {
        let fixtures = try Fixtures.get()
        let served = try await ServedISO(iso: fixtures.bridgeISO)
        let request = Array("GET ".utf8) + attempt.target + Array(" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8)
        let response = try await rawRequest(port: served.server.port, request)
        #expect(response.status == attempt.status)
        #expect(response.body.count < 64, "a refusal carries only a status line body")
        #expect(response.header("ETag") == nil)
        for content in fixtures.files.values where content.count >= 16 {
            #expect(response.body.range(of: content.prefix(16)) == nil)
        }
        #expect(response.header("X-Injected") == nil)
        await served.server.stop()
    }

    @Test("the table holds at least 20 attempts")
    func tableIsLargeEnough() { #expect(refusals.count >= 20) }

    @Test("the parser keeps sound paths and decodes percent-escapes")
    func soundPathsParse() {
        #expect(RequestTarget.parse("/media/abc/sources/install.wim?x=1")
                == .media(imageID: "abc", components: ["sources", "install.wim"]))
        #expect(RequestTarget.parse("/media/abc/Docs/Read%20Me.txt") == .media(imageID: "abc", components: ["Docs", "Read Me.txt"]))
        #expect(RequestTarget.parse("/artefacts/node-1/unattend.xml") == .artefacts(components: ["node-1", "unattend.xml"]))
    }
}

struct EchoArtefacts: ArtefactRoute {
    func respond(to request: RouteRequest) async -> RouteResponse {
        RouteResponse(status: 200, headers: [("Content-Type", "text/plain")],
                      body: Array("artefact \(request.components.joined(separator: "/")) for \(request.client)".utf8))
    }
}

@Suite("Artefact route hook")
struct ArtefactRouteTests {
    @Test("the /artefacts/ prefix goes to the pluggable handler, after the same sanitising")
    func artefactsAreRouted() async throws {
        let server = try await MediaHTTPServer.start(host: "127.0.0.1", port: 0, images: ExposedImages(),
                                                     artefacts: EchoArtefacts(), threads: 1)
        let ok = try await rawGET(port: server.port, target: "/artefacts/node-7/unattend.xml")
        #expect(ok.status == 200)
        #expect(String(decoding: ok.body, as: UTF8.self) == "artefact node-7/unattend.xml for 127.0.0.1")
        let bad = try await rawGET(port: server.port, target: "/artefacts/../media/x/y")
        #expect(bad.status == 400)
        await server.stop()
        let plain = try await MediaHTTPServer.start(host: "127.0.0.1", port: 0, images: ExposedImages(), threads: 1)
        #expect(try await rawGET(port: plain.port, target: "/artefacts/node-7/unattend.xml").status == 404)
        await plain.stop()
    }
}

@Suite("Range and validator rules")
struct RangeAndValidatorTests {
    @Test("range headers resolve against the size as RFC 9110 says")
    func rangeParsing() {
        #expect(RangeRequest.parse(nil, size: 100) == .whole)
        #expect(RangeRequest.parse("bytes=0-49", size: 100) == .ranges([0...49]))
        #expect(RangeRequest.parse("bytes=90-200", size: 100) == .ranges([90...99]))
        #expect(RangeRequest.parse("bytes=-10", size: 100) == .ranges([90...99]))
        #expect(RangeRequest.parse("bytes=-1000", size: 100) == .ranges([0...99]))
        #expect(RangeRequest.parse("bytes=100-", size: 100) == .unsatisfiable)
        #expect(RangeRequest.parse("bytes=5-1", size: 100) == .whole)
        #expect(RangeRequest.parse("bytes=a-b", size: 100) == .whole)
        #expect(RangeRequest.parse("bytes=0-0,200-300,-1", size: 100) == .ranges([0...0, 99...99]))
        #expect(RangeRequest.parse("bytes=0-0", size: 0) == .unsatisfiable)
        let many = "bytes=" + (0..<100).map { "\($0)-\($0)" }.joined(separator: ",")
        #expect(RangeRequest.parse(many, size: 1000) == .whole)
    }

    @Test("HTTP dates round-trip and bad dates are ignored")
    func dates() {
        let date = Date(timeIntervalSince1970: 784_111_777)
        #expect(HTTPDate.format(date) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
        #expect(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT") == nil)
        let validators = Validators(etag: "\"a\"", lastModified: 784_111_777)
        #expect(validators.evaluate(ifMatch: nil, ifUnmodifiedSince: nil, ifNoneMatch: nil,
                                    ifModifiedSince: "garbage", ifRange: nil, hasRange: false) == .proceed(honourRange: false))
        #expect(validators.evaluate(ifMatch: nil, ifUnmodifiedSince: nil, ifNoneMatch: "\"b\"",
                                    ifModifiedSince: "Sun, 06 Nov 1994 08:49:37 GMT", ifRange: nil, hasRange: false)
                == .proceed(honourRange: false), "If-None-Match overrides If-Modified-Since")
        #expect(validators.evaluate(ifMatch: nil, ifUnmodifiedSince: nil, ifNoneMatch: nil, ifModifiedSince: nil,
                                    ifRange: "W/\"a\"", hasRange: true) == .proceed(honourRange: false))
    }
}
