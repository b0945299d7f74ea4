// C shim for what Swift cannot do on its own: read the processor's features with cpuid/xgetbv, and refuse to
// start a build whose kernels use vector instructions this processor lacks (before any Swift code runs).
#ifndef CCPU_H
#define CCPU_H

/// Vector instruction sets, in the order of the x86-64 micro-architecture levels the kernels are built for.
enum {
    CCPU_ISA_BASELINE = 0,   ///< x86-64 (SSE2), or any non-x86 processor
    CCPU_ISA_AVX2 = 1,       ///< x86-64-v3: AVX, AVX2, FMA, BMI1/2, F16C, LZCNT, MOVBE
    CCPU_ISA_AVX512 = 2,     ///< x86-64-v4: v3 plus AVX-512 F, BW, CD, DQ, VL
};

/// What cpuid and xgetbv say about the processor this process runs on.
typedef struct {
    char vendor[13];         ///< "GenuineIntel", "AuthenticAMD", ... ("" off x86)
    int family;              ///< display family (base + extended)
    int model;               ///< display model (base + extended where the family uses it)
    int sse3, avx, avx2, fma, bmi1, bmi2, f16c, lzcnt, movbe;
    int avx512f, avx512bw, avx512cd, avx512dq, avx512vl;
    int os_ymm;              ///< the OS saves YMM state (XCR0 bits 1-2)
    int os_zmm;              ///< the OS saves ZMM state (XCR0 bits 1-2 and 5-7)
    int isa;                 ///< the highest CCPU_ISA_* level every feature (and OS support) of which is present
} ccpu_info;

/// Fills `out` from cpuid and xgetbv.
void ccpu_read(ccpu_info *out);

/// The CCPU_ISA_* level the project's kernels were compiled for (Package.swift's STYLIZE_ISA).
int ccpu_build_isa(void);

/// A short name of an ISA level: "x86-64 (SSE2)", "AVX2", "AVX-512".
const char *ccpu_isa_name(int isa);

#endif
