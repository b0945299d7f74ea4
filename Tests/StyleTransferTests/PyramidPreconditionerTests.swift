import XCTest
@testable import StyleTransfer

/// The seed matrix M of the preconditioned L-BFGS must be symmetric positive definite (Nocedal & Wright, section
/// 7.2: the two-loop recursion yields descent directions for any positive definite H_0). References here are the
/// definitions: dot products of random vectors for symmetry, a dense matrix built column by column for the
/// eigenvalue bounds, and the adjoint identity <U a, b> = <a, U^T b> for the two pyramid operators.
final class PyramidPreconditionerTests: XCTestCase {
    func random(_ n: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0 ..< n).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 1000
        }
    }

    func applied(_ p: PyramidPreconditioner, _ v: [Float]) -> [Float] {
        var x = v
        x.withUnsafeMutableBufferPointer { p.apply($0) }
        return x
    }

    func dot(_ a: [Float], _ b: [Float]) -> Double { zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) } }

    func testUpsamplingAdjointsAreExact() {
        for (w, h) in [(7, 5), (8, 6), (1, 3), (13, 2)] {
            let c = 3, (cw, ch) = ((w + 1) / 2, (h + 1) / 2)
            let coarse = random(cw * h * c, seed: 1), fine = random(w * h * c, seed: 2)
            XCTAssertEqual(dot(PyramidPreconditioner.upsampleRows(coarse, cw, h, c, fineWidth: w), fine),
                           dot(coarse, PyramidPreconditioner.adjointUpsampleRows(fine, w, h, c)), accuracy: 1e-4)
            let coarseY = random(w * ch * c, seed: 3)
            XCTAssertEqual(dot(PyramidPreconditioner.upsampleColumns(coarseY, w, ch, h, c), fine),
                           dot(coarseY, PyramidPreconditioner.adjointUpsampleColumns(fine, w, h, c)), accuracy: 1e-4)
        }
    }

    func testSymmetricPositiveDefiniteWithBoundedGain() {
        // Odd and even sizes, so every pyramid level has a clamped edge.
        for (w, h) in [(9, 7), (12, 10)] {
            let p = PyramidPreconditioner(width: w, height: h, levels: 4, weight: 4)
            XCTAssertGreaterThan(p.levels, 0)
            let a = random(w * h * 3, seed: 5), b = random(w * h * 3, seed: 6)
            XCTAssertEqual(dot(applied(p, a), b), dot(a, applied(p, b)), accuracy: 1e-3 * abs(dot(applied(p, a), b)) + 1e-4)
            // Rayleigh quotients over unit vectors and random vectors lie in [1, 1 + weight * levels * 4]:
            // M = I + PSD, and each smoothing U_k U_k^T / 4^k has gain at most about 1 (4 allows for the edges).
            let n = w * h * 3
            for column in stride(from: 0, to: n, by: 7) {
                var e = [Float](repeating: 0, count: n)
                e[column] = 1
                let q = dot(e, applied(p, e))
                XCTAssertGreaterThanOrEqual(q, 1 - 1e-6)
                XCTAssertLessThanOrEqual(q, 1 + Double(p.weight) * Double(p.levels) * 4)
            }
            for seed in 10 ..< 20 {
                let v = random(n, seed: UInt64(seed))
                XCTAssertGreaterThanOrEqual(dot(v, applied(p, v)) / dot(v, v), 1 - 1e-6)
            }
        }
    }

    func testConstantImageGetsTheFullBoostAndCheckerboardAlmostNone() {
        let (w, h) = (32, 32)
        let p = PyramidPreconditioner(width: w, height: h, levels: 3, weight: 4)
        let ones = [Float](repeating: 1, count: w * h * 3)
        // Each level's smoothing maps a constant image to itself: M 1 = (1 + weight * levels) 1.
        for v in applied(p, ones) { XCTAssertEqual(v, 13, accuracy: 1e-4) }
        // A pixel checkerboard is the highest frequency: the first level's smoothing nearly removes it.
        var checker = ones
        for y in 0 ..< h { for x in 0 ..< w { for c in 0 ..< 3 { checker[(y * w + x) * 3 + c] = (x + y) % 2 == 0 ? 1 : -1 } } }
        let gain = dot(checker, applied(p, checker)) / dot(checker, checker)
        XCTAssertLessThan(gain, 1.5)
    }

    func testLevelsStopAtSmallImages() {
        XCTAssertEqual(PyramidPreconditioner(width: 3, height: 100, levels: 4, weight: 4).levels, 0)
        XCTAssertEqual(PyramidPreconditioner(width: 16, height: 16, levels: 9, weight: 4).levels, 3)
        var v: [Float] = [1, 2, 3]
        v.withUnsafeMutableBufferPointer { PyramidPreconditioner(width: 1, height: 1, levels: 4, weight: 4).apply($0) }
        XCTAssertEqual(v, [1, 2, 3])
    }
}
