import Foundation
import Testing

/// smbd on a free loopback port for one test, with its own directories and
/// the include file Vizor's Samba exposure writes its shares to.
final class LabSambaServer: @unchecked Sendable {
    let root: URL
    let port: Int
    let configFile: String
    let includeFile: String
    private let process = Process()
    private let lock = NSLock()

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-smbd-\(UUID().uuidString.prefix(8))")
        for sub in ["private", "lock", "state", "cache", "pid", "ncalrpc"] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        port = try Self.freePort()
        includeFile = root.appendingPathComponent("vizor-shares.conf").path
        _ = FileManager.default.createFile(atPath: includeFile, contents: Data())
        configFile = root.appendingPathComponent("smb.conf").path
        let dir = root.path
        try """
            [global]
              workgroup = WORKGROUP
              server role = standalone server
              smb ports = \(port)
              bind interfaces only = yes
              interfaces = lo
              private dir = \(dir)/private
              lock directory = \(dir)/lock
              state directory = \(dir)/state
              cache directory = \(dir)/cache
              pid directory = \(dir)/pid
              ncalrpc dir = \(dir)/ncalrpc
              log file = \(dir)/smbd.log
              map to guest = Bad User
              guest account = nobody
              load printers = no
              printing = bsd
              printcap name = /dev/null
              disable spoolss = yes
              include = \(includeFile)

            """.write(toFile: configFile, atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/smbd")
        process.arguments = ["--foreground", "--no-process-group", "--configfile=\(configFile)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if Self.status("/usr/bin/timeout", ["20", "/usr/bin/smbclient", "-p", String(port), "-N", "-L", "127.0.0.1"]) == 0 { return }
            usleep(200_000)
        }
        stop()
        throw LabSambaError(message: "smbd did not answer on port \(port) within 20 s")
    }

    /// Stops smbd and the helpers it started for this configuration, then removes its directory.
    func stop() {
        lock.withLock {
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
            // samba-dcerpcd and its rpcd_* workers start outside --no-process-group's reach; they carry this
            // test's own config path among their arguments, which picks them out by process id.
            for attempt in 0..<20 {
                let helpers = Self.processes(withArgument: "--configfile=\(configFile)")
                guard !helpers.isEmpty else { break }
                for pid in helpers { kill(pid, attempt < 10 ? SIGTERM : SIGKILL) }
                usleep(100_000)
            }
        }
    }

    func remove() { try? FileManager.default.removeItem(at: root) }

    /// Process ids whose command line has `argument` as one of its arguments (from /proc).
    static func processes(withArgument argument: String) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> pid_t? in
            guard let pid = pid_t(entry), pid != getpid(),
                  let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
            let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return arguments.contains(argument) ? pid : nil
        }
    }

    static func status(_ executable: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return 127 }
        process.waitUntilExit()
        return process.terminationStatus
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                guard bind(fd, pointer, length) == 0 else { return -1 }
                return getsockname(fd, pointer, &length)
            }
        }
        guard bound == 0 else { throw LabSambaError(message: "no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

struct LabSambaError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
