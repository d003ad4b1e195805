import Crypto
import Foundation
import LabCloudStack
import VizorCloudStack

/// A lab zone with 5,000 VMs: requests and time for a full paged listing
/// beside one unpaged request (`pagesize=-1`, what the server allows admins
/// to ask) as the reference; and signatures per second beside HMAC-SHA1
/// alone on the same string and a naive Foundation-based signer.
func runCloudStackBenchmark() async throws {
    let cloud = LabCloudStack(jobDuration: .milliseconds(10))
    await cloud.addVirtualMachines(count: 5000)
    let server = try await LabCloudStackServer.start(cloud: cloud)
    defer { Task { await server.stop() } }
    let configuration = CloudStackConfiguration(endpoint: URL(string: server.endpoint.url)!, apiKey: cloud.admin.apiKey,
                                                secretKey: cloud.admin.secretKey, requestTimeout: .seconds(120))
    let clock = ContinuousClock()

    // Warm up the connection and the lab.
    _ = try await CloudStackClient(configuration: configuration).listZones()

    for pageSize in [500, 100] {
        var paged = configuration
        paged.pageSize = pageSize
        let client = CloudStackClient(configuration: paged)
        var rows = 0
        let elapsed = try await clock.measure { rows = try await client.listVirtualMachines().count }
        print(String(format: "full listing, pagesize %3d: %5d VMs in %3d requests, %.3f s", pageSize, rows, client.requestsSent,
                     elapsed.benchSeconds))
    }
    let reference = CloudStackClient(configuration: configuration)
    var referenceRows = 0
    let referenceTime = try await clock.measure {
        let answer = try await reference.call("listVirtualMachines", ["listall": "true", "pagesize": "-1"])
        referenceRows = answer["virtualmachine"]?.array?.count ?? 0
    }
    print(String(format: "reference, one unpaged request: %5d VMs in %3d request, %.3f s", referenceRows, reference.requestsSent,
                 referenceTime.benchSeconds))

    // Signing.
    let parameters: [(name: String, value: String)] = [
        ("command", "deployVirtualMachine"), ("response", "json"), ("apikey", cloud.admin.apiKey),
        ("zoneid", UUID().uuidString.lowercased()), ("serviceofferingid", UUID().uuidString.lowercased()),
        ("templateid", UUID().uuidString.lowercased()), ("hypervisor", "KVM"), ("diskofferingid", UUID().uuidString.lowercased()),
        ("size", "40"), ("name", "win-2022-build-17"), ("displayname", "Windows Server 2022 build 17 (gold)"), ("startvm", "false"),
        ("signatureversion", "3"), ("expires", "2030-01-01T00:00:00+0000"),
    ]
    let signer = CloudStackSigner(secretKey: cloud.admin.secretKey)
    let iterations = 50_000
    var sink = 0
    let signTime = clock.measure {
        for _ in 0..<iterations { sink &+= signer.signature(for: parameters).utf8.count }
    }
    let canonical = Data(CloudStackSigner.canonicalString(parameters).lowercased().utf8)
    let key = SymmetricKey(data: Data(cloud.admin.secretKey.utf8))
    let hmacTime = clock.measure {
        for _ in 0..<iterations { sink &+= Data(HMAC<Insecure.SHA1>.authenticationCode(for: canonical, using: key)).base64EncodedString().utf8.count }
    }
    let naiveTime = clock.measure {
        for _ in 0..<iterations { sink &+= naiveSignature(parameters, secret: cloud.admin.secretKey).utf8.count }
    }
    func rate(_ duration: Duration) -> Double { Double(iterations) / duration.benchSeconds }
    print(String(format: "signatures/s: Vizor signer %.0f | HMAC-SHA1+Base64 alone %.0f (signer at %.0f%% of it) | naive Foundation signer %.0f (Vizor %.1fx)",
                 rate(signTime), rate(hmacTime), 100 * rate(signTime) / rate(hmacTime), rate(naiveTime), rate(signTime) / rate(naiveTime)))
    if sink == 42 { print("") }
}

/// The obvious implementation: Foundation percent-encoding with a character
/// set, sorting tuples, fixing up the differences to Java afterwards.
private func naiveSignature(_ parameters: [(name: String, value: String)], secret: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: ".-_*")
    let text = parameters.sorted { $0.name < $1.name }
        .map { "\($0.name)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }
        .joined(separator: "&").lowercased()
    let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Data(text.utf8), using: SymmetricKey(data: Data(secret.utf8)))
    return Data(mac).base64EncodedString()
}

extension Duration {
    var benchSeconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
