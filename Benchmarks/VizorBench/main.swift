import Foundation

/// Every benchmark by name. Each prints its own figures beside a reference
/// measured in the same run, as a ratio.
let benchmarks: [(name: String, about: String, run: @Sendable () async throws -> Void)] = [
    ("razor-log", "Razor node log: incremental reader vs full read per poll", { try await RazorLogBenchmark.run() }),
    ("cloudstack", "lab zone with 5,000 VMs: full listing; CloudStack signatures per second", { try await runCloudStackBenchmark() }),
    ("xen-snapshot", "XenServer: first snapshot of a 2,000-VM lab pool, XML-RPC vs JSON-RPC; idle request rate",
     { try await XenSnapshotBench.run() }),
    ("exposure-http", "1 GiB file from inside an ISO over HTTP: Vizor vs nginx sendfile", { try await ExposureBenchmark.run() }),
    ("media-catalog", "catalogue 50 sparse Windows ISOs vs 7z + wiminfo", { try await MediaCatalogBench.run() }),
    ("tui", "10,000-row table in a 200x60 grid: time per frame, bytes for a one-row change vs a full repaint", { try await TUIBench.run() }),
    ("model", "lab site with 500 VMs: idle requests per minute per backend; change-to-AppState delay, push vs polling",
     { try await ModelBench.run() }),
    ("install", "20 concurrent lab installs at the fastest pace vs 2: CPU, memory, journal writes, backend calls per install",
     { try await InstallBench.run() }),
    ("dashboard", "dashboard over 10,000 machines: key press to frame, one-row change vs full repaint, idle bytes/s",
     { try await DashboardBench.run() }),
    ("agent", "install steps in the agent: journal to dashboard content, event stream vs journal polled every 2 s",
     { try await AgentBench.run() }),
]

let arguments = CommandLine.arguments.dropFirst()
if arguments.isEmpty || arguments.first == "--help" {
    print("usage: vizor-bench NAME|all\n")
    for benchmark in benchmarks { print("  \(benchmark.name)\t\(benchmark.about)") }
    exit(arguments.isEmpty ? 2 : 0)
}
for benchmark in benchmarks where arguments.contains(benchmark.name) || arguments.contains("all") {
    print("== \(benchmark.name)")
    try await benchmark.run()
}
