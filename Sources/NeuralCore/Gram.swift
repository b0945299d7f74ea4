import COpenBLAS

/// Gram matrices of feature maps and their reverse mode (Gatys, Ecker & Bethge, "Image Style
/// Transfer Using Convolutional Neural Networks", CVPR 2016).
///
/// With the feature map seen as a matrix `F` of `M = H * W` rows and `C` columns, the
/// normalised Gram matrix is `G = Fᵀ F / (C · M)`: dividing by the map size makes it
/// independent of the image size, dividing by the channel count keeps layers comparable.
public enum Gram {
    /// The normalised Gram matrix `G = Fᵀ F / (C · M)`.
    /// - Parameter features: (H, W, C).
    /// - Returns: (C, C), row-major, symmetric.
    /// - Complexity: one `ssyrk`, `M · C²` multiply-adds.
    public static func matrix(_ features: Tensor) -> [Float] {
        let c = features.channels
        let m = features.height * features.width
        var gram = [Float](repeating: 0, count: c * c)
        guard c > 0, m > 0 else { return gram }
        features.data.withUnsafeBufferPointer { f in
            gram.withUnsafeMutableBufferPointer { g in
                matrix(f.baseAddress!, rows: m, channels: c, scale: 1 / Float(c * m), into: g.baseAddress!, method: .syrk)
            }
        }
        return gram
    }

    /// Reverse mode of `matrix`: given `dG` (symmetric), `dF = F · (dG + dGᵀ) / (C · M) = 2 F dG / (C · M)`.
    /// - Parameters:
    ///   - features: F, (H, W, C).
    ///   - gramGradient: dG, (C, C), must be symmetric.
    /// - Returns: dF, (H, W, C) (a new tensor; nothing is accumulated).
    public static func backward(_ features: Tensor, gramGradient: [Float]) -> Tensor {
        let c = features.channels
        let m = features.height * features.width
        precondition(gramGradient.count == c * c, "Gram gradient must be (C, C)")
        var grad = Tensor(height: features.height, width: features.width, channels: c)
        guard c > 0, m > 0 else { return grad }
        let scale = 2 / Float(c * m)
        features.data.withUnsafeBufferPointer { f in
            gramGradient.withUnsafeBufferPointer { dg in
                grad.data.withUnsafeMutableBufferPointer { df in
                    let (fp, dfp) = (f.baseAddress!, df.baseAddress!)
                    GEMM.splittingRows(m, flopsPerRow: 2 * c * c) { first, rows in
                        cblas_ssymm(CblasRowMajor, CblasRight, CblasUpper, Int32(rows), Int32(c),
                                    scale, dg.baseAddress, Int32(c), fp + first * c, Int32(c),
                                    0, dfp + first * c, Int32(c))
                    }
                }
            }
        }
        return grad
    }

    /// How `Fᵀ F` is computed: `sgemm` (both triangles, `2 M C²` flops) or `ssyrk` (one triangle,
    /// `M C²` flops, then mirrored). OpenBLAS' ssyrk has been slower than its sgemm on the tall,
    /// skinny feature matrices of VGG (`stylize-bench --gram` measures both).
    public enum Method: String, CaseIterable, Sendable {
        case gemm, syrk
    }

    /// The method for `c` channels, the faster one here as `stylize-bench` measures it on the style layers of a
    /// 512x512 input, each core summing its own rows: ssyrk at every layer (block1_conv1 11.9 against 14.7 ms,
    /// block2_conv1 8.2 against 12.1, block3_conv1 6.6 against 11.1, block4_conv1 6.2 against 10.9, block5_conv1
    /// 2.0 against 2.6). Before the rows were split, sgemm was faster up to 128 channels.
    public static func fasterMethod(channels c: Int) -> Method { .syrk }

    /// A method that overrides `fasterMethod` for every call (tests use it to check both), or nil.
    nonisolated(unsafe) public static var method: Method?

    /// `g (C, C) = scale · Fᵀ F` for `f (M, C)` row-major; `g` overwritten, both triangles filled. With
    /// `accumulate`, `g += scale · Fᵀ F` instead (a Gram matrix summed over the tiles of an image).
    public static func matrix(_ f: UnsafePointer<Float>, rows m: Int, channels c: Int, scale: Float,
                              into g: UnsafeMutablePointer<Float>, method: Method? = nil, accumulate: Bool = false) {
        guard c > 0 else { return }
        let method = method ?? Gram.method ?? fasterMethod(channels: c)
        if m == 0 {
            if !accumulate { g.update(repeating: 0, count: c * c) }
            return
        }
        let beta: Float = accumulate ? 1 : 0
        // Tall inputs: each core sums the rows of its own share with a single-threaded call, then the shares are
        // added. OpenBLAS splits such a product over its few output columns, which left block1_conv1 at 512x512
        // (262144 x 64) at 19-35 ms against about 11 ms this way (`stylize-bench` prints both).
        let parts = min(GEMM.threadCount, m / rowsPerPart)
        if parts > 1 {
            let share = (m + parts - 1) / parts
            let partials = UnsafeMutablePointer<Float>.allocate(capacity: (parts - 1) * c * c)
            defer { partials.deallocate() }
            let saved = GEMM.threadCount
            GEMM.threadCount = 1
            nonisolated(unsafe) let (out, rest) = (g, partials)
            parallelForIndexed(parts, parts: parts) { _, range in
                for part in range {
                    let first = part * share, rows = min(share, m - first)
                    let target = part == 0 ? out : rest + (part - 1) * c * c
                    product(f + first * c, rows: rows, channels: c, scale: scale, beta: part == 0 ? beta : 0, into: target, method: method)
                }
            }
            GEMM.threadCount = saved
            for part in 1 ..< parts {
                let partial = partials + (part - 1) * c * c
                for i in 0 ..< c * c { g[i] += partial[i] }
            }
        } else {
            product(f, rows: m, channels: c, scale: scale, beta: beta, into: g, method: method)
        }
        if method == .syrk {
            // Upper triangle only; the lower is mirrored from it after the update (both held the same sums before).
            for i in 0 ..< c {
                for j in 0 ..< i { g[i * c + j] = g[j * c + i] }
            }
        }
    }

    /// Rows per core below which `matrix` leaves the split to OpenBLAS.
    public static let rowsPerPart = 2048

    /// `g = scale · Fᵀ F + beta · g` by sgemm (both triangles) or ssyrk (the upper one).
    private static func product(_ f: UnsafePointer<Float>, rows m: Int, channels c: Int, scale: Float, beta: Float,
                                into g: UnsafeMutablePointer<Float>, method: Method) {
        switch method {
        case .gemm:
            GEMM.multiply(transposeA: true, m: c, n: c, k: m, alpha: scale, a: f, lda: c, b: f, ldb: c, beta: beta, c: g, ldc: c)
        case .syrk:
            cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(c), Int32(m), scale, f, Int32(c), beta, g, Int32(c))
        }
    }

    /// Naive reference of `matrix`, for tests: three plain loops in Double.
    public static func matrixNaive(_ features: Tensor) -> [Float] {
        let c = features.channels
        let m = features.height * features.width
        var gram = [Float](repeating: 0, count: c * c)
        for i in 0..<c {
            for j in 0..<c {
                var sum = 0.0
                for p in 0..<m {
                    sum += Double(features.data[p * c + i]) * Double(features.data[p * c + j])
                }
                gram[i * c + j] = Float(sum / Double(c * m))
            }
        }
        return gram
    }
}
