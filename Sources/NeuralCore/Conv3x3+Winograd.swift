import CGEMM
/// 3x3 'same' convolution by Winograd's minimal filtering F(4x4, 3x3) (Lavin & Gray, "Fast
/// Algorithms for Convolutional Neural Networks", CVPR 2016): each 4x4 output tile is
/// `Aᵀ [ Σ_ci U_ci ⊙ (Bᵀ d_ci B) ] A`, 36 multiplies per channel pair where direct convolution
/// needs 144. The element-wise stage over all channel pairs is one GEMM per transform position.
///
/// Work is split in blocks of tiles. Each worker (one per core) takes a contiguous run of tiles
/// and, block by block: transforms the input tiles into `V (36, tiles, Cin)`, runs the 36 GEMMs
/// `M_p (tiles, Cout) = V_p (tiles, Cin) · U_p (Cin, Cout)` on a single-threaded OpenBLAS, and
/// transforms `M` back into the output tiles with the bias and ReLU fused. Blocks are sized so
/// that `V` and `M` of one block stay near the core's L2 cache (`ConvWorkspace.winogradBlockBytes`).
///
/// Layout: input `(H, W, Cin)`, output `(H, W, Cout)`, channels-last as everywhere; tiles in
/// row-major order, tile `(ty, tx)` covering output rows `4ty ..< 4ty + 4`, columns `4tx ..< 4tx + 4`
/// and reading input rows `4ty - 1 ..< 4ty + 5` (zero outside the image).
///
/// `forward` in Conv3x3.swift (im2col + GEMM) is the reference twin: tests hold this one to it.
extension Conv3x3 {
    /// Forward pass by F(4x4, 3x3): `output = relu?(conv(input, kernel) + bias?)`.
    /// - Parameters:
    ///   - input: `(H, W, Cin)`.
    ///   - kernel: the transformed kernel, `Cin -> Cout`.
    ///   - bias: `(Cout)`, or nil for none.
    ///   - relu: apply `max(0, .)` after the bias.
    ///   - output: `(H, W, Cout)`; overwritten, reshaped (reallocated only if its size differs).
    ///   - workspace: per-worker tile scratch.
    /// - Complexity: `2 · 36 · ⌈H/4⌉ · ⌈W/4⌉ · Cin · Cout` flops in the GEMMs (a quarter of im2col's
    ///   `2 · 9 · H · W · Cin · Cout` when H and W are multiples of 4), plus transforms linear in
    ///   `H · W · (Cin + Cout)`.
    public static func winogradForward(_ input: Tensor, kernel: WinogradKernel, bias: [Float]?, relu: Bool,
                                       into output: inout Tensor, workspace: ConvWorkspace) {
        precondition(input.channels == kernel.inChannels, "Winograd: input has \(input.channels) channels, kernel expects \(kernel.inChannels)")
        precondition(bias == nil || bias!.count == kernel.outChannels, "Winograd: bias must have \(kernel.outChannels) entries")
        output.reshapeForOutput(height: input.height, width: input.width, channels: kernel.outChannels)
        input.data.withUnsafeBufferPointer { src in
            output.data.withUnsafeMutableBufferPointer { dst in
                guard let s = src.baseAddress, let d = dst.baseAddress else { return }
                if let bias {
                    bias.withUnsafeBufferPointer { b in
                        winogradForward(s, height: input.height, width: input.width, kernel: kernel, bias: b.baseAddress!,
                                        relu: relu, into: d, workspace: workspace)
                    }
                } else {
                    winogradForward(s, height: input.height, width: input.width, kernel: kernel, bias: nil,
                                    relu: relu, into: d, workspace: workspace)
                }
            }
        }
    }

    /// Winograd forward pass on raw buffers: `src (H, W, Cin)` into `dst (H, W, Cout)`, overwritten;
    /// `bias (Cout)` or nil.
    ///
    /// - Parameter inputMask: a ReLU mask over `src` (`ReLU.mask`'s bits, bit `i` for element `i`),
    ///   applied as the input is read: elements whose bit is clear count as zero. This fuses the ReLU
    ///   backward of the layer above into the input gradient. Needs `Cin` to be a multiple of 8.
    /// - Parameter flip: compute on the image turned by 180 degrees, read and written in place: pixel `(y, x)` of
    ///   the turned input and output is `(H-1-y, W-1-x)` of `src` and `dst` (and of the mask). See `winogradBackward`.
    /// - Parameter outputMask: when given, the output's ReLU mask (`ReLU.mask`'s bits: bit `i` set where output
    ///   element `i` is positive) is written as the output is, so that no pass over the output is needed for it.
    ///   Needs `Cout` to be a multiple of 8, and no `flip`.
    public static func winogradForward(_ src: UnsafePointer<Float>, height h: Int, width w: Int, kernel: WinogradKernel,
                                       bias: UnsafePointer<Float>?, relu: Bool, inputMask: UnsafePointer<UInt64>? = nil,
                                       flip: Bool = false, outputMask: UnsafeMutablePointer<UInt64>? = nil,
                                       into dst: UnsafeMutablePointer<Float>, workspace: ConvWorkspace) {
        let maskBytes = inputMask.map { UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self) }
        let outputBytes = outputMask.map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: UInt8.self) }
        winograd(.pixels(src, mask: maskBytes), height: h, width: w, kernel: kernel, bias: bias, relu: relu, flip: flip,
                 output: .pixels(dst, accumulate: false, mask: outputBytes), workspace: workspace)
    }

    /// Where a Winograd convolution reads its input: pixels `(H, W, Cin)`, optionally through a ReLU mask's bytes,
    /// or the gradient of a 2x2 max-pool that followed the layer, routed through the pool's winners on the fly
    /// (`WinogradPool`), so the full-size gradient is never written.
    enum WinogradSource {
        case pixels(UnsafePointer<Float>, mask: UnsafePointer<UInt8>?)
        case pooledGradient(UnsafePointer<Float>, winners: UnsafePointer<UInt8>)
    }

    /// Where a Winograd convolution writes: pixels `(H, W, Cout)`, overwritten or added to, or their 2x2 max-pool
    /// `(H/2, W/2, Cout)` with its winners (`WinogradPool`), so the full-size output is never written.
    enum WinogradDestination {
        case pixels(UnsafeMutablePointer<Float>, accumulate: Bool, mask: UnsafeMutablePointer<UInt8>? = nil)
        case pooled(UnsafeMutablePointer<Float>, winners: UnsafeMutablePointer<UInt8>?)
    }

    /// The one Winograd loop behind every entry point (see `winogradForward`).
    static func winograd(_ source: WinogradSource, height h: Int, width w: Int, kernel: WinogradKernel,
                         bias: UnsafePointer<Float>?, relu: Bool, flip: Bool, output: WinogradDestination,
                         workspace: ConvWorkspace) {
        let (cin, cout) = (kernel.inChannels, kernel.outChannels)
        switch source {
        case .pixels(_, let mask): precondition(mask == nil || cin % 8 == 0, "Winograd: a fused input mask needs a multiple of 8 channels")
        case .pooledGradient: precondition(cin % 8 == 0, "Winograd: a fused pool gradient needs a multiple of 8 channels")
        }
        if case .pooled = output { precondition(cout % 8 == 0 && !flip, "Winograd: a fused pool needs a multiple of 8 channels, unturned") }
        if case .pixels(_, _, .some) = output {
            precondition(cout % 8 == 0 && !flip, "Winograd: an output mask needs a multiple of 8 channels, unturned")
        }
        if h == 0 || w == 0 || cout == 0 { return }
        let tilesX = (w + 3) / 4, tiles = WinogradTile.tiles(height: h, width: w)
        // Blocks of equal size, as many per worker as `winogradBlockTiles` needs, taken by the workers as they finish
        // (`parallelForChunks`): a worker on a slower core takes fewer, and none waits long for the last.
        let largest = workspace.winogradBlockTiles(tiles: tiles, inChannels: cin, outChannels: cout)
        let workers = min(workspace.workers, (tiles + largest - 1) / largest)
        let perWorker = (tiles + workers - 1) / workers
        let blocks = workers * ((perWorker + largest - 1) / largest)
        let block = (tiles + blocks - 1) / blocks
        workspace.reserveWinograd(workers: workers, blockTiles: block, inChannels: cin, outChannels: cout)
        let savedThreads = GEMM.threadCount
        if workers > 1 { GEMM.threadCount = 1 }  // each worker runs its own GEMMs on its own core
        defer { if workers > 1 { GEMM.threadCount = savedThreads } }
        let scratch = workspace.winogradScratch
        // Without a bias, the worker's zero row stands in for it.
        nonisolated(unsafe) let (source, output, bp) = (source, output, bias)
        kernel.u.withUnsafeBufferPointer { u in
            let up = u.baseAddress!
            parallelForChunks((tiles + block - 1) / block, parts: workers) { part, chunk in
                let worker = scratch[part]
                let first = chunk * block
                let count = min(block, tiles - first)
                WinogradTile.transformInput(source, height: h, width: w, channels: cin, tilesX: tilesX,
                                            firstTile: first, count: count, flip: flip, scratch: worker)
                let (vPlane, mPlane) = (WinogradTile.planeStride(tiles: count, channels: cin),
                                        WinogradTile.planeStride(tiles: count, channels: cout))
                for p in 0 ..< WinogradKernel.positions {
                    // M_p (count, Cout) = V_p (count, Cin) · U_p (Cin, Cout): U_p in panels for the project's
                    // product, or whole for OpenBLAS (a transposed kernel stores it as (Cout, Cin)).
                    if kernel.panelWidth > 0 {
                        cgemm_panels(Int32(count), Int32(cout), Int32(cin), worker.v + p * vPlane, Int32(cin),
                                     up + p * cin * cout, worker.m + p * mPlane, Int32(cout))
                    } else {
                        GEMM.multiply(transposeB: kernel.transposed, m: count, n: cout, k: cin,
                                      a: worker.v + p * vPlane, lda: cin,
                                      b: up + p * cin * cout, ldb: kernel.transposed ? cin : cout,
                                      c: worker.m + p * mPlane, ldc: cout)
                    }
                }
                WinogradTile.transformOutput(worker, height: h, width: w, channels: cout, tilesX: tilesX,
                                             firstTile: first, count: count, bias: bp ?? UnsafePointer(worker.zeros),
                                             relu: relu, flip: flip, into: output)
            }
        }
    }
}

extension Conv3x3 {
    /// Input gradient of a 3x3 'same' convolution by F(4x4, 3x3) from the layer's transformed kernel, transposed.
    ///
    /// The input gradient is the convolution of the output gradient with the kernel turned by 180 degrees, Cin and
    /// Cout swapped: `dx(p) = Σ_k dy(p + 1 - k) g(k)` per axis. Turning the image instead of the kernel gives the same
    /// sum, `dx = turn(conv(turn(dy), g))`: with `dy'(u) = dy(N-1-u)`, `conv(dy', g)(N-1-p) = Σ_k dy(p + 1 - k) g(k)`,
    /// and the zero padding outside the image turns with it. So each position's matrix is the forward one
    /// transposed (Cout rows, Cin columns): a backward kernel in panels, or the forward kernel stored whole and read
    /// transposed by OpenBLAS (`WinogradKernel.backward`), and the input and output transforms address the pixels
    /// turned (`flip`), which costs nothing.
    /// - Parameters:
    ///   - dy: `(H, W, Cout)`, d(loss)/d(output).
    ///   - kernel: the layer's transformed kernel for either direction, `WinogradKernel(weights, direction:)`;
    ///     a forward one is laid out for the backward product first (a copy when it is stored in panels).
    ///   - inputMask: the layer's ReLU mask over `dy`, applied as it is read (see `winogradForward`).
    ///   - dx: `(H, W, Cin)`, overwritten.
    ///   - accumulate: add the gradient to `dx` instead of overwriting it (a layer whose input also has a loss of
    ///     its own: the network writes straight into that loss's gradient).
    public static func winogradBackward(_ dy: UnsafePointer<Float>, height h: Int, width w: Int, kernel: WinogradKernel,
                                        inputMask: UnsafePointer<UInt64>? = nil, accumulate: Bool = false,
                                        into dx: UnsafeMutablePointer<Float>, workspace: ConvWorkspace) {
        let maskBytes = inputMask.map { UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self) }
        winograd(.pixels(dy, mask: maskBytes), height: h, width: w, kernel: kernel.backward, bias: nil, relu: false,
                 flip: true, output: .pixels(dx, accumulate: accumulate), workspace: workspace)
    }

    /// Forward pass of a layer and the 2x2 max-pool after it in one: `pooled = maxpool(relu?(conv(src) + bias))`,
    /// `(H/2, W/2, Cout)`, without writing the layer's own `(H, W, Cout)` output. Each 4x4 output tile holds four
    /// whole pool windows, which the output transform reduces as it makes them. The winners are what the backward
    /// pass needs of the layer and the pool together (`WinogradPool`). Needs `Cout` to be a multiple of 8.
    /// - Parameters:
    ///   - pooled: `(H/2, W/2, Cout)` (floor), overwritten.
    ///   - winners: one byte per pooled element (see `WinogradPool`), or nil when no backward pass follows.
    public static func winogradForwardPooled(_ src: UnsafePointer<Float>, height h: Int, width w: Int, kernel: WinogradKernel,
                                             bias: UnsafePointer<Float>?, relu: Bool, into pooled: UnsafeMutablePointer<Float>,
                                             winners: UnsafeMutablePointer<UInt8>?, workspace: ConvWorkspace) {
        winograd(.pixels(src, mask: nil), height: h, width: w, kernel: kernel, bias: bias, relu: relu, flip: false,
                 output: .pooled(pooled, winners: winners), workspace: workspace)
    }

    /// Input gradient of a layer computed by `winogradForwardPooled`, from the gradient of the pooled output: each
    /// pooled gradient goes to its window's winner (nowhere for `WinogradPool.dead`) as the input transform reads
    /// it, so the layer's full-size output gradient is never written. Needs `Cout` to be a multiple of 8.
    /// - Parameters:
    ///   - pooledGradient: `(H/2, W/2, Cout)`, d(loss)/d(pooled output).
    ///   - winners: from `winogradForwardPooled` with ReLU.
    ///   - dx: `(H, W, Cin)`, overwritten, or added to with `accumulate`.
    public static func winogradBackward(pooledGradient: UnsafePointer<Float>, winners: UnsafePointer<UInt8>, height h: Int,
                                        width w: Int, kernel: WinogradKernel, accumulate: Bool = false,
                                        into dx: UnsafeMutablePointer<Float>, workspace: ConvWorkspace) {
        winograd(.pooledGradient(pooledGradient, winners: winners), height: h, width: w, kernel: kernel.backward,
                 bias: nil, relu: false, flip: true, output: .pixels(dx, accumulate: accumulate), workspace: workspace)
    }

    /// `winogradBackward` on tensors: `dy (H, W, Cout)` into `dx (H, W, Cin)`, reshaped.
    public static func winogradBackward(_ dy: Tensor, kernel: WinogradKernel, into dx: inout Tensor, workspace: ConvWorkspace) {
        precondition(dy.channels == kernel.outChannels, "Winograd backward: dy has \(dy.channels) channels, kernel writes \(kernel.outChannels)")
        dx.reshapeForOutput(height: dy.height, width: dy.width, channels: kernel.inChannels)
        dy.data.withUnsafeBufferPointer { g in
            dx.data.withUnsafeMutableBufferPointer { d in
                guard let g = g.baseAddress, let d = d.baseAddress else { return }
                winogradBackward(g, height: dy.height, width: dy.width, kernel: kernel, into: d, workspace: workspace)
            }
        }
    }
}

/// One worker's scratch for `Conv3x3.winogradForward`: `v (36, tiles, Cin)`, `m (36, tiles, Cout)`,
/// a row of zeros to read outside the image and a row to write outside it.
struct WinogradScratch: @unchecked Sendable {
    let v: UnsafeMutablePointer<Float>
    let m: UnsafeMutablePointer<Float>
    let zeros: UnsafeMutablePointer<Float>
    let discard: UnsafeMutablePointer<Float>
    let rows: UnsafeMutablePointer<SIMD8<Float>>
}

/// The input and output transforms of F(4x4, 3x3), eight channels at a time.
enum WinogradTile {
    /// The 4x4 output tiles covering an image of `height` x `width` (the last row and column of tiles padded).
    static func tiles(height: Int, width: Int) -> Int { ((height + 3) / 4) * ((width + 3) / 4) }

    /// Floats from one transform position's matrix to the next in a block's `V (36, tiles, Cin)` or
    /// `M (36, tiles, Cout)`: the least number at or above `tiles · channels` that lies one cache line (16 floats)
    /// past a multiple of 4 KiB. `tiles · channels` is mostly a multiple of 4 KiB, which puts the same element of
    /// all 36 positions in one set of the caches (the transforms write and read those 36 together). Measured with
    /// `perf` on `stylize-bench` (VGG19 512x512, AMD EPYC family 25 model 17, AVX-512): the panel products took 17 %
    /// fewer samples with the padding, the transforms as many; the evaluation took 0.92 of its time (median of six
    /// alternating pairs). Padding the transformed kernels' positions in the same way changed nothing measurable.
    static func planeStride(tiles: Int, channels: Int) -> Int {
        let floats = tiles * channels, page = 1024, line = 16
        return (floats + page - 1 - line) / page * page + line
    }

    /// `Bᵀ x` for one 6-vector:
    /// ```
    /// Bᵀ = [ 4  0 -5  0  1  0
    ///        0 -4 -4  1  1  0
    ///        0  4 -4 -1  1  0
    ///        0 -2 -1  2  1  0
    ///        0  2 -1 -2  1  0
    ///        0  4  0 -5  0  1 ]
    /// ```
    @inline(__always)
    static func inputTransform(_ x0: SIMD8<Float>, _ x1: SIMD8<Float>, _ x2: SIMD8<Float>, _ x3: SIMD8<Float>,
                               _ x4: SIMD8<Float>, _ x5: SIMD8<Float>, _ out: UnsafeMutablePointer<SIMD8<Float>>, stride: Int) {
        let four: SIMD8<Float> = .init(repeating: 4), five: SIMD8<Float> = .init(repeating: 5), two: SIMD8<Float> = .init(repeating: 2)
        let a = x4 - four * x2          // x4 - 4 x2
        let b = x3 - four * x1          // x3 - 4 x1
        let c = x4 - x2
        let e = two * (x3 - x1)
        out[0] = four * x0 - five * x2 + x4
        out[stride] = a + b
        out[2 * stride] = a - b
        out[3 * stride] = c + e
        out[4 * stride] = c - e
        out[5 * stride] = four * x1 - five * x3 + x5
    }

    /// `Aᵀ x` for one 6-vector:
    /// ```
    /// Aᵀ = [ 1  1  1  1  1  0
    ///        0  1 -1  2 -2  0
    ///        0  1  1  4  4  0
    ///        0  1 -1  8 -8  1 ]
    /// ```
    @inline(__always)
    static func outputTransform(_ x0: SIMD8<Float>, _ x1: SIMD8<Float>, _ x2: SIMD8<Float>, _ x3: SIMD8<Float>,
                                _ x4: SIMD8<Float>, _ x5: SIMD8<Float>) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        let two: SIMD8<Float> = .init(repeating: 2), four: SIMD8<Float> = .init(repeating: 4), eight: SIMD8<Float> = .init(repeating: 8)
        let sp = x1 + x2, sm = x1 - x2, tp = x3 + x4, tm = x3 - x4
        return (x0 + sp + tp, sm + two * tm, sp + four * tp, sm + eight * tm + x5)
    }

    /// `max(x, 0)` lane by lane, as a sign test on the bits (NaN stays NaN, -0 becomes 0).
    @inline(__always)
    static func rectified(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let bits = unsafeBitCast(x, to: SIMD8<Int32>.self)
        // An arithmetic shift spreads the sign bit: all ones for negative x, which then clears the lane.
        return unsafeBitCast(bits & ~(bits &>> 31), to: SIMD8<Float>.self)
    }

    /// Bit `i` set where byte `i` of `word` equals byte `i` of `pattern` (a zero-byte test on their difference,
    /// the high bits then gathered by one multiplication).
    @inline(__always)
    static func equalBytes(_ word: UInt64, _ pattern: UInt64) -> Int {
        let t = word ^ pattern, low: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        let zero = ~(((t & low) &+ low) | t | low)  // 0x80 in each byte of t that is zero
        return Int(truncatingIfNeeded: ((zero >> 7) &* 0x0102_0408_1020_4080) >> 56)
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ n: Int) -> SIMD8<Float> {
        if n == 8 { return UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }
        var v = SIMD8<Float>()
        for i in 0 ..< n { v[i] = p[i] }
        return v
    }

    @inline(__always)
    static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ n: Int) {
        if n == 8 {
            UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
        } else {
            for i in 0 ..< n { p[i] = v[i] }
        }
    }

    /// `V_p[t] = (Bᵀ d_t B)_p` for tiles `firstTile ..< firstTile + count`, into `scratch.v`
    /// laid out `(36, count, C)`.
    static func transformInput(_ source: Conv3x3.WinogradSource, height h: Int, width w: Int, channels c: Int, tilesX: Int,
                               firstTile: Int, count: Int, flip: Bool = false, scratch: WinogradScratch) {
        let t = scratch.rows
        let plane = planeStride(tiles: count, channels: c)  // floats from one transform position to the next
        let zeros = UnsafePointer(scratch.zeros)
        // Outside the image: the zero row, and zero mask bytes (the row is zero either way).
        let zeroBytes = UnsafeRawPointer(scratch.zeros).assumingMemoryBound(to: UInt8.self)
        let (src, mask): (UnsafePointer<Float>, UnsafePointer<UInt8>?)
        var winners: UnsafePointer<UInt8>?
        switch source {
        case .pixels(let p, let m): (src, mask) = (p, m)
        case .pooledGradient(let p, let wins): (src, mask, winners) = (p, nil, wins)
        }
        // With a pooled gradient, pixel (Y, X) reads pooled element (Y/2, X/2), kept where its winner is the
        // window position 2 (Y % 2) + X % 2; the dropped odd row and column read zeros.
        let (pooledHeight, pooledWidth) = (h / 2, w / 2)
        withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: 36) { pixel in
        withUnsafeTemporaryAllocation(of: UnsafePointer<UInt8>.self, capacity: 36) { bytes in
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 36) { position in
            for k in 0 ..< count {
                let tile = firstTile + k
                let (y0, x0) = (4 * (tile / tilesX) - 1, 4 * (tile % tilesX) - 1)
                for r in 0 ..< 6 {
                    let y = y0 + r
                    for q in 0 ..< 6 {
                        let x = x0 + q
                        let inside = y >= 0 && y < h && x >= 0 && x < w
                        let (sy, sx) = flip ? (h - 1 - y, w - 1 - x) : (y, x)
                        if let winners {
                            let pooled = inside && sy / 2 < pooledHeight && sx / 2 < pooledWidth
                            let at = ((sy / 2) * pooledWidth + sx / 2) * c
                            pixel[6 * r + q] = pooled ? src + at : zeros
                            bytes[6 * r + q] = pooled ? winners + at : zeroBytes
                            // The window position in every byte; outside, a byte no winner has.
                            position[6 * r + q] = pooled ? UInt64(2 * (sy & 1) + (sx & 1)) &* 0x0101_0101_0101_0101 : .max
                            continue
                        }
                        let at = sy * w + sx
                        pixel[6 * r + q] = inside ? src + at * c : zeros
                        // With a mask, a pixel's bits start on a byte (C % 8 == 0).
                        if let mask { bytes[6 * r + q] = inside ? mask + at * c / 8 : zeroBytes }
                    }
                }
                let base = scratch.v + k * c
                var ch = 0
                while ch < c {
                    let n = min(8, c - ch)
                    // Rows: t[r][j] = (Bᵀ d_r)_j.
                    if winners != nil {
                        @inline(__always) func routed(_ k: Int) -> SIMD8<Float> {
                            let won = equalBytes(UnsafeRawPointer(bytes[k] + ch).loadUnaligned(as: UInt64.self), position[k])
                            let bits = unsafeBitCast(load(pixel[k] + ch, 8), to: SIMD8<UInt32>.self) & ReLU.laneMasks[won]
                            return unsafeBitCast(bits, to: SIMD8<Float>.self)
                        }
                        for r in 0 ..< 6 {
                            let row = 6 * r
                            inputTransform(routed(row), routed(row + 1), routed(row + 2), routed(row + 3), routed(row + 4),
                                           routed(row + 5), t + row, stride: 1)
                        }
                    } else if mask != nil {
                        let lane = ch / 8
                        @inline(__always) func masked(_ k: Int) -> SIMD8<Float> {
                            let bits = unsafeBitCast(load(pixel[k] + ch, n), to: SIMD8<UInt32>.self) & ReLU.laneMasks[Int(bytes[k][lane])]
                            return unsafeBitCast(bits, to: SIMD8<Float>.self)
                        }
                        for r in 0 ..< 6 {
                            let row = 6 * r
                            inputTransform(masked(row), masked(row + 1), masked(row + 2), masked(row + 3), masked(row + 4),
                                           masked(row + 5), t + row, stride: 1)
                        }
                    } else {
                        for r in 0 ..< 6 {
                            let row = 6 * r
                            inputTransform(load(pixel[row] + ch, n), load(pixel[row + 1] + ch, n), load(pixel[row + 2] + ch, n),
                                           load(pixel[row + 3] + ch, n), load(pixel[row + 4] + ch, n), load(pixel[row + 5] + ch, n),
                                           t + row, stride: 1)
                        }
                    }
                    // Columns: V[i][j] = (Bᵀ t_j)_i, written to position 6 i + j.
                    for j in 0 ..< 6 {
                        inputTransform(t[j], t[6 + j], t[12 + j], t[18 + j], t[24 + j], t[30 + j], t + 36, stride: 1)
                        for i in 0 ..< 6 { store(t[36 + i], base + (6 * i + j) * plane + ch, n) }
                    }
                    ch += 8
                }
            }
        }
        }
        }
    }

    /// `Y_t = Aᵀ M_t A` (+ bias, ReLU) for tiles `firstTile ..< firstTile + count`, from
    /// `scratch.m` `(36, count, C)` into `dst (H, W, C)`; pixels outside the image are dropped.
    static func transformOutput(_ scratch: WinogradScratch, height h: Int, width w: Int, channels c: Int, tilesX: Int,
                                firstTile: Int, count: Int, bias: UnsafePointer<Float>, relu: Bool, flip: Bool = false,
                                into output: Conv3x3.WinogradDestination) {
        let dst: UnsafeMutablePointer<Float>, accumulate: Bool, mask: UnsafeMutablePointer<UInt8>?
        switch output {
        case .pooled(let pooled, let winners):
            transformOutputPooled(scratch, height: h, width: w, channels: c, tilesX: tilesX, firstTile: firstTile, count: count,
                                  bias: bias, relu: relu, into: pooled, winners: winners)
            return
        case .pixels(let p, let add, let bits): (dst, accumulate, mask) = (p, add, bits)
        }
        let t = scratch.rows
        let plane = planeStride(tiles: count, channels: c)
        // Mask bytes of pixels outside the image go to the discard row too (it holds at least C floats).
        let discardBytes = UnsafeMutableRawPointer(scratch.discard).assumingMemoryBound(to: UInt8.self)
        withUnsafeTemporaryAllocation(of: UnsafeMutablePointer<Float>.self, capacity: 16) { pixel in
        withUnsafeTemporaryAllocation(of: UnsafeMutablePointer<UInt8>.self, capacity: 16) { maskByte in
        for k in 0 ..< count {
            let tile = firstTile + k
            let (y0, x0) = (4 * (tile / tilesX), 4 * (tile % tilesX))
            for r in 0 ..< 4 {
                for q in 0 ..< 4 {
                    let (y, x) = (y0 + r, x0 + q)
                    let inside = y < h && x < w
                    let at = flip ? (h - 1 - y) * w + (w - 1 - x) : y * w + x
                    pixel[4 * r + q] = inside ? dst + at * c : scratch.discard
                    if let mask { maskByte[4 * r + q] = inside ? mask + at * c / 8 : discardBytes }
                }
            }
            let base = scratch.m + k * c
            var ch = 0
            while ch < c {
                let n = min(8, c - ch)
                outputRows(base + ch, plane: plane, n, into: t)
                let bv = load(bias + ch, n)
                // Columns: Y[k][l] = (Aᵀ t_l)_k.
                for l in 0 ..< 4 {
                    let (a, b, cc, d) = outputTransform(t[l], t[4 + l], t[8 + l], t[12 + l], t[16 + l], t[20 + l])
                    var ys = (a + bv, b + bv, cc + bv, d + bv)
                    if relu { ys = (rectified(ys.0), rectified(ys.1), rectified(ys.2), rectified(ys.3)) }
                    if accumulate {
                        ys = (ys.0 + load(pixel[l] + ch, n), ys.1 + load(pixel[4 + l] + ch, n),
                              ys.2 + load(pixel[8 + l] + ch, n), ys.3 + load(pixel[12 + l] + ch, n))
                    }
                    store(ys.0, pixel[l] + ch, n)
                    store(ys.1, pixel[4 + l] + ch, n)
                    store(ys.2, pixel[8 + l] + ch, n)
                    store(ys.3, pixel[12 + l] + ch, n)
                    if mask != nil {
                        let byte = ch / 8
                        maskByte[l][byte] = positiveBits(ys.0)
                        maskByte[4 + l][byte] = positiveBits(ys.1)
                        maskByte[8 + l][byte] = positiveBits(ys.2)
                        maskByte[12 + l][byte] = positiveBits(ys.3)
                    }
                }
                ch += 8
            }
        }
        }
        }
    }

    /// The row stage of the output transform for `n` channels of one tile: `t[4 i + l] = (Aᵀ m_i)_l` for the six
    /// rows `i` of `M`, whose 36 positions lie `plane` floats apart from `m` (position `6 i + j` at `(6 i + j) plane`).
    @inline(__always)
    static func outputRows(_ m: UnsafePointer<Float>, plane: Int, _ n: Int, into t: UnsafeMutablePointer<SIMD8<Float>>) {
        for i in 0 ..< 6 {
            let row = m + 6 * i * plane
            let (a, b, cc, d) = outputTransform(load(row, n), load(row + plane, n), load(row + 2 * plane, n),
                                                load(row + 3 * plane, n), load(row + 4 * plane, n), load(row + 5 * plane, n))
            t[4 * i] = a; t[4 * i + 1] = b; t[4 * i + 2] = cc; t[4 * i + 3] = d
        }
    }

    /// Bit `i` set where lane `i` of `v` is greater than 0 (`ReLU.mask`'s test: false for NaN).
    @inline(__always)
    static func positiveBits(_ v: SIMD8<Float>) -> UInt8 {
        let lanes = unsafeBitCast(v .> SIMD8<Float>(), to: SIMD8<Int32>.self)   // -1 where true
        return UInt8(truncatingIfNeeded: (lanes & SIMD8<Int32>(1, 2, 4, 8, 16, 32, 64, 128)).wrappedSum())
    }
}

extension WinogradTile {
    /// `transformOutput` with the 2x2 max-pool after the layer fused: tile `(ty, tx)`'s 4x4 outputs are the pool
    /// windows of pooled pixels `(2 ty ..< 2 ty + 2, 2 tx ..< 2 tx + 2)`, so each window is reduced where it is made.
    /// The winner and tie rule are `MaxPool2x2`'s (the first maximum in row-major window order); with `relu`, a
    /// window whose maximum is not positive gets `WinogradPool.dead`, which folds the layer's ReLU mask into the byte.
    static func transformOutputPooled(_ scratch: WinogradScratch, height h: Int, width w: Int, channels c: Int, tilesX: Int,
                                      firstTile: Int, count: Int, bias: UnsafePointer<Float>, relu: Bool,
                                      into pooled: UnsafeMutablePointer<Float>, winners: UnsafeMutablePointer<UInt8>?) {
        let t = scratch.rows
        let plane = planeStride(tiles: count, channels: c)
        let (pooledHeight, pooledWidth) = (h / 2, w / 2)
        let zero = SIMD8<Float>(), dead = SIMD8<Int32>(repeating: Int32(WinogradPool.dead))
        for k in 0 ..< count {
            let tile = firstTile + k
            let (py0, px0) = (2 * (tile / tilesX), 2 * (tile % tilesX))
            // Pooled pixels of this tile inside the pooled output (the last tile row or column may hold fewer).
            let rows = min(2, pooledHeight - py0), columns = min(2, pooledWidth - px0)
            if rows <= 0 || columns <= 0 { continue }
            let base = scratch.m + k * c
            var ch = 0
            while ch < c {
                outputRows(base + ch, plane: plane, 8, into: t)
                let bv = load(bias + ch, 8)
                // y[4 r + q]: output pixel (r, q) of the tile, at t + 24.
                let y = t + 24
                for l in 0 ..< 4 {
                    let (a, b, cc, d) = outputTransform(t[l], t[4 + l], t[8 + l], t[12 + l], t[16 + l], t[20 + l])
                    y[l] = a + bv; y[4 + l] = b + bv; y[8 + l] = cc + bv; y[12 + l] = d + bv
                }
                for wy in 0 ..< rows {
                    for wx in 0 ..< columns {
                        let first = 8 * wy + 2 * wx
                        var best = y[first], at = SIMD8<Int32>()
                        // Window positions 1 (right), 2 (below), 3 (below right): a later one wins only when greater.
                        @inline(__always) func challenge(_ v: SIMD8<Float>, _ position: Int32) {
                            let wins = v .> best
                            best.replace(with: v, where: wins)
                            at.replace(with: position, where: wins)
                        }
                        challenge(y[first + 1], 1)
                        challenge(y[first + 4], 2)
                        challenge(y[first + 5], 3)
                        if relu {
                            // max(relu(v)) = relu(max(v)), and the same element wins unless the maximum is not positive.
                            // A NaN stays NaN, as `rectified` leaves it, and passes no gradient, as its mask bit would.
                            at.replace(with: dead, where: .!(best .> zero))
                            best.replace(with: zero, where: best .<= zero)
                        }
                        let o = ((py0 + wy) * pooledWidth + px0 + wx) * c + ch
                        store(best, pooled + o, 8)
                        if let winners {
                            UnsafeMutableRawPointer(winners + o).storeBytes(of: SIMD8<UInt8>(truncatingIfNeeded: at), as: SIMD8<UInt8>.self)
                        }
                    }
                }
                ch += 8
            }
        }
    }
}

/// The byte a fused conv + ReLU + 2x2 max-pool (`Conv3x3.winogradForwardPooled`) keeps per pooled element for the
/// backward pass: `2 dy + dx` of the window's winner, as in `MaxPool2x2`, or `dead` when the window's maximum is not
/// positive, so that the ReLU passes no gradient. It stands for the layer's ReLU mask and the pool's winners at a
/// quarter of the pool's elements.
public enum WinogradPool {
    public static let dead: UInt8 = 4
}
