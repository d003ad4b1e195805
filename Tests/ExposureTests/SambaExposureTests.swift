import Foundation
import BackendKit
import Testing
import VizorExposure
import VizorMedia

/// smbd started for one test on a free loopback port, with its own private,
/// lock, state and pid directories, including Vizor's share file.
final class TestSambaServer {
    let directory: TemporaryDirectory
    let port: Int
    let configFile: String
    let includeFile: String
    private let process = Process()

    init() throws {
        directory = try TemporaryDirectory("smbd")
        port = try freePort()
        let root = directory.url.path
        for sub in ["private", "lock", "state", "cache", "pid", "ncalrpc"] {
            try FileManager.default.createDirectory(atPath: "\(root)/\(sub)", withIntermediateDirectories: true)
        }
        includeFile = "\(root)/vizor-shares.conf"
        _ = FileManager.default.createFile(atPath: includeFile, contents: Data())
        configFile = "\(root)/smb.conf"
        let config = """
            [global]
              workgroup = WORKGROUP
              server role = standalone server
              smb ports = \(port)
              bind interfaces only = yes
              interfaces = lo
              private dir = \(root)/private
              lock directory = \(root)/lock
              state directory = \(root)/state
              cache directory = \(root)/cache
              pid directory = \(root)/pid
              ncalrpc dir = \(root)/ncalrpc
              log file = \(root)/smbd.log
              map to guest = Bad User
              guest account = nobody
              load printers = no
              printing = bsd
              printcap name = /dev/null
              disable spoolss = yes
              include = \(includeFile)

            """
        try config.write(toFile: configFile, atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/smbd")
        process.arguments = ["--foreground", "--no-process-group", "--configfile=\(configFile)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if try smbclient(["-L", "127.0.0.1"]).status == 0 { return }
            usleep(200_000)
        }
        stop()
        throw FixtureError(description: "smbd did not answer on port \(port) within 20 s")
    }

    func smbclient(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try run("/usr/bin/timeout", ["20", "/usr/bin/smbclient", "-p", String(port), "-N"] + arguments)
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        // smbd starts samba-dcerpcd and its rpcd_* workers on demand, outside
        // --no-process-group's reach; they carry this test's config path.
        for attempt in 0..<20 {
            let signal = attempt < 10 ? "-TERM" : "-KILL"
            let status = (try? run("/usr/bin/pkill", [signal, "-f", "--", "--configfile=\(configFile)"]))?.status ?? 1
            if status != 0 { break }  // nothing left to signal
            usleep(100_000)
        }
        directory.remove()
    }
}

func freePort() throws -> Int {
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
    guard bound == 0 else { throw FixtureError(description: "no free port") }
    return Int(UInt16(bigEndian: address.sin_port))
}

@Suite("SMB exposure through FUSE and Samba", .serialized)
struct SambaExposureTests {
    @Test("smbd lists Vizor's share and serves sources/install.wim byte-identical; shares live while any job holds them")
    func smbclientFetchesInstallWim() async throws {
        let fixtures = try Fixtures.get()
        let samba = try TestSambaServer()
        defer { samba.stop() }
        let state = try TemporaryDirectory("exposure-state")
        defer { state.remove() }
        let manager = ExposureManager(configuration: ExposureConfiguration(
            stateDirectory: state.url.path, mountRoot: state.url.appendingPathComponent("mnt").path,
            samba: SambaShareManager(includeFile: samba.includeFile, configFile: samba.configFile)))
        let first = try await manager.expose(imageID: "win11", isoPath: fixtures.udfOnlyISO.path, job: "job-1", smb: true)
        let second = try await manager.expose(imageID: "win11", isoPath: fixtures.udfOnlyISO.path, job: "job-2", smb: true)
        let share = try #require(first.smb?.shareName)
        let mountPoint = try #require(first.smb?.mountPoint)
        #expect(second.jobs == ["job-1", "job-2"] && second.smb == first.smb)
        #expect(FuseMount.isMounted(mountPoint))

        let listing = try samba.smbclient(["-L", "127.0.0.1"])
        #expect(listing.output.contains(share))
        let root = try samba.smbclient(["//127.0.0.1/\(share)", "-c", "ls"])
        #expect(root.status == 0 && root.output.contains("sources") && root.output.contains("bootmgr"))

        let destination = state.url.appendingPathComponent("install.wim")
        let get = try samba.smbclient(["//127.0.0.1/\(share)", "-c", "get sources/install.wim \(destination.path)"])
        #expect(get.status == 0, "\(get.output)")
        #expect(sha256(try Data(contentsOf: destination)) == sha256(fixtures.files["sources/install.wim"]!))
        let upper = try samba.smbclient(["//127.0.0.1/\(share)", "-c", "get SOURCES\\INSTALL.WIM \(destination.path)-2"])
        #expect(upper.status == 0, "Windows-style path, any case")
        let put = try samba.smbclient(["//127.0.0.1/\(share)", "-c", "put \(destination.path) sources/new.wim"])
        #expect(put.output.contains("NT_STATUS_ACCESS_DENIED") || put.output.contains("NT_STATUS_MEDIA_WRITE_PROTECTED"),
                "\(put.output)")

        #expect(try await manager.release(imageID: "win11", job: "job-1")?.jobs == ["job-2"])
        #expect(FuseMount.isMounted(mountPoint))
        #expect(try samba.smbclient(["//127.0.0.1/\(share)", "-c", "ls"]).status == 0)

        #expect(try await manager.release(imageID: "win11", job: "job-2") == nil)
        #expect(!FuseMount.isMounted(mountPoint))
        #expect(!FileManager.default.fileExists(atPath: mountPoint))
        let include = try String(contentsOfFile: samba.includeFile, encoding: .utf8)
        #expect(!include.contains("[\(share)]"))
        let gone = try samba.smbclient(["//127.0.0.1/\(share)", "-c", "ls"])
        #expect(gone.status != 0 && gone.output.contains("NT_STATUS_BAD_NETWORK_NAME"))
        #expect(await manager.list().isEmpty)
        #expect(manager.images.image("win11") == nil)
    }
}

@Suite("Exposure reference counts and recovery", .serialized)
struct ExposureManagerTests {
    @Test("HTTP exposure lasts until the last job releases it")
    func httpReferenceCounts() async throws {
        let fixtures = try Fixtures.get()
        let state = try TemporaryDirectory("exposure-http")
        defer { state.remove() }
        let manager = ExposureManager(configuration: ExposureConfiguration(
            stateDirectory: state.url.path, mountRoot: state.url.appendingPathComponent("mnt").path))
        let server = try await MediaHTTPServer.start(host: "127.0.0.1", port: 0, images: manager.images, threads: 1)
        try await manager.expose(imageID: "deb", isoPath: fixtures.bridgeISO.path, job: "a")
        try await manager.expose(imageID: "deb", isoPath: fixtures.bridgeISO.path, job: "b")
        #expect(try await rawGET(port: server.port, target: "/media/deb/bootmgr").status == 200)
        try await manager.release(imageID: "deb", job: "a")
        #expect(try await rawGET(port: server.port, target: "/media/deb/bootmgr").status == 200)
        let listed = await manager.list()
        #expect(listed.map(\.jobs) == [["b"]] && listed.first?.httpPath == "/media/deb/")
        try await manager.releaseAll(job: "b")
        #expect(try await rawGET(port: server.port, target: "/media/deb/bootmgr").status == 404)
        #expect(await manager.list().isEmpty)
        await #expect(throws: (any Error).self) {
            try await manager.expose(imageID: "../x", isoPath: fixtures.bridgeISO.path, job: "a")
        }
        await server.stop()
    }

    @Test("start-up recovery unmounts and unshares what a dead process left, and keeps live exposures")
    func recoveryCleansStaleMountsAndShares() async throws {
        let fixtures = try Fixtures.get()
        let state = try TemporaryDirectory("exposure-recovery")
        defer { state.remove() }
        let mountRoot = state.url.appendingPathComponent("mnt").path
        let includeFile = state.url.appendingPathComponent("shares.conf").path
        let samba = SambaShareManager(includeFile: includeFile, configFile: state.url.appendingPathComponent("none.conf").path)
        // A leftover: mounted, shared and recorded by a process that has since died.
        let image = try ExposedImage(id: "stale", fileSystem: try openMediaFileSystem(at: fixtures.bridgeISO))
        let leftover = try FuseMount.mount(image, at: mountRoot + "/stale")
        try await whileMounted(leftover) {
            try? await samba.add(SambaShare(name: "vizor-stale", path: mountRoot + "/stale", comment: "old", access: .guest))
            try? await samba.add(SambaShare(name: "vizor-orphan", path: mountRoot + "/orphan", comment: "old", access: .guest))
            #expect(try await samba.shares().count == 2, "the include file is written even when no smbd is there to reload")
            let dead = try run("/bin/sh", ["-c", "echo $$"])
            let deadPID = Int32(dead.output.trimmingCharacters(in: .whitespacesAndNewlines))!
            try ExposureRegistry(directory: state.url.path).update { records in
                records.append(ExposureRecord(imageID: "stale", isoPath: fixtures.bridgeISO.path, jobs: ["job-9"],
                                              httpPath: "/media/stale/", smb: .init(mountPoint: mountRoot + "/stale", shareName: "vizor-stale"),
                                              ownerPID: deadPID, since: Date()))
                records.append(ExposureRecord(imageID: "live", isoPath: fixtures.bridgeISO.path, jobs: ["job-1"],
                                              httpPath: "/media/live/", smb: nil, ownerPID: nil, since: Date()))
            }
            let manager = ExposureManager(configuration: ExposureConfiguration(
                stateDirectory: state.url.path, mountRoot: mountRoot, samba: samba))
            let actions = await manager.recoverAtStartup()
            #expect(actions.contains { $0.contains("dropped exposure of stale") })
            #expect(actions.contains { $0.contains("unmounted stale \(mountRoot)/stale") })
            #expect(actions.contains("removed stale share vizor-stale") && actions.contains("removed stale share vizor-orphan"))
            #expect(!FuseMount.isMounted(mountRoot + "/stale"))
            #expect(try await samba.shares().isEmpty)
            #expect(await manager.list().map(\.imageID) == ["live"])
        }
    }

    @Test("a share is refused with a hint when smb.conf does not include Vizor's file")
    func missingIncludeIsReported() async throws {
        let state = try TemporaryDirectory("samba-include")
        defer { state.remove() }
        let config = state.url.appendingPathComponent("smb.conf").path
        try "[global]\n  workgroup = WORKGROUP\n".write(toFile: config, atomically: true, encoding: .utf8)
        let include = state.url.appendingPathComponent("vizor.conf").path
        let samba = SambaShareManager(includeFile: include, configFile: config)
        do {
            try await samba.add(SambaShare(name: "vizor-x", path: "/nonexistent", comment: "x", access: .guest))
            Issue.record("add succeeded without the include")
        } catch let error as BackendError {
            #expect(error.kind == .invalidInput)
            #expect(error.hint?.contains("include = \(include)") == true)
        }
        #expect(!FileManager.default.fileExists(atPath: include))
        await #expect(throws: BackendError.self) {
            try await samba.add(SambaShare(name: "bad]\n[global", path: "/x", comment: "x", access: .guest))
        }
    }

    @Test("SMB exposure under a directory Samba's guest cannot search is refused before mounting")
    func privateMountRootIsRefused() async throws {
        let fixtures = try Fixtures.get()
        let state = try TemporaryDirectory("private-root")
        defer { state.remove() }
        let hidden = state.url.appendingPathComponent("hidden")
        try FileManager.default.createDirectory(at: hidden, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let manager = ExposureManager(configuration: ExposureConfiguration(
            stateDirectory: state.url.path, mountRoot: hidden.appendingPathComponent("mnt").path,
            samba: SambaShareManager(includeFile: state.url.appendingPathComponent("inc.conf").path,
                                     configFile: state.url.appendingPathComponent("absent.conf").path)))
        do {
            try await manager.expose(imageID: "w", isoPath: fixtures.udfOnlyISO.path, job: "j", smb: true)
            Issue.record("exposed under a private directory")
        } catch let error as BackendError {
            #expect(error.kind == .invalidInput && error.message.contains("not searchable"))
        }
        #expect(!FuseMount.vizorMounts().contains { $0.mountPoint.hasPrefix(hidden.path) })
        #expect(await manager.list().isEmpty)
        #expect(manager.images.image("w") == nil, "a failed exposure leaves nothing served")
    }
}
