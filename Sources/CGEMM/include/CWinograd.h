#ifndef IMBENCH_CWINOGRAD_H
#define IMBENCH_CWINOGRAD_H
/*
 * Winograd F(2x2, 3x3) tile transforms (Lavin & Gray, 2016) in channel-minor layouts, so
 * that the 16 GEMMs between them read and write (tiles, channels) matrices:
 *
 *   input   x: images (N, C, H, W)        ->  V^T: 16 matrices (P, C), P = N * tiles
 *   output  M^T: 16 matrices (P, F)        ->  y: (N, F, OH, OW), plus the bias
 *   output gradient dY: (N, F, OH, OW)     ->  Z^T: 16 matrices (P, F)
 *
 * with OH = H + 2 pad - 2, tiles = ceil(OH / 2) * ceil(OW / 2) per image, in row-major tile
 * order; tiles reaching past the (padded) input read zeros, and the second row or column of
 * a tile past the output's edge is dropped (or, for dY, counts as zero gradient). Matrix xi
 * of a transform starts at xi * P * (C or F).
 *
 * Each output is the same sequence of additions on every instruction set (the path is
 * ib_gemm_isa()'s), so the results do not depend on the CPU. Safe to call from several
 * threads with separate scratch.
 */

/* Floats of scratch ib_winograd_input needs for `channels` channels (a zero-bordered
 * channel-minor plane). */
long ib_winograd_input_scratch(long height, long width, long pad, long channels);
/* Floats of scratch ib_winograd_output and ib_winograd_output_gradient need for
 * `filters` filters of an out_height x out_width map. */
long ib_winograd_output_scratch(long out_height, long out_width, long filters);

/* V^T for the channels [c0, c1) of `images` images (columns c0..c1 of every matrix; the
 * rest is not touched), so that workers can share one chunk by channels. */
void ib_winograd_input(long images, long channels, long height, long width, long pad,
                       long c0, long c1, const float *x, float *scratch, float *vt);

/* y = A^T M A + bias from M^T; `bias` may be NULL (then +0 is added, as with a zero
 * bias). */
void ib_winograd_output(long images, long filters, long out_height, long out_width,
                        const float *mt, const float *bias, float *scratch, float *y);

/* Z^T for the filters [f0, f1) (columns f0..f1 of every matrix). */
void ib_winograd_output_gradient(long images, long filters, long out_height, long out_width,
                                 long f0, long f1, const float *dy, float *scratch,
                                 float *zt);
#endif
