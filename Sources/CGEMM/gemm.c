/*
 * The engine's fixed-order SGEMM (definition in include/CGEMM.h).
 *
 * Structure (Goto / BLIS): C is cut into NC-wide column blocks and B's rows into KC-deep
 * blocks; each (KC x NC) block of op(B) is packed into NR-wide strips, each (MC x KC)
 * block of op(A) into MR-tall strips, and a register-blocked micro-kernel computes one
 * MR x NR tile of C per call, running over the KC products of its block in order. Edge
 * strips are zero-padded; the tile is computed in full and only its valid part is loaded
 * and stored, so padding never reaches C.
 *
 * Why the order is fixed: each accumulator lane holds one C element and receives its
 * products one p at a time (one FMA per p, never two partial sums), and a K block after
 * the first starts from the stored C value, so the result is the chain of the definition
 * whatever the tile sizes and vector width. The AVX2 and AVX-512 paths use different
 * tiles (6 x 16 and 12 x 32) and give the same bits as the scalar reference.
 *
 * This file is compiled with -ffp-contract=off: no multiply-add may be fused behind the
 * code's back in one path and not in another.
 */
#include "CGEMM.h"

#include <cpuid.h>
#include <immintrin.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define KC 256
#define MC 144   /* a multiple of both paths' MR (12 and 6) */
#define NC 4096  /* a multiple of both paths' NR (32 and 16) */

/* ---------------------------------------------------------------- CPU identification */

static uint64_t xgetbv0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static int os_saves(uint64_t mask) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    if (!(c & (1u << 27))) return 0; /* OSXSAVE */
    return (xgetbv0() & mask) == mask;
}

int ib_cpu_has_avx2_fma(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int fma = (c >> 12) & 1, avx = (c >> 28) & 1;
    if (!fma || !avx || !os_saves(0x6)) return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return (b >> 5) & 1;
}

int ib_cpu_has_avx512f(void) {
    unsigned a, b, c, d;
    if (!ib_cpu_has_avx2_fma()) return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    if (!((b >> 16) & 1)) return 0;
    return os_saves(0xE6); /* XMM, YMM, opmask, ZMM_Hi256, Hi16_ZMM */
}

void ib_cpu_vendor(char out[13]) {
    unsigned a, b, c, d;
    memset(out, 0, 13);
    if (!__get_cpuid(0, &a, &b, &c, &d)) return;
    memcpy(out, &b, 4); memcpy(out + 4, &d, 4); memcpy(out + 8, &c, 4);
}

void ib_cpu_brand(char out[49]) {
    unsigned r[12];
    memset(out, 0, 49);
    unsigned a, b, c, d;
    if (!__get_cpuid(0x80000000u, &a, &b, &c, &d) || a < 0x80000004u) return;
    for (unsigned i = 0; i < 3; i++)
        __get_cpuid(0x80000002u + i, &r[4 * i], &r[4 * i + 1], &r[4 * i + 2], &r[4 * i + 3]);
    memcpy(out, r, 48);
}

int ib_cpu_family(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int family = (a >> 8) & 0xF;
    if (family == 0xF) family += (a >> 20) & 0xFF;
    return family;
}

int ib_cpu_model(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int family = (a >> 8) & 0xF, model = (a >> 4) & 0xF;
    if (family == 0x6 || family == 0xF) model |= ((a >> 16) & 0xF) << 4;
    return model;
}

/* ------------------------------------------------------------------- packing buffers */

typedef struct { float *a, *b; size_t a_cap, b_cap; } buffers;

static pthread_key_t buffers_key;
static pthread_once_t buffers_once = PTHREAD_ONCE_INIT;

static void buffers_free(void *p) {
    buffers *w = p;
    free(w->a); free(w->b); free(w);
}

static void buffers_init(void) { pthread_key_create(&buffers_key, buffers_free); }

static float *grow(float **p, size_t *cap, size_t count) {
    if (count > *cap) {
        free(*p);
        size_t bytes = (count * sizeof(float) + 63) & ~(size_t)63;
        *p = aligned_alloc(64, bytes);
        if (!*p) abort();
        *cap = bytes / sizeof(float);
    }
    return *p;
}

static buffers *thread_buffers(void) {
    pthread_once(&buffers_once, buffers_init);
    buffers *w = pthread_getspecific(buffers_key);
    if (!w) {
        w = calloc(1, sizeof(buffers));
        if (!w) abort();
        pthread_setspecific(buffers_key, w);
    }
    return w;
}

/* ------------------------------------------------------------------------- packing */

/* 8 x 8 transpose: rows r0..r7 (8 floats each, row stride `ld`) become the 8 columns
 * written to dst, dst + dld, ..., dst + 7 dld. Only moves data. */
__attribute__((target("avx2")))
static void transpose8(const float *src, long ld, float *dst, long dld) {
    __m256 r0 = _mm256_loadu_ps(src), r1 = _mm256_loadu_ps(src + ld),
           r2 = _mm256_loadu_ps(src + 2 * ld), r3 = _mm256_loadu_ps(src + 3 * ld),
           r4 = _mm256_loadu_ps(src + 4 * ld), r5 = _mm256_loadu_ps(src + 5 * ld),
           r6 = _mm256_loadu_ps(src + 6 * ld), r7 = _mm256_loadu_ps(src + 7 * ld);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1),
           t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3),
           t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5),
           t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE),
           u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE),
           u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE),
           u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    _mm256_storeu_ps(dst, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(dst + dld, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(dst + 2 * dld, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(dst + 3 * dld, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(dst + 4 * dld, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(dst + 5 * dld, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(dst + 6 * dld, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(dst + 7 * dld, _mm256_permute2f128_ps(u3, u7, 0x31));
}

/* 4 x 4 transpose: rows r0..r3 (4 floats each, row stride `ld`) become 4 columns written
 * to dst, dst + dld, dst + 2 dld, dst + 3 dld. */
__attribute__((target("avx2")))
static void transpose4(const float *src, long ld, float *dst, long dld) {
    __m128 r0 = _mm_loadu_ps(src), r1 = _mm_loadu_ps(src + ld),
           r2 = _mm_loadu_ps(src + 2 * ld), r3 = _mm_loadu_ps(src + 3 * ld);
    _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
    _mm_storeu_ps(dst, r0); _mm_storeu_ps(dst + dld, r1);
    _mm_storeu_ps(dst + 2 * dld, r2); _mm_storeu_ps(dst + 3 * dld, r3);
}

/* op(A)[i0 .. i0+mc) x [p0 .. p0+kc) into strips of mr rows: strip s holds, for each p, the
 * mr values A(i0 + s*mr + r, p0 + p) (zero past row mc). */
static void pack_a(int trans, const float *a, long lda, long i0, long mc, long p0, long kc,
                   int mr, int simd, float *restrict dst) {
    for (long s = 0; s < mc; s += mr) {
        long rows = mc - s < mr ? mc - s : mr;
        if (trans) {
            /* A(i, p) = a[p * lda + i]: the strip's rows are contiguous for each p. */
            const float *src = a + p0 * lda + i0 + s;
            for (long p = 0; p < kc; p++, src += lda, dst += mr) {
                long r = 0;
                for (; r < rows; r++) dst[r] = src[r];
                for (; r < mr; r++) dst[r] = 0;
            }
        } else {
            /* Rows are contiguous in p: a transpose. Full blocks of 8 (then 4) rows by 8
             * (then 4) p go through the SIMD transposes, the rest element by element. */
            const float *src = a + (i0 + s) * lda + p0;
            long r = 0;
            if (simd) {
                for (; r + 8 <= rows; r += 8) {
                    long p = 0;
                    for (; p + 8 <= kc; p += 8) transpose8(src + r * lda + p, lda, dst + p * mr + r, mr);
                    for (; p < kc; p++)
                        for (long i = 0; i < 8; i++) dst[p * mr + r + i] = src[(r + i) * lda + p];
                }
                for (; r + 4 <= rows; r += 4) {
                    long p = 0;
                    for (; p + 4 <= kc; p += 4) transpose4(src + r * lda + p, lda, dst + p * mr + r, mr);
                    for (; p < kc; p++)
                        for (long i = 0; i < 4; i++) dst[p * mr + r + i] = src[(r + i) * lda + p];
                }
            }
            for (long p = 0; p < kc; p++) {
                for (long i = r; i < rows; i++) dst[p * mr + i] = src[i * lda + p];
                for (long i = rows; i < mr; i++) dst[p * mr + i] = 0;
            }
            dst += kc * mr;
        }
    }
}

/* dst[j * ldd + i] = src[i * lds + j] for i < rows, j < cols. Full 8 x 8 blocks go through
 * `transpose8` when the CPU has AVX2 (`simd`), 8 x 4 ones through two `transpose4` (the rows of
 * ResNet-10's 4 x 4 maps), the rest element by element. */
static void transpose_into(long rows, long cols, const float *src, long lds, float *dst,
                           long ldd, int simd) {
    long i = 0;
    if (simd) {
        for (; i + 8 <= rows; i += 8) {
            long j = 0;
            for (; j + 8 <= cols; j += 8) transpose8(src + i * lds + j, lds, dst + j * ldd + i, ldd);
            for (; j + 4 <= cols; j += 4) {
                transpose4(src + i * lds + j, lds, dst + j * ldd + i, ldd);
                transpose4(src + (i + 4) * lds + j, lds, dst + j * ldd + i + 4, ldd);
            }
            for (; j < cols; j++)
                for (long r = 0; r < 8; r++) dst[j * ldd + i + r] = src[(i + r) * lds + j];
        }
    }
    for (; i < rows; i++)
        for (long j = 0; j < cols; j++) dst[j * ldd + i] = src[i * lds + j];
}

/* One strip of transposed B: for p in [0, kc) and q in [0, nr), dst[p*nr + q] =
 * src[q*ldb + p] for q < cols, 0 beyond. */
static void pack_b_strip_transposed(const float *src, long ldb, long kc, long cols, int nr,
                                    int simd, float *restrict dst) {
    transpose_into(cols, kc, src, ldb, dst, nr, simd);
    if (cols < nr)
        for (long p = 0; p < kc; p++) memset(dst + p * nr + cols, 0, (size_t)(nr - cols) * sizeof(float));
}

/* op(B)[p0 .. p0+kc) x [j0 .. j0+nc) into strips of nr columns: strip t holds, for each p,
 * the nr values B(p0 + p, j0 + t*nr + q) (zero past column nc). */
static void pack_b(int trans, const float *b, long ldb, long p0, long kc, long j0, long nc,
                   int nr, int simd, float *restrict dst) {
    for (long t = 0; t < nc; t += nr) {
        long cols = nc - t < nr ? nc - t : nr;
        if (trans) {
            /* B(p, j) = b[j * ldb + p]: column j of the strip is contiguous in p. */
            pack_b_strip_transposed(b + (j0 + t) * ldb + p0, ldb, kc, cols, nr, simd, dst);
            dst += kc * nr;
        } else {
            const float *src = b + p0 * ldb + j0 + t;
            for (long p = 0; p < kc; p++, src += ldb, dst += nr) {
                long q = 0;
                for (; q < cols; q++) dst[q] = src[q];
                for (; q < nr; q++) dst[q] = 0;
            }
        }
    }
}

/* ------------------------------------------------------------------- micro-kernels */

/* One MR x NR tile: C[0..mr) x [0..nr) = chain over kc products, starting from C when
 * `load`, else from zero. a: kc groups of MR packed values; b: kc groups of NR. */
typedef void (*micro_kernel)(long kc, const float *a, const float *b, float *c, long ldc,
                             int load, int mr, int nr);

/* The same tile read in place (see "unpacked small GEMMs"): row i of op(A) at a + i * rs,
 * step ps per p; op(B)'s row p at b + p * ldb. */
typedef void (*unpacked_kernel)(long k, const float *a, long rs, long ps, const float *b,
                                long ldb, float *c, long ldc, int load, int mr, int nr);

/* Every kernel comes in a few heights (a strip's last rows run in a smaller kernel instead
 * of computing padding rows) and two widths: a wide one of two vectors per row and a
 * narrow one of one vector, for tiles of at most one vector's columns (LeNet-5's conv1
 * weight gradient is 5 columns wide, its ip2 10), which would otherwise spend half their
 * FMAs on masked-off lanes. Both compute each element's chain the same way. */
#define ROWS2(X) X(0) X(1)
#define ROWS4(X) ROWS2(X) X(2) X(3)
#define ROWS6(X) ROWS4(X) X(4) X(5)
#define ROWS8(X) ROWS6(X) X(6) X(7)
#define ROWS12(X) ROWS8(X) X(8) X(9) X(10) X(11)

/* AVX-512: tiles of up to 12 x 32 (24 accumulators of 16 lanes). */

/* The two 16-lane halves of a row of nr columns (nr in 1...32). */
__attribute__((target("avx512f")))
static inline void masks512(int nr, __mmask16 *m0, __mmask16 *m1) {
    *m0 = nr >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nr) - 1);
    *m1 = nr >= 32 ? (__mmask16)0xFFFF : nr > 16 ? (__mmask16)((1u << (nr - 16)) - 1) : 0;
}

#define K512_DECL(i) __m512 c##i##a = _mm512_setzero_ps(), c##i##b = _mm512_setzero_ps();
#define K512_LOAD(i) if (i < mr) { c##i##a = _mm512_maskz_loadu_ps(m0, c + i * ldc);     \
                                   if (wide) c##i##b = _mm512_maskz_loadu_ps(m1, c + i * ldc + 16); }
#define K512_FMA(i, x) { c##i##a = _mm512_fmadd_ps(x, b0, c##i##a);                      \
                         if (wide) c##i##b = _mm512_fmadd_ps(x, b1, c##i##b); }
#define K512_STEP(i) K512_FMA(i, _mm512_set1_ps(a[i]))
#define K512_STORE(i) if (i < mr) { _mm512_mask_storeu_ps(c + i * ldc, m0, c##i##a);      \
                                    if (wide) _mm512_mask_storeu_ps(c + i * ldc + 16, m1, c##i##b); }

#define DEFINE_KERNEL_AVX512(NAME, ROWS, WIDE)                                             \
__attribute__((target("avx512f")))                                                       \
static void NAME(long kc, const float *restrict a, const float *restrict b,              \
                 float *c, long ldc, int load, int mr, int nr) {                         \
    enum { wide = WIDE };                                                                \
    __mmask16 m0, m1;                                                                    \
    masks512(nr, &m0, &m1);                                                              \
    ROWS(K512_DECL)                                                                      \
    if (load) { ROWS(K512_LOAD) }                                                        \
    for (long p = 0; p < kc; p++) {                                                      \
        __m512 b0 = _mm512_load_ps(b), b1 = wide ? _mm512_load_ps(b + 16) : b0;          \
        ROWS(K512_STEP)                                                                  \
        a += 12; b += 32;                                                                \
    }                                                                                    \
    ROWS(K512_STORE)                                                                     \
}

/* AVX2: tiles of up to 6 x 16 (12 accumulators of 8 lanes). */

/* Lanes 0..count-1 set (count in 0...8). */
__attribute__((target("avx2,fma")))
static __m256i lane_mask(int count) {
    static const int32_t ramp[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    return _mm256_loadu_si256((const __m256i *)(ramp + 8 - count));
}

/* The two 8-lane halves of a row of nr columns (nr in 1...16). */
__attribute__((target("avx2,fma")))
static inline void masks256(int nr, __m256i *m0, __m256i *m1) {
    *m0 = lane_mask(nr >= 8 ? 8 : nr);
    *m1 = lane_mask(nr >= 16 ? 8 : nr > 8 ? nr - 8 : 0);
}

#define K256_DECL(i) __m256 c##i##a = _mm256_setzero_ps(), c##i##b = _mm256_setzero_ps();
#define K256_LOAD(i) if (i < mr) {                                                        \
        if (full) { c##i##a = _mm256_loadu_ps(c + i * ldc);                              \
                    if (wide) c##i##b = _mm256_loadu_ps(c + i * ldc + 8); }              \
        else { c##i##a = _mm256_maskload_ps(c + i * ldc, m0);                            \
               if (wide) c##i##b = _mm256_maskload_ps(c + i * ldc + 8, m1); } }
#define K256_FMA(i, x) { c##i##a = _mm256_fmadd_ps(x, b0, c##i##a);                      \
                         if (wide) c##i##b = _mm256_fmadd_ps(x, b1, c##i##b); }
#define K256_STEP(i) K256_FMA(i, _mm256_broadcast_ss(a + i))
#define K256_STORE(i) if (i < mr) {                                                       \
        if (full) { _mm256_storeu_ps(c + i * ldc, c##i##a);                              \
                    if (wide) _mm256_storeu_ps(c + i * ldc + 8, c##i##b); }              \
        else { _mm256_maskstore_ps(c + i * ldc, m0, c##i##a);                            \
               if (wide) _mm256_maskstore_ps(c + i * ldc + 8, m1, c##i##b); } }

#define DEFINE_KERNEL_AVX2(NAME, ROWS, WIDE)                                               \
__attribute__((target("avx2,fma")))                                                      \
static void NAME(long kc, const float *restrict a, const float *restrict b,              \
                 float *c, long ldc, int load, int mr, int nr) {                         \
    enum { wide = WIDE };                                                                \
    int full = nr == (wide ? 16 : 8);                                                    \
    __m256i m0, m1;                                                                      \
    masks256(nr, &m0, &m1);                                                              \
    ROWS(K256_DECL)                                                                      \
    if (load) { ROWS(K256_LOAD) }                                                        \
    for (long p = 0; p < kc; p++) {                                                      \
        __m256 b0 = _mm256_load_ps(b), b1 = wide ? _mm256_load_ps(b + 8) : b0;           \
        ROWS(K256_STEP)                                                                  \
        a += 6; b += 16;                                                                 \
    }                                                                                    \
    ROWS(K256_STORE)                                                                     \
}

/* ------------------------------------------------------------- unpacked small GEMMs */

/* Small products with B not transposed (LeNet-5's kernel-row GEMMs, (50, 64, 100), and
 * their gradient twins): packing costs as much as the products, so these tiles read A and
 * B where they lie. op(B)'s rows are contiguous in j, so a row of a tile is one (masked)
 * vector load; op(A)'s values are broadcast from A itself, row i's value for p at
 * r<i>[p * ps]. The chain per element is the definition's (one FMA per p from p = 0,
 * starting from C or zero), so these kernels give the same bits as the packed ones.
 * Rows past `mr` point at row 0 (always readable) and are never stored. */
#define U_ROW(i) const float *r##i = a + (i < mr ? i : 0) * rs;
#define U512_STEP(i) K512_FMA(i, _mm512_set1_ps(r##i[o]))
#define DEFINE_UNPACKED_AVX512(NAME, ROWS, WIDE)                                           \
__attribute__((target("avx512f")))                                                       \
static void NAME(long k, const float *a, long rs, long ps, const float *b, long ldb,     \
                 float *c, long ldc, int load, int mr, int nr) {                         \
    enum { wide = WIDE };                                                                \
    __mmask16 m0, m1;                                                                    \
    masks512(nr, &m0, &m1);                                                              \
    ROWS(K512_DECL) ROWS(U_ROW)                                                          \
    if (load) { ROWS(K512_LOAD) }                                                        \
    long o = 0;                                                                          \
    for (long p = 0; p < k; p++, o += ps, b += ldb) {                                    \
        __m512 b0 = _mm512_maskz_loadu_ps(m0, b);                                        \
        __m512 b1 = wide ? _mm512_maskz_loadu_ps(m1, b + 16) : b0;                       \
        ROWS(U512_STEP)                                                                  \
    }                                                                                    \
    ROWS(K512_STORE)                                                                     \
}

#define U256_STEP(i) K256_FMA(i, _mm256_broadcast_ss(r##i + o))
#define DEFINE_UNPACKED_AVX2(NAME, ROWS, WIDE)                                             \
__attribute__((target("avx2,fma")))                                                      \
static void NAME(long k, const float *a, long rs, long ps, const float *b, long ldb,     \
                 float *c, long ldc, int load, int mr, int nr) {                         \
    enum { wide = WIDE };                                                                \
    int full = nr == (wide ? 16 : 8);                                                    \
    __m256i m0, m1;                                                                      \
    masks256(nr, &m0, &m1);                                                              \
    ROWS(K256_DECL) ROWS(U_ROW)                                                          \
    if (load) { ROWS(K256_LOAD) }                                                        \
    long o = 0;                                                                          \
    for (long p = 0; p < k; p++, o += ps, b += ldb) {                                    \
        __m256 b0, b1;                                                                   \
        if (full) { b0 = _mm256_loadu_ps(b); b1 = wide ? _mm256_loadu_ps(b + 8) : b0; }  \
        else { b0 = _mm256_maskload_ps(b, m0);                                           \
               b1 = wide ? _mm256_maskload_ps(b + 8, m1) : b0; }                         \
        ROWS(U256_STEP)                                                                  \
    }                                                                                    \
    ROWS(K256_STORE)                                                                     \
}

/* Both forms of every height and width of an ISA (heights R1 < R2 < R3), and the tables
 * that `kernel_index` indexes: name_R, name_Rn (narrow) for each height in turn. */
#define DEFINE_BOTH(ISA, NAME, ROWS, WIDE)                                                 \
    DEFINE_KERNEL_##ISA(kernel_##NAME, ROWS, WIDE)                                       \
    DEFINE_UNPACKED_##ISA(unpacked_##NAME, ROWS, WIDE)
#define DEFINE_HEIGHT(ISA, isa, R)                                                         \
    DEFINE_BOTH(ISA, isa##_##R, ROWS##R, 1) DEFINE_BOTH(ISA, isa##_##R##n, ROWS##R, 0)
#define DEFINE_ISA(ISA, isa, R1, R2, R3)                                                   \
    DEFINE_HEIGHT(ISA, isa, R1) DEFINE_HEIGHT(ISA, isa, R2) DEFINE_HEIGHT(ISA, isa, R3)
#define TABLE(form, isa, R1, R2, R3)                                                       \
    {form##_##isa##_##R1, form##_##isa##_##R1##n, form##_##isa##_##R2,                   \
     form##_##isa##_##R2##n, form##_##isa##_##R3, form##_##isa##_##R3##n}
DEFINE_ISA(AVX512, avx512, 4, 8, 12)
DEFINE_ISA(AVX2, avx2, 2, 4, 6)

/* Index into the tables below: height class (smallest kernel with at least `rows` rows)
 * times two, plus one for the narrow width. */
static int kernel_index(int isa, int rows, int cols) {
    int quarter = isa == IB_GEMM_AVX512 ? 4 : 2, vector = isa == IB_GEMM_AVX512 ? 16 : 8;
    int height = rows > 2 * quarter ? 2 : rows > quarter ? 1 : 0;
    return 2 * height + (cols <= vector);
}
static const micro_kernel packed_avx512[6] = TABLE(kernel, avx512, 4, 8, 12);
static const micro_kernel packed_avx2[6] = TABLE(kernel, avx2, 2, 4, 6);
static const unpacked_kernel unpacked_avx512[6] = TABLE(unpacked, avx512, 4, 8, 12);
static const unpacked_kernel unpacked_avx2[6] = TABLE(unpacked, avx2, 2, 4, 6);

static void kernel_avx512(long kc, const float *restrict a, const float *restrict b,
                          float *c, long ldc, int load, int mr, int nr) {
    packed_avx512[kernel_index(IB_GEMM_AVX512, mr, nr)](kc, a, b, c, ldc, load, mr, nr);
}

static void kernel_avx2(long kc, const float *restrict a, const float *restrict b,
                        float *c, long ldc, int load, int mr, int nr) {
    packed_avx2[kernel_index(IB_GEMM_AVX2, mr, nr)](kc, a, b, c, ldc, load, mr, nr);
}

/* Whether a product goes unpacked: B not transposed and both operands small enough to
 * stay in L2 while every tile rereads them (256 KiB). A rule on shapes only. Tests turn
 * it off (`ib_gemm_force_packed`) to reach the packed path's small edge tiles; callers
 * that choose a layout by `ib_sgemm_reads_in_place` see the shape rule alone, so that
 * forcing never changes what they allocate. */
static int packed_forced = 0;

static int small_enough(long m, long n, long k) { return (m * k + k * n) <= 65536; }

static int unpacked_pays(int trans_b, long m, long n, long k) {
    return !packed_forced && !trans_b && small_enough(m, n, k);
}

int ib_sgemm_reads_in_place(long m, long n, long k) { return small_enough(m, n, k); }

int ib_gemm_force_packed(int on) {
    int was = packed_forced;
    packed_forced = on != 0;
    return was;
}

/* Tiles of up to mr_max x nr_max, j outer (a strip of B stays in L1 across the rows). */
static void unpacked(int isa, int trans_a, long m, long n, long k, const float *a, long lda,
                     const float *b, long ldb, int accumulate, float *c, long ldc) {
    int mr_max = isa == IB_GEMM_AVX512 ? 12 : 6, nr_max = isa == IB_GEMM_AVX512 ? 32 : 16;
    const unpacked_kernel *table = isa == IB_GEMM_AVX512 ? unpacked_avx512 : unpacked_avx2;
    long rs = trans_a ? 1 : lda, ps = trans_a ? lda : 1;
    for (long j = 0; j < n; j += nr_max) {
        int cols = n - j < nr_max ? (int)(n - j) : nr_max;
        for (long i = 0; i < m; i += mr_max) {
            int rows = m - i < mr_max ? (int)(m - i) : mr_max;
            table[kernel_index(isa, rows, cols)](k, a + i * rs, rs, ps, b + j, ldb,
                                                 c + i * ldc + j, ldc, accumulate, rows, cols);
        }
    }
}

/* ------------------------------------------------------------------------ transpose */

void ib_transpose(long rows, long cols, const float *src, long lds, float *dst, long ldd) {
    transpose_into(rows, cols, src, lds, dst, ldd, ib_gemm_supported_isa() != IB_GEMM_SCALAR);
}

/* ------------------------------------------------------------------------- drivers */

void ib_sgemm_reference(int trans_a, int trans_b, long m, long n, long k,
                        const float *a, long lda, const float *b, long ldb,
                        int accumulate, float *c, long ldc) {
    for (long i = 0; i < m; i++) {
        for (long j = 0; j < n; j++) {
            float acc = accumulate ? c[i * ldc + j] : 0.0f;
            for (long p = 0; p < k; p++) {
                float x = trans_a ? a[p * lda + i] : a[i * lda + p];
                float y = trans_b ? b[j * ldb + p] : b[p * ldb + j];
                acc = fmaf(x, y, acc);
            }
            c[i * ldc + j] = acc;
        }
    }
}

/* `packed`: op(A) packed whole by `ib_sgemm_pack_a` for this path, or NULL to pack each
 * (MC x KC) block here. Block (ic, pc) of a whole packing starts at pc * Mpad + ic * kc
 * (Mpad: m rounded up to mr; MC is a multiple of mr), exactly what pack_a writes here. */
static void blocked(micro_kernel kernel, int mr, int nr, int simd,
                    int trans_a, int trans_b, long m, long n, long k,
                    const float *a, long lda, const float *packed, const float *b, long ldb,
                    int accumulate, float *c, long ldc) {
    buffers *w = thread_buffers();
    long ncMax = n < NC ? n : NC, kcMax = k < KC ? k : KC, mcMax = m < MC ? m : MC;
    long mpad = (m + mr - 1) / mr * mr;
    float *pa = packed ? NULL
        : grow(&w->a, &w->a_cap, (size_t)((mcMax + mr - 1) / mr * mr) * kcMax);
    float *pb = grow(&w->b, &w->b_cap, (size_t)((ncMax + nr - 1) / nr * nr) * kcMax);
    for (long jc = 0; jc < n; jc += NC) {
        long nc = n - jc < NC ? n - jc : NC;
        for (long pc = 0; pc < k; pc += KC) {
            long kc = k - pc < KC ? k - pc : KC;
            int load = accumulate || pc > 0;
            pack_b(trans_b, b, ldb, pc, kc, jc, nc, nr, simd, pb);
            for (long ic = 0; ic < m; ic += MC) {
                long mc = m - ic < MC ? m - ic : MC;
                const float *as = packed ? packed + pc * mpad + ic * kc : pa;
                if (!packed) pack_a(trans_a, a, lda, ic, mc, pc, kc, mr, simd, pa);
                for (long jr = 0; jr < nc; jr += nr) {
                    int cols = nc - jr < nr ? (int)(nc - jr) : nr;
                    const float *bs = pb + jr * kc;
                    for (long ir = 0; ir < mc; ir += mr) {
                        int rows = mc - ir < mr ? (int)(mc - ir) : mr;
                        kernel(kc, as + ir * kc, bs, c + (ic + ir) * ldc + jc + jr, ldc,
                               load, rows, cols);
                    }
                }
            }
        }
    }
}

static int forced_isa = -1;

int ib_gemm_supported_isa(void) {
    static int cached = -1;
    if (cached < 0)
        cached = ib_cpu_has_avx512f() ? IB_GEMM_AVX512
               : ib_cpu_has_avx2_fma() ? IB_GEMM_AVX2 : IB_GEMM_SCALAR;
    return cached;
}

int ib_gemm_isa(void) { return forced_isa >= 0 ? forced_isa : ib_gemm_supported_isa(); }

int ib_gemm_force_isa(int isa) {
    if (isa > ib_gemm_supported_isa()) return -1;
    forced_isa = isa < 0 ? -1 : isa;
    return ib_gemm_isa();
}

/* The micro-tile height of a packing path (0: the path packs nothing). */
static int tile_rows(int isa) {
    return isa == IB_GEMM_AVX512 ? 12 : isa == IB_GEMM_AVX2 ? 6 : 0;
}

long ib_sgemm_packed_a_floats(long m, long k) {
    int mr = tile_rows(ib_gemm_isa());
    if (mr == 0 || m <= 0 || k <= 0) return 0;
    return (m + mr - 1) / mr * mr * k;
}

long ib_sgemm_pack_blocks(long k) { return k <= 0 ? 0 : (k + KC - 1) / KC; }

int ib_sgemm_pack_a(int trans_a, long m, long k, const float *a, long lda, float *packed,
                    long first_block, long end_block) {
    int isa = ib_gemm_isa(), mr = tile_rows(isa);
    if (mr == 0) return isa;
    long mpad = (m + mr - 1) / mr * mr;
    for (long pc = first_block * KC; pc < k && pc < end_block * KC; pc += KC) {
        long kc = k - pc < KC ? k - pc : KC;
        for (long ic = 0; ic < m; ic += MC) {
            long mc = m - ic < MC ? m - ic : MC;
            pack_a(trans_a, a, lda, ic, mc, pc, kc, mr, 1, packed + pc * mpad + ic * kc);
        }
    }
    return isa;
}

/* The one driver of both entry points: `packed` is op(A) packed by ib_sgemm_pack_a on path
 * `packed_isa`, or NULL; it is read only when that is the path in use and the product goes
 * by the packed kernels, else A is packed block by block as usual. */
static void sgemm(int trans_a, int trans_b, long m, long n, long k,
                  const float *a, long lda, const float *packed, int packed_isa,
                  const float *b, long ldb, int accumulate, float *c, long ldc) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        if (!accumulate)
            for (long i = 0; i < m; i++) memset(c + i * ldc, 0, (size_t)n * sizeof(float));
        return;
    }
    int isa = ib_gemm_isa();
    if (isa != IB_GEMM_SCALAR && unpacked_pays(trans_b, m, n, k)) {
        unpacked(isa, trans_a, m, n, k, a, lda, b, ldb, accumulate, c, ldc);
        return;
    }
    if (packed_isa != isa) packed = NULL;
    switch (isa) {
    case IB_GEMM_AVX512:
        blocked(kernel_avx512, 12, 32, 1, trans_a, trans_b, m, n, k, a, lda, packed, b, ldb, accumulate, c, ldc);
        break;
    case IB_GEMM_AVX2:
        blocked(kernel_avx2, 6, 16, 1, trans_a, trans_b, m, n, k, a, lda, packed, b, ldb, accumulate, c, ldc);
        break;
    default:
        ib_sgemm_reference(trans_a, trans_b, m, n, k, a, lda, b, ldb, accumulate, c, ldc);
    }
}

void ib_sgemm_prepacked(int trans_a, int trans_b, long m, long n, long k,
                        const float *a, long lda, const float *packed, int packed_isa,
                        const float *b, long ldb, int accumulate, float *c, long ldc) {
    sgemm(trans_a, trans_b, m, n, k, a, lda, packed, packed_isa, b, ldb, accumulate, c, ldc);
}

void ib_sgemm(int trans_a, int trans_b, long m, long n, long k,
              const float *a, long lda, const float *b, long ldb,
              int accumulate, float *c, long ldc) {
    sgemm(trans_a, trans_b, m, n, k, a, lda, NULL, -1, b, ldb, accumulate, c, ldc);
}
