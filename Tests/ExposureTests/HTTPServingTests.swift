import Foundation
import Testing
import VizorExposure
import VizorMedia

/// A server on 127.0.0.1:0 serving one ISO under a given id, with its access log captured.
final class ServedISO: @unchecked Sendable {
    let server: MediaHTTPServer
    let images = ExposedImages()
    let imageID: String
    private let lock = NSLock()
    private var records: [AccessLogRecord] = []

    init(iso: URL, imageID: String = "img-1") async throws {
        self.imageID = imageID
        images.insert(try ExposedImage(id: imageID, fileSystem: try openMediaFileSystem(at: iso)))
        let box = LogBox()
        server = try await MediaHTTPServer.start(host: "127.0.0.1", port: 0, images: images, threads: 2) { box.append($0) }
        box.owner = self
    }

    func log(_ record: AccessLogRecord) { lock.lock(); records.append(record); lock.unlock() }
    var accessLog: [AccessLogRecord] { lock.lock(); defer { lock.unlock() }; return records }

    final class LogBox: @unchecked Sendable {
        weak var owner: ServedISO?
        func append(_ record: AccessLogRecord) { owner?.log(record) }
    }

    func url(_ path: String) -> String { server.url(imageID: imageID, path: path) }
}

/// curl: an independent client that fetches into a file and reports status and headers.
func curl(_ arguments: [String]) throws -> (status: Int, headers: String, body: Data) {
    let directory = try TemporaryDirectory("curl")
    defer { directory.remove() }
    let body = directory.url.appendingPathComponent("body"), headers = directory.url.appendingPathComponent("headers")
    let result = try run("/usr/bin/curl", ["-s", "--max-time", "20", "-o", body.path, "-D", headers.path,
                                           "-w", "%{http_code}"] + arguments)
    let data = (try? Data(contentsOf: body)) ?? Data()
    return (Int(result.output) ?? -1, (try? String(contentsOf: headers, encoding: .utf8)) ?? "", data)
}

@Suite("HTTP serving from inside ISOs", .serialized)
struct HTTPServingTests {
    @Test("every file of a genisoimage -udf and a UDF-only ISO is served byte-identical to 7z extraction",
          arguments: ["bridge", "udf-only"])
    func servesEveryFileLikeSevenZip(kind: String) async throws {
        let fixtures = try Fixtures.get()
        let iso = kind == "bridge" ? fixtures.bridgeISO : fixtures.udfOnlyISO
        let scratch = try TemporaryDirectory("oracle")
        defer { scratch.remove() }
        let oracle = try Extraction(of: iso, into: scratch.url)
        #expect(Set(oracle.files.keys) == Set(fixtures.files.keys))
        let served = try await ServedISO(iso: iso)
        for (path, expected) in oracle.files.sorted(by: { $0.key < $1.key }) {
            let response = try curl([served.url(path)])
            #expect(response.status == 200, "\(path)")
            #expect(sha256(response.body) == sha256(expected), "\(path)")
            #expect(response.headers.lowercased().contains("content-length: \(expected.count)\r"), "\(path)")
        }
        await served.server.stop()
    }

    @Test("lookups ignore case as Windows clients expect, exact case first")
    func caseInsensitiveLookup() async throws {
        let fixtures = try Fixtures.get()
        let served = try await ServedISO(iso: fixtures.bridgeISO)
        let upper = try curl(["\(served.server.baseURL)/media/img-1/SOURCES/INSTALL.WIM"])
        #expect(upper.status == 200)
        #expect(upper.body == fixtures.files["sources/install.wim"])
        let mixed = try curl(["\(served.server.baseURL)/media/img-1/mixed/casename.txt"])
        #expect(mixed.body == fixtures.files["Mixed/CaseName.TXT"])
        await served.server.stop()
    }

    @Test("HEAD gives the headers of GET and no body; types and validators are set")
    func headMatchesGet() async throws {
        let fixtures = try Fixtures.get()
        let served = try await ServedISO(iso: fixtures.udfOnlyISO)
        let head = try await rawGET(port: served.server.port, target: "/media/img-1/sources/install.wim", method: "HEAD")
        let get = try await rawGET(port: served.server.port, target: "/media/img-1/sources/install.wim")
        #expect(head.status == 200)
        #expect(head.body.isEmpty)
        #expect(head.header("Content-Length") == String(fixtures.files["sources/install.wim"]!.count))
        #expect(head.header("ETag") != nil && head.header("ETag") == get.header("ETag"))
        #expect(head.header("Last-Modified") == get.header("Last-Modified"))
        #expect(head.header("Accept-Ranges") == "bytes")
        #expect(get.header("Content-Type") == "application/octet-stream")
        #expect(get.body == fixtures.files["sources/install.wim"])
        let text = try await rawGET(port: served.server.port, target: "/media/img-1/sources/lang.ini")
        #expect(text.header("Content-Type") == "text/plain; charset=utf-8")
        await served.server.stop()
    }

    @Test("single, suffix and open-ended ranges give 206 with the right bytes; unsatisfiable gives 416")
    func singleRanges() async throws {
        let fixtures = try Fixtures.get()
        let served = try await ServedISO(iso: fixtures.bridgeISO)
        let file = fixtures.files["sources/install.wim"]!
        let size = file.count
        let target = "/media/img-1/sources/install.wim"
        let cases: [(String, Range<Int>)] = [
            ("bytes=0-0", 0..<1), ("bytes=100-4195", 100..<4196), ("bytes=-500", (size - 500)..<size),
            ("bytes=\(size - 10)-", (size - 10)..<size), ("bytes=5000000-99999999", 5_000_000..<size),
            ("bytes=2047-2049", 2047..<2050),
        ]
        for (header, expected) in cases {
            let response = try await rawGET(port: served.server.port, target: target, headers: ["Range": header])
            #expect(response.status == 206, "\(header)")
            #expect(response.body == file.subdata(in: expected), "\(header)")
            #expect(response.header("Content-Range") == "bytes \(expected.lowerBound)-\(expected.upperBound - 1)/\(size)")
        }
        for header in ["bytes=\(size)-", "bytes=\(size + 5)-\(size + 9)", "bytes=-0"] {
            let response = try await rawGET(port: served.server.port, target: target, headers: ["Range": header])
            #expect(response.status == 416, "\(header)")
            #expect(response.header("Content-Range") == "bytes */\(size)")
        }
        let ignored = try await rawGET(port: served.server.port, target: target, headers: ["Range": "lines=1-2"])
        #expect(ignored.status == 200 && ignored.body == file)
        await served.server.stop()
    }

    @Test("multiple ranges come back as multipart/byteranges, parsed by curl-independent code")
    func multipleRanges() async throws {
        let fixtures = try Fixtures.get()
        let served = try await ServedISO(iso: fixtures.bridgeISO)
        let file = fixtures.files["sources/boot.wim"]!
        let response = try await rawGET(port: served.server.port, target: "/media/img-1/sources/boot.wim",
                                  headers: ["Range": "bytes=0-9, 1000-1999,-5"])
        #expect(response.status == 206)
        let contentType = response.header("Content-Type") ?? ""
        #expect(contentType.hasPrefix("multipart/byteranges; boundary="))
        let boundary = String(contentType.dropFirst("multipart/byteranges; boundary=".count))
        #expect(response.header("Content-Length") == String(response.body.count))
        let parts = response.body.split(separator: Data("--\(boundary)".utf8))
        let expected = [(0..<10), (1000..<2000), ((file.count - 5)..<file.count)]
        var bodies: [(String, Data)] = []
        for part in parts {
            guard let split = part.range(of: Data("\r\n\r\n".utf8)) else { continue }
            let head = String(decoding: part[..<split.lowerBound], as: UTF8.self)
            var body = Data(part[split.upperBound...])
            if body.suffix(2) == Data("\r\n".utf8) { body.removeLast(2) }
            bodies.append((head, body))
        }
        #expect(bodies.count == 3)
        for (index, range) in expected.enumerated() where index < bodies.count {
            #expect(bodies[index].1 == file.subdata(in: range))
            #expect(bodies[index].0.contains("Content-Range: bytes \(range.lowerBound)-\(range.upperBound - 1)/\(file.count)"))
        }
        #expect(response.body.suffix(boundary.count + 6) == Data("--\(boundary)--\r\n".utf8))
        await served.server.stop()
    }

    @Test("conditional requests: If-None-Match and If-Modified-Since give 304, If-Match 412, stale If-Range the whole file")
    func conditionalRequests() async throws {
        let fixtures = try Fixtures.get()
        let served = try await ServedISO(iso: fixtures.bridgeISO)
        let port = served.server.port
        let target = "/media/img-1/bootmgr"
        let first = try await rawGET(port: port, target: target)
        let etag = try #require(first.header("ETag"))
        let modified = try #require(first.header("Last-Modified"))
        #expect(try await rawGET(port: port, target: target, headers: ["If-None-Match": etag]).status == 304)
        #expect(try await rawGET(port: port, target: target, headers: ["If-None-Match": "\"other\", W/\(etag)"]).status == 304)
        #expect(try await rawGET(port: port, target: target, headers: ["If-None-Match": "\"other\""]).status == 200)
        #expect(try await rawGET(port: port, target: target, headers: ["If-Modified-Since": modified]).status == 304)
        #expect(try await rawGET(port: port, target: target,
                           headers: ["If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"]).status == 200)
        #expect(try await rawGET(port: port, target: target, headers: ["If-Match": "\"nope\""]).status == 412)
        #expect(try await rawGET(port: port, target: target, headers: ["If-Match": etag]).status == 200)
        #expect(try await rawGET(port: port, target: target,
                           headers: ["If-Unmodified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"]).status == 412)
        let fresh = try await rawGET(port: port, target: target, headers: ["Range": "bytes=0-99", "If-Range": etag])
        #expect(fresh.status == 206 && fresh.body.count == 100)
        let stale = try await rawGET(port: port, target: target, headers: ["Range": "bytes=0-99", "If-Range": "\"old\""])
        #expect(stale.status == 200 && stale.body == fixtures.files["bootmgr"])
        let notModified = try await rawGET(port: port, target: target, headers: ["If-None-Match": etag])
        #expect(notModified.body.isEmpty && notModified.header("ETag") == etag)
        await served.server.stop()
    }

    @Test("16 concurrent clients each get install.wim intact")
    func sixteenConcurrentClients() async throws {
        let fixtures = try Fixtures.get()
        let served = try await ServedISO(iso: fixtures.udfOnlyISO)
        let url = served.url("sources/install.wim")
        let expected = sha256(fixtures.files["sources/install.wim"]!)
        let digests = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<16 {
                group.addTask { sha256(try curl([url]).body) }
            }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(digests.count == 16)
        #expect(digests.allSatisfy { $0 == expected })
        await served.server.stop()
    }

    @Test("an access log line per request: client, path, bytes, status, duration")
    func accessLog() async throws {
        let fixtures = try Fixtures.get()
        let served = try await ServedISO(iso: fixtures.bridgeISO)
        _ = try await rawGET(port: served.server.port, target: "/media/img-1/boot/bcd")
        _ = try await rawGET(port: served.server.port, target: "/media/img-1/missing")
        try await Task.sleep(for: .milliseconds(200))
        let log = served.accessLog
        #expect(log.count == 2)
        let hit = try #require(log.first { $0.path == "/media/img-1/boot/bcd" })
        #expect(hit.client == "127.0.0.1" && hit.status == 200 && hit.bytes == 16_384 && hit.method == "GET")
        #expect(hit.durationSeconds >= 0 && hit.line.hasPrefix("127.0.0.1 GET /media/img-1/boot/bcd 200 16384 "))
        #expect(log.contains { $0.path == "/media/img-1/missing" && $0.status == 404 })
        await served.server.stop()
    }

    @Test("methods other than GET and HEAD are refused with 405 and Allow")
    func otherMethodsRefused() async throws {
        let fixtures = try Fixtures.get()
        let served = try await ServedISO(iso: fixtures.bridgeISO)
        for method in ["PUT", "DELETE", "POST", "OPTIONS"] {
            let response = try await rawGET(port: served.server.port, target: "/media/img-1/bootmgr", method: method)
            #expect(response.status == 405, "\(method)")
            #expect(response.header("Allow") == "GET, HEAD")
        }
        await served.server.stop()
    }
}
