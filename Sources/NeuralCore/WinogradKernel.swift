import CGEMM

/// The kernels of one 3x3 layer transformed for Winograd's minimal filtering F(4x4, 3x3)
/// (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016):
/// `U = G g Gᵀ` for every (input, output) channel pair, a 6x6 matrix per pair.
///
/// Each of the 36 positions `p = 6 i + j` of the 6x6 transform has one matrix, the right-hand side of one GEMM:
/// `(Cin, Cout)` for the forward pass, `(Cout, Cin)` for the input gradient (`Direction.backward`), which reads
/// the layer's kernel transposed on the turned image (`Conv3x3.winogradBackward`). A matrix is stored either
/// - in column panels (`panelWidth` > 0) for the project's own product (`cgemm_panels`, AVX-512 or AVX2): panel `j`
///   holds its columns `j NR ..< (j + 1) NR` as rows of NR floats, so the product reads the kernel as it lies
///   instead of packing it again for every block of tiles, as OpenBLAS must (the packing took a fifth of an
///   evaluation: `perf` on a 512 px transfer, Xeon family 6 model 207, OpenBLAS SkylakeX); or
/// - whole, `(Cin, Cout)` row-major, for OpenBLAS (a baseline build, or a column count that is not a multiple of
///   the panel width), the input gradient then reading it transposed (`transposed`).
/// The interpolation points are `0, 1, -1, 2, -2, ∞`.
public struct WinogradKernel: Sendable {
    /// Which product the matrices serve: the layer's forward pass or its input gradient.
    public enum Direction: Sendable { case forward, backward }
    /// Channels the transformed kernel reads (rows of each position's matrix): the layer's Cin forward, its Cout
    /// backward.
    public private(set) var inChannels = 0
    /// Channels it writes (columns of each position's matrix).
    public private(set) var outChannels = 0
    /// The 36 position matrices, one after the other, as described above; it may hold more floats than that
    /// (reused storage).
    public private(set) var u: [Float] = []
    /// The direction the matrices serve.
    public private(set) var direction = Direction.forward
    /// Columns per panel, or 0 when each matrix is stored whole.
    public private(set) var panelWidth = 0
    /// A whole matrix is stored transposed, (outChannels, inChannels): the GEMM reads it with `transB`.
    public private(set) var transposed = false

    /// Number of transform positions of F(4x4, 3x3): a 6x6 input tile per 4x4 output tile.
    public static let positions = 36

    /// Columns per panel of this build's own product: 32 (AVX-512), 16 (AVX2), or 0 (OpenBLAS only).
    public static let buildPanelWidth = Int(cgemm_panel_width())

    /// The panel width of a matrix with `columns` columns (Cout forward, Cin backward): the build's, when the
    /// build has a panel product and the columns fill whole panels; otherwise 0, the matrix stored whole.
    static func panelWidth(columns: Int) -> Int {
        buildPanelWidth > 0 && columns % buildPanelWidth == 0 ? buildPanelWidth : 0
    }

    /// Transforms a Keras kernel; see `load(_:direction:)`.
    public init(_ weights: ConvWeights, direction: Direction = .forward) {
        load(weights, direction: direction)
    }

    /// An empty kernel, storage for `load`.
    public init() {}

    /// Transforms a Keras kernel into this value, reusing its storage when it is large enough. Panels are used
    /// when the build has a panel product and the matrix's column count (Cout forward, Cin backward) is a multiple
    /// of its width; otherwise the matrices are stored whole (a backward kernel then marks them `transposed`).
    ///
    /// - Parameter weights: kernel `(3, 3, Cin, Cout)`.
    /// - Complexity: `O(Cin · Cout)`, eight channels at a time, parallel over the rows.
    public mutating func load(_ weights: ConvWeights, direction: Direction = .forward) {
        let (cin, cout) = (weights.inChannels, weights.outChannels)
        // Rows and columns of the transform's loop are the Keras kernel's Cin and Cout.
        let (rows, columns) = (cin, cout)
        let width = Self.panelWidth(columns: direction == .forward ? cout : cin)
        let panels = width > 0
        self.direction = direction
        panelWidth = width
        transposed = direction == .backward && !panels
        (inChannels, outChannels) = direction == .forward ? (cin, cout) : (cout, cin)
        let needed = Self.positions * cin * cout
        if u.count < needed { u = [Float](repeating: 0, count: needed) }
        weights.kernel.withUnsafeBufferPointer { g in
            u.withUnsafeMutableBufferPointer { u in
                let gp = g.baseAddress!
                nonisolated(unsafe) let up = u.baseAddress!
                let plane = rows * columns
                // Transforms the taps `tap[3 ky + kx]` of eight elements: `out[6 j + i]` is position 6 i + j
                // (h = g Gᵀ (3x6) at tap + 9, then G h (6x6) at tap + 27).
                @inline(__always) func transform(_ tap: UnsafeMutablePointer<SIMD8<Float>>) {
                    let (h, out) = (tap + 9, tap + 27)
                    for k in 0 ..< 3 { Self.filterTransform(tap[3 * k], tap[3 * k + 1], tap[3 * k + 2], into: h + 6 * k) }
                    for j in 0 ..< 6 {
                        Self.filterTransform(h[j], h[6 + j], h[12 + j], into: out + 6 * j)
                    }
                }
                // Tap (ky, kx) of element (r, col) is g[ky][kx][r][col]: eight columns of one row, or (backward
                // panels) one column of eight rows.
                @inline(__always) func loadRow(_ r: Int, _ col: Int, _ n: Int, _ tap: UnsafeMutablePointer<SIMD8<Float>>) {
                    for t in 0 ..< 9 { tap[t] = WinogradTile.load(gp + (t * cin + r) * cout + col, n) }
                }
                @inline(__always) func loadColumn(_ r: Int, _ col: Int, _ tap: UnsafeMutablePointer<SIMD8<Float>>) {
                    for t in 0 ..< 9 {
                        let q = gp + (t * cin + r) * cout + col
                        tap[t] = SIMD8(q[0], q[cout], q[2 * cout], q[3 * cout], q[4 * cout], q[5 * cout], q[6 * cout], q[7 * cout])
                    }
                }
                @inline(__always) func store(_ tap: UnsafeMutablePointer<SIMD8<Float>>, at offset: Int, _ n: Int) {
                    for j in 0 ..< 6 {
                        for i in 0 ..< 6 { WinogradTile.store(tap[27 + 6 * j + i], up + (6 * i + j) * plane + offset, n) }
                    }
                }
                // Where element (r, col) of a position goes: `offset`, the layout's one rule.
                @inline(__always) func at(_ r: Int, _ col: Int) -> Int {
                    Self.offset(r, col, direction: direction, panelWidth: width, inChannels: cin, outChannels: cout)
                }
                // `count` units (rows, or panels) over the threads, each part with its own transform scratch.
                func inParallel(_ count: Int, minimumPerPart: Int = 1, _ body: (Range<Int>, UnsafeMutablePointer<SIMD8<Float>>) -> Void) {
                    parallelFor(count, parts: GEMM.threadCount, minimumPerPart: minimumPerPart) { range in
                        let tap = UnsafeMutablePointer<SIMD8<Float>>.allocate(capacity: 9 + 18 + 36)
                        defer { tap.deallocate() }
                        body(range, tap)
                    }
                }
                switch (panels, direction) {
                case (false, _):
                    // Whole matrices: row by row, eight columns at a time.
                    inParallel(rows, minimumPerPart: 8) { range, tap in
                        for r in range {
                            for col in stride(from: 0, to: columns, by: 8) {
                                let n = min(8, columns - col)
                                loadRow(r, col, n, tap)
                                transform(tap)
                                store(tap, at: at(r, col), n)
                            }
                        }
                    }
                case (true, .forward):
                    // Panels of output channels: panel by panel, so that each position's writes run on in one stream.
                    inParallel(columns / width) { range, tap in
                        for panel in range {
                            for r in 0 ..< rows {
                                for col in stride(from: panel * width, to: (panel + 1) * width, by: 8) {
                                    loadRow(r, col, 8, tap)
                                    transform(tap)
                                    store(tap, at: at(r, col), 8)
                                }
                            }
                        }
                    }
                case (true, .backward):
                    // Panels of input channels: eight rows of one column at a time, which lie side by side.
                    inParallel(rows / width) { range, tap in
                        for panel in range {
                            for col in 0 ..< columns {
                                for r in stride(from: panel * width, to: (panel + 1) * width, by: 8) {
                                    loadColumn(r, col, tap)
                                    transform(tap)
                                    store(tap, at: at(r, col), 8)
                                }
                            }
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

    /// The kernel of the input gradient (`Conv3x3.winogradBackward`), laid out as `load(_:direction: .backward)`
    /// lays it out: this one when it is a backward kernel; a forward kernel stored whole, read transposed (sharing
    /// the storage) when the backward matrices are stored whole too; otherwise a copy into the backward panels (the
    /// network asks its kernel cache for backward kernels, so only direct callers pay the copy).
    public var backward: WinogradKernel {
        if direction == .backward { return self }
        let (cin, cout) = (inChannels, outChannels)
        var k = self
        k.direction = .backward
        (k.inChannels, k.outChannels) = (cout, cin)
        k.panelWidth = Self.panelWidth(columns: cin)
        k.transposed = k.panelWidth == 0
        if panelWidth == 0 && k.panelWidth == 0 { return k }
        let plane = cin * cout
        k.u = [Float](repeating: 0, count: Self.positions * plane)
        for p in 0 ..< Self.positions {
            for r in 0 ..< cin {
                for col in 0 ..< cout { k.u[p * plane + k.offset(r, col)] = u[p * plane + offset(r, col)] }
            }
        }
        return k
    }

    /// Where element (Cin index `r`, Cout index `col`) of a position's matrix lies within the position's floats:
    /// whole, `r Cout + col`; forward panels (of output channels), `(col / w) Cin w + r w + col % w`; backward panels
    /// (of input channels, the matrix being (Cout, Cin)), `(r / w) Cout w + col w + r % w`.
    @inline(__always)
    static func offset(_ r: Int, _ col: Int, direction: Direction, panelWidth w: Int, inChannels cin: Int, outChannels cout: Int) -> Int {
        if w == 0 { return r * cout + col }
        return direction == .forward ? (col / w) * cin * w + r * w + col % w : (r / w) * cout * w + col * w + r % w
    }

    /// `offset` for this kernel's layout.
    func offset(_ r: Int, _ col: Int) -> Int {
        let (cin, cout) = direction == .forward ? (inChannels, outChannels) : (outChannels, inChannels)
        return Self.offset(r, col, direction: direction, panelWidth: panelWidth, inChannels: cin, outChannels: cout)
    }

    /// Bytes held by the transformed kernel's storage.
    public var bytes: Int { u.count * MemoryLayout<Float>.stride }
}

/// Transformed kernels of a network's Winograd layers, one per layer and direction (forward, input gradient).
/// Those that fit in a memory budget are transformed on first use and kept; the others are transformed again on
/// each use into one reused buffer, which costs a pass over the kernel (about 2 ms on average per layer, 5 ms for
/// a 512x512 one) but no memory beyond the largest layer's transform.
///
/// Keeping both directions of every layer of VGG19 up to block5_conv2 takes about 490 MB, eight times its weights
/// (each direction four times).
public final class WinogradKernelCache {
    public let weights: VGGWeights
    /// Bytes of transformed kernels kept between uses. Lowering it lets go of the kept kernels.
    public var budgetBytes: Int {
        didSet { if budgetBytes < keptBytes { kept = [:]; keptBytes = 0 } }
    }
    /// A budget that keeps both directions of every layer of VGG16 and VGG19 up to block5_conv2.
    public static let wholeNetworkBytes = 512 << 20
    /// The budget `VGGNetwork` sets by itself for an input of `pixels`:
    /// - under 2¹⁷ pixels (about 362x362): every kernel (`wholeNetworkBytes`). The transforms of one VGG19 evaluation
    ///   cost about the same time at any size (about 65 ms, each layer in both directions), 20 % of an evaluation at
    ///   256x256 (`stylize-bench --tune cache-mib=N`: 289 ms kept against 355 ms);
    /// - from 2¹⁷ to 2¹⁸ pixels: a share of `wholeNetworkBytes` falling linearly to nothing, so that the kernels give
    ///   back the memory the rest of a run takes as the image grows. At 512x354 (the demo's and the race's size) that
    ///   is 316 MiB, most of VGG19's kernels up to block5_conv2. Measured at 426x426 (as many pixels as 512x354), one
    ///   evaluation in turn with and without kept kernels (`stylize-bench --child ARCH:426:auto --tune
    ///   alternate-cache-mib=N`, AMD EPYC family 25 model 17): with this budget the evaluation took 0.94 (VGG19) and
    ///   0.92 (VGG16) of its time without kernels, with 256 MiB 0.89 and 0.92, with every kernel (466 and 376 MiB)
    ///   0.87 and 0.89; the race's transfer (VGG16) 0.89 in eight alternating pairs of runs. A transfer at 511x511
    ///   with a fixed 256 MiB peaked at 957 MiB (VGG19, history 100), hence the fall to nothing at 2¹⁸;
    /// - from 2¹⁸ pixels (512x512 and larger): none, where the kernels would be the largest part of the memory (a
    ///   VGG19 evaluation at 512x512 holds about 350 MiB without them).
    public static func automaticBudget(pixels: Int) -> Int {
        let (low, high) = (1 << 17, 1 << 18)
        if pixels < low { return wholeNetworkBytes }
        if pixels >= high { return 0 }
        return Int(Double(wholeNetworkBytes) * Double(high - pixels) / Double(high - low))
    }

    /// What a cache with `budget` holds once an evaluation has run the Winograd layers `layers` (in the order of a
    /// forward pass): their kernels are asked for in a forward then a backward pass (`VGGNetwork`), each kept while
    /// the budget allows (`withKernel`), the others made in the one reused buffer, as large as the largest of them.
    /// `total` is the bytes of every kernel, kept or not; `made` the bytes transformed again at each evaluation.
    /// The memory and time estimates (`RunPlan`) read it.
    public static func holding(layers: [(inChannels: Int, outChannels: Int)], budget: Int)
        -> (kept: Int, transient: Int, made: Int, total: Int) {
        var (kept, transient, made, total) = (0, 0, 0, 0)
        for layer in layers + layers.reversed() {
            let bytes = Self.bytes(inChannels: layer.inChannels, outChannels: layer.outChannels)
            total += bytes
            if keeps(bytes, beside: kept, budget: budget) { kept += bytes } else { transient = max(transient, bytes); made += bytes }
        }
        return (kept, transient, made, total)
    }

    /// Whether a kernel of `bytes` is kept beside `kept` bytes already kept: the one test of `withKernel` and
    /// `holding`.
    static func keeps(_ bytes: Int, beside kept: Int, budget: Int) -> Bool { kept + bytes <= budget }

    private var kept: [Int: WinogradKernel] = [:]
    private var keptBytes = 0
    /// The one reused buffer of kernels beyond the budget (a kernel is in use only inside one `withKernel` call at a
    /// time).
    private var transient = WinogradKernel()

    public init(weights: VGGWeights, budgetBytes: Int = WinogradKernelCache.wholeNetworkBytes) {
        self.weights = weights
        self.budgetBytes = budgetBytes
    }

    /// Calls `body` with the transformed kernel of convolution `c` for `direction`.
    public func withKernel<R>(_ c: Int, _ direction: WinogradKernel.Direction = .forward, _ body: (WinogradKernel) -> R) -> R {
        let key = 2 * c + (direction == .forward ? 0 : 1)
        if let k = kept[key] { return body(k) }
        let bytes = Self.bytes(inChannels: weights.convolutions[c].inChannels, outChannels: weights.convolutions[c].outChannels)
        if Self.keeps(bytes, beside: keptBytes, budget: budgetBytes) {
            let k = WinogradKernel(weights.convolutions[c], direction: direction)
            kept[key] = k
            keptBytes += bytes
            return body(k)
        }
        transient.load(weights.convolutions[c], direction: direction)
        return body(transient)
    }

    /// Bytes of one direction of a layer's transformed kernel.
    public static func bytes(inChannels: Int, outChannels: Int) -> Int {
        WinogradKernel.positions * inChannels * outChannels * MemoryLayout<Float>.stride
    }

    /// Bytes held: kept kernels and the reused buffers.
    public var bytes: Int { keptBytes + transient.bytes }
}
