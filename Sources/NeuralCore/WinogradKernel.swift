/// The kernels of one 3x3 layer transformed for Winograd's minimal filtering F(4x4, 3x3)
/// (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016):
/// `U = G g Gᵀ` for every (input, output) channel pair, a 6x6 matrix per pair.
///
/// Layout: `u` is `(36, Cin, Cout)`, position `p = 6 i + j` of the 6x6 transform first, so
/// that for each position the `(Cin, Cout)` slice is the right-hand matrix of one GEMM. The input gradient reads
/// the same kernel `readTransposed`: its GEMMs read each slice as `(Cout, Cin)` (`Conv3x3.winogradBackward`).
/// The interpolation points are `0, 1, -1, 2, -2, ∞`.
public struct WinogradKernel: Sendable {
    /// Channels the transformed kernel reads (rows of each position's matrix).
    public private(set) var inChannels = 0
    /// Channels it writes (columns of each position's matrix).
    public private(set) var outChannels = 0
    /// u is (36, inChannels, outChannels), or (36, outChannels, inChannels) when `transposed`; it may hold more
    /// floats than that (reused storage).
    public private(set) var u: [Float] = []
    /// Each position's slice is stored transposed, (outChannels, inChannels): the GEMM reads it with `transB`.
    public private(set) var transposed = false

    /// Number of transform positions of F(4x4, 3x3): a 6x6 input tile per 4x4 output tile.
    public static let positions = 36

    /// Transforms a Keras kernel; see `load(_:)`.
    public init(_ weights: ConvWeights) {
        load(weights)
    }

    /// An empty kernel, storage for `load`.
    public init() {}

    /// Transforms a Keras kernel into this value, reusing its storage when it is large enough.
    ///
    /// - Parameter weights: kernel `(3, 3, Cin, Cout)`.
    /// - Complexity: `O(Cin · Cout)`, eight channels at a time, parallel over the rows.
    public mutating func load(_ weights: ConvWeights) {
        let (cin, cout) = (weights.inChannels, weights.outChannels)
        // Stored rows and columns are the Keras kernel's Cin and Cout.
        let (rows, columns) = (cin, cout)
        inChannels = cin
        outChannels = cout
        transposed = false
        let needed = Self.positions * cin * cout
        if u.count < needed { u = [Float](repeating: 0, count: needed) }
        weights.kernel.withUnsafeBufferPointer { g in
            u.withUnsafeMutableBufferPointer { u in
                let gp = g.baseAddress!
                nonisolated(unsafe) let up = u.baseAddress!
                let plane = rows * columns
                // Row r of every position's matrix, `columns` wide, eight at a time. Tap (ky, kx) of
                // element (r, col) is g[ky][kx][r][col].
                parallelFor(rows, parts: GEMM.threadCount, minimumPerPart: 8) { range in
                    // tap[3 ky + kx], h = g Gᵀ (3x6), and G h (6x6), eight columns at a time.
                    let tap = UnsafeMutablePointer<SIMD8<Float>>.allocate(capacity: 9 + 18 + 6)
                    defer { tap.deallocate() }
                    let (h, out) = (tap + 9, tap + 27)
                    for r in range {
                        var col = 0
                        while col < columns {
                            let n = min(8, columns - col)
                            for ky in 0 ..< 3 {
                                for kx in 0 ..< 3 {
                                    tap[3 * ky + kx] = WinogradTile.load(gp + ((ky * 3 + kx) * cin + r) * cout + col, n)
                                }
                            }
                            for k in 0 ..< 3 { Self.filterTransform(tap[3 * k], tap[3 * k + 1], tap[3 * k + 2], into: h + 6 * k) }
                            for j in 0 ..< 6 {
                                Self.filterTransform(h[j], h[6 + j], h[12 + j], into: out)
                                for i in 0 ..< 6 { WinogradTile.store(out[i], up + (6 * i + j) * plane + r * columns + col, n) }
                            }
                            col += 8
                        }
                    }
                }
            }
        }
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
    static func filterTransform(_ x0: SIMD8<Float>, _ x1: SIMD8<Float>, _ x2: SIMD8<Float>,
                                into y: UnsafeMutablePointer<SIMD8<Float>>) {
        let even = x0 + x2
        let a = (x0 + 4 * x2) / 24, b = x1 / 12
        y[0] = x0 / 4
        y[1] = -(even + x1) / 6
        y[2] = -(even - x1) / 6
        y[3] = a + b
        y[4] = a - b
        y[5] = x2
    }

    /// The same kernel read the other way, Cout -> Cin (each position's matrix transposed, sharing the storage):
    /// the kernel of `Conv3x3.winogradBackward`.
    public var readTransposed: WinogradKernel {
        var k = self
        (k.inChannels, k.outChannels) = (outChannels, inChannels)
        k.transposed.toggle()
        return k
    }

    /// Bytes held by the transformed kernel's storage.
    public var bytes: Int { u.count * MemoryLayout<Float>.stride }
}

/// Transformed kernels of a network's Winograd layers. Those that fit in a memory budget are
/// transformed on first use and kept; the others are transformed again on each use into one
/// reused buffer, which costs a pass over the kernel (about 2 ms on average per layer, 5 ms for a 512x512 one)
/// but no memory beyond the largest layer's transform.
///
/// The network asks only for forward kernels: the input gradient reads the same kernel transposed on the turned
/// image (`Conv3x3.winogradBackward`), so one kernel per layer serves both directions. Keeping every layer of
/// VGG19 up to block5_conv2 takes about 250 MB, four times its weights.
public final class WinogradKernelCache {
    public let weights: VGGWeights
    /// Bytes of transformed kernels kept between uses. Lowering it lets go of the kept kernels.
    public var budgetBytes: Int {
        didSet { if budgetBytes < keptBytes { kept = [:]; keptBytes = 0 } }
    }
    /// A budget that keeps every layer of VGG16 and VGG19 up to block5_conv2.
    public static let wholeNetworkBytes = 512 << 20
    /// The budget `VGGNetwork` sets by itself: every kernel for inputs under `automaticLimitPixels`, none from there.
    /// The transforms of one VGG19 evaluation cost about the same time at any size (about 65 ms, each kernel twice),
    /// so they weigh 20% of an evaluation at 256x256 but 5% at 512x512, where the kept kernels (about 250 MB) would be
    /// the largest part of the memory. Measured with `stylize-bench --tune cache-mib=N`: VGG19 256x256, 289 ms kept
    /// against 355 ms; 512x512 with the fused pools, 358 MiB peak RSS and 1070 ms without them against about
    /// 570 MiB and 1010-1060 ms with them.
    public static func automaticBudget(pixels: Int) -> Int { pixels < automaticLimitPixels ? wholeNetworkBytes : 0 }
    /// 2¹⁷ pixels, about 362x362.
    public static let automaticLimitPixels = 1 << 17

    private var kept: [Int: WinogradKernel] = [:]
    private var keptBytes = 0
    /// The one reused buffer of kernels beyond the budget (a kernel is in use only inside one `withKernel` call at a
    /// time).
    private var transient = WinogradKernel()

    public init(weights: VGGWeights, budgetBytes: Int = WinogradKernelCache.wholeNetworkBytes) {
        self.weights = weights
        self.budgetBytes = budgetBytes
    }

    /// Calls `body` with the transformed (forward) kernel of convolution `c`; the input gradient reads it transposed.
    public func withKernel<R>(_ c: Int, _ body: (WinogradKernel) -> R) -> R {
        if let k = kept[c] { return body(k) }
        let bytes = WinogradKernel.positions * weights.convolutions[c].kernel.count / 9 * MemoryLayout<Float>.stride
        if keptBytes + bytes <= budgetBytes {
            let k = WinogradKernel(weights.convolutions[c])
            kept[c] = k
            keptBytes += bytes
            return body(k)
        }
        transient.load(weights.convolutions[c])
        return body(transient)
    }

    /// Bytes held: kept kernels and the reused buffers.
    public var bytes: Int { keptBytes + transient.bytes }
}
