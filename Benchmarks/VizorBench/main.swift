import Foundation

/// Every benchmark by name. Each prints its own figures beside a reference
/// measured in the same run, as a ratio.
let benchmarks: [(name: String, about: String, run: @Sendable () async throws -> Void)] = [
    ("exposure-http", "1 GiB file from inside an ISO over HTTP: Vizor vs nginx sendfile", { try await ExposureBenchmark.run() }),
    ("media-catalog", "catalogue 50 sparse Windows ISOs vs 7z + wiminfo", { try await MediaCatalogBench.run() }),
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
