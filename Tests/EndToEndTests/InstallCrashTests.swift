import Foundation
import Testing

/// `vizor lab serve` as its own process, a config file pointing at it, and
/// `vizor install` processes that come and go (one killed with SIGKILL).
@Suite("vizor install across processes (lab serve + config)", .serialized)
struct InstallCrashTests {
    typealias CLI = InstallCLITests

    /// A running `vizor lab serve` and a home whose config.yaml points at it.
    final class ServedLab {
        let home: CLI.Home
        let process: Process
        /// The lab Razor's `/api` URL and credentials, to check what Vizor left there.
        let razor: [String: String]

        init(pace: Double) throws {
            var home = try CLI.Home()
            // A no-config run writes the sample media library into XDG data; the config then names it.
            let seed = try CLI.run(["install", "list"], home, timeout: 30)
            #expect(seed.status == 0)
            let library = home.root.appendingPathComponent("data/vizor/lab-media")
            let (process, out, _) = try CLI.launch(["lab", "serve", "--pace", String(pace)], home)
            self.process = process
            var line = ""
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline {
                line = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
                if line.contains("\n") { break }
                usleep(50_000)
            }
            guard let servers = CLI.json(String(line.split(separator: "\n").first ?? "")) as? [String: [String: String]],
                  let xen = servers["xenserver"], let cs = servers["cloudstack"], let razor = servers["razor"] else {
                kill(process.processIdentifier, SIGKILL)
                throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "lab serve said: \(line)"])
            }
            try Self.seedLibrary(home, library)
            // Secrets by reference only: the values travel in the environment.
            home.environment["LAB_XS_PASSWORD"] = xen["password"]
            home.environment["LAB_CS_KEY"] = cs["adminApiKey"]
            home.environment["LAB_CS_SECRET"] = cs["adminSecretKey"]
            home.environment["LAB_RAZOR_PASSWORD"] = razor["password"]
            let config = """
                default_site: lab
                sites:
                  lab:
                    xenserver:
                      url: \(xen["url"] ?? "")
                      username: \(xen["username"] ?? "root")
                      password: {env: LAB_XS_PASSWORD}
                      verify_tls: false
                    cloudstack:
                      url: \(cs["url"] ?? "")
                      api_key: {env: LAB_CS_KEY}
                      secret_key: {env: LAB_CS_SECRET}
                      poll_interval: 2
                    razor:
                      url: \(razor["url"] ?? "")
                      username: \(razor["username"] ?? "")
                      password: {env: LAB_RAZOR_PASSWORD}
                    media:
                      - name: samples
                        path: \(library.path)

                """
            let configDir = home.root.appendingPathComponent("config/vizor")
            try FileManager.default.createDirectory(at: configDir, withIntermediateDirectories: true)
            try config.write(to: configDir.appendingPathComponent("config.yaml"), atomically: true, encoding: .utf8)
            self.home = home
            self.razor = razor
        }

        /// The runtime writes the sample library on a no-config start; make sure one ran.
        static func seedLibrary(_ home: CLI.Home, _ library: URL) throws {
            if FileManager.default.fileExists(atPath: library.appendingPathComponent("Windows_Server_2022_x64_en-US.iso").path) { return }
            _ = try CLI.run(["template", "list"], home, timeout: 60)
        }

        func stop() {
            kill(process.processIdentifier, SIGTERM)
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning, Date() < deadline { usleep(50_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            try? FileManager.default.removeItem(at: home.root)
        }

        func templates(named name: String) throws -> [[String: Any]] {
            let run = try CLI.run(["template", "list", "--json"], home, timeout: 60)
            #expect(run.status == 0, "\(run.stderr)")
            return ((CLI.json(run.stdout) as? [[String: Any]]) ?? []).filter { $0["name"] as? String == name }
        }

        func machines(named name: String) throws -> [[String: Any]] {
            let run = try CLI.run(["vm", "list", "--json"], home, timeout: 60)
            #expect(run.status == 0, "\(run.stderr)")
            return ((CLI.json(run.stdout) as? [[String: Any]]) ?? []).filter { ($0["name"] as? String)?.hasPrefix(name) == true }
        }
    }

    @Test func aTemplateBuiltByOneProcessIsListedByTheNext() throws {
        let lab = try ServedLab(pace: 3)
        defer { lab.stop() }
        let run = try CLI.run(CLI.startXen + ["--hostname", "w2022-cfg", "--template-name", "w2022-cfg", "--wait"], lab.home)
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        #expect(try lab.templates(named: "w2022-cfg").count == 1)
        #expect(try lab.machines(named: "vizor-").isEmpty, "no VM Vizor made is left")
    }

    @Test func aDriverKilledMidInstallIsFinishedByANewProcessWithOneVMAndOneTemplate() throws {
        // A guest still installing when the new process takes over, as a real (30+ min) install always is.
        let lab = try ServedLab(pace: 15)
        defer { lab.stop() }
        let (driver, _, _) = try CLI.launch(CLI.startCloud + ["--hostname", "w2022-crash", "--template-name", "w2022-crash",
                                                              "--no-agent"], lab.home)
        // Wait until the job is following the guest's boot, then kill the driver without warning.
        var id: String?
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, driver.isRunning {
            let list = try CLI.run(["install", "list", "--json"], lab.home, timeout: 30)
            if let job = (CLI.json(list.stdout) as? [[String: Any]])?.first, job["step"] as? String == "boot-and-follow" {
                id = job["id"] as? String
                break
            }
            usleep(200_000)
        }
        let job = try #require(id, "the job never reached boot-and-follow")
        kill(driver.processIdentifier, SIGKILL)
        driver.waitUntilExit()
        #expect(try lab.machines(named: "vizor-\(job)").count == 1, "the VM container the dead driver made")
        // A new process takes over at once (the dead driver's pid is gone from this host) and finishes the job.
        let resume = try CLI.run(["install", "resume", job, "--json"], lab.home, timeout: 120)
        let log = try CLI.run(["install", "logs", job], lab.home, timeout: 30).stdout.split(separator: "\n").suffix(15)
        #expect(resume.status == 0, "\(resume.stdout)\n\(resume.stderr)\n\(log.joined(separator: "\n"))")
        let finished = try #require(CLI.json(resume.stdout) as? [String: Any], "\(resume.stdout)")
        #expect(finished["status"] as? String == "succeeded")
        #expect(try lab.templates(named: "w2022-crash").count == 1)
        #expect(try lab.machines(named: "vizor-\(job)").isEmpty, "the VM is gone once it became the template")
        let show = try CLI.run(["install", "show", job, "--json"], lab.home, timeout: 30)
        let steps = ((CLI.json(show.stdout) as? [String: Any])?["steps"] as? [[String: Any]]) ?? []
        let creates = steps.filter { $0["step"] as? String == "create-container" }
        #expect(creates.count == 1, "the VM container was created once: \(creates)")
    }
}
