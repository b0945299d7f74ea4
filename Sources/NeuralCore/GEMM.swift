import COpenBLAS

/// Single-precision matrix multiply on OpenBLAS (`cblas_sgemm`), row-major.
///
/// The one place NeuralCore calls BLAS: convolution forward is one GEMM per band of
/// rows, convolution backward one transposed GEMM per band.
public enum GEMM {
    /// `c (M, N) = alpha * op(a) * op(b) + beta * c`, all row-major.
    ///
    /// - Parameters:
    ///   - transposeA: use `a` as `(K, M)` stored row-major and multiply by its transpose.
    ///   - transposeB: use `b` as `(N, K)` stored row-major and multiply by its transpose.
    ///   - a: `(M, K)` (or `(K, M)` when transposed), leading dimension `lda`.
    ///   - b: `(K, N)` (or `(N, K)` when transposed), leading dimension `ldb`.
    ///   - c: `(M, N)`, leading dimension `ldc`; overwritten when `beta == 0`.
    /// - Complexity: `2 * M * N * K` floating-point operations.
    @inlinable
    public static func multiply(
        transposeA: Bool = false, transposeB: Bool = false,
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(CblasRowMajor,
                    transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// The number of threads OpenBLAS uses for one GEMM.
    public static var threadCount: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }

    /// Processor cores OpenBLAS sees.
    public static var processorCount: Int { Int(openblas_get_num_procs()) }
}
