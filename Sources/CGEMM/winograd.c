/*
 * Winograd F(2x2, 3x3) and F(4x4, 5x5) tile transforms in channel-minor layouts
 * (definitions in include/CWinograd.h), one copy per instruction set and tile size from
 * winograd_body.h; F(4x4,5x5)'s tile macros are generated (winograd_f45_tiles.h).
 *
 * Why channel-minor: the transforms are the same few additions for every channel, so one
 * SIMD lane per channel fills every lane on any map size; ResNet-10's 8x8 and 4x4 blocks
 * have only 4 and 2 tiles per row, which left a row-vectorised transform at a quarter of
 * its lanes. The planes are turned channel-minor by ib_transpose on the way in and back on
 * the way out (data moves only).
 *
 * Why the bits do not depend on the instruction set: each output is the same sequence of
 * IEEE additions and subtractions of the same operands in every path (no multiplications,
 * and this file is compiled with -ffp-contract=off), so the AVX-512, AVX2 and baseline paths
 * agree bit for bit with each other and with a one-channel-at-a-time loop.
 */
#include "CGEMM.h"

#include <string.h>

#include "winograd_f45_tiles.h"

typedef float wg_v16 __attribute__((vector_size(64)));
typedef float wg_v8 __attribute__((vector_size(32)));
typedef float wg_v4 __attribute__((vector_size(16)));

#define WG_LOADS(p) (*(p))
#define WG_STORES(p, x) (*(p) = (x))

/* V = B^T d B for one tile, one lane per channel: d(i, j) at base + i*rs + j*cs, V(xi) to
 * out + xi*os. */
#define WG_INPUT_TILE(T, L, S, base, rs, cs, out, os) do {                                \
    T t_[4][4];                                                                           \
    for (int j_ = 0; j_ < 4; j_++) {                                                      \
        T d0_ = L((base) + j_ * (cs)), d1_ = L((base) + (rs) + j_ * (cs));                \
        T d2_ = L((base) + 2 * (rs) + j_ * (cs)), d3_ = L((base) + 3 * (rs) + j_ * (cs)); \
        t_[0][j_] = d0_ - d2_; t_[1][j_] = d1_ + d2_;                                     \
        t_[2][j_] = d2_ - d1_; t_[3][j_] = d1_ - d3_;                                     \
    }                                                                                     \
    for (int i_ = 0; i_ < 4; i_++) {                                                      \
        S((out) + (4 * i_ + 0) * (os), t_[i_][0] - t_[i_][2]);                            \
        S((out) + (4 * i_ + 1) * (os), t_[i_][1] + t_[i_][2]);                            \
        S((out) + (4 * i_ + 2) * (os), t_[i_][2] - t_[i_][1]);                            \
        S((out) + (4 * i_ + 3) * (os), t_[i_][1] - t_[i_][3]);                            \
    }                                                                                     \
} while (0)

/* Y = A^T M A + bias for one tile: M(xi) at in + xi*is, Y(a, b) to out + a*rs + b*cs. */
#define WG_OUTPUT_TILE(T, L, S, in, is, bv, out, rs, cs) do {                             \
    T q_[16];                                                                             \
    for (int k_ = 0; k_ < 16; k_++) q_[k_] = L((in) + k_ * (is));                         \
    T r00_ = q_[0] + q_[4] + q_[8], r01_ = q_[1] + q_[5] + q_[9];                         \
    T r02_ = q_[2] + q_[6] + q_[10], r03_ = q_[3] + q_[7] + q_[11];                       \
    T r10_ = q_[4] - q_[8] - q_[12], r11_ = q_[5] - q_[9] - q_[13];                       \
    T r12_ = q_[6] - q_[10] - q_[14], r13_ = q_[7] - q_[11] - q_[15];                     \
    S((out), r00_ + r01_ + r02_ + (bv));                                                  \
    S((out) + (cs), r01_ - r02_ - r03_ + (bv));                                           \
    S((out) + (rs), r10_ + r11_ + r12_ + (bv));                                           \
    S((out) + (rs) + (cs), r11_ - r12_ - r13_ + (bv));                                    \
} while (0)

/* Z = A dY A^T for one tile: dY(a, b) at in + a*rs + b*cs, Z(xi) to out + xi*os. */
#define WG_GRADIENT_TILE(T, L, S, in, rs, cs, out, os) do {                               \
    T a_ = L(in), b_ = L((in) + (cs)), c_ = L((in) + (rs)), d_ = L((in) + (rs) + (cs));   \
    T p_[4] = {a_, a_ + c_, a_ - c_, -c_}, q_[4] = {b_, b_ + d_, b_ - d_, -d_};           \
    for (int i_ = 0; i_ < 4; i_++) {                                                      \
        S((out) + (4 * i_ + 0) * (os), p_[i_]);                                           \
        S((out) + (4 * i_ + 1) * (os), p_[i_] + q_[i_]);                                  \
        S((out) + (4 * i_ + 2) * (os), p_[i_] - q_[i_]);                                  \
        S((out) + (4 * i_ + 3) * (os), -q_[i_]);                                          \
    }                                                                                     \
} while (0)

/* Tiles of m outputs along a map side of `out` outputs. */
static long tiles_of(long out, long m) { return (out + m - 1) / m; }

/* The input tile size of F(m x m, r x r): 4 for m = 2 (r = 3), 8 for m = 4 (r = 5). */
static long tile_input(long m) { return m == 4 ? 8 : 4; }

long ib_winograd_input_scratch(long m, long height, long width, long pad, long channels) {
    long halo = tile_input(m) - m;
    long th = tiles_of(height + 2 * pad - halo, m), tw = tiles_of(width + 2 * pad - halo, m);
    return (m * th + halo) * (m * tw + halo) * channels;
}

long ib_winograd_output_scratch(long m, long out_height, long out_width, long filters) {
    return m * tiles_of(out_height, m) * m * tiles_of(out_width, m) * filters;
}

/* Zeroes what the rows of an h x w map never overwrite in a (hp, wp, cr) scratch: the
 * border of `pad` and whatever lies past the map (the input's padding, or an odd output
 * gradient's missing row and column with pad 0). */
static void zero_border(float *scratch, long hp, long wp, long cr, long h, long w, long pad) {
    size_t row = (size_t)(wp * cr) * sizeof(float);
    for (long y = 0; y < hp; y++) {
        float *r = scratch + y * wp * cr;
        if (y < pad || y >= pad + h) { memset(r, 0, row); continue; }
        memset(r, 0, (size_t)(pad * cr) * sizeof(float));
        memset(r + (pad + w) * cr, 0, (size_t)((wp - pad - w) * cr) * sizeof(float));
    }
}

/* One body per (tile size, instruction set): winograd_isas.h includes winograd_body.h for
 * each instruction set with the tile size's macros below. */
#define WG_KIND f23
#define WG_M 2
#define WG_A 4
#define WG_IN WG_INPUT_TILE
#define WG_OUT WG_OUTPUT_TILE
#define WG_GRAD WG_GRADIENT_TILE
#include "winograd_isas.h"

#define WG_KIND f45
#define WG_M 4
#define WG_A 8
#define WG_IN WG45_INPUT_TILE
#define WG_OUT WG45_OUTPUT_TILE
#define WG_GRAD WG45_GRADIENT_TILE
#define WG_INGRAD WG45_INPUT_GRADIENT_TILE
#include "winograd_isas.h"

/* fn's copy for the GEMM's instruction-set path. */
#define WG_ISA(fn, ...) do {                                                             \
    switch (ib_gemm_isa()) {                                                              \
    case IB_GEMM_AVX512: fn##_avx512(__VA_ARGS__); break;                                 \
    case IB_GEMM_AVX2: fn##_avx2(__VA_ARGS__); break;                                     \
    default: fn##_baseline(__VA_ARGS__); break;                                           \
    }                                                                                     \
} while (0)

/* fn's copy for tile size m (4: F(4x4,5x5), otherwise F(2x2,3x3)) and the path. */
#define WG_DISPATCH(m, fn, ...) do {                                                     \
    if (m == 4) WG_ISA(fn##_f45, __VA_ARGS__); else WG_ISA(fn##_f23, __VA_ARGS__);        \
} while (0)

void ib_winograd_input(long m, long images, long channels, long height, long width,
                       long pad, long c0, long c1, const float *x, float *scratch,
                       float *vt) {
    WG_DISPATCH(m, wg_input, images, channels, height, width, pad, c0, c1, x, scratch, vt);
}

void ib_winograd_output(long m, long images, long filters, long out_height, long out_width,
                        const float *mt, const float *bias, float *scratch, float *y) {
    WG_DISPATCH(m, wg_output, images, filters, out_height, out_width, mt, bias, scratch, y);
}

void ib_winograd_input_gradient(long images, long channels, long height, long width,
                                long pad, const float *dvt, float *scratch, float *dx) {
    WG_ISA(wg_input_gradient_f45, images, channels, height, width, pad, dvt, scratch, dx);
}

void ib_winograd_output_gradient(long m, long images, long filters, long out_height,
                                 long out_width, long f0, long f1, const float *dy,
                                 float *scratch, float *zt) {
    WG_DISPATCH(m, wg_gradient, images, filters, out_height, out_width, f0, f1, dy, scratch,
                zt);
}
