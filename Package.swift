// swift-tools-version:6.0
// stylize: Gram-matrix neural style transfer on the CPU.
// Dependencies point one way: stylize -> StyleTransfer, Visualization, WeightFiles -> NeuralCore, Imaging -> C targets
// (ARCHITECTURE.md lists every module's dependencies; ArchitectureTests holds that list to this file).
import Foundation
import PackageDescription

// The vector instruction set of the project's own kernels (Winograd transforms, pools, masks, Gram split, the
// L-BFGS vector pass). The project is built on the machine it runs on, so by default the kernels use that
// machine's widest level: AVX-512 (x86-64-v4), AVX2 (x86-64-v3) or the x86-64 baseline (SSE2), read from
// /proc/cpuinfo. STYLIZE_ISA=baseline|avx2|avx512 chooses one instead (baseline: a portable binary that runs
// on any x86-64 CPU). A binary started on a CPU that lacks its level stops with one line (Sources/CCPU).
enum KernelISA: Int {
    case baseline = 0, avx2 = 1, avx512 = 2
    /// The level of the machine that builds: every feature of x86-64-v3 / v4 listed in /proc/cpuinfo's flags.
    static var buildMachine: KernelISA {
        #if arch(x86_64)
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return .baseline }
        let flags = Set(line.split(separator: " ").map(String.init))
        let v3 = ["avx", "avx2", "fma", "bmi1", "bmi2", "f16c", "abm", "movbe"].allSatisfy(flags.contains)
        let v4 = v3 && ["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"].allSatisfy(flags.contains)
        return v4 ? .avx512 : v3 ? .avx2 : .baseline
        #else
        return .baseline
        #endif
    }
    static var chosen: KernelISA {
        switch Context.environment["STYLIZE_ISA"] ?? "" {
        case "baseline": return .baseline
        case "avx2": return .avx2
        case "avx512": return .avx512
        default: return buildMachine   // "", "native"
        }
    }
    /// The same level for the C kernels (Sources/CGEMM).
    var cFlags: [String] {
        switch self {
        case .baseline: return []
        case .avx2: return ["-march=haswell"]
        case .avx512: return ["-march=skylake-avx512"]
        }
    }
    var swiftFlags: [String] {
        switch self {
        case .baseline: return []
        case .avx2: return ["-target-cpu", "haswell"]          // x86-64-v3: AVX2, FMA, BMI1/2, F16C, LZCNT, MOVBE
        case .avx512: return ["-target-cpu", "skylake-avx512"]  // x86-64-v4: v3 and AVX-512 F, BW, CD, DQ, VL
        }
    }
}
let isa = KernelISA.chosen
let kernelSettings: [SwiftSetting] = isa.swiftFlags.isEmpty ? [] : [.unsafeFlags(isa.swiftFlags)]
let kernelCSettings: [CSetting] = [.unsafeFlags(["-O3"] + isa.cFlags)]


let package = Package(
    name: "stylize",
    products: [
        .executable(name: "stylize", targets: ["stylize"]),
        .library(name: "StyleTransfer", targets: ["StyleTransfer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
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
        // OpenCV's dense optical flow (DIS, Farneback) behind a C interface that catches every C++ exception. Debian ships
        // opencv4.pc only with libopencv-dev, which pulls in all of OpenCV; libopencv-video-dev is enough here, so the
        // header folder and the three libraries it needs are named here instead of a pkg-config name.
        .target(name: "CFlow", cxxSettings: [.unsafeFlags(["-I/usr/include/opencv4"])],
                linkerSettings: [.linkedLibrary("opencv_video"), .linkedLibrary("opencv_imgproc"), .linkedLibrary("opencv_core")]),
        // libhdf5 through its shim: the tests' independent reference for the Swift HDF5 reader, not in the product.
        .target(name: "CHDF5", dependencies: ["CLibHDF5"]),
        // Swift modules.
        // SafeIO: bounded reads of regular files only, atomic writes, and the register of inputs no write may replace.
        .target(name: "SafeIO"),
        .target(name: "Imaging", dependencies: ["SafeIO", "CPNG", "CJPEG"]),
        // cpuid and the start-up check of the kernels' ISA; compiled for the baseline, whatever STYLIZE_ISA says.
        .target(name: "CCPU", cSettings: [.define("STYLIZE_BUILD_ISA", to: String(isa.rawValue))]),
        // The Winograd products on kernels stored in column panels (AVX-512 or AVX2; none in a baseline build).
        .target(name: "CGEMM", cSettings: kernelCSettings),
        .target(name: "NeuralCore", dependencies: ["COpenBLAS", "CCPU", "CGEMM"], swiftSettings: kernelSettings),
        // The weight-file readers (HDF5, safetensors, torch.save, the Keras and torchvision layouts) and where to find one.
        .target(name: "WeightFiles", dependencies: ["NeuralCore", "SafeIO", "CZlib"], swiftSettings: kernelSettings),
        .target(name: "StyleTransfer", dependencies: ["SafeIO", "NeuralCore", "Imaging"], swiftSettings: kernelSettings),
        // Video: optical flow, warping, the forward-backward consistency check and the warping error.
        .target(name: "Video", dependencies: ["CFlow", "Imaging"]),
        .target(name: "Visualization", dependencies: ["NeuralCore", "Imaging", "CLibFreeType"]),
        // Studio: the local web page that watches, steers and starts runs (HTTP and Server-Sent Events on Hummingbird).
        .target(name: "Studio", dependencies: ["StyleTransfer", "Visualization", "NeuralCore", "Imaging", "SafeIO",
                                               .product(name: "Hummingbird", package: "hummingbird"),
                                               .product(name: "Logging", package: "swift-log")]),
        .executableTarget(
            name: "stylize",
            dependencies: ["StyleTransfer", "Visualization", "WeightFiles", "NeuralCore", "Imaging", "SafeIO", "Studio", "Video",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "stylize-bench", dependencies: ["NeuralCore", "StyleTransfer"]),
        .executableTarget(name: "optimizer-bench", dependencies: ["NeuralCore", "StyleTransfer"]),
        .executableTarget(name: "seam-check", dependencies: ["NeuralCore", "WeightFiles", "StyleTransfer", "Imaging"]),
        // Tests: one target per module, plus the command line.
        .testTarget(name: "SafeIOTests", dependencies: ["SafeIO"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging"], resources: [.copy("Fixtures")]),
        .testTarget(name: "NeuralCoreTests", dependencies: ["NeuralCore", "WeightFiles", "Imaging"]),
        .testTarget(name: "WeightFilesTests", dependencies: ["WeightFiles", "NeuralCore", "CHDF5"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "StyleTransferTests", dependencies: ["StyleTransfer", "NeuralCore", "WeightFiles"],
                    exclude: ["Fixtures"]),   // reference scripts and their output; the tests paste the numbers
        .testTarget(name: "VisualizationTests", dependencies: ["Visualization"]),
        // The studio's endpoints over loopback (its page is tested in a browser by scripts/test-studio).
        .testTarget(name: "StudioTests", dependencies: ["Studio", "Imaging", "StyleTransfer", "NeuralCore"]),
        .testTarget(name: "VideoTests", dependencies: ["Video", "Imaging"]),
        .testTarget(name: "CLITests", dependencies: ["stylize", "Imaging", "NeuralCore", "StyleTransfer"]),
        // ARCHITECTURE.md's module dependency list against this file (both read as text from the repository root).
        .testTarget(name: "ArchitectureTests"),
        // Replays the fuzz seed corpus and every input a fuzzer crashed on (Fuzz/regressions) through the parsers.
        .testTarget(name: "FuzzRegressionTests", dependencies: ["SafeIO", "Imaging", "WeightFiles", "StyleTransfer"],
                    path: "Fuzz/Sources", exclude: ["Harness"], sources: ["FuzzTargets", "RegressionTests"]),
    ]
)

// The libFuzzer harness (scripts/fuzz builds it into .build-fuzz with -sanitize=fuzzer,address): one executable
// that feeds the parser named by STYLIZE_FUZZ_TARGET. It has no main of its own (libFuzzer supplies it), so it is
// declared only when STYLIZE_FUZZ=1; the regression tests, which share its Fuzz/Sources/FuzzTargets, are left out then.
if Context.environment["STYLIZE_FUZZ"] == "1" {
    package.targets.removeAll { $0.name == "FuzzRegressionTests" }
    package.targets.append(.executableTarget(name: "stylize-fuzz", dependencies: ["Imaging", "WeightFiles", "StyleTransfer"],
                                             path: "Fuzz/Sources", exclude: ["RegressionTests"],
                                             sources: ["FuzzTargets", "Harness"]))
}
