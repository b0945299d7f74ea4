// See include/ccpu.h. The constructor below runs before any Swift code: a build made for AVX2 or AVX-512 (the
// default builds for the machine it is built on) stops with one line on a processor that lacks them, instead of
// dying on an illegal instruction somewhere in a kernel. This file itself is compiled for the x86-64 baseline.
#include "ccpu.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static unsigned long long xgetbv0(void) {
    unsigned int eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

void ccpu_read(ccpu_info *out) {
    memset(out, 0, sizeof *out);
    unsigned int a, b, c, d, max;
    if (!__get_cpuid(0, &max, &b, &c, &d)) return;
    memcpy(out->vendor, &b, 4); memcpy(out->vendor + 4, &d, 4); memcpy(out->vendor + 8, &c, 4);
    out->vendor[12] = 0;
    __get_cpuid(1, &a, &b, &c, &d);
    int base_family = (a >> 8) & 0xf, base_model = (a >> 4) & 0xf;
    out->family = base_family == 0xf ? base_family + ((a >> 20) & 0xff) : base_family;
    out->model = (base_family == 0x6 || base_family == 0xf) ? base_model + (((a >> 16) & 0xf) << 4) : base_model;
    out->sse3 = (c >> 0) & 1; out->fma = (c >> 12) & 1; out->movbe = (c >> 22) & 1;
    out->avx = (c >> 28) & 1; out->f16c = (c >> 29) & 1;
    int osxsave = (c >> 27) & 1;
    unsigned long long xcr0 = osxsave ? xgetbv0() : 0;
    out->os_ymm = (xcr0 & 0x6) == 0x6;
    out->os_zmm = (xcr0 & 0xe6) == 0xe6;
    if (max >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        out->bmi1 = (b >> 3) & 1; out->avx2 = (b >> 5) & 1; out->bmi2 = (b >> 8) & 1;
        out->avx512f = (b >> 16) & 1; out->avx512dq = (b >> 17) & 1; out->avx512cd = (b >> 28) & 1;
        out->avx512bw = (b >> 30) & 1; out->avx512vl = (b >> 31) & 1;
    }
    if (__get_cpuid(0x80000001, &a, &b, &c, &d)) out->lzcnt = (c >> 5) & 1;
    int v3 = out->avx && out->avx2 && out->fma && out->bmi1 && out->bmi2 && out->f16c && out->lzcnt && out->movbe
             && out->os_ymm;
    int v4 = v3 && out->avx512f && out->avx512bw && out->avx512cd && out->avx512dq && out->avx512vl && out->os_zmm;
    out->isa = v4 ? CCPU_ISA_AVX512 : v3 ? CCPU_ISA_AVX2 : CCPU_ISA_BASELINE;
}
#else
void ccpu_read(ccpu_info *out) { memset(out, 0, sizeof *out); }
#endif

#ifndef STYLIZE_BUILD_ISA
#define STYLIZE_BUILD_ISA CCPU_ISA_BASELINE
#endif

int ccpu_build_isa(void) { return STYLIZE_BUILD_ISA; }

const char *ccpu_isa_name(int isa) {
    switch (isa) {
    case CCPU_ISA_AVX2: return "AVX2";
    case CCPU_ISA_AVX512: return "AVX-512";
    default: return "x86-64 (SSE2)";
    }
}

__attribute__((constructor)) static void ccpu_refuse_missing_isa(void) {
    if (STYLIZE_BUILD_ISA == CCPU_ISA_BASELINE) return;
    ccpu_info cpu;
    ccpu_read(&cpu);
    if (cpu.isa >= STYLIZE_BUILD_ISA) return;
    char line[320];
    int n = snprintf(line, sizeof line,
                     "stylize: this build's kernels use %s, which this processor (%s family %d model %d) lacks; "
                     "rebuild on this machine (scripts/setup), or build a portable binary with STYLIZE_ISA=baseline\n",
                     ccpu_isa_name(STYLIZE_BUILD_ISA), cpu.vendor, cpu.family, cpu.model);
    if (n > 0) { ssize_t ignored = write(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1); (void)ignored; }
    _exit(132);
}
