// A single-precision product whose right-hand matrix is stored in column panels, for the Winograd convolution's
// per-position products (Sources/NeuralCore/Conv3x3+Winograd.swift). The transformed kernels are written in this
// layout when they are made, so the product reads them as they lie: no packing on each call, which OpenBLAS must do.
#ifndef CGEMM_H
#define CGEMM_H

/// Columns per panel (NR) of this build's kernel: 32 with AVX-512, 16 with AVX2, 0 when the build has no panel
/// kernel (the x86-64 baseline: the caller uses OpenBLAS instead).
int cgemm_panel_width(void);

/// `c (m, n) = a (m, k) · b (k, n)`, `a` and `c` row-major with leading dimensions `lda` and `ldc`; `b` in panels:
/// panel `j` holds columns `j NR ..< (j + 1) NR` as `k` rows of NR floats at `b + j k NR`. Needs `n % NR == 0` and
/// a panel kernel (`cgemm_panel_width() > 0`). Each element is the sum over `k` in order, by fused multiply-adds.
void cgemm_panels(int m, int n, int k, const float *a, int lda, const float *b, float *c, int ldc);

#endif
