/// Winograd F(2x2, 3x3) convolution (Lavin & Gray, 2016) for 3x3 stride-1 layers.
///
/// Each 2x2 output tile comes from a 4x4 input tile with 16 multiplies per (filter,
/// channel) pair instead of 36: the input tile is transformed (V = B^T d B), the 3x3
/// filter is transformed once per step (U = G g G^T), the 16 elementwise products summed
/// over channels become 16 GEMMs (F x C) * (C x tiles), and the result is transformed back
/// (Y = A^T M A). All-CNN and ResNet spend most of their time in such layers; this cuts
/// their multiplications 2.25-fold. In fp32 the transforms add rounding of order 1e-7
/// relative, far below the noise of SGD.
///
/// Layouts: images (N, C, H, W); transformed weights 16 x (F, C); transformed input
/// 16 x (C, P) and products 16 x (F, P) with P = images * tiles per image.
public struct WinogradShape: Sendable, Equatable {
    public let channels: Int
    public let filters: Int
    public let height: Int
    public let width: Int
    public let pad: Int

    public init(channels: Int, filters: Int, height: Int, width: Int, pad: Int) {
        precondition(pad >= 0 && pad <= 2 && height + 2 * pad >= 3 && width + 2 * pad >= 3,
                     "Winograd F(2x2,3x3): pad must be 0...2 and the padded input at least 3x3")
        self.channels = channels; self.filters = filters
        self.height = height; self.width = width; self.pad = pad
    }

    public var outHeight: Int { height + 2 * pad - 2 }
    public var outWidth: Int { width + 2 * pad - 2 }
    public var tilesHigh: Int { (outHeight + 1) / 2 }
    public var tilesWide: Int { (outWidth + 1) / 2 }
    public var tilesPerImage: Int { tilesHigh * tilesWide }
}

/// U = G g G^T for every (filter, channel) pair, written as 16 matrices (F, C).
///
/// With `adjoint`, transforms the filters of the input-gradient convolution instead:
/// filter c, channel f is g[f][c] rotated by 180 degrees, so that a Winograd convolution
/// of the output gradient with pad 2 - p gives the input gradient of a pad-p layer.
/// Then the matrices are (C, F): `filters` and `channels` name the forward layer's.
public func winogradTransformFilters(_ weights: UnsafePointer<Float>, filters: Int,
                                     channels: Int, adjoint: Bool,
                                     into u: UnsafeMutablePointer<Float>) {
    let rows = adjoint ? channels : filters, cols = adjoint ? filters : channels
    let plane = rows * cols
    // Filter by filter, so any split across workers gives the same bits.
    let pieces = Parallel.pieces(forElements: 16 * filters * channels)
    Parallel.forEachRange(filters, pieces: pieces) { range in
        for f in range {
            for c in 0..<channels {
                let g = weights + (f * channels + c) * 9
                var k = SIMD16<Float>()
                for i in 0..<9 { k[i] = adjoint ? g[8 - i] : g[i] }
                // t = G g (4x3), then U = t G^T (4x4).
                var t = SIMD16<Float>()
                for j in 0..<3 {
                    let g0 = k[j], g1 = k[3 + j], g2 = k[6 + j]
                    t[j] = g0
                    t[3 + j] = 0.5 * (g0 + g1 + g2)
                    t[6 + j] = 0.5 * (g0 - g1 + g2)
                    t[9 + j] = g2
                }
                let at = adjoint ? (c * cols + f) : (f * cols + c)
                for i in 0..<4 {
                    let r0 = t[3 * i], r1 = t[3 * i + 1], r2 = t[3 * i + 2]
                    u[(4 * i + 0) * plane + at] = r0
                    u[(4 * i + 1) * plane + at] = 0.5 * (r0 + r1 + r2)
                    u[(4 * i + 2) * plane + at] = 0.5 * (r0 - r1 + r2)
                    u[(4 * i + 3) * plane + at] = r2
                }
            }
        }
    }
}

/// Floats of scratch `winogradTransformInput` needs: one zero-padded input plane, wide
/// enough that eight tiles can always be read at once.
public func winogradPaddedPlaneSize(_ s: WinogradShape) -> Int {
    let (ph, pw) = paddedPlane(s)
    return ph * pw
}

@inline(__always)
func paddedPlane(_ s: WinogradShape) -> (height: Int, width: Int) {
    let groups = (s.tilesWide + 7) / 8
    return (2 * s.tilesHigh + 2, max(s.width + 2 * s.pad, 16 * groups + 2) + 16)
}

/// V = B^T d B for every channel and tile of `images` images, as 16 matrices (C, P) with
/// P = images * tiles; tiles reaching past the (padded) input read zeros.
///
/// Eight horizontally adjacent tiles at a time, one per SIMD lane: their 4x4 inputs are
/// the even and odd elements of two 16-float loads per row. Each plane is first copied
/// into a zero-bordered scratch plane (`scratch`, `winogradPaddedPlaneSize` floats) so
/// that no load needs a bounds check. `channels` limits the pass to those channels' rows
/// of V (each computed alike), so that workers can share one chunk.
public func winogradTransformInput(_ input: UnsafePointer<Float>, images: Int,
                                   _ s: WinogradShape, scratch: UnsafeMutablePointer<Float>,
                                   into v: UnsafeMutablePointer<Float>,
                                   channels: Range<Int>? = nil) {
    let tiles = s.tilesPerImage, p = images * tiles
    let plane = s.channels * p
    let h = s.height, w = s.width
    let (ph, pw) = paddedPlane(s)
    scratch.update(repeating: 0, count: ph * pw)
    for image in 0..<images {
        for c in channels ?? 0..<s.channels {
            let src = input + (image * s.channels + c) * h * w
            for y in 0..<min(h, ph - s.pad) {
                copyShort(src + y * w, scratch + (y + s.pad) * pw + s.pad, count: w)
            }
            let row = c * p + image * tiles
            for ty in 0..<s.tilesHigh {
                let top = scratch + 2 * ty * pw
                var tx = 0
                while tx < s.tilesWide {
                    // d[i][j] for the eight tiles tx..tx+7, lane k = tile tx+k.
                    @inline(__always)
                    func rowValues(_ i: Int)
                        -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
                        let r = top + i * pw + 2 * tx
                        let a = UnsafeRawPointer(r).loadUnaligned(as: SIMD16<Float>.self)
                        let b = UnsafeRawPointer(r + 2).loadUnaligned(as: SIMD16<Float>.self)
                        return (a.evenHalf, a.oddHalf, b.evenHalf, b.oddHalf)
                    }
                    let (d00, d01, d02, d03) = rowValues(0)
                    let (d10, d11, d12, d13) = rowValues(1)
                    let (d20, d21, d22, d23) = rowValues(2)
                    let (d30, d31, d32, d33) = rowValues(3)
                    // Columns: t = B^T d.
                    let t00 = d00 - d20, t01 = d01 - d21, t02 = d02 - d22, t03 = d03 - d23
                    let t10 = d10 + d20, t11 = d11 + d21, t12 = d12 + d22, t13 = d13 + d23
                    let t20 = d20 - d10, t21 = d21 - d11, t22 = d22 - d12, t23 = d23 - d13
                    let t30 = d10 - d30, t31 = d11 - d31, t32 = d12 - d32, t33 = d13 - d33
                    // Rows: V = t B, stored lane k to column (tile) tx+k of matrix xi.
                    let at = row + ty * s.tilesWide + tx
                    let lanes = min(8, s.tilesWide - tx)
                    @inline(__always)
                    func put(_ xi: Int, _ value: SIMD8<Float>) {
                        storeLanes(value, v + xi * plane + at, lanes: lanes)
                    }
                    put(0, t00 - t02); put(1, t01 + t02); put(2, t02 - t01); put(3, t01 - t03)
                    put(4, t10 - t12); put(5, t11 + t12); put(6, t12 - t11); put(7, t11 - t13)
                    put(8, t20 - t22); put(9, t21 + t22); put(10, t22 - t21); put(11, t21 - t23)
                    put(12, t30 - t32); put(13, t31 + t32); put(14, t32 - t31); put(15, t31 - t33)
                    tx += 8
                }
            }
        }
    }
}

/// Stores the first `lanes` lanes of `value` (one per tile) at `destination`: all eight
/// at once unless the row of tiles ends inside this group of eight.
@inline(__always)
func storeLanes(_ value: SIMD8<Float>, _ destination: UnsafeMutablePointer<Float>,
                lanes: Int) {
    if lanes == 8 {
        UnsafeMutableRawPointer(destination).storeBytes(of: value, as: SIMD8<Float>.self)
    } else {
        for k in 0..<lanes { destination[k] = value[k] }
    }
}

/// The 16 GEMMs: M[xi] (F, P) = U[xi] (F, C) * V[xi] (C, P).
public func winogradMultiply(_ u: UnsafePointer<Float>, _ v: UnsafePointer<Float>,
                             filters: Int, channels: Int, columns p: Int,
                             into m: UnsafeMutablePointer<Float>) {
    for xi in 0..<16 {
        BLAS.sgemm(transA: false, transB: false, m: filters, n: p, k: channels, alpha: 1,
                   a: u + xi * filters * channels, lda: channels,
                   b: v + xi * channels * p, ldb: p,
                   beta: 0, c: m + xi * filters * p, ldc: p)
    }
}

/// Y = A^T M A for every filter and tile, plus the bias, into the (N, F, OH, OW) output;
/// the second row or column of a tile past the output's edge is dropped. Eight tiles of a
/// row at a time, as in the input transform; their 2x8 outputs are interleaved into two
/// 16-float output rows.
public func winogradTransformOutput(_ m: UnsafePointer<Float>, images: Int,
                                    _ s: WinogradShape, bias: UnsafePointer<Float>?,
                                    into output: UnsafeMutablePointer<Float>) {
    let tiles = s.tilesPerImage, p = images * tiles
    let plane = s.filters * p
    let oh = s.outHeight, ow = s.outWidth
    for image in 0..<images {
        for f in 0..<s.filters {
            let dst = output + (image * s.filters + f) * oh * ow
            let b = SIMD8<Float>(repeating: bias?[f] ?? 0)
            let row = f * p + image * tiles
            for ty in 0..<s.tilesHigh {
                var tx = 0
                while tx < s.tilesWide {
                    let at = row + ty * s.tilesWide + tx
                    let lanes = min(8, s.tilesWide - tx)
                    @inline(__always)
                    func q(_ xi: Int) -> SIMD8<Float> {
                        let src = m + xi * plane + at
                        if lanes == 8 {
                            return UnsafeRawPointer(src).loadUnaligned(as: SIMD8<Float>.self)
                        }
                        var x = SIMD8<Float>()
                        for k in 0..<lanes { x[k] = src[k] }
                        return x
                    }
                    // Columns: r = A^T q (2x4).
                    let q0 = q(0), q1 = q(1), q2 = q(2), q3 = q(3)
                    let q4 = q(4), q5 = q(5), q6 = q(6), q7 = q(7)
                    let q8 = q(8), q9 = q(9), q10 = q(10), q11 = q(11)
                    let q12 = q(12), q13 = q(13), q14 = q(14), q15 = q(15)
                    let r00 = q0 + q4 + q8, r01 = q1 + q5 + q9
                    let r02 = q2 + q6 + q10, r03 = q3 + q7 + q11
                    let r10 = q4 - q8 - q12, r11 = q5 - q9 - q13
                    let r12 = q6 - q10 - q14, r13 = q7 - q11 - q15
                    // Rows: Y = r A.
                    let y00 = r00 + r01 + r02 + b, y01 = r01 - r02 - r03 + b
                    let y10 = r10 + r11 + r12 + b, y11 = r11 - r12 - r13 + b
                    let oy = 2 * ty, ox = 2 * tx
                    let width = min(16, ow - ox)   // output columns these tiles cover
                    @inline(__always)
                    func write(_ even: SIMD8<Float>, _ odd: SIMD8<Float>,
                               _ d: UnsafeMutablePointer<Float>) {
                        var z = SIMD16<Float>()
                        z.evenHalf = even
                        z.oddHalf = odd
                        if width == 16 {
                            UnsafeMutableRawPointer(d).storeBytes(of: z, as: SIMD16<Float>.self)
                        } else {
                            for k in 0..<width { d[k] = z[k] }
                        }
                    }
                    write(y00, y01, dst + oy * ow + ox)
                    if oy + 1 < oh { write(y10, y11, dst + (oy + 1) * ow + ox) }
                    tx += 8
                }
            }
        }
    }
}

// MARK: - Weight gradient

/// Z = A dY A^T for every filter and tile of `images` images' output gradients, as 16
/// matrices (F, P): the gradient of the loss with respect to the 16 products M that
/// `winogradTransformOutput` turned into the tile's 2x2 outputs. Tile rows or columns
/// past the output's edge count as zero gradient. Eight tiles of a row at a time; each
/// plane is copied into a zero-bordered scratch plane (`winogradPaddedPlaneSize(s)`
/// floats) first, so that no load needs a bounds check. `filters` limits the pass to
/// those filters' rows of Z, as `channels` does in `winogradTransformInput`.
public func winogradTransformOutputGradient(_ gradient: UnsafePointer<Float>, images: Int,
                                            _ s: WinogradShape,
                                            scratch: UnsafeMutablePointer<Float>,
                                            into z: UnsafeMutablePointer<Float>,
                                            filters: Range<Int>? = nil) {
    let tiles = s.tilesPerImage, p = images * tiles
    let plane = s.filters * p
    let oh = s.outHeight, ow = s.outWidth
    let (ph, pw) = paddedPlane(s)
    scratch.update(repeating: 0, count: ph * pw)
    for image in 0..<images {
        for f in filters ?? 0..<s.filters {
            let src = gradient + (image * s.filters + f) * oh * ow
            for y in 0..<oh { copyShort(src + y * ow, scratch + y * pw, count: ow) }
            let row = f * p + image * tiles
            for ty in 0..<s.tilesHigh {
                let top = scratch + 2 * ty * pw
                var tx = 0
                while tx < s.tilesWide {
                    let upper = UnsafeRawPointer(top + 2 * tx).loadUnaligned(as: SIMD16<Float>.self)
                    let lower = UnsafeRawPointer(top + pw + 2 * tx)
                        .loadUnaligned(as: SIMD16<Float>.self)
                    let a = upper.evenHalf, b = upper.oddHalf
                    let c = lower.evenHalf, d = lower.oddHalf
                    // Rows: A dY (4x2), then columns: (A dY) A^T (4x4).
                    let p0 = a, q0 = b
                    let p1 = a + c, q1 = b + d
                    let p2 = a - c, q2 = b - d
                    let p3 = -c, q3 = -d
                    let at = row + ty * s.tilesWide + tx
                    let lanes = min(8, s.tilesWide - tx)
                    @inline(__always)
                    func put(_ xi: Int, _ value: SIMD8<Float>) {
                        storeLanes(value, z + xi * plane + at, lanes: lanes)
                    }
                    put(0, p0); put(1, p0 + q0); put(2, p0 - q0); put(3, -q0)
                    put(4, p1); put(5, p1 + q1); put(6, p1 - q1); put(7, -q1)
                    put(8, p2); put(9, p2 + q2); put(10, p2 - q2); put(11, -q2)
                    put(12, p3); put(13, p3 + q3); put(14, p3 - q3); put(15, -q3)
                    tx += 8
                }
            }
        }
    }
}

/// The 16 GEMMs of the weight gradient: dU[xi] (F, C) (+)= Z[xi] (F, P) * V[xi]^T (P, C),
/// overwriting `du` when `accumulate` is false.
///
/// With `spread`, the 16 GEMMs are dealt to `Parallel`'s workers (each is computed alike on
/// any worker): for a batch that is one chunk, the only parallelism there is.
public func winogradMultiplyGradient(_ z: UnsafePointer<Float>, _ v: UnsafePointer<Float>,
                                     filters: Int, channels: Int, columns p: Int,
                                     accumulate: Bool, spread: Bool = false,
                                     into du: UnsafeMutablePointer<Float>) {
    Parallel.forEach(spread ? 16 : 1) { piece, _ in
        for xi in (spread ? piece..<(piece + 1) : 0..<16) {
                BLAS.sgemm(transA: false, transB: true, m: filters, n: channels, k: p, alpha: 1,
                       a: z + xi * filters * p, lda: p, b: v + xi * channels * p, ldb: p,
                       beta: accumulate ? 1 : 0, c: du + xi * filters * channels,
                       ldc: channels)
        }
    }
}

/// dg = G^T dU G for every (filter, channel) pair: the 3x3 weight gradient (F, C, 3, 3)
/// from the 16 matrices (F, C) of `winogradMultiplyGradient`, overwriting `weightGradient`.
public func winogradTransformFilterGradient(_ du: UnsafePointer<Float>, filters: Int,
                                            channels: Int,
                                            into weightGradient: UnsafeMutablePointer<Float>) {
    let plane = filters * channels
    // Pair by pair, so any split across workers gives the same bits.
    Parallel.forEachRange(plane, pieces: Parallel.pieces(forElements: 16 * plane)) { range in
        for at in range {
            @inline(__always) func d(_ i: Int, _ j: Int) -> Float { du[(4 * i + j) * plane + at] }
            let out = weightGradient + at * 9
            // s = G^T dU (3x4), then dg = s G (3x3).
            var s0 = SIMD4<Float>(), s1 = SIMD4<Float>(), s2 = SIMD4<Float>()
            for j in 0..<4 {
                let u0 = d(0, j), u1 = d(1, j), u2 = d(2, j), u3 = d(3, j)
                s0[j] = u0 + 0.5 * (u1 + u2)
                s1[j] = 0.5 * (u1 - u2)
                s2[j] = 0.5 * (u1 + u2) + u3
            }
            @inline(__always) func put(_ k: Int, _ r: SIMD4<Float>) {
                out[3 * k] = r[0] + 0.5 * (r[1] + r[2])
                out[3 * k + 1] = 0.5 * (r[1] - r[2])
                out[3 * k + 2] = 0.5 * (r[1] + r[2]) + r[3]
            }
            put(0, s0); put(1, s1); put(2, s2)
        }
    }
}
