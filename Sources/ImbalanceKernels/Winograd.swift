import CGEMM

/// Winograd convolution (Lavin & Gray, 2016) for stride-1 layers: F(2x2, 3x3) for 3x3
/// kernels, F(4x4, 5x5) for 5x5 ones.
///
/// F(2x2,3x3): each 2x2 output tile comes from a 4x4 input tile with 16 multiplies per
/// (filter, channel) pair instead of 36: the input tile is transformed (V = B^T d B), the
/// 3x3 filter is transformed once per step (U = G g G^T), the 16 elementwise products
/// summed over channels become 16 GEMMs (tiles x C) * (C x F), and the result is
/// transformed back (Y = A^T M A). All-CNN and ResNet spend most of their time in such
/// layers; this cuts their multiplications 2.25-fold. In fp32 the transforms add rounding of
/// order 1e-7 relative, far below the noise of SGD.
///
/// F(4x4,5x5): 4x4 outputs from 8x8 input tiles, 64 GEMMs, 6.25 times fewer multiplies than
/// the direct method's 400 per tile (LeNet-5's conv2); the points 0, +-1, +-2, +-1/2 and
/// infinity (`scripts/make_winograd_tiles.py`) put its fp32 rounding at a few 1e-6 relative.
///
/// Layouts: images (N, C, H, W); transformed weights a^2 x (C, F) (`elements` matrices, a
/// the input tile's side); transformed input a^2 x (P, C) and products a^2 x (P, F) with
/// P = images * tiles per image: channel-minor, so that the tile transforms (CGEMM's
/// winograd.c) put one channel in each SIMD lane and fill every lane on any map size. Each
/// GEMM element is the same chain over channels (or tiles) as in the channel-major layout,
/// so the layout changes no bit.
public struct WinogradShape: Sendable, Equatable {
    public let channels: Int
    public let filters: Int
    public let height: Int
    public let width: Int
    public let pad: Int
    /// 3 (F(2x2,3x3)) or 5 (F(4x4,5x5)).
    public let kernel: Int

    public init(channels: Int, filters: Int, height: Int, width: Int, pad: Int,
                kernel: Int = 3) {
        precondition(kernel == 3 || kernel == 5, "Winograd: kernels of 3 or 5 only")
        precondition(pad >= 0 && pad < kernel && height + 2 * pad >= kernel
                        && width + 2 * pad >= kernel,
                     "Winograd \(kernel)x\(kernel): pad must be 0...\(kernel - 1) and the "
                        + "padded input at least \(kernel)x\(kernel)")
        self.channels = channels; self.filters = filters
        self.height = height; self.width = width; self.pad = pad; self.kernel = kernel
    }

    /// Outputs per tile side (m of F(m x m, r x r)): 2 or 4.
    public var tile: Int { kernel - 1 }
    /// The matrices a transform writes: (m + r - 1)^2, 16 or 64.
    public var elements: Int { winogradElements(kernel: kernel) }
    public var outHeight: Int { height + 2 * pad - (kernel - 1) }
    public var outWidth: Int { width + 2 * pad - (kernel - 1) }
    public var tilesHigh: Int { (outHeight + tile - 1) / tile }
    public var tilesWide: Int { (outWidth + tile - 1) / tile }
    public var tilesPerImage: Int { tilesHigh * tilesWide }
}

/// The matrices of a Winograd transform for a `kernel` x `kernel` filter: 16 for 3x3
/// (4x4 tiles), 64 for 5x5 (8x8 tiles).
public func winogradElements(kernel: Int) -> Int {
    let side = 2 * (kernel - 1)
    return side * side
}

/// The columns of G of F(4x4,5x5) (8 x 5), the matrix `scripts/make_winograd_tiles.py`
/// derives and prints in Sources/CGEMM/winograd_f45_tiles.h; each entry the Float nearest
/// the fraction. Column l holds the eight tile rows' weights of filter tap l.
private let g45Columns: [SIMD8<Float>] = {
    let rows: [[(Float, Float)]] = [
        [(1, 1), (0, 1), (0, 1), (0, 1), (0, 1)],
        [(-2, 9), (-2, 9), (-2, 9), (-2, 9), (-2, 9)],
        [(2, 9), (-2, 9), (2, 9), (-2, 9), (2, 9)],
        [(1, 90), (1, 45), (2, 45), (4, 45), (8, 45)],
        [(-1, 90), (1, 45), (-2, 45), (4, 45), (-8, 45)],
        [(32, 45), (16, 45), (8, 45), (4, 45), (2, 45)],
        [(-32, 45), (16, 45), (-8, 45), (4, 45), (-2, 45)],
        [(0, 1), (0, 1), (0, 1), (0, 1), (-1, 1)],
    ]
    return (0..<5).map { l in SIMD8<Float>((0..<8).map { rows[$0][l].0 / rows[$0][l].1 }) }
}()

/// U = G g G^T for every (filter, channel) pair, written as `winogradElements(kernel:)`
/// matrices (C, F).
///
/// With `adjoint`, transforms the filters of the input-gradient convolution instead:
/// filter c, channel f is g[f][c] rotated by 180 degrees, so that a Winograd convolution
/// of the output gradient with pad (kernel - 1) - p gives the input gradient of a pad-p
/// layer. Then the matrices are (F, C): `filters` and `channels` name the forward layer's.
public func winogradTransformFilters(_ weights: UnsafePointer<Float>, filters: Int,
                                     channels: Int, kernel: Int, adjoint: Bool,
                                     into u: UnsafeMutablePointer<Float>) {
    if kernel == 5 {
        return transformFilters45(weights, filters: filters, channels: channels,
                                  adjoint: adjoint, into: u)
    }
    precondition(kernel == 3, "Winograd: kernels of 3 or 5 only")
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

/// U = G g G^T of F(4x4,5x5): t = G g (8 x 5, a column of eight per tap column), then
/// U = t G^T (8 x 8, a row of eight per tile row), each element a sum over the five taps in
/// order; pair by pair, so any split across workers gives the same bits.
private func transformFilters45(_ weights: UnsafePointer<Float>, filters: Int, channels: Int,
                                adjoint: Bool, into u: UnsafeMutablePointer<Float>) {
    let plane = filters * channels, g = g45Columns
    Parallel.forEachRange(filters, pieces: Parallel.pieces(forElements: 64 * plane)) { range in
        for f in range {
            for c in 0..<channels {
                let w = weights + (f * channels + c) * 25
                @inline(__always) func k(_ i: Int) -> Float { adjoint ? w[24 - i] : w[i] }
                // t[j] = column j of G g: sum over taps l of G[:, l] * g[l][j].
                var t = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(),
                         SIMD8<Float>())
                withUnsafeMutableBytes(of: &t) { raw in
                    let t = raw.baseAddress!.assumingMemoryBound(to: SIMD8<Float>.self)
                    for j in 0..<5 {
                        var sum = g[0] * k(j)
                        for l in 1..<5 { sum += g[l] * k(5 * l + j) }
                        t[j] = sum
                    }
                    // Row i of U = sum over taps l of t[l][i] * G[:, l]^T.
                    let at = adjoint ? (f * channels + c) : (c * filters + f)
                    for i in 0..<8 {
                        var row = g[0] * t[0][i]
                        for l in 1..<5 { row += g[l] * t[l][i] }
                        for j in 0..<8 { u[(8 * i + j) * plane + at] = row[j] }
                    }
                }
            }
        }
    }
}

/// Floats of scratch `winogradTransformInput` needs (a zero-bordered channel-minor plane
/// of all the channels).
public func winogradInputScratchSize(_ s: WinogradShape) -> Int {
    ib_winograd_input_scratch(s.tile, s.height, s.width, s.pad, s.channels)
}

/// Floats of scratch `winogradTransformOutput` and `winogradTransformOutputGradient` need.
public func winogradOutputScratchSize(_ s: WinogradShape) -> Int {
    ib_winograd_output_scratch(s.tile, s.outHeight, s.outWidth, s.filters)
}

/// V = B^T d B for every channel and tile of `images` images, as `s.elements` matrices (P, C) with
/// P = images * tiles; tiles reaching past the (padded) input read zeros. `channels`
/// limits the pass to those channels' columns of V (each computed alike), so that workers
/// can share one chunk; `scratch` holds `winogradInputScratchSize(s)` floats.
public func winogradTransformInput(_ input: UnsafePointer<Float>, images: Int,
                                   _ s: WinogradShape, scratch: UnsafeMutablePointer<Float>,
                                   into v: UnsafeMutablePointer<Float>,
                                   channels: Range<Int>? = nil) {
    let range = channels ?? 0..<s.channels
    ib_winograd_input(s.tile, images, s.channels, s.height, s.width, s.pad, range.lowerBound,
                      range.upperBound, input, scratch, v)
}

/// The GEMMs, one per element of the tiles (16 or 64): M[xi] (P, F) = V[xi] (P, C) *
/// U[xi] (C, F).
public func winogradMultiply(_ u: UnsafePointer<Float>, _ v: UnsafePointer<Float>,
                             filters: Int, channels: Int, columns p: Int, elements: Int,
                             into m: UnsafeMutablePointer<Float>) {
    for xi in 0..<elements {
        BLAS.sgemm(transA: false, transB: false, m: p, n: filters, k: channels, alpha: 1,
                   a: v + xi * channels * p, lda: channels,
                   b: u + xi * filters * channels, ldb: filters,
                   beta: 0, c: m + xi * filters * p, ldc: filters)
    }
}

/// Y = A^T M A for every filter and tile, plus the bias, into the (N, F, OH, OW) output;
/// the rows or columns of a tile past the output's edge are dropped. `scratch` holds
/// `winogradOutputScratchSize(s)` floats.
public func winogradTransformOutput(_ m: UnsafePointer<Float>, images: Int,
                                    _ s: WinogradShape, bias: UnsafePointer<Float>?,
                                    scratch: UnsafeMutablePointer<Float>,
                                    into output: UnsafeMutablePointer<Float>) {
    ib_winograd_output(s.tile, images, s.filters, s.outHeight, s.outWidth, m, bias, scratch,
                       output)
}

// MARK: - Input gradient from the output gradient's tiles (F(4x4,5x5))

/// The GEMMs of the input gradient through the forward's tiles: dV[xi] (P, C) = Z[xi]
/// (P, F) * U[xi]^T, U the forward's transformed filters (C, F) and Z the output gradient's
/// tiles (`winogradTransformOutputGradient`).
public func winogradMultiplyData(_ z: UnsafePointer<Float>, _ u: UnsafePointer<Float>,
                                 filters: Int, channels: Int, columns p: Int, elements: Int,
                                 into dv: UnsafeMutablePointer<Float>) {
    for xi in 0..<elements {
        BLAS.sgemm(transA: false, transB: true, m: p, n: channels, k: filters, alpha: 1,
                   a: z + xi * filters * p, lda: filters, b: u + xi * filters * channels,
                   ldb: filters, beta: 0, c: dv + xi * channels * p, ldc: channels)
    }
}

/// dX (N, C, H, W) = the adjoint of `winogradTransformInput` applied to dV (`s.elements`
/// matrices (P, C)): each tile's B dV B^T added where its inputs came from, in tile order,
/// the padding dropped. F(4x4,5x5) only; `scratch` holds `winogradInputScratchSize(s)` floats.
public func winogradTransformInputGradient(_ dv: UnsafePointer<Float>, images: Int,
                                           _ s: WinogradShape,
                                           scratch: UnsafeMutablePointer<Float>,
                                           into dX: UnsafeMutablePointer<Float>) {
    precondition(s.kernel == 5, "the input-gradient transform is F(4x4,5x5)'s")
    ib_winograd_input_gradient(images, s.channels, s.height, s.width, s.pad, dv, scratch, dX)
}

// MARK: - Weight gradient

/// Z = A dY A^T for every filter and tile of `images` images' output gradients, as
/// `s.elements` matrices (P, F): the gradient of the loss with respect to the products M
/// that `winogradTransformOutput` turned into the tile's outputs. Tile rows or columns
/// past the output's edge count as zero gradient. `filters` limits the pass to those
/// filters' columns of Z, as `channels` does in `winogradTransformInput`; `scratch` holds
/// `winogradOutputScratchSize(s)` floats.
public func winogradTransformOutputGradient(_ gradient: UnsafePointer<Float>, images: Int,
                                            _ s: WinogradShape,
                                            scratch: UnsafeMutablePointer<Float>,
                                            into z: UnsafeMutablePointer<Float>,
                                            filters: Range<Int>? = nil) {
    let range = filters ?? 0..<s.filters
    ib_winograd_output_gradient(s.tile, images, s.filters, s.outHeight, s.outWidth,
                                range.lowerBound, range.upperBound, gradient, scratch, z)
}

/// The GEMMs of the weight gradient, one per element (16 or 64): dU[xi] (F, C) (+)=
/// Z[xi]^T (F, P) * V[xi] (P, C), overwriting `du` when `accumulate` is false.
///
/// With `spread`, the GEMMs are dealt to `Parallel`'s workers (each is computed alike on
/// any worker): for a batch that is one chunk, the only parallelism there is.
public func winogradMultiplyGradient(_ z: UnsafePointer<Float>, _ v: UnsafePointer<Float>,
                                     filters: Int, channels: Int, columns p: Int,
                                     elements: Int, accumulate: Bool, spread: Bool = false,
                                     into du: UnsafeMutablePointer<Float>) {
    Parallel.forEach(spread ? elements : 1) { piece, _ in
        for xi in (spread ? piece..<(piece + 1) : 0..<elements) {
            BLAS.sgemm(transA: true, transB: false, m: filters, n: channels, k: p, alpha: 1,
                       a: z + xi * filters * p, lda: filters, b: v + xi * channels * p,
                       ldb: channels, beta: accumulate ? 1 : 0,
                       c: du + xi * filters * channels, ldc: channels)
        }
    }
}

/// dg = G^T dU G for every (filter, channel) pair: the weight gradient (F, C, k, k) from
/// the matrices (F, C) of `winogradMultiplyGradient`, overwriting `weightGradient`.
public func winogradTransformFilterGradient(_ du: UnsafePointer<Float>, filters: Int,
                                            channels: Int, kernel: Int,
                                            into weightGradient: UnsafeMutablePointer<Float>) {
    if kernel == 5 {
        return transformFilterGradient45(du, filters: filters, channels: channels,
                                         into: weightGradient)
    }
    precondition(kernel == 3, "Winograd: kernels of 3 or 5 only")
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

/// dg = G^T dU G of F(4x4,5x5): s = G^T dU (5 x 8), then dg = s G (5 x 5), each element a
/// sum over the eight tile rows in order; pair by pair, so any split across workers gives
/// the same bits.
private func transformFilterGradient45(_ du: UnsafePointer<Float>, filters: Int,
                                       channels: Int,
                                       into weightGradient: UnsafeMutablePointer<Float>) {
    let plane = filters * channels, g = g45Columns
    Parallel.forEachRange(plane, pieces: Parallel.pieces(forElements: 64 * plane)) { range in
        for at in range {
            // Row k of s: sum over tile rows i of G[i][k] * dU[i][:].
            var rows = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(),
                        SIMD8<Float>())
            withUnsafeMutableBytes(of: &rows) { raw in
                let s = raw.baseAddress!.assumingMemoryBound(to: SIMD8<Float>.self)
                var d = SIMD8<Float>()
                for k in 0..<5 { s[k] = SIMD8<Float>() }
                for i in 0..<8 {
                    for j in 0..<8 { d[j] = du[(8 * i + j) * plane + at] }
                    for k in 0..<5 { s[k] = i == 0 ? g[k][0] * d : s[k] + g[k][i] * d }
                }
                // dg[k][l] = sum over j of s[k][j] * G[j][l].
                let out = weightGradient + at * 25
                for k in 0..<5 {
                    for l in 0..<5 {
                        let p = s[k] * g[l]
                        var sum = p[0]
                        for j in 1..<8 { sum += p[j] }
                        out[5 * k + l] = sum
                    }
                }
            }
        }
    }
}
