import Foundation
import Testing

/// The driving `vizor install start --no-agent` process killed with SIGKILL at
/// each of the seven steps in turn, at the harshest place (`VIZOR_FAILPOINTS`
/// `after:<step>=kill`: the step's side effect happened, the journal does not
/// say so yet), then finished by a new `vizor install resume` process: one VM
/// container, one template, nothing left on the lab, Razor or the exposures.
@Suite("vizor install killed at each step (failpoints) and resumed", .serialized)
struct InstallFailpointCrashTests {
    typealias CLI = InstallCLITests

    /// Each step once; the two steps that create what must never be doubled (VM, template) on both hypervisors.
    static let cases: [(step: String, backend: String)] = [
        ("expose-media", "xenserver"), ("render-artefacts", "cloudstack"),
        ("create-container", "xenserver"), ("create-container", "cloudstack"),
        ("razor-artefacts", "xenserver"), ("boot-and-follow", "cloudstack"),
        ("template-and-publish", "xenserver"), ("template-and-publish", "cloudstack"),
        ("clean-up", "xenserver"),
    ]
    static let order = ["expose-media", "render-artefacts", "create-container", "razor-artefacts", "boot-and-follow",
                        "template-and-publish", "clean-up"]

    @Test func aDriverKilledAtEachStepIsFinishedByANewProcessWithOneVMAndOneTemplate() throws {
        let lab = try InstallCrashTests.ServedLab(pace: 3)
        defer { lab.stop() }
        var takeovers: [String] = []
        for (index, item) in Self.cases.enumerated() {
            let name = "fp\(index)-\(item.backend.prefix(3))"
            let context = "\(item.step) on \(item.backend)"
            let start = (item.backend == "xenserver" ? CLI.startXen : CLI.startCloud)
                + ["--hostname", name, "--template-name", name, "--no-agent", "--json"]
            let (driver, _, err) = try CLI.launch(start, lab.home, extra: ["VIZOR_FAILPOINTS": "after:\(item.step)=kill"])
            let deadline = Date().addingTimeInterval(90)
            while driver.isRunning, Date() < deadline { usleep(50_000) }
            if driver.isRunning { kill(driver.processIdentifier, SIGKILL) }
            driver.waitUntilExit()
            let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
            #expect(driver.terminationReason == .uncaughtSignal && driver.terminationStatus == SIGKILL,
                    "\(context): the driver was not killed by its failpoint (\(driver.terminationStatus)): \(stderr)")
            let job = try #require(try lab.job(hostname: name, timeout: 10), "\(context): no job journaled")

            // At death: the job runs the step, whose outcome the journal does not know; the lease names the dead pid.
            let dead = try lab.show(job)
            #expect(dead.job["status"] as? String == "running" && dead.job["step"] as? String == item.step, "\(context): \(dead.job)")
            #expect((dead.job["leaseOwner"] as? String)?.contains("/\(driver.processIdentifier)/") == true, "\(context)")
            #expect(dead.steps.last?["outcome"] as? String == "running", "\(context): \(dead.steps.last ?? [:])")
            let vmsAtDeath = try lab.machines(named: "vizor-\(job)").compactMap { $0["id"] as? String }
            let madeVM = Self.order.firstIndex(of: item.step)! >= Self.order.firstIndex(of: "create-container")!
            let keptVM = Self.order.firstIndex(of: item.step)! < Self.order.firstIndex(of: "template-and-publish")!
                || item.backend == "cloudstack" && item.step == "template-and-publish"
            #expect(vmsAtDeath.count == (madeVM && keptVM ? 1 : 0), "\(context): VMs at death \(vmsAtDeath)")
            if item.step == "create-container" {
                let resources = dead.job["resources"] as? [String: String] ?? [:]
                #expect(resources["machineID"] == nil, "\(context): the VM exists but the journal must not know it yet")
            }

            // A new process, without failpoints, takes the dead driver's lease at once and finishes the job.
            let began = Date()
            let resume = try CLI.run(["install", "resume", job, "--json"], lab.home, timeout: 120)
            let took = Date().timeIntervalSince(began)
            let finished = CLI.json(resume.stdout) as? [String: Any]
            let tail = try lab.logs(job).suffix(12).joined(separator: "\n")
            #expect(resume.status == 0 && finished?["status"] as? String == "succeeded",
                    "\(context): \(resume.stdout)\n\(resume.stderr)\n\(tail)")
            takeovers.append("\(context): resume took \(String(format: "%.1f", took)) s")

            let done = try lab.show(job)
            let resources = done.job["resources"] as? [String: String] ?? [:]
            let creates = done.steps.filter { $0["step"] as? String == "create-container" }
            let vmIDs = Set(creates.compactMap { ($0["created"] as? [String: String])?["machineID"] })
            #expect(vmIDs.count == 1, "\(context): VM ids journaled by the container step: \(vmIDs)")
            if let atDeath = vmsAtDeath.first { #expect(vmIDs == [atDeath], "\(context): the VM made before the kill is the one used") }
            #expect(creates.filter { $0["outcome"] as? String == "succeeded" }.count == 1, "\(context): \(creates)")
            let log = try lab.logs(job)
            #expect(!log.contains { $0.contains("removing duplicate VM") }, "\(context): a second VM was created")
            #expect(log.filter { $0.contains("created VM ") }.count <= 1, "\(context)")
            #expect(log.contains { $0.contains("taking the job over from") && $0.contains("its process is gone") }, "\(context)")
            if item.backend == "xenserver" {
                // XenServer turns the VM itself into the template: the same object, so no second VM ever existed.
                #expect(resources["templateID"] == vmIDs.first, "\(context): template \(resources["templateID"] ?? "-") vs VM \(vmIDs)")
            }
            #expect(try lab.templates(named: name).count == 1, "\(context): one template")
            #expect(try lab.machines(named: "vizor-\(job)").isEmpty, "\(context): no VM left")
            let node = done.steps.compactMap { ($0["created"] as? [String: String])?["node"] }.first
            #expect(node != nil, "\(context): no Razor node journaled")
            try lab.expectRazorAndExposureClean(job: job, node: node, context)
        }
        print("takeover after SIGKILL (lease TTL 20 s):\n" + takeovers.joined(separator: "\n"))
    }
}
