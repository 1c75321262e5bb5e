/* One instruction set's channel-minor transforms of one Winograd F(m x m, r x r), included
 * by winograd_isas.h with WG_NAME (the functions' suffix), WG_ATTR (its target attribute)
 * and WG_V (its vector type), for the tile size winograd.c defined: WG_M and WG_A (output
 * and input tile sizes, m and m + r - 1) and the tile macros WG_IN, WG_OUT, WG_GRAD and,
 * for F(4x4,5x5), WG_INGRAD; channels past the last full vector go one at a time through
 * the same macros. */
#define WG_CAT2(a, b) a##_##b
#define WG_CAT(a, b) WG_CAT2(a, b)
#define WG_FN(name) WG_CAT(name, WG_NAME)
#define WG_W ((long)(sizeof(WG_V) / sizeof(float)))
#define WG_LOADV(p) ({ WG_V v_; memcpy(&v_, (p), sizeof v_); v_; })
#define WG_STOREV(p, x) do { WG_V s_ = (x); memcpy((p), &s_, sizeof s_); } while (0)

WG_ATTR static void WG_FN(wg_input)(long images, long channels, long h, long w, long pad,
                                    long c0, long c1, const float *x, float *scratch,
                                    float *vt) {
    long th = tiles_of(h + 2 * pad - (WG_A - WG_M), WG_M);
    long tw = tiles_of(w + 2 * pad - (WG_A - WG_M), WG_M);
    long hp = WG_M * th + WG_A - WG_M, wp = WG_M * tw + WG_A - WG_M;
    long cr = c1 - c0, tiles = th * tw;
    long rs = wp * cr, os = images * tiles * channels;
    zero_border(scratch, hp, wp, cr, h, w, pad);
    for (long image = 0; image < images; image++) {
        const float *src = x + (image * channels + c0) * h * w;
        for (long y = 0; y < h; y++)
            ib_transpose(cr, w, src + y * w, h * w, scratch + ((y + pad) * wp + pad) * cr, cr);
        for (long ty = 0; ty < th; ty++) {
            for (long tx = 0; tx < tw; tx++) {
                const float *base = scratch + (WG_M * ty * wp + WG_M * tx) * cr;
                float *out = vt + (image * tiles + ty * tw + tx) * channels + c0;
                long c = 0;
                for (; c + WG_W <= cr; c += WG_W)
                    WG_IN(WG_V, WG_LOADV, WG_STOREV, base + c, rs, cr, out + c, os);
                for (; c < cr; c++)
                    WG_IN(float, WG_LOADS, WG_STORES, base + c, rs, cr, out + c, os);
            }
        }
    }
}

WG_ATTR static void WG_FN(wg_output)(long images, long filters, long oh, long ow,
                                     const float *mt, const float *bias, float *scratch,
                                     float *y) {
    long th = tiles_of(oh, WG_M), tw = tiles_of(ow, WG_M), tiles = th * tw;
    long is = images * tiles * filters, sw = WG_M * tw, rs = sw * filters;
    WG_V zero;
    memset(&zero, 0, sizeof zero);
    for (long image = 0; image < images; image++) {
        for (long ty = 0; ty < th; ty++) {
            for (long tx = 0; tx < tw; tx++) {
                const float *in = mt + (image * tiles + ty * tw + tx) * filters;
                float *out = scratch + (WG_M * ty * sw + WG_M * tx) * filters;
                long f = 0;
                for (; f + WG_W <= filters; f += WG_W) {
                    WG_V bv = bias ? WG_LOADV(bias + f) : zero;
                    WG_OUT(WG_V, WG_LOADV, WG_STOREV, in + f, is, bv, out + f, rs, filters);
                }
                for (; f < filters; f++) {
                    float bv = bias ? bias[f] : 0.0f;
                    WG_OUT(float, WG_LOADS, WG_STORES, in + f, is, bv, out + f, rs, filters);
                }
            }
        }
        /* Back to (F, OH, OW): the rows and columns of tiles past the map are left behind. */
        float *dst = y + image * filters * oh * ow;
        if (sw == ow) {
            ib_transpose(oh * ow, filters, scratch, filters, dst, oh * ow);
        } else {
            for (long r = 0; r < oh; r++)
                ib_transpose(ow, filters, scratch + r * rs, filters, dst + r * ow, oh * ow);
        }
    }
}

WG_ATTR static void WG_FN(wg_gradient)(long images, long filters, long oh, long ow,
                                       long f0, long f1, const float *dy, float *scratch,
                                       float *zt) {
    long th = tiles_of(oh, WG_M), tw = tiles_of(ow, WG_M), tiles = th * tw;
    long fr = f1 - f0, sw = WG_M * tw, rs = sw * fr, os = images * tiles * filters;
    /* Rows and columns past the output (sizes not a multiple of m) stay zero: no gradient
     * there. The rest is overwritten by every image. */
    zero_border(scratch, WG_M * th, sw, fr, oh, ow, 0);
    for (long image = 0; image < images; image++) {
        const float *src = dy + (image * filters + f0) * oh * ow;
        if (sw == ow) {
            ib_transpose(fr, oh * ow, src, oh * ow, scratch, fr);
        } else {
            for (long r = 0; r < oh; r++)
                ib_transpose(fr, ow, src + r * ow, oh * ow, scratch + r * rs, fr);
        }
        for (long ty = 0; ty < th; ty++) {
            for (long tx = 0; tx < tw; tx++) {
                const float *in = scratch + (WG_M * ty * sw + WG_M * tx) * fr;
                float *out = zt + (image * tiles + ty * tw + tx) * filters + f0;
                long f = 0;
                for (; f + WG_W <= fr; f += WG_W)
                    WG_GRAD(WG_V, WG_LOADV, WG_STOREV, in + f, rs, fr, out + f, os);
                for (; f < fr; f++)
                    WG_GRAD(float, WG_LOADS, WG_STORES, in + f, rs, fr, out + f, os);
            }
        }
    }
}

#ifdef WG_INGRAD
/* The adjoint of wg_input: dX = the sum over tiles of B dV B^T, placed where each tile's
 * inputs came from (tiles overlap by a - m rows and columns, added in tile order), the
 * padding dropped. */
WG_ATTR static void WG_FN(wg_input_gradient)(long images, long channels, long h, long w,
                                             long pad, const float *dvt, float *scratch,
                                             float *dx) {
    long th = tiles_of(h + 2 * pad - (WG_A - WG_M), WG_M);
    long tw = tiles_of(w + 2 * pad - (WG_A - WG_M), WG_M);
    long hp = WG_M * th + WG_A - WG_M, wp = WG_M * tw + WG_A - WG_M;
    long cr = channels, tiles = th * tw, rs = wp * cr, is = images * tiles * channels;
    for (long image = 0; image < images; image++) {
        memset(scratch, 0, (size_t)(hp * wp * cr) * sizeof(float));
        for (long ty = 0; ty < th; ty++) {
            for (long tx = 0; tx < tw; tx++) {
                const float *in = dvt + (image * tiles + ty * tw + tx) * channels;
                float *base = scratch + (WG_M * ty * wp + WG_M * tx) * cr;
                long c = 0;
                for (; c + WG_W <= cr; c += WG_W)
                    WG_INGRAD(WG_V, WG_LOADV, WG_STOREV, in + c, is, base + c, rs, cr);
                for (; c < cr; c++)
                    WG_INGRAD(float, WG_LOADS, WG_STORES, in + c, is, base + c, rs, cr);
            }
        }
        float *dst = dx + image * channels * h * w;
        for (long y = 0; y < h; y++)
            ib_transpose(w, cr, scratch + ((y + pad) * wp + pad) * cr, cr, dst + y * w, h * w);
    }
}
#endif

#undef WG_NAME
#undef WG_ATTR
#undef WG_V
#undef WG_FN
#undef WG_CAT
#undef WG_CAT2
#undef WG_W
#undef WG_LOADV
#undef WG_STOREV
