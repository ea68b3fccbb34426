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
        // The worker/beat/admin commands, with no transport: an app registers the ones it links.
        .library(name: "CeleryCommands", targets: ["CeleryCommands"]),
        // Registers every transport (Redis, RabbitMQ, MongoDB), for programs that accept any URL.
        .library(name: "CeleryAllTransports", targets: ["CeleryAllTransports"]),
        .library(name: "RESP", targets: ["RESP"]),
        .library(name: "AMQP091", targets: ["AMQP091"]),
        .executable(name: "celery-worker", targets: ["celery-worker"]),
        .executable(name: "celery-beat", targets: ["celery-beat"]),
        .executable(name: "celery-admin", targets: ["celery-admin"]),
        .executable(name: "celery-demo", targets: ["celery-demo"]),
        .executable(name: "celery-bench", targets: ["celery-bench"]),
        .library(name: "CeleryDashboard", targets: ["CeleryDashboard"]),
        .executable(name: "celery-dashboard", targets: ["celery-dashboard"]),
        .executable(name: "celery-redis-worker-example", targets: ["celery-redis-worker-example"]),
        .executable(name: "celery-webapp-example", targets: ["celery-webapp-example"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.30.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        // Only CeleryDashboard and the web-app example (and their executables and tests) depend on Hummingbird.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        // Server integration: Service/ServiceGroup, metrics, trace context (all light); Prometheus only in CeleryCommands.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
    ],
    targets: [
        // Core: app, tasks, protocol v2, Broker/ResultBackend protocols, memory transport, worker, beat.
        .target(
            name: "Celery",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
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
        // libbson/libmongoc, loaded with dlopen on the first mongodb:// URL: no -l, no include path
        // (own declarations, checked against the installed headers by CMongoCABICheck).
        .target(name: "CMongoC"),
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
        // Commands any application embeds (worker, beat, admin): no transport dependency; the
        // program registers the transports it links (CeleryAllTransports, or RedisTransport …).
        .target(
            name: "CeleryCommands",
            dependencies: [
                "Celery",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .target(name: "CeleryAllTransports", dependencies: ["Celery", "CeleryRedis", "CeleryRabbitMQ", "CeleryMongo"]),
        // celery-bench and celery-demo (and the dashboard's demo button): benchmarks, demo scenarios, child processes.
        .target(
            name: "CeleryBench",
            dependencies: [
                "Celery", "CeleryCommands", "CeleryAllTransports", "ExampleTasks",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(name: "celery-worker", dependencies: ["CeleryCommands", "CeleryAllTransports", "ExampleTasks"]),
        .executableTarget(name: "celery-beat", dependencies: ["CeleryCommands", "CeleryAllTransports"]),
        .executableTarget(name: "celery-admin", dependencies: ["CeleryCommands", "CeleryAllTransports"]),
        .executableTarget(name: "celery-demo", dependencies: ["CeleryBench"]),
        .executableTarget(name: "celery-bench", dependencies: ["CeleryBench", "CeleryCommands", "ExampleTasks"]),
        // A worker that links Redis only (no libmongoc, no AMQP client): the opt-in products' proof.
        .executableTarget(
            name: "celery-redis-worker-example", dependencies: ["CeleryCommands", "CeleryRedis", "ExampleTasks"],
            path: "Examples/RedisOnlyWorker"),
        // The web-app example (Hummingbird 2): its tasks and image codec (zlib from Debian), and the server.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "WebAppTasks", dependencies: ["Celery", "CZlib"], path: "Examples/WebAppTasks"),
        .executableTarget(
            name: "celery-webapp-example",
            dependencies: [
                "Celery", "CeleryCommands", "CeleryAllTransports", "WebAppTasks",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/WebApp"),
        // Test support any test target may use: the live servers' URLs, waiting for conditions,
        // child processes, private Redis/RabbitMQ servers, a fault-injecting TCP proxy.
        .target(
            name: "CeleryTestSupport",
            dependencies: [
                "Celery", "RESP", "AMQP091",
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
                "Celery", "CeleryRedis", "CeleryRabbitMQ", "CeleryMongo", "CeleryCommands", "CeleryAllTransports", "CeleryBench",
                "RESP", "AMQP091",
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
        .testTarget(name: "CeleryTests", dependencies: ["Celery", "ExampleTasks", "CeleryTestSupport"]),
        .testTarget(name: "RESPTests", dependencies: [
            "RESP", "CeleryTestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOTestUtils", package: "swift-nio"),
        ]),
        .testTarget(name: "AMQP091Tests", dependencies: [
            "AMQP091", "CeleryTestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOTestUtils", package: "swift-nio"),
        ]),
        .testTarget(name: "CeleryRedisTests", dependencies: ["CeleryRedis", "RESP", "Celery", "ExampleTasks", "CeleryTestSupport"]),
        .testTarget(name: "CeleryRabbitMQTests", dependencies: ["CeleryRabbitMQ", "AMQP091", "Celery", "ExampleTasks", "CeleryTestSupport"]),
        // Test only: the installed libmongoc headers (pkg-config) and CMongoC's declarations checked against them.
        .systemLibrary(
            name: "CMongoCSystem", path: "Tests/CMongoCSystem", pkgConfig: "libmongoc-1.0",
            providers: [.apt(["libmongoc-dev", "libbson-dev"])]),
        .target(name: "CMongoCABICheck", dependencies: ["CMongoC", "CMongoCSystem"], path: "Tests/CMongoCABICheck"),
        .testTarget(name: "CeleryMongoTests", dependencies: ["CeleryMongo", "Celery", "ExampleTasks", "CeleryTestSupport", "CMongoCABICheck"]),
        // One contract suite, parameterised over every transport and result backend.
        .testTarget(name: "ContractTests", dependencies: ["Celery", "CeleryRedis", "CeleryRabbitMQ", "CeleryMongo", "ExampleTasks"]),
        // Python Celery 5 interop: our worker and client against theirs, over real servers.
        .testTarget(name: "InteropTests", dependencies: [
            "Celery", "CeleryRedis", "CeleryRabbitMQ", "CeleryMongo",
            // Observability: services, metrics endpoint and trace context (ServiceLifecycleTests, TraceContextInteropTests).
            "CeleryCommands", "ExampleTasks", "RESP", "CeleryTestSupport",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Tracing", package: "swift-distributed-tracing"),
        ]),
        .testTarget(name: "CeleryCommandsTests", dependencies: ["CeleryCommands", "CeleryBench", "CeleryAllTransports", "Celery", "ExampleTasks", "CeleryTestSupport"]),
        .testTarget(name: "BeatTests", dependencies: ["Celery", "CeleryCommands", "CeleryRedis"]),
        // The web-app example end to end (runs celery-webapp-example as a process) and its codecs.
        .testTarget(name: "WebAppTests", dependencies: ["WebAppTasks", "Celery", "CeleryTestSupport"]),
        .testTarget(name: "CeleryDashboardTests", dependencies: [
            "CeleryDashboard", "Celery", "CeleryRedis", "CeleryRabbitMQ", "CeleryMongo", "ExampleTasks", "RESP", "AMQP091", "CeleryTestSupport",
        ]),
    ]
)
