#ifndef IMBENCH_CWINOGRAD_H
#define IMBENCH_CWINOGRAD_H
/*
 * Winograd F(m x m, r x r) tile transforms (Lavin & Gray, 2016) in channel-minor layouts,
 * so that the a^2 GEMMs between them read and write (tiles, channels) matrices. `m` is 2
 * for F(2x2,3x3) (a = 4 inputs per tile side, 16 matrices) or 4 for F(4x4,5x5) (a = 8,
 * 64 matrices):
 *
 *   input   x: images (N, C, H, W)        ->  V^T: a^2 matrices (P, C), P = N * tiles
 *   output  M^T: a^2 matrices (P, F)       ->  y: (N, F, OH, OW), plus the bias
 *   output gradient dY: (N, F, OH, OW)     ->  Z^T: a^2 matrices (P, F)
 *
 * with OH = H + 2 pad - (r - 1), tiles = ceil(OH / m) * ceil(OW / m) per image, in
 * row-major tile order; tiles reaching past the (padded) input read zeros, and the rows or
 * columns of a tile past the output's edge are dropped (or, for dY, count as zero
 * gradient). Matrix xi of a transform starts at xi * P * (C or F).
 *
 * Each output is the same sequence of IEEE additions and multiplications by constants on
 * every instruction set (the path is ib_gemm_isa()'s; no contraction into FMAs), so the
 * results do not depend on the CPU. Safe to call from several threads with separate
 * scratch.
 */

/* Floats of scratch ib_winograd_input needs for `channels` channels (a zero-bordered
 * channel-minor plane). */
long ib_winograd_input_scratch(long m, long height, long width, long pad, long channels);
/* Floats of scratch ib_winograd_output and ib_winograd_output_gradient need for
 * `filters` filters of an out_height x out_width map. */
long ib_winograd_output_scratch(long m, long out_height, long out_width, long filters);

/* V^T for the channels [c0, c1) of `images` images (columns c0..c1 of every matrix; the
 * rest is not touched), so that workers can share one chunk by channels. */
void ib_winograd_input(long m, long images, long channels, long height, long width,
                       long pad, long c0, long c1, const float *x, float *scratch,
                       float *vt);

/* y = A^T M A + bias from M^T; `bias` may be NULL (then +0 is added, as with a zero
 * bias). */
void ib_winograd_output(long m, long images, long filters, long out_height, long out_width,
                        const float *mt, const float *bias, float *scratch, float *y);

/* Z^T for the filters [f0, f1) (columns f0..f1 of every matrix). */
void ib_winograd_output_gradient(long m, long images, long filters, long out_height,
                                 long out_width, long f0, long f1, const float *dy,
                                 float *scratch, float *zt);
/* F(4x4,5x5) only: dX (N, C, H, W) from dV^T, 64 matrices (P, C), the adjoint of
 * ib_winograd_input (dX = the sum over tiles of B dV B^T where each tile's inputs came
 * from, added in tile order; padding dropped). `scratch` holds ib_winograd_input_scratch
 * floats. */
void ib_winograd_input_gradient(long images, long channels, long height, long width,
                                long pad, const float *dvt, float *scratch, float *dx);
#endif
