// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "swift-celery",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Celery", targets: ["Celery"]),
        .library(name: "CeleryRedis", targets: ["CeleryRedis"]),
        .library(name: "CeleryRabbitMQ", targets: ["CeleryRabbitMQ"]),
        .library(name: "CeleryMongo", targets: ["CeleryMongo"]),
        .library(name: "CeleryCommands", targets: ["CeleryCommands"]),
        .library(name: "RESP", targets: ["RESP"]),
        .library(name: "AMQP091", targets: ["AMQP091"]),
        .executable(name: "celery-worker", targets: ["celery-worker"]),
        .executable(name: "celery-beat", targets: ["celery-beat"]),
        .executable(name: "celery-admin", targets: ["celery-admin"]),
        .executable(name: "celery-demo", targets: ["celery-demo"]),
        .executable(name: "celery-bench", targets: ["celery-bench"]),
        .library(name: "CeleryDashboard", targets: ["CeleryDashboard"]),
        .executable(name: "celery-dashboard", targets: ["celery-dashboard"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.30.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        // Only CeleryDashboard (and its executable and tests) depends on Hummingbird.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
    ],
    targets: [
        // Core: app, tasks, protocol v2, Broker/ResultBackend protocols, memory transport, worker, beat.
        .target(
            name: "Celery",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        // Protocol clients: know nothing about tasks.
        .target(
            name: "RESP",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        .target(
            name: "AMQP091",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        .systemLibrary(
            name: "CMongoC",
            pkgConfig: "libmongoc-1.0",
            providers: [.apt(["libmongoc-dev", "libbson-dev"])]
        ),
        // Transports and backends.
        .target(
            name: "CeleryRedis",
            dependencies: [
                "Celery", "RESP",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        .target(name: "CeleryRabbitMQ", dependencies: ["Celery", "AMQP091", .product(name: "Logging", package: "swift-log")]),
        .target(
            name: "CeleryMongo",
            dependencies: [
                "Celery", "CMongoC",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // Example tasks hosted by celery-worker.
        .target(name: "ExampleTasks", dependencies: ["Celery"], path: "Examples/ExampleTasks"),
        // Commands any application embeds.
        .target(
            name: "CeleryCommands",
            dependencies: [
                "Celery", "CeleryRedis", "CeleryRabbitMQ", "CeleryMongo",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(name: "celery-worker", dependencies: ["CeleryCommands", "ExampleTasks"]),
        .executableTarget(name: "celery-beat", dependencies: ["CeleryCommands"]),
        .executableTarget(name: "celery-admin", dependencies: ["CeleryCommands"]),
        .executableTarget(name: "celery-demo", dependencies: ["CeleryCommands"]),
        .executableTarget(name: "celery-bench", dependencies: ["CeleryCommands", "ExampleTasks"]),
        // Test support any test target may use: a fault-injecting TCP proxy.
        .target(
            name: "CeleryTestSupport",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/CeleryTestSupport"
        ),
        .testTarget(name: "CeleryTestSupportTests", dependencies: [
            "CeleryTestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        // Web monitor and admin back end (embeddable); the only target that links Hummingbird.
        .target(
            name: "CeleryDashboard",
            dependencies: [
                "Celery", "CeleryRedis", "CeleryRabbitMQ", "CeleryMongo", "CeleryCommands", "RESP", "AMQP091",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
                // The RabbitMQ management API client (Hummingbird links these already).
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .executableTarget(name: "celery-dashboard", dependencies: [
            "CeleryDashboard", "CeleryCommands",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Tests.
        .testTarget(name: "CeleryTests", dependencies: ["Celery", "ExampleTasks"]),
        .testTarget(name: "RESPTests", dependencies: [
            "RESP", "CeleryTestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOTestUtils", package: "swift-nio"),
        ]),
        .testTarget(name: "AMQP091Tests", dependencies: [
            "AMQP091",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOTestUtils", package: "swift-nio"),
        ]),
        .testTarget(name: "CeleryRedisTests", dependencies: ["CeleryRedis", "RESP", "Celery", "ExampleTasks", "CeleryTestSupport"]),
        .testTarget(name: "CeleryRabbitMQTests", dependencies: ["CeleryRabbitMQ", "AMQP091", "Celery", "ExampleTasks", "CeleryTestSupport"]),
        .testTarget(name: "CeleryMongoTests", dependencies: ["CeleryMongo", "Celery", "ExampleTasks"]),
        // One contract suite, parameterised over every transport and result backend.
        .testTarget(name: "ContractTests", dependencies: ["Celery", "CeleryRedis", "CeleryRabbitMQ", "CeleryMongo", "ExampleTasks"]),
        // Python Celery 5 interop: our worker and client against theirs, over real servers.
        .testTarget(name: "InteropTests", dependencies: ["Celery", "CeleryRedis", "CeleryRabbitMQ", "CeleryMongo"]),
        .testTarget(name: "CeleryCommandsTests", dependencies: ["CeleryCommands", "Celery", "ExampleTasks"]),
        .testTarget(name: "BeatTests", dependencies: ["Celery", "CeleryCommands", "CeleryRedis"]),
        .testTarget(name: "CeleryDashboardTests", dependencies: [
            "CeleryDashboard", "Celery", "CeleryRedis", "CeleryRabbitMQ", "CeleryMongo", "ExampleTasks", "RESP", "AMQP091",
        ]),
    ]
)
