// See include/cgemm.h. Compiled with the ISA flags of the project's kernels (Package.swift): the AVX-512 kernel
// keeps a block of 12 rows by 32 columns of c in 24 registers, the AVX2 one 6 rows by 16 columns in 12; each step
// of k loads one row of the panel (two vectors) and broadcasts one element of each of the block's rows of a.
// The panel (k NR floats) is read once per block of rows from cache; a is read along its rows. In the AVX2 kernel, the
// first block of rows prefetches the panel's next run while it passes over this one (see cgemm_panels).
#include "cgemm.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#define NR 32
#define MR 12
typedef __m512 vec;
#define VLEN 16
#define vload(p) _mm512_loadu_ps(p)
#define vstore(p, v) _mm512_storeu_ps(p, v)
#define vzero() _mm512_setzero_ps()
#define vbroadcast(p) _mm512_set1_ps(*(p))
#define vfma(a, b, c) _mm512_fmadd_ps(a, b, c)
#define vadd(a, b) _mm512_add_ps(a, b)
#elif defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define NR 16
#define MR 6
typedef __m256 vec;
#define VLEN 8
#define vload(p) _mm256_loadu_ps(p)
#define vstore(p, v) _mm256_storeu_ps(p, v)
#define vzero() _mm256_setzero_ps()
#define vbroadcast(p) _mm256_broadcast_ss(p)
#define vfma(a, b, c) _mm256_fmadd_ps(a, b, c)
#define vadd(a, b) _mm256_add_ps(a, b)
#endif

// Brings one row of a panel towards the L1 cache: the AVX2 kernel's (16 floats, one cache line). The AVX-512 kernel
// does not prefetch: its 12 rows give each streamed row twice the work, and on the Zen 4 EPYC (VGG19 512x512, six
// alternating stylize-bench rounds) prefetching made the evaluation 4 % slower, where it made the AVX2 build's 10 %
// faster.
#if NR == 16
#define PREFETCH(p) __builtin_prefetch((p), 0, 3)
#else
#define PREFETCH(p) ((void)(p))
#endif

// Rows of a panel per run (see cgemm_panels).
#define KC 128

#ifdef NR
int cgemm_panel_width(void) { return NR; }

// One block of R rows (R <= MR, a compile-time constant in each copy) by one panel, over `k` rows of the panel:
// the sums start from zero, then are stored (`add` 0) or added to what `c` holds (the later runs of k). With `next`,
// row p of the panel's next run (`next + p NR`) is prefetched at step p.
#define BLOCK(R)                                                                                           \
    static void block_##R(int k, const float *a, int lda, const float *b, float *c, int ldc, int add,      \
                          const float *next) {                                                             \
        vec c0[R], c1[R];                                                                                  \
        _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++) { c0[r] = vzero(); c1[r] = vzero(); } \
        for (int p = 0; p < k; p++) {                                                                      \
            if (next) PREFETCH(next + p * NR);                                                             \
            vec b0 = vload(b + p * NR), b1 = vload(b + p * NR + VLEN);                                     \
            _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++) {                               \
                vec x = vbroadcast(a + (long)r * lda + p);                                                 \
                c0[r] = vfma(x, b0, c0[r]);                                                                \
                c1[r] = vfma(x, b1, c1[r]);                                                                \
            }                                                                                              \
        }                                                                                                  \
        _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++) {                                   \
            float *row = c + (long)r * ldc;                                                                \
            if (add) { c0[r] = vadd(c0[r], vload(row)); c1[r] = vadd(c1[r], vload(row + VLEN)); }          \
            vstore(row, c0[r]);                                                                            \
            vstore(row + VLEN, c1[r]);                                                                     \
        }                                                                                                  \
    }
BLOCK(1) BLOCK(2) BLOCK(3) BLOCK(4) BLOCK(5) BLOCK(6)
#if MR > 6
BLOCK(7) BLOCK(8) BLOCK(9) BLOCK(10) BLOCK(11) BLOCK(12)
#endif

typedef void (*block_fn)(int, const float *, int, const float *, float *, int, int, const float *);
static const block_fn blocks[MR + 1] = {
    0, block_1, block_2, block_3, block_4, block_5, block_6,
#if MR > 6
    block_7, block_8, block_9, block_10, block_11, block_12,
#endif
};

void cgemm_panels(int m, int n, int k, const float *a, int lda, const float *b, float *c, int ldc) {
    // Panels outside, then runs of KC rows of the panel (16 KiB with AVX-512: they stay in the L1 cache while every
    // block of rows passes over them). Each run's sums start from zero and are then added to c, so an element is
    // a sum of runs of at most KC products: a smaller rounding error than one running sum over all of k (on VGG's
    // 512-channel layers, the Winograd input gradient's error against im2col fell from 2.3e-5 to 1.1e-5, and OpenBLAS gave 1.6e-5).
    // The panels lie one after the other, so the next run starts where this one ends. The first block of rows prefetches
    // it (AVX2 only, see PREFETCH), where it lies within b: when the rows are few (the deep layers' blocks of tiles),
    // each run is read from memory only once, and the work on 6 rows does not hide its latency (one core, 24 rows,
    // 36 kernels of 512x512 streamed from memory: 50-57 GFLOP/s without, 56-65 with).
    long total = (long)(n / NR) * k * NR;
    for (int j = 0; j < n / NR; j++) {
        const float *panel = b + (long)j * k * NR;
        for (int p0 = 0; p0 < k; p0 += KC) {
            int run = k - p0 < KC ? k - p0 : KC;
            long after = (long)j * k * NR + (long)(p0 + run) * NR;    // where the next run starts, in floats from b
            const float *next = after + (long)run * NR <= total ? b + after : 0;
            for (int i = 0; i < m; i += MR) {
                int rows = m - i < MR ? m - i : MR;
                blocks[rows](run, a + (long)i * lda + p0, lda, panel + (long)p0 * NR, c + (long)i * ldc + (long)j * NR, ldc,
                             p0 > 0, i == 0 ? next : 0);
            }
        }
    }
}
#else
int cgemm_panel_width(void) { return 0; }
void cgemm_panels(int m, int n, int k, const float *a, int lda, const float *b, float *c, int ldc) {
    (void)m; (void)n; (void)k; (void)a; (void)lda; (void)b; (void)c; (void)ldc;
}
#endif
