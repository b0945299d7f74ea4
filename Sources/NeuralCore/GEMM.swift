import COpenBLAS
import Dispatch

/// Single-precision matrix multiply on OpenBLAS (`cblas_sgemm`), row-major.
///
/// The one place NeuralCore calls BLAS GEMMs: convolution forward is one GEMM per band of rows, convolution
/// backward one transposed GEMM per band.
///
/// Threads: OpenBLAS itself runs single-threaded, and a multiply large enough to share splits the rows of `C`
/// among `threadCount` threads of its own. OpenBLAS' threads wait for work by spinning (`sched_yield`) for about
/// 0.1 s after each threaded call, which took a core's share from the Winograd workers that run next (measured on
/// VGG19 512: one evaluation 0.84-0.90 s with `OPENBLAS_THREAD_TIMEOUT=4` against 0.92-0.96 s); rows split here
/// start no such thread.
public enum GEMM {
    /// `c (M, N) = alpha * op(a) * op(b) + beta * c`, all row-major.
    ///
    /// - Parameters:
    ///   - transposeA: use `a` as `(K, M)` stored row-major and multiply by its transpose.
    ///   - transposeB: use `b` as `(N, K)` stored row-major and multiply by its transpose.
    ///   - a: `(M, K)` (or `(K, M)` when transposed), leading dimension `lda`.
    ///   - b: `(K, N)` (or `(N, K)` when transposed), leading dimension `ldb`.
    ///   - c: `(M, N)`, leading dimension `ldc`; overwritten when `beta == 0`.
    /// - Complexity: `2 * M * N * K` floating-point operations, on `threadCount` threads when there are at least
    ///   `minimumRowsPerThread` rows and `minimumFlopsPerThread` per thread.
    @inlinable
    public static func multiply(
        transposeA: Bool = false, transposeB: Bool = false,
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        splittingRows(m, flopsPerRow: 2 * n * k) { first, rows in
            // Row `first` of op(a): a row of `a`, or a column of `a` stored transposed.
            cblas_sgemm(CblasRowMajor,
                        transposeA ? CblasTrans : CblasNoTrans,
                        transposeB ? CblasTrans : CblasNoTrans,
                        Int32(rows), Int32(n), Int32(k), alpha,
                        transposeA ? a + first : a + first * lda, Int32(lda), b, Int32(ldb), beta,
                        c + first * ldc, Int32(ldc))
        }
    }

    /// Runs `body(first, rows)` on `threadCount` consecutive shares of `m` rows at once, or on all of them in the
    /// calling thread when the work is too small to share. `body` must write only its own rows.
    @inlinable
    public static func splittingRows(_ m: Int, flopsPerRow: Int, _ body: (Int, Int) -> Void) {
        let parts = min(threadCount, m / minimumRowsPerThread,
                        flopsPerRow > 0 ? m.multipliedReportingOverflow(by: flopsPerRow).partialValue / minimumFlopsPerThread : 1)
        if parts <= 1 {
            body(0, m)
            return
        }
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let work = body   // the shares write disjoint rows (the caller's contract)
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                // Shares start on multiples of `rowAlignment`, so a row is computed by the same kernel code whether
                // the product is split or not (OpenBLAS handles a product's last few rows with other code, whose
                // rounding differs).
                let first = part == 0 ? 0 : m * part / parts / rowAlignment * rowAlignment
                let last = part == parts - 1 ? m : m * (part + 1) / parts / rowAlignment * rowAlignment
                work(first, last - first)
            }
        }
    }

    /// Fewest rows a thread takes: below, the GEMM kernels' own row blocks would be split.
    public static let minimumRowsPerThread = 32
    /// Shares of a split product start on multiples of this many rows (a multiple of every OpenBLAS x86-64 core's
    /// sgemm unrolling).
    public static let rowAlignment = 16
    /// Fewest floating-point operations a thread takes (about 20 µs of sgemm): below, starting a thread costs more.
    public static let minimumFlopsPerThread = 4 << 20

    /// Threads the project's parallel work uses: the row shares of a multiply and the passes around the GEMMs.
    /// Starts at OpenBLAS' own count (`OPENBLAS_NUM_THREADS`, or the processor count), and OpenBLAS is then kept
    /// at one thread.
    public static var threadCount: Int {
        get { configuredThreads.count }
        set { configuredThreads.count = max(1, newValue) }
    }

    /// Processor cores OpenBLAS sees.
    public static var processorCount: Int { Int(openblas_get_num_procs()) }

    /// Runs `body` with OpenBLAS threading its own calls over `threads` threads (the benchmarks' sgemm peak, which
    /// is OpenBLAS' own figure), then back to one.
    public static func withBLASThreads<T>(_ threads: Int, _ body: () throws -> T) rethrows -> T {
        let saved = threadCount
        threadCount = 1
        openblas_set_num_threads(Int32(max(1, threads)))
        defer {
            openblas_set_num_threads(1)
            threadCount = saved
        }
        return try body()
    }

    @usableFromInline
    final class Threads: @unchecked Sendable {
        @usableFromInline var count: Int
        init(_ count: Int) { self.count = count }
    }

    /// Read once, at first use: OpenBLAS' thread count becomes the project's, and OpenBLAS goes to one thread.
    @usableFromInline
    static let configuredThreads: Threads = {
        let threads = Threads(max(1, Int(openblas_get_num_threads())))
        openblas_set_num_threads(1)
        return threads
    }()
}
