/// The kernels of one 3x3 layer transformed for Winograd's minimal filtering F(4x4, 3x3)
/// (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016):
/// `U = G g Gᵀ` for every (input, output) channel pair, a 6x6 matrix per pair.
///
/// Layout: `u` is `(36, Cin, Cout)`, position `p = 6 i + j` of the 6x6 transform first, so
/// that for each position the `(Cin, Cout)` slice is the right-hand matrix of one GEMM.
///
/// The interpolation points are `0, 1, -1, 2, -2, ∞`; the transform is computed in Double and
/// rounded once to Float.
public struct WinogradKernel: Sendable {
    /// Channels the transformed kernel reads (rows of each position's matrix).
    public let inChannels: Int
    /// Channels it writes (columns of each position's matrix).
    public let outChannels: Int
    /// u is (36, inChannels, outChannels).
    public let u: [Float]

    /// Number of transform positions of F(4x4, 3x3): a 6x6 input tile per 4x4 output tile.
    public static let positions = 36

    /// Transforms a Keras kernel.
    ///
    /// - Parameters:
    ///   - weights: kernel `(3, 3, Cin, Cout)`.
    ///   - flipped: transform the kernel of the input gradient instead: rotated by 180 degrees
    ///     with Cin and Cout swapped, so that `dinput = conv(doutput, flipped kernel)`; the result
    ///     then reads `Cout` channels and writes `Cin`.
    /// - Complexity: `O(Cin · Cout)`, parallel over the input channels.
    public init(_ weights: ConvWeights, flipped: Bool = false) {
        let (cin, cout) = (weights.inChannels, weights.outChannels)
        let (rows, columns) = flipped ? (cout, cin) : (cin, cout)
        inChannels = rows
        outChannels = columns
        var u = [Float](repeating: 0, count: 36 * cin * cout)
        weights.kernel.withUnsafeBufferPointer { g in
            u.withUnsafeMutableBufferPointer { u in
                let (gp, up) = (g.baseAddress!, u.baseAddress!)
                nonisolated(unsafe) let out = up
                parallelFor(cin, parts: GEMM.threadCount, minimumPerPart: 8) { range in
                    var tap = [Double](repeating: 0, count: 9)
                    var h = [Double](repeating: 0, count: 18)
                    for ci in range {
                        for co in 0 ..< cout {
                            // tap[3 ky + kx] of the kernel this transform is for.
                            for ky in 0 ..< 3 {
                                for kx in 0 ..< 3 {
                                    let (sy, sx) = flipped ? (2 - ky, 2 - kx) : (ky, kx)
                                    tap[3 * ky + kx] = Double(gp[((sy * 3 + sx) * cin + ci) * cout + co])
                                }
                            }
                            // h = g Gᵀ (3x6): G applied along each kernel row.
                            for r in 0 ..< 3 {
                                WinogradKernel.filterTransform(tap[3 * r], tap[3 * r + 1], tap[3 * r + 2]) { j, v in h[6 * r + j] = v }
                            }
                            // U = G h (6x6): G applied down each column.
                            let (row, column) = flipped ? (co, ci) : (ci, co)
                            for j in 0 ..< 6 {
                                WinogradKernel.filterTransform(h[j], h[6 + j], h[12 + j]) { i, v in
                                    out[((6 * i + j) * rows + row) * columns + column] = Float(v)
                                }
                            }
                        }
                    }
                }
            }
        }
        self.u = u
    }

    /// `G x` for one 3-vector, the filter transform of F(4x4, 3x3):
    /// ```
    /// G = [ 1/4     0      0
    ///      -1/6   -1/6   -1/6
    ///      -1/6    1/6   -1/6
    ///       1/24   1/12   1/6
    ///       1/24  -1/12   1/6
    ///       0      0      1  ]
    /// ```
    @inline(__always)
    static func filterTransform(_ x0: Double, _ x1: Double, _ x2: Double, _ emit: (Int, Double) -> Void) {
        emit(0, x0 / 4)
        emit(1, -(x0 + x1 + x2) / 6)
        emit(2, -(x0 - x1 + x2) / 6)
        emit(3, x0 / 24 + x1 / 12 + x2 / 6)
        emit(4, x0 / 24 - x1 / 12 + x2 / 6)
        emit(5, x2)
    }

    /// Bytes held by the transformed kernel.
    public var bytes: Int { u.count * MemoryLayout<Float>.stride }
}
