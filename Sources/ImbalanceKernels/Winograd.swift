import CGEMM

/// Winograd F(2x2, 3x3) convolution (Lavin & Gray, 2016) for 3x3 stride-1 layers.
///
/// Each 2x2 output tile comes from a 4x4 input tile with 16 multiplies per (filter,
/// channel) pair instead of 36: the input tile is transformed (V = B^T d B), the 3x3
/// filter is transformed once per step (U = G g G^T), the 16 elementwise products summed
/// over channels become 16 GEMMs (tiles x C) * (C x F), and the result is transformed back
/// (Y = A^T M A). All-CNN and ResNet spend most of their time in such layers; this cuts
/// their multiplications 2.25-fold. In fp32 the transforms add rounding of order 1e-7
/// relative, far below the noise of SGD.
///
/// Layouts: images (N, C, H, W); transformed weights 16 x (C, F); transformed input
/// 16 x (P, C) and products 16 x (P, F) with P = images * tiles per image: channel-minor,
/// so that the tile transforms (CGEMM's winograd.c) put one channel in each SIMD lane and
/// fill every lane on any map size. Each GEMM element is the same chain over channels (or
/// tiles) as in the channel-major layout, so the layout changes no bit.
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

/// U = G g G^T for every (filter, channel) pair, written as 16 matrices (C, F).
///
/// With `adjoint`, transforms the filters of the input-gradient convolution instead:
/// filter c, channel f is g[f][c] rotated by 180 degrees, so that a Winograd convolution
/// of the output gradient with pad 2 - p gives the input gradient of a pad-p layer.
/// Then the matrices are (F, C): `filters` and `channels` name the forward layer's.
public func winogradTransformFilters(_ weights: UnsafePointer<Float>, filters: Int,
                                     channels: Int, adjoint: Bool,
                                     into u: UnsafeMutablePointer<Float>) {
    let plane = filters * channels
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
                let at = adjoint ? (f * channels + c) : (c * filters + f)
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

/// Floats of scratch `winogradTransformInput` needs (a zero-bordered channel-minor plane
/// of all the channels).
public func winogradInputScratchSize(_ s: WinogradShape) -> Int {
    ib_winograd_input_scratch(s.height, s.width, s.pad, s.channels)
}

/// Floats of scratch `winogradTransformOutput` and `winogradTransformOutputGradient` need.
public func winogradOutputScratchSize(_ s: WinogradShape) -> Int {
    ib_winograd_output_scratch(s.outHeight, s.outWidth, s.filters)
}

/// V = B^T d B for every channel and tile of `images` images, as 16 matrices (P, C) with
/// P = images * tiles; tiles reaching past the (padded) input read zeros. `channels`
/// limits the pass to those channels' columns of V (each computed alike), so that workers
/// can share one chunk; `scratch` holds `winogradInputScratchSize(s)` floats.
public func winogradTransformInput(_ input: UnsafePointer<Float>, images: Int,
                                   _ s: WinogradShape, scratch: UnsafeMutablePointer<Float>,
                                   into v: UnsafeMutablePointer<Float>,
                                   channels: Range<Int>? = nil) {
    let range = channels ?? 0..<s.channels
    ib_winograd_input(images, s.channels, s.height, s.width, s.pad, range.lowerBound,
                      range.upperBound, input, scratch, v)
}

/// The 16 GEMMs: M[xi] (P, F) = V[xi] (P, C) * U[xi] (C, F).
public func winogradMultiply(_ u: UnsafePointer<Float>, _ v: UnsafePointer<Float>,
                             filters: Int, channels: Int, columns p: Int,
                             into m: UnsafeMutablePointer<Float>) {
    for xi in 0..<16 {
        BLAS.sgemm(transA: false, transB: false, m: p, n: filters, k: channels, alpha: 1,
                   a: v + xi * channels * p, lda: channels,
                   b: u + xi * filters * channels, ldb: filters,
                   beta: 0, c: m + xi * filters * p, ldc: filters)
    }
}

/// Y = A^T M A for every filter and tile, plus the bias, into the (N, F, OH, OW) output;
/// the second row or column of a tile past the output's edge is dropped. `scratch` holds
/// `winogradOutputScratchSize(s)` floats.
public func winogradTransformOutput(_ m: UnsafePointer<Float>, images: Int,
                                    _ s: WinogradShape, bias: UnsafePointer<Float>?,
                                    scratch: UnsafeMutablePointer<Float>,
                                    into output: UnsafeMutablePointer<Float>) {
    ib_winograd_output(images, s.filters, s.outHeight, s.outWidth, m, bias, scratch, output)
}

// MARK: - Weight gradient

/// Z = A dY A^T for every filter and tile of `images` images' output gradients, as 16
/// matrices (P, F): the gradient of the loss with respect to the 16 products M that
/// `winogradTransformOutput` turned into the tile's 2x2 outputs. Tile rows or columns
/// past the output's edge count as zero gradient. `filters` limits the pass to those
/// filters' columns of Z, as `channels` does in `winogradTransformInput`; `scratch` holds
/// `winogradOutputScratchSize(s)` floats.
public func winogradTransformOutputGradient(_ gradient: UnsafePointer<Float>, images: Int,
                                            _ s: WinogradShape,
                                            scratch: UnsafeMutablePointer<Float>,
                                            into z: UnsafeMutablePointer<Float>,
                                            filters: Range<Int>? = nil) {
    let range = filters ?? 0..<s.filters
    ib_winograd_output_gradient(images, s.filters, s.outHeight, s.outWidth,
                                range.lowerBound, range.upperBound, gradient, scratch, z)
}

/// The 16 GEMMs of the weight gradient: dU[xi] (F, C) (+)= Z[xi]^T (F, P) * V[xi] (P, C),
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
            BLAS.sgemm(transA: true, transB: false, m: filters, n: channels, k: p, alpha: 1,
                       a: z + xi * filters * p, lda: filters, b: v + xi * channels * p,
                       ldb: channels, beta: accumulate ? 1 : 0,
                       c: du + xi * filters * channels, ldc: channels)
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
