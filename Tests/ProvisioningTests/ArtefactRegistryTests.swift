import Testing
import VizorProvisioning

@Suite struct ArtefactRegistryTests {
    static let token = Fixtures.context().token

    static func registry(_ index: Int = 0) async throws -> (ArtefactRegistry, ArtefactBundle) {
        let registry = ArtefactRegistry()
        let bundle = try Fixtures.bundle(Fixtures.cases[index])
        await registry.register(bundle, token: token)
        return (registry, bundle)
    }

    @Test func theJobTokenFetchesAnArtefact() async throws {
        let (registry, bundle) = try await Self.registry()
        let response = await registry.handle(ArtefactRequest(target: "/job-bios-x64/autounattend.xml?token=\(Self.token)"))
        #expect(response.status == 200)
        #expect(response.body == bundle.artefacts["autounattend.xml"]!.body)
        #expect(response.contentType.hasPrefix("application/xml"))
        #expect(response.headers["Cache-Control"] == "no-store")
    }

    @Test func everyURLTheRenderedFilesUseResolves() async throws {
        let (registry, bundle) = try await Self.registry(1)
        let context = Fixtures.context()
        for name in bundle.names {
            let url = context.artefactURL(job: bundle.jobID, name: name)
            let target = String(url.dropFirst(context.artefactBaseURL.count))
            #expect(await registry.handle(ArtefactRequest(target: target)).status == 200, "\(name)")
        }
    }

    @Test func missingOrWrongTokenIsRefused() async throws {
        let (registry, _) = try await Self.registry()
        #expect(await registry.handle(ArtefactRequest(path: "/job-bios-x64/autounattend.xml", token: nil)).status == 403)
        #expect(await registry.handle(ArtefactRequest(path: "/job-bios-x64/autounattend.xml", token: "tok-0123456789abcdef0124")).status == 403)
        #expect(await registry.handle(ArtefactRequest(path: "/job-bios-x64/autounattend.xml", token: "tok")).status == 403)
    }

    @Test func anotherJobsTokenDoesNotOpenThisJob() async throws {
        let registry = ArtefactRegistry()
        await registry.register(try Fixtures.bundle(Fixtures.cases[0]), token: "first-job-token-0000000")
        await registry.register(try Fixtures.bundle(Fixtures.cases[1]), token: "second-job-token-000000")
        #expect(await registry.handle(ArtefactRequest(path: "/job-bios-x64/sysprep.xml", token: "second-job-token-000000")).status == 403)
        #expect(await registry.handle(ArtefactRequest(path: "/job-uefi-x64/sysprep.xml", token: "second-job-token-000000")).status == 200)
    }

    @Test func aBoundJobServesOnlyItsNode() async throws {
        let (registry, _) = try await Self.registry()
        try await registry.bind(job: "job-bios-x64", node: "52:54:00:AA:BB:01")
        let path = "/job-bios-x64/vizor-runner.ps1"
        #expect(await registry.handle(ArtefactRequest(path: path, token: Self.token, node: "52:54:00:aa:bb:01")).status == 200)
        #expect(await registry.handle(ArtefactRequest(path: path, token: Self.token, node: "52:54:00:aa:bb:02")).status == 403)
        #expect(await registry.handle(ArtefactRequest(path: path, token: Self.token)).status == 403)
        await #expect(throws: (any Error).self) { try await registry.bind(job: "no-such-job", node: "x") }
    }

    /// Inside Windows nothing rewrites a URL per node: binding renders the files again so that the runner
    /// download and the runner's manifest name the node the server will answer.
    @Test func bindingWritesTheNodeIntoEveryArtefactURLOfTheFiles() async throws {
        let (registry, _) = try await Self.registry()
        let before = try #require(await registry.bundle(job: "job-bios-x64"))
        #expect(!before.artefacts.values.contains { $0.text.contains("node=") })
        try await registry.bind(job: "job-bios-x64", node: "node7")
        let bound = try #require(await registry.bundle(job: "job-bios-x64"))
        let answer = try #require(bound.artefacts["autounattend.xml"]).text
        #expect(answer.contains("/artefacts/job-bios-x64/vizor-runner.ps1?token=\(Self.token)&amp;node=node7&apos;"))
        let runner = try #require(bound.artefacts["vizor-runner.ps1"]).text
        for step in bound.plan.steps {
            #expect(runner.contains("/artefacts/job-bios-x64/\(step.fileName)?token=\(Self.token)&node=node7'"), "\(step.fileName)")
        }
        // Only the URLs change: the same files, rendered for the node.
        #expect(bound.names == before.names && bound.plan == before.plan)
        await #expect(throws: (any Error).self) { try await registry.bind(job: "job-bios-x64", node: "node 7&x=1") }
    }

    @Test func badPathsUnknownFilesAndRevokedJobs() async throws {
        let (registry, _) = try await Self.registry()
        #expect(await registry.handle(ArtefactRequest(path: "/job-bios-x64/../etc/passwd", token: Self.token)).status == 400)
        #expect(await registry.handle(ArtefactRequest(path: "/job-bios-x64", token: Self.token)).status == 400)
        #expect(await registry.handle(ArtefactRequest(path: "/job-bios-x64/nothing.txt", token: Self.token)).status == 404)
        #expect(await registry.handle(ArtefactRequest(path: "/other-job/autounattend.xml", token: Self.token)).status == 404)
        await registry.revoke(job: "job-bios-x64")
        #expect(await registry.handle(ArtefactRequest(path: "/job-bios-x64/autounattend.xml", token: Self.token)).status == 404)
        #expect(await registry.registeredJobs.isEmpty)
    }

    /// Passwords appear only in the files Windows needs them in, never in the
    /// boot script, the runner or the steps (whose output goes to Razor's log).
    @Test(arguments: Fixtures.cases)
    func secretsAppearOnlyInTheFilesWindowsNeeds(_ goldenCase: Fixtures.GoldenCase) throws {
        let bundle = try Fixtures.bundle(goldenCase)
        var secrets = [goldenCase.spec.administratorPassword]
        secrets += goldenCase.spec.users.map(\.password)
        for password in [goldenCase.spec.administratorPassword] + goldenCase.spec.users.map(\.password) {
            secrets.append(WindowsPassword.encode(password, for: .password))
            secrets.append(WindowsPassword.encode(password, for: .administratorPassword))
        }
        if let smb = goldenCase.context.smbPassword { secrets.append(smb) }
        for artefact in bundle.artefacts.values {
            let holds = secrets.contains { artefact.text.contains($0) }
            if holds {
                #expect(artefact.carriesSecrets, "\(artefact.name) holds a secret but is not marked")
                #expect(["autounattend.xml", "sysprep.xml", "vizor-winpe.cmd"].contains(artefact.name), "\(artefact.name)")
            }
        }
        #expect(bundle.artefacts["autounattend.xml"]!.carriesSecrets)
    }
}

@Suite struct ArtefactRequestParsingTests {
    @Test(arguments: ["", "?", "/", "//", "/job-bios-x64/", "/job-bios-x64/%2e%2e/x?token=", "/job-bios-x64/a/b",
                      "/../../etc/passwd", "/job-bios-x64/autounattend.xml?token", "?token=x&token=y", "/\u{0}/\u{0}"])
    func oddTargetsAreRefusedWithoutServingAnything(_ target: String) async throws {
        let registry = ArtefactRegistry()
        await registry.register(try Fixtures.bundle(Fixtures.cases[0]), token: Fixtures.context().token)
        let response = await registry.handle(ArtefactRequest(target: target))
        #expect((400...404).contains(response.status))
        #expect(response.headers["Cache-Control"] == "no-store")
    }

    @Test func tokenIsReadFromTheQuery() {
        let request = ArtefactRequest(target: "/j/f.xml?a=1&token=abc&b=2", node: "n")
        #expect(request.path == "/j/f.xml" && request.token == "abc" && request.node == "n")
    }
}
