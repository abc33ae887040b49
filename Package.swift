// swift-tools-version: 6.0
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "airlock",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "airlock", targets: ["AirlockCLI"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        .target(
            name: "AirlockPolicy",
            dependencies: ["AirlockScrub", .product(name: "Yams", package: "Yams")],
            exclude: ["Resources/PUBLIC_SUFFIX_LIST_NOTICE.md"],
            resources: [.copy("Resources/public_suffix_list.dat")],
            swiftSettings: swiftSettings
        ),
        .target(name: "AirlockScrub", swiftSettings: swiftSettings),
        .target(
            name: "AirlockLedger",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "AirlockTLS",
            dependencies: [
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The system zlib, for request bodies sent gzip- or deflate-compressed.
        .systemLibrary(name: "CAirlockZlib", path: "Sources/CAirlockZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(
            name: "AirlockProxy",
            dependencies: [
                "AirlockPolicy",
                "AirlockScrub",
                "AirlockLedger",
                "AirlockTLS",
                "CAirlockZlib",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "AirlockCLI",
            dependencies: [
                "AirlockPolicy",
                "AirlockScrub",
                "AirlockLedger",
                "AirlockTLS",
                "AirlockProxy",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings,
            plugins: ["BuildInfo"]
        ),
        // Records the commit the binary is built from, for `airlock --version`.
        .plugin(name: "BuildInfo", capability: .buildTool(), path: "Plugins/BuildInfo"),
        .executableTarget(
            name: "airlock-bench",
            dependencies: [
                "AirlockScrub", "AirlockLedger", "AirlockProxy", "AirlockTLS",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Benchmarks/ScrubBench",
            swiftSettings: swiftSettings),
        // `Fuzz/run` builds this with libFuzzer; a plain build replays the inputs named on its command line.
        .executableTarget(
            name: "airlock-fuzz", dependencies: ["AirlockPolicy", "AirlockScrub"], path: "Fuzz/ScrubFuzz",
            swiftSettings: swiftSettings),
        .testTarget(
            name: "AirlockLedgerTests",
            dependencies: [
                "AirlockLedger", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "AirlockPolicyTests", dependencies: ["AirlockPolicy", "AirlockScrub"], swiftSettings: swiftSettings),
        .testTarget(
            name: "AirlockScrubTests", dependencies: ["AirlockScrub"],
            exclude: ["Fixtures/make_rule_examples.py", "Fixtures/NOTICE.md"],
            resources: [.copy("Fixtures/rule-examples.json")], swiftSettings: swiftSettings),
        .testTarget(
            name: "AirlockTLSTests",
            dependencies: ["AirlockTLS", .product(name: "X509", package: "swift-certificates")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AirlockProxyTests",
            dependencies: [
                "AirlockProxy",
                "AirlockPolicy",
                "AirlockScrub",
                "AirlockTLS",
                "CAirlockZlib",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
