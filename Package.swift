// swift-tools-version:6.0
// stylize: Gram-matrix neural style transfer on the CPU.
// Dependencies point one way: stylize -> StyleTransfer, Visualization -> NeuralCore, Imaging -> C targets.
import PackageDescription


let package = Package(
    name: "stylize",
    products: [
        .executable(name: "stylize", targets: ["stylize"]),
        .library(name: "StyleTransfer", targets: ["StyleTransfer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries (Debian -dev packages, found through pkg-config).
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CLibPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CLibJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "CLibHDF5", pkgConfig: "hdf5-serial", providers: [.apt(["libhdf5-dev"])]),   // tests only
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CLibFreeType", pkgConfig: "freetype2", providers: [.apt(["libfreetype-dev"])]),
        // Small C shims for what Swift cannot import (setjmp/longjmp, macros). Each returns an int and fills a message.
        .target(name: "CPNG", dependencies: ["CLibPNG"]),
        .target(name: "CJPEG", dependencies: ["CLibJPEG"]),
        // libhdf5 through its shim: the tests' independent reference for the Swift HDF5 reader, not in the product.
        .target(name: "CHDF5", dependencies: ["CLibHDF5"]),
        // Swift modules.
        // SafeIO: bounded reads of regular files only, atomic writes, and the register of inputs no write may replace.
        .target(name: "SafeIO"),
        .target(name: "Imaging", dependencies: ["SafeIO", "CPNG", "CJPEG"]),
        .target(name: "NeuralCore", dependencies: ["SafeIO", "COpenBLAS", "CZlib"]),
        .target(name: "StyleTransfer", dependencies: ["SafeIO", "NeuralCore", "Imaging"]),
        .target(name: "Visualization", dependencies: ["NeuralCore", "Imaging", "CLibFreeType"]),
        .executableTarget(
            name: "stylize",
            dependencies: ["StyleTransfer", "Visualization", "NeuralCore", "Imaging", "SafeIO",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "stylize-bench", dependencies: ["NeuralCore", "StyleTransfer"]),
        .executableTarget(name: "optimizer-bench", dependencies: ["NeuralCore", "StyleTransfer"]),
        .executableTarget(name: "seam-check", dependencies: ["NeuralCore", "StyleTransfer", "Imaging"]),
        // Tests: one target per module, plus the command line.
        .testTarget(name: "SafeIOTests", dependencies: ["SafeIO"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging"], resources: [.copy("Fixtures")]),
        .testTarget(name: "NeuralCoreTests", dependencies: ["NeuralCore", "Imaging", "CHDF5"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "StyleTransferTests", dependencies: ["StyleTransfer", "NeuralCore"],
                    exclude: ["Fixtures"]),   // reference scripts and their output; the tests paste the numbers
        .testTarget(name: "VisualizationTests", dependencies: ["Visualization"]),
        .testTarget(name: "CLITests", dependencies: ["stylize", "Imaging"]),
        // Replays the fuzz seed corpus and every input a fuzzer crashed on (Fuzz/regressions) through the parsers.
        .testTarget(name: "FuzzRegressionTests", dependencies: ["SafeIO", "Imaging", "NeuralCore", "StyleTransfer"],
                    path: "Fuzz/Sources", exclude: ["Harness"], sources: ["FuzzTargets", "RegressionTests"]),
    ]
)

// The libFuzzer harness (scripts/fuzz builds it into .build-fuzz with -sanitize=fuzzer,address): one executable
// that feeds the parser named by STYLIZE_FUZZ_TARGET. It has no main of its own (libFuzzer supplies it), so it is
// declared only when STYLIZE_FUZZ=1; the regression tests, which share its Fuzz/Sources/FuzzTargets, are left out then.
if Context.environment["STYLIZE_FUZZ"] == "1" {
    package.targets.removeAll { $0.name == "FuzzRegressionTests" }
    package.targets.append(.executableTarget(name: "stylize-fuzz", dependencies: ["Imaging", "NeuralCore", "StyleTransfer"],
                                             path: "Fuzz/Sources", exclude: ["RegressionTests"],
                                             sources: ["FuzzTargets", "Harness"]))
}
