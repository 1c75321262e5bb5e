#ifndef IMBENCH_CGEMM_H
#define IMBENCH_CGEMM_H
/*
 * The engine's own single-precision GEMM, with a summation order fixed by definition so
 * that its bits do not depend on the CPU, the instruction set, the blocking or the library
 * version:
 *
 *     C[i][j] = chain over p = 0, 1, ..., k-1 of  acc = fma(A[i][p], B[p][j], acc),
 *     starting from acc = C[i][j] when `accumulate` is non-zero, from +0 otherwise.
 *
 * Every output element is one sequential chain of correctly rounded fused multiply-adds;
 * K blocks continue the chain (the partial result is stored and reloaded exactly). Two
 * calls with accumulate = 1 one after the other therefore equal one call over the
 * concatenated K. Tiling over i and j, vector width (AVX2, AVX-512) and threading do not
 * change a bit, so the AVX2, AVX-512 and scalar paths give identical results.
 *
 * Shapes: row-major; op(A) is (m, k), op(B) is (k, n), C is (m, n) with leading dimension
 * ldc. trans_a: A is stored (k, m) with leading dimension lda, else (m, k). trans_b: B is
 * stored (n, k) with leading dimension ldb, else (k, n).
 *
 * Thread safety: calls from several threads at once are safe (packing buffers are per
 * thread, allocated on first use and kept for the thread's life).
 */

/* Instruction-set paths. */
enum { IB_GEMM_SCALAR = 0, IB_GEMM_AVX2 = 1, IB_GEMM_AVX512 = 2 };

void ib_sgemm(int trans_a, int trans_b, long m, long n, long k,
              const float *a, long lda, const float *b, long ldb,
              int accumulate, float *c, long ldc);

/* The naive definition above, one element at a time: the reference tests compare with. */
void ib_sgemm_reference(int trans_a, int trans_b, long m, long n, long k,
                        const float *a, long lda, const float *b, long ldb,
                        int accumulate, float *c, long ldc);

/* dst[j * ldd + i] = src[i * lds + j] for i < rows, j < cols: a transpose, moving data only
 * (8 x 8 SIMD blocks when the CPU has AVX2). For callers that multiply several windows of
 * one matrix by its transpose: one transpose here instead of one transposed pack per call. */
void ib_transpose(long rows, long cols, const float *src, long lds, float *dst, long ldd);

/* The best path this CPU supports (AVX-512F, else AVX2 with FMA, else scalar). */
int ib_gemm_supported_isa(void);
/* The path ib_sgemm takes now. */
int ib_gemm_isa(void);
/* Forces a path (for tests and benchmarks); a path the CPU lacks is refused (returns -1),
 * -1 restores the automatic choice. Returns the path in use afterwards. Not thread-safe:
 * call it while no GEMM runs. */
int ib_gemm_force_isa(int isa);

/* Whether a product with B not transposed reads its operands in place (no packing): a rule
 * on shapes only (ib_gemm_force_packed does not change the answer), so a caller may choose
 * its layout and size its buffers by it without changing any bit. */
int ib_sgemm_reads_in_place(long m, long n, long k);

/* op(A) packed once for several products that share it (a layer's weights across the
 * chunks of a batch), so that each product skips packing A; the bits are those of
 * ib_sgemm, since packing only moves data.
 * ib_sgemm_packed_a_floats: the floats a whole packing of an (m x k) op(A) takes on the
 * path in use (0 when that path packs nothing). ib_sgemm_pack_blocks: its K blocks.
 * ib_sgemm_pack_a packs K blocks first_block..<end_block of op(A) (callers may split the
 * blocks among threads) and returns the path it packed for. ib_sgemm_prepacked is
 * ib_sgemm reading op(A) from such a packing (or NULL) when it was made on the path in use
 * and the product goes by the packed path, else it packs A itself as ib_sgemm does. */
long ib_sgemm_packed_a_floats(long m, long k);
long ib_sgemm_pack_blocks(long k);
int ib_sgemm_pack_a(int trans_a, long m, long k, const float *a, long lda, float *packed,
                    long first_block, long end_block);
void ib_sgemm_prepacked(int trans_a, int trans_b, long m, long n, long k,
                        const float *a, long lda, const float *packed, int packed_isa,
                        const float *b, long ldb, int accumulate, float *c, long ldc);

/* Sends every product through the packed path (1) or restores the shape rule (0), so that
 * tests reach the packed kernels' small edge tiles; returns the previous setting. Not
 * thread-safe: call it while no GEMM runs. */
int ib_gemm_force_packed(int on);

/* CPU identification for run records: vendor (12 characters), brand string (48), and
 * whether AVX2+FMA and AVX-512F are usable (CPUID and the OS's XSAVE state). */
void ib_cpu_vendor(char out[13]);
void ib_cpu_brand(char out[49]);
int ib_cpu_family(void);
int ib_cpu_model(void);
int ib_cpu_has_avx2_fma(void);
int ib_cpu_has_avx512f(void);
/* The Winograd transforms that feed this GEMM. */
#include "CWinograd.h"

#endif
