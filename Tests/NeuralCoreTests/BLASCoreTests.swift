import NeuralCore
import XCTest

/// The choice of OpenBLAS core from the loaded core, the processor and the environment (`BLASCore.decide`), and a
/// GEMM on the core this process runs held to a naive product (some forced cores of old OpenBLAS builds miscompute).
final class BLASCoreTests: XCTestCase {
    let xeon = Processor(vendor: "GenuineIntel", family: 6, model: 207, isa: .avx512)
    let epyc = Processor(vendor: "AuthenticAMD", family: 25, model: 1, isa: .avx2)
    let old = Processor(vendor: "GenuineIntel", family: 6, model: 23, isa: .baseline)

    func testFallbackOnANewerProcessorIsCorrected() {
        XCTAssertEqual(BLASCore.decide(loadedCore: "Prescott", processor: xeon, environment: [:]), .correct(to: "SkylakeX"))
        XCTAssertEqual(BLASCore.decide(loadedCore: "Prescott", processor: epyc, environment: [:]), .correct(to: "Zen"))
        XCTAssertEqual(BLASCore.decide(loadedCore: "Sandybridge", processor: xeon, environment: [:]), .correct(to: "SkylakeX"))
        // Haswell kernels on an AVX-512 processor are older too (1.4x slower per evaluation in the README).
        XCTAssertEqual(BLASCore.decide(loadedCore: "Haswell", processor: xeon, environment: [:]), .correct(to: "SkylakeX"))
    }

    func testRightCoreIsKept() {
        for (core, cpu) in [("SkylakeX", xeon), ("Cooperlake", xeon), ("Zen", epyc), ("Haswell", epyc), ("Prescott", old),
                            ("Core2", old)] {
            XCTAssertEqual(BLASCore.decide(loadedCore: core, processor: cpu, environment: [:]), .keep, "\(core)")
        }
        // A core name the table does not know is left alone rather than guessed at.
        XCTAssertEqual(BLASCore.decide(loadedCore: "FutureLake", processor: xeon, environment: [:]), .keep)
    }

    func testUserCoreIsRespected() {
        XCTAssertEqual(BLASCore.decide(loadedCore: "Prescott", processor: xeon, environment: ["OPENBLAS_CORETYPE": "Prescott"]),
                       .userChoice("Prescott", better: "SkylakeX"))
        XCTAssertEqual(BLASCore.decide(loadedCore: "Haswell", processor: epyc, environment: ["OPENBLAS_CORETYPE": "Haswell"]),
                       .userChoice("Haswell", better: nil))
    }

    /// The speed-up named for a core the user chose: "about 3x" only from an SSE3 core (measured on the Xeon); from
    /// an AVX2 core on an AVX-512 processor (the AMD EPYC family 25 model 17 has both) sgemm gains a few percent.
    func testAdviceNamesTheFactorOnlyFromTheFallback() {
        let zen4 = Processor(vendor: "AuthenticAMD", family: 25, model: 17, isa: .avx512)
        XCTAssertEqual(BLASCore.advice(core: "Prescott", processor: xeon),
                       "this AVX-512 processor runs SkylakeX about 3x faster (unset OPENBLAS_CORETYPE)")
        XCTAssertEqual(BLASCore.advice(core: "Zen", processor: zen4),
                       "this AVX-512 processor runs SkylakeX faster (unset OPENBLAS_CORETYPE)")
        XCTAssertNil(BLASCore.advice(core: "Cooperlake", processor: zen4))
        XCTAssertNil(BLASCore.advice(core: "Zen", processor: epyc))
        XCTAssertNil(BLASCore.advice(core: "FutureLake", processor: zen4))
    }

    func testCorrectedProcessIsNotCorrectedAgain() {
        let env = ["OPENBLAS_CORETYPE": "SkylakeX", BLASCore.correctedFromVariable: "Prescott"]
        XCTAssertEqual(BLASCore.decide(loadedCore: "SkylakeX", processor: xeon, environment: env), .keep)
        // Even if the library ignored the request, there is no second restart (no loop).
        XCTAssertEqual(BLASCore.decide(loadedCore: "Prescott", processor: xeon, environment: env), .keep)
    }

    func testSimulatedFallbackIsTreatedAsTheLibrarysChoice() {
        let env = ["OPENBLAS_CORETYPE": "Prescott", BLASCore.simulateFallbackVariable: "1"]
        XCTAssertEqual(BLASCore.decide(loadedCore: "Prescott", processor: xeon, environment: env), .correct(to: "SkylakeX"))
    }

    func testEveryCoreOfTheInstalledLibraryIsClassified() {
        XCTAssertNotNil(BLASCore.isa(ofCore: BLASCore.name), "OpenBLAS runs core \(BLASCore.name), which the table does not know")
        XCTAssertTrue(BLASCore.configuration.hasPrefix("OpenBLAS"), BLASCore.configuration)
    }

    /// Reference: the naive triple loop in Double. Shapes like the convolution's band GEMMs (odd sizes, so edge
    /// kernels run too); the bound is Float rounding over K = 577 terms of products of values in [-1, 1].
    func testSgemmOnThisCoreMatchesNaiveProduct() {
        var rng = SplitMix64(seed: 21)
        for (m, n, k) in [(1000, 64, 27), (333, 129, 577), (64, 250, 1152)] {
            let a = (0 ..< m * k).map { _ in Float(rng.nextUniform() * 2 - 1) }
            let b = (0 ..< k * n).map { _ in Float(rng.nextUniform() * 2 - 1) }
            var c = [Float](repeating: 0, count: m * n)
            GEMM.multiply(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: &c, ldc: n)
            var worst = 0.0
            for i in 0 ..< m {
                for j in 0 ..< n {
                    var s = 0.0
                    for p in 0 ..< k { s += Double(a[i * k + p]) * Double(b[p * n + j]) }
                    worst = max(worst, abs(s - Double(c[i * n + j])))
                }
            }
            XCTAssertLessThan(worst, 1e-4 * Double(k).squareRoot(), "sgemm \(m)x\(n)x\(k) on core \(BLASCore.name): worst difference \(worst)")
        }
    }
}
