// swift-tools-version:6.0
import PackageDescription

// Ember: tensors, autograd and neural networks for Swift.
// BLAS comes from OpenBLAS (pkg-config `openblas`) on Linux and Accelerate on Apple platforms;
// zlib, libpng and libjpeg(-turbo) from the system.
let package = Package(
    name: "Ember",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Ember", targets: ["Ember"]),
        .library(name: "EmberServe", targets: ["EmberServe"]),
        .library(name: "EmberONNX", targets: ["EmberONNX"]),
        .executable(name: "ember", targets: ["EmberCLI"]),
        .executable(name: "ember-serve", targets: ["EmberServeCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .systemLibrary(
            name: "CEmberZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"]), .brew(["libpng"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg-dev"]), .brew(["jpeg-turbo"])]),
        .target(name: "CEmberImageCodecs", dependencies: ["CPNG", "CJPEG"]),
        .target(name: "CEmberKernels"),
        .target(
            name: "Ember",
            dependencies: [
                "CEmberKernels",
                .target(name: "CBLAS", condition: .when(platforms: [.linux])),
                "CEmberZlib",
                "CEmberImageCodecs",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            linkerSettings: [.linkedFramework("Accelerate", .when(platforms: [.macOS]))]
        ),
        // The `ember` command line (target EmberCLI, so its module name differs from Ember's on
        // case-insensitive file systems).
        // The MNIST-family models and datasets that the command lines (`ember`, `ember-serve`) share.
        .target(
            name: "EmberModels",
            dependencies: ["Ember", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "EmberCLI",
            dependencies: ["Ember", "EmberModels", "CEmberZlib", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/ember"
        ),
        // ONNX models run by Ember's operators; a library of its own so that the core builds without
        // SwiftProtobuf. Generated/onnx.pb.swift comes from scripts/generate_onnx_swift.sh.
        .target(
            name: "EmberONNX",
            dependencies: ["Ember", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
        // Serving over HTTP (Hummingbird), a library of its own so that `ember` and the Ember
        // library build without it.
        .target(
            name: "EmberServe",
            dependencies: ["Ember", .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "NIOCore", package: "swift-nio")]
        ),
        .executableTarget(
            name: "EmberServeCLI",
            dependencies: ["EmberServe", "EmberModels", "EmberONNX", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/ember-serve"
        ),
        .executableTarget(name: "mnist-mlp", dependencies: ["Ember"], path: "Examples/mnist-mlp"),
        .executableTarget(name: "mnist-mlp3", dependencies: ["Ember"], path: "Examples/mnist-mlp3"),
        .executableTarget(name: "mnist-regularized", dependencies: ["Ember"], path: "Examples/mnist-regularized"),
        .executableTarget(name: "mnist-prune", dependencies: ["Ember"], path: "Examples/mnist-prune"),
        .executableTarget(name: "mnist-autoencoder", dependencies: ["Ember"], path: "Examples/mnist-autoencoder"),
        .executableTarget(name: "sum-regression", dependencies: ["Ember"], path: "Examples/sum-regression"),
        .executableTarget(name: "pinn-oscillator", dependencies: ["Ember"], path: "Examples/pinn-oscillator"),
        .executableTarget(name: "image-folder", dependencies: ["Ember"], path: "Examples/image-folder"),
        .executableTarget(name: "mnist-stn", dependencies: ["Ember"], path: "Examples/mnist-stn"),
        .target(name: "CPeakFlops", path: "Benchmarks/CPeakFlops"),
        .executableTarget(
            name: "ember-bench",
            dependencies: ["Ember", "EmberONNX", "CPeakFlops", .target(name: "CBLAS", condition: .when(platforms: [.linux]))],
            path: "Benchmarks/ember-bench",
            linkerSettings: [.linkedFramework("Accelerate", .when(platforms: [.macOS]))]
        ),
        .executableTarget(name: "mnist-cnn", dependencies: ["Ember"], path: "Examples/mnist-cnn"),
        .executableTarget(name: "mnist-rnn", dependencies: ["Ember"], path: "Examples/mnist-rnn"),
        .executableTarget(name: "mnist-vit", dependencies: ["Ember"], path: "Examples/mnist-vit"),
        .executableTarget(name: "transformer-copy", dependencies: ["Ember"], path: "Examples/transformer-copy"),
        .executableTarget(
            name: "torch-checkpoint-fuzz",
            dependencies: ["Ember", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            path: "Fuzz/TorchCheckpointFuzz"
        ),
        // Depends on EmberCLI and EmberServeCLI so that `swift test` builds the `ember` and `ember-serve`
        // binaries the command-line tests run.
        .testTarget(name: "EmberTests", dependencies: ["Ember", "EmberServe", "EmberONNX", "EmberCLI", "EmberServeCLI"],
                    exclude: ["Fixtures"]),
    ],
    swiftLanguageModes: [.v5]
)
