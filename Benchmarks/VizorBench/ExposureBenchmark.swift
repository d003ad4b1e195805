import Foundation
import VizorExposure
import VizorMedia

/// A 1 GiB file inside a genisoimage -udf ISO (two UDF extents, stitched)
/// served by Vizor's HTTP server from the ISO's extents, against the same
/// file extracted by 7z to disk and served by nginx with sendfile on; the
/// same client (wrk) at 1 and 16 connections, measured in the same run.
enum ExposureBenchmark {
    static let fileSize = 1 << 30
    static let seconds = 8

    static func run() async throws {
        let root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("vizor-bench-exposure-\(getpid())")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("tree/sources"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let big = root.appendingPathComponent("tree/sources/install.wim")
        try shell("/usr/bin/head", ["-c", String(fileSize), "/dev/urandom"], stdout: big)
        let iso = root.appendingPathComponent("big.iso")
        try shell("/usr/bin/genisoimage", ["-quiet", "-udf", "-R", "-J", "-o", iso.path, root.appendingPathComponent("tree").path])
        try FileManager.default.removeItem(at: big)
        let extracted = root.appendingPathComponent("extracted")
        try shell("/usr/bin/7z", ["x", "-tudf", "-y", "-o\(extracted.path)", iso.path])

        let images = ExposedImages()
        let image = try ExposedImage(id: "bench", fileSystem: try openMediaFileSystem(at: iso))
        images.insert(image)
        let extents = try image.fileSystem.entry(at: "sources/install.wim")?.extents.count ?? 0
        let vizor = try await MediaHTTPServer.start(host: "127.0.0.1", port: 0, images: images, threads: 2)
        let nginx = try NginxReference(root: extracted, scratch: root.appendingPathComponent("nginx"))
        defer { nginx.stop() }

        print("file: 1 GiB random bytes in \(extents) UDF extents of a genisoimage -udf ISO; client: wrk, \(seconds) s per cell")
        print("conns | Vizor from ISO MiB/s | nginx sendfile from disk MiB/s | Vizor/nginx")
        for connections in [1, 16] {
            let vizorRate = try wrk(url: "\(vizor.baseURL)/media/bench/sources/install.wim", connections: connections)
            let nginxRate = try wrk(url: "http://127.0.0.1:\(nginx.port)/sources/install.wim", connections: connections)
            print(String(format: "%5d | %20.0f | %30.0f | %.2f", connections, vizorRate / 1_048_576,
                         nginxRate / 1_048_576, vizorRate / nginxRate))
        }
        await vizor.stop()
    }

    /// Bytes per second that wrk reports (Transfer/sec).
    static func wrk(url: String, connections: Int) throws -> Double {
        let output = try shell("/usr/bin/wrk", ["-t", String(min(connections, 2)), "-c", String(connections),
                                                "-d", "\(seconds)s", "--timeout", "60s", url])
        guard let line = output.split(separator: "\n").first(where: { $0.contains("Transfer/sec:") }),
              let value = line.split(separator: " ").last else {
            throw BenchError(text: "wrk printed no transfer rate:\n\(output)")
        }
        let units: [(String, Double)] = [("GB", 1_073_741_824), ("MB", 1_048_576), ("KB", 1024), ("B", 1)]
        for (suffix, factor) in units where value.hasSuffix(suffix) {
            if let number = Double(value.dropLast(suffix.count)) { return number * factor }
        }
        throw BenchError(text: "cannot read wrk rate \(value)")
    }

    @discardableResult
    static func shell(_ executable: String, _ arguments: [String], stdout: URL? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        if let stdout {
            _ = FileManager.default.createFile(atPath: stdout.path, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: stdout)
        } else {
            process.standardOutput = pipe
        }
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = stdout == nil ? pipe.fileHandleForReading.readDataToEndOfFile() : Data()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchError(text: "\(executable) exited \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

struct BenchError: Error, CustomStringConvertible {
    var text: String
    var description: String { text }
}

/// nginx on loopback with sendfile on, started from a private config.
final class NginxReference {
    let port: Int
    private let process = Process()

    init(root: URL, scratch: URL) throws {
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        port = Int.random(in: 20_000...40_000)
        let config = """
            worker_processes 2;
            user root;
            pid \(scratch.path)/nginx.pid;
            error_log \(scratch.path)/error.log;
            events { worker_connections 256; }
            http {
                access_log off;
                sendfile on;
                tcp_nopush on;
                client_body_temp_path \(scratch.path)/body;
                proxy_temp_path \(scratch.path)/proxy;
                fastcgi_temp_path \(scratch.path)/fastcgi;
                uwsgi_temp_path \(scratch.path)/uwsgi;
                scgi_temp_path \(scratch.path)/scgi;
                server {
                    listen 127.0.0.1:\(port);
                    root \(root.path);
                }
            }
            """
        let file = scratch.appendingPathComponent("nginx.conf")
        try config.write(to: file, atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
        process.arguments = ["-p", scratch.path, "-c", file.path, "-g", "daemon off;"]
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if (try? ExposureBenchmark.shell("/usr/bin/curl", ["-s", "-o", "/dev/null", "-r", "0-0",
                                                               "http://127.0.0.1:\(port)/sources/install.wim"])) != nil { return }
            usleep(100_000)
        }
        stop()
        throw BenchError(text: "nginx did not start on port \(port)")
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}
