// swift-tools-version: 6.1
// Vizor: build VMs and VM templates by network-installing OS images from
// unmodified ISOs, on CloudStack and XenServer, driven by Razor.
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
]

let package = Package(
    name: "Vizor",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "vizor", targets: ["vizor"]),
        .executable(name: "vizor-bench", targets: ["VizorBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        // MARK: Build stamp: VERSION and the git commit, for `vizor --version`
        .plugin(name: "BuildInfo", capability: .buildTool()),

        // MARK: C shims
        // pkgConfig and providers: a missing library is named with the Debian
        // package that brings it (scripts/run and scripts/test install them).
        // Debian's ncursesw.pc adds -D_DEFAULT_SOURCE -D_XOPEN_SOURCE=600,
        // which SwiftPM drops with a "prohibited flag(s)" warning; the shim
        // defines the macros it needs itself.
        .systemLibrary(
            name: "CNcurses", path: "Sources/CNcurses", pkgConfig: "ncursesw",
            providers: [.apt(["libncurses-dev"])]),
        .systemLibrary(
            name: "CFuse", path: "Sources/CFuse", pkgConfig: "fuse3",
            providers: [.apt(["libfuse3-dev"])]),
        .target(name: "CChildProcess", path: "Sources/CChildProcess"),

        // MARK: Backends (each product its own module so they build and test apart)
        .target(
            name: "BackendKit",
            dependencies: [.product(name: "Logging", package: "swift-log")],
            path: "Sources/Backends/Kit", swiftSettings: strict),
        // Child processes (smbcontrol, fusermount3, secret commands) with a
        // deadline, bounded output and no blocked thread; apart from
        // BackendKit, whose files the fuzz scripts compile on their own.
        .target(
            name: "VizorChildProcess",
            dependencies: [
                "CChildProcess",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Sources/Backends/ChildProcess", swiftSettings: strict),
        .target(
            name: "VizorMedia",
            dependencies: ["BackendKit", .product(name: "Crypto", package: "swift-crypto")],
            path: "Sources/Backends/Media", swiftSettings: strict),
        .target(
            name: "VizorStore",
            dependencies: ["BackendKit", "VizorMedia", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Sources/Backends/Store", swiftSettings: strict),
        .target(
            name: "VizorXenServer",
            dependencies: [
                "BackendKit",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Sources/Backends/XenServer", swiftSettings: strict),
        .target(
            name: "VizorCloudStack",
            dependencies: [
                "BackendKit",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Sources/Backends/CloudStack", swiftSettings: strict),
        .target(
            name: "VizorRazor",
            dependencies: [
                "BackendKit",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Sources/Backends/Razor", swiftSettings: strict),
        .target(
            name: "VizorProvisioning",
            dependencies: ["BackendKit", "VizorMedia", "VizorChildProcess", .product(name: "Crypto", package: "swift-crypto")],
            path: "Sources/Backends/Provisioning", swiftSettings: strict),
        .target(
            name: "VizorExposure",
            dependencies: [
                "BackendKit", "VizorMedia", "VizorChildProcess", "CFuse",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Sources/Backends/Exposure", swiftSettings: strict),
        // Lab servers share no code with the clients: independent clients judge them.
        .target(
            name: "LabServing",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Backends/Lab/Serving", swiftSettings: strict),
        .target(
            name: "LabXAPI",
            dependencies: [
                "LabServing",
                "BackendKit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Backends/Lab/XAPI", swiftSettings: strict),
        .target(
            name: "LabCloudStack",
            dependencies: [
                "LabServing",
                "BackendKit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "OrderedCollections", package: "swift-collections"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Sources/Backends/Lab/CloudStack", swiftSettings: strict),
        .target(
            name: "LabRazor",
            dependencies: [
                "LabServing",
                "BackendKit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            path: "Sources/Backends/Lab/Razor", swiftSettings: strict),
        .target(
            name: "VizorLab",
            dependencies: ["BackendKit", "VizorMedia", "LabXAPI", "LabCloudStack", "LabRazor",
                           .product(name: "AsyncHTTPClient", package: "async-http-client")],
            path: "Sources/Backends/Lab/Kit", swiftSettings: strict),

        // MARK: Model and UI
        .target(
            name: "VizorModel",
            dependencies: [
                "BackendKit", "VizorMedia", "VizorStore", "VizorXenServer", "VizorCloudStack",
                "VizorRazor", "VizorProvisioning", "VizorExposure", "VizorLab", "VizorChildProcess",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict),
        // The agent: installs and pollers that outlive a terminal, served to
        // the CLI and dashboards over a Unix socket (HTTP/1.1 + JSON).
        .target(
            name: "VizorAgent",
            dependencies: [
                "BackendKit", "VizorStore", "VizorModel",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Agent", swiftSettings: strict),
        .target(
            name: "VizorTUI",
            dependencies: ["VizorModel", "BackendKit", "VizorMedia", "VizorProvisioning", "CNcurses"],
            swiftSettings: strict),
        .executableTarget(
            name: "vizor",
            dependencies: [
                "VizorTUI", "VizorModel", "VizorAgent", "BackendKit", "VizorMedia", "VizorStore", "VizorXenServer",
                "VizorCloudStack", "VizorRazor", "VizorProvisioning", "VizorExposure", "VizorLab",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict,
            plugins: ["BuildInfo"]),
        .executableTarget(
            name: "VizorBench",
            dependencies: [
                "VizorTUI", "VizorModel", "BackendKit", "VizorMedia", "VizorStore", "VizorXenServer",
                "VizorCloudStack", "VizorRazor", "VizorProvisioning", "VizorExposure", "VizorLab", "VizorAgent",
                "LabXAPI", "LabCloudStack", "LabRazor", "LabServing",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Benchmarks/VizorBench", swiftSettings: strict),

        // MARK: Tests, one target per module plus end to end
        .testTarget(name: "ChildProcessTests", dependencies: ["VizorChildProcess"], swiftSettings: strict),
        .testTarget(name: "MediaTests", dependencies: ["VizorMedia", "VizorStore", "VizorLab"], swiftSettings: strict),
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(
            name: "XenServerTests",
            dependencies: [
                "VizorXenServer", "LabXAPI", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(name: "CloudStackTests", dependencies: ["VizorCloudStack", "LabCloudStack", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "RazorTests",
            dependencies: [
                "VizorRazor", "LabRazor", "BackendKit", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "BootISOTests",
            dependencies: ["VizorProvisioning", "VizorMedia", "VizorChildProcess", "LabRazor", "BackendKit", "TestSupport"],
            exclude: ["Support"], swiftSettings: strict),
        .testTarget(name: "ProvisioningTests", dependencies: ["VizorProvisioning"], exclude: ["Golden"], swiftSettings: strict),
        .testTarget(
            name: "ExposureTests",
            dependencies: ["VizorExposure", "VizorMedia", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict),
        .testTarget(name: "ModelTests", dependencies: ["VizorModel", "VizorCloudStack", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "OrchestratorTests",
            dependencies: [
                "VizorModel", "VizorStore", "BackendKit", "VizorLab", "VizorXenServer", "VizorCloudStack", "VizorRazor",
                "LabXAPI", "LabCloudStack", "LabRazor", "VizorMedia", "VizorProvisioning", "VizorExposure",
            ],
            swiftSettings: strict),
        .testTarget(name: "TUITests", dependencies: ["VizorTUI", "VizorModel", "VizorStore", "BackendKit", "VizorMedia"], exclude: ["Snapshots"], swiftSettings: strict),
        .testTarget(
            name: "LabSimulationTests",
            dependencies: ["VizorLab", "LabXAPI", "LabCloudStack", "LabRazor", "BackendKit",
                           "VizorXenServer", "VizorCloudStack", "VizorRazor", "VizorProvisioning"],
            swiftSettings: strict),
        .testTarget(name: "EndToEndTests", dependencies: [], swiftSettings: strict),
    ]
)
