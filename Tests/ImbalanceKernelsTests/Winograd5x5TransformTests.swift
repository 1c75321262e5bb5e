import ImbalanceKernels
import XCTest

/// The channel-minor Winograd F(4x4,5x5) tile transforms (CGEMM's winograd.c with the
/// generated winograd_f45_tiles.h: input, output, output gradient, and the input gradient
/// B dV B^T summed over overlapping tiles) against their definitions in double precision, and
/// against each other across instruction-set paths bit for bit.
///
/// Their coefficients are not all +-1, so a definition written one element at a time would
/// round differently from the generated factorisation: the definition is exact-ish (Double,
/// the exact matrices) and each element must lie within 1e-5 of the size of its terms
/// (|B^T| |d| |B| for V; float rounding of the generated sums of up to 8 x 8 scaled terms is
/// about 1e-6 of it), while an indexing mistake is off by whole terms. Across paths the
/// operations are the same IEEE ones in the same order (no FMA contraction), so the paths
/// must agree bit for bit: what keeps records CPU-independent.
///
/// Shapes: one channel, channel counts across a vector (17, 20, 40), maps whose outputs are
/// not multiples of 4, pads 0 to 4, several images, and a channel range inside vectors.
final class Winograd5x5TransformTests: XCTestCase {
    override func tearDown() { _ = BLAS.force(nil) }

    typealias Case = WinogradTransformTests.Case

    static let cases: [Case] = [
        Case(images: 1, channels: 1, height: 5, width: 5, pad: 0),
        Case(images: 2, channels: 3, height: 9, width: 7, pad: 2),
        Case(images: 1, channels: 17, height: 12, width: 12, pad: 0),
        Case(images: 2, channels: 20, height: 8, width: 8, pad: 4),
        Case(images: 2, channels: 40, height: 6, width: 9, pad: 1, range: 5..<29),
    ]

    /// B^T and A^T of `scripts/make_winograd_tiles.py` (exact in binary).
    static let bt: [[Double]] = [
        [1, 0, -21.0 / 4, 0, 21.0 / 4, 0, -1, 0],
        [0, 1, 1, -17.0 / 4, -17.0 / 4, 1, 1, 0],
        [0, 1, -1, -17.0 / 4, 17.0 / 4, 1, -1, 0],
        [0, 0.5, 0.25, -2.5, -1.25, 2, 1, 0],
        [0, 0.5, -0.25, -2.5, 1.25, 2, -1, 0],
        [0, 2, 4, -2.5, -5, 0.5, 1, 0],
        [0, 2, -4, -2.5, 5, 0.5, -1, 0],
        [0, 1, 0, -21.0 / 4, 0, 21.0 / 4, 0, -1],
    ]
    static let at: [[Double]] = [
        [1, 1, 1, 1, 1, 1, 1, 0],
        [0, 1, -1, 2, -2, 0.5, -0.5, 0],
        [0, 1, 1, 4, 4, 0.25, 0.25, 0],
        [0, 1, -1, 8, -8, 0.125, -0.125, 1],
    ]

    static var paths: [BLAS.Path] { WinogradTransformTests.paths }

    /// L . X . R^T for small dense matrices (X is rows(L)' x cols(R)'), and the same with
    /// every entry replaced by its magnitude (the size of the terms).
    static func sandwich(_ l: [[Double]], _ x: [[Double]], _ r: [[Double]])
        -> (value: [[Double]], size: [[Double]]) {
        var v = [[Double]](repeating: [Double](repeating: 0, count: r.count), count: l.count)
        var s = v
        for i in 0..<l.count {
            for j in 0..<r.count {
                for k in 0..<x.count {
                    for m in 0..<x[0].count {
                        v[i][j] += l[i][k] * x[k][m] * r[j][m]
                        s[i][j] += abs(l[i][k] * x[k][m] * r[j][m])
                    }
                }
            }
        }
        return (v, s)
    }

    /// Checks `got` against a definition (NaN where it defines nothing) and returns it.
    func assertNear(_ got: [Float], _ want: [Double], _ size: [Double], _ what: String) {
        XCTAssertEqual(got.count, want.count, what)
        var compared = 0
        for i in 0..<min(got.count, want.count) where !want[i].isNaN {
            compared += 1
            if abs(Double(got[i]) - want[i]) > 1e-5 * size[i] + 1e-30 {
                XCTFail("\(what): element \(i) is \(got[i]), the definition gives \(want[i])")
                return
            }
        }
        XCTAssertGreaterThan(compared, 0, "\(what): nothing compared")
    }

    /// Runs `compute` on every instruction-set path: each result near the definition, and
    /// all of them the same bits.
    func checkEveryPath(_ what: String, _ want: [Double], _ size: [Double],
                        _ compute: () -> [Float]) {
        var first: [Float]?
        for path in Self.paths {
            XCTAssertTrue(BLAS.force(path))
            let got = compute(), label = "\(what), \(path)"
            assertNear(got, want, size, label)
            if let first {
                XCTAssertEqual(got.map(\.bitPattern), first.map(\.bitPattern), "\(label): paths differ")
            }
            first = first ?? got
        }
    }

    func testInputTransform() {
        for (n, c) in Self.cases.enumerated() {
            let s = WinogradShape(channels: c.channels, filters: 1, height: c.height,
                                  width: c.width, pad: c.pad, kernel: 5)
            let x = WinogradTransformTests.values(c.images * c.channels * c.height * c.width,
                                                  seed: UInt64(n + 1))
            let p = c.images * s.tilesPerImage
            var want = [Double](repeating: .nan, count: 64 * p * c.channels), size = want
            for image in 0..<c.images {
                for ch in c.range ?? 0..<c.channels {
                    for ty in 0..<s.tilesHigh {
                        for tx in 0..<s.tilesWide {
                            let d: [[Double]] = (0..<8).map { i in (0..<8).map { j in
                                let y = 4 * ty + i - c.pad, xx = 4 * tx + j - c.pad
                                guard y >= 0, y < c.height, xx >= 0, xx < c.width else { return 0 }
                                return Double(x[((image * c.channels + ch) * c.height + y)
                                                * c.width + xx])
                            } }
                            let (v, sz) = Self.sandwich(Self.bt, d, Self.bt)
                            let tile = image * s.tilesPerImage + ty * s.tilesWide + tx
                            for i in 0..<8 { for j in 0..<8 {
                                let at = ((8 * i + j) * p + tile) * c.channels + ch
                                want[at] = v[i][j]; size[at] = sz[i][j]
                            } }
                        }
                    }
                }
            }
            checkEveryPath("input, case \(n) \(c)", want, size) {
                var v = [Float](repeating: .nan, count: 64 * p * c.channels)
                var scratch = [Float](repeating: .nan, count: winogradInputScratchSize(s))
                x.withUnsafeBufferPointer { xp in
                    winogradTransformInput(xp.baseAddress!, images: c.images, s,
                                           scratch: &scratch, into: &v, channels: c.range)
                }
                return v
            }
        }
    }

    func testOutputTransform() {
        for (n, c) in Self.cases.enumerated() where c.range == nil {
            // The case's channels are the filters; the output map is (H + 2 pad - 4)^2.
            let s = WinogradShape(channels: 1, filters: c.channels, height: c.height,
                                  width: c.width, pad: c.pad, kernel: 5)
            let p = c.images * s.tilesPerImage, f = c.channels
            let m = WinogradTransformTests.values(64 * p * f, seed: UInt64(100 + n))
            let bias = n % 2 == 0 ? WinogradTransformTests.values(f, seed: UInt64(200 + n)) : nil
            var want = [Double](repeating: .nan, count: c.images * f * s.outHeight * s.outWidth)
            var size = want
            for image in 0..<c.images {
                for filter in 0..<f {
                    for ty in 0..<s.tilesHigh {
                        for tx in 0..<s.tilesWide {
                            let tile = image * s.tilesPerImage + ty * s.tilesWide + tx
                            let mm: [[Double]] = (0..<8).map { i in (0..<8).map { j in
                                Double(m[((8 * i + j) * p + tile) * f + filter])
                            } }
                            let (y, sz) = Self.sandwich(Self.at, mm, Self.at)
                            for a in 0..<4 { for b in 0..<4 {
                                let oy = 4 * ty + a, ox = 4 * tx + b
                                guard oy < s.outHeight, ox < s.outWidth else { continue }
                                let at = ((image * f + filter) * s.outHeight + oy) * s.outWidth + ox
                                let bv = Double(bias?[filter] ?? 0)
                                want[at] = y[a][b] + bv; size[at] = sz[a][b] + abs(bv)
                            } }
                        }
                    }
                }
            }
            checkEveryPath("output, case \(n) \(c)", want, size) {
                WinogradTransformTests.transformOutput(m, bias: bias, images: c.images, s)
            }
        }
    }

    func testInputGradientTransform() {
        let b = (0..<8).map { i in (0..<8).map { j in Self.bt[j][i] } }  // B (8 x 8)
        for (n, c) in Self.cases.enumerated() where c.range == nil {
            let s = WinogradShape(channels: c.channels, filters: 1, height: c.height,
                                  width: c.width, pad: c.pad, kernel: 5)
            let p = c.images * s.tilesPerImage, ch = c.channels
            let dv = WinogradTransformTests.values(64 * p * ch, seed: UInt64(400 + n))
            var want = [Double](repeating: 0, count: c.images * ch * c.height * c.width)
            var size = want
            for image in 0..<c.images {
                for k in 0..<ch {
                    for ty in 0..<s.tilesHigh {
                        for tx in 0..<s.tilesWide {
                            let tile = image * s.tilesPerImage + ty * s.tilesWide + tx
                            let d: [[Double]] = (0..<8).map { i in (0..<8).map { j in
                                Double(dv[((8 * i + j) * p + tile) * ch + k])
                            } }
                            let (x, sz) = Self.sandwich(b, d, b)
                            for i in 0..<8 { for j in 0..<8 {
                                let y = 4 * ty + i - c.pad, xx = 4 * tx + j - c.pad
                                guard y >= 0, y < c.height, xx >= 0, xx < c.width else { continue }
                                let at = ((image * ch + k) * c.height + y) * c.width + xx
                                want[at] += x[i][j]; size[at] += sz[i][j]
                            } }
                        }
                    }
                }
            }
            checkEveryPath("input gradient, case \(n) \(c)", want, size) {
                var dx = [Float](repeating: .nan, count: want.count)
                var scratch = [Float](repeating: .nan, count: winogradInputScratchSize(s))
                dv.withUnsafeBufferPointer { dp in
                    winogradTransformInputGradient(dp.baseAddress!, images: c.images, s,
                                                   scratch: &scratch, into: &dx)
                }
                return dx
            }
        }
    }

    func testOutputGradientTransform() {
        let a = (0..<8).map { i in (0..<4).map { j in Self.at[j][i] } }  // A (8 x 4)
        for (n, c) in Self.cases.enumerated() {
            let s = WinogradShape(channels: 1, filters: c.channels, height: c.height,
                                  width: c.width, pad: c.pad, kernel: 5)
            let p = c.images * s.tilesPerImage, f = c.channels
            let dy = WinogradTransformTests.values(c.images * f * s.outHeight * s.outWidth,
                                                   seed: UInt64(300 + n))
            var want = [Double](repeating: .nan, count: 64 * p * f), size = want
            for image in 0..<c.images {
                for filter in c.range ?? 0..<f {
                    for ty in 0..<s.tilesHigh {
                        for tx in 0..<s.tilesWide {
                            // Outputs past the map's edge carry no gradient.
                            let g: [[Double]] = (0..<4).map { i in (0..<4).map { j in
                                let oy = 4 * ty + i, ox = 4 * tx + j
                                guard oy < s.outHeight, ox < s.outWidth else { return 0 }
                                return Double(dy[((image * f + filter) * s.outHeight + oy)
                                                 * s.outWidth + ox])
                            } }
                            let (z, sz) = Self.sandwich(a, g, a)
                            let tile = image * s.tilesPerImage + ty * s.tilesWide + tx
                            for i in 0..<8 { for j in 0..<8 {
                                let at = ((8 * i + j) * p + tile) * f + filter
                                want[at] = z[i][j]; size[at] = sz[i][j]
                            } }
                        }
                    }
                }
            }
            checkEveryPath("gradient, case \(n) \(c)", want, size) {
                var z = [Float](repeating: .nan, count: want.count)
                var scratch = [Float](repeating: .nan, count: winogradOutputScratchSize(s))
                dy.withUnsafeBufferPointer { dp in
                    winogradTransformOutputGradient(dp.baseAddress!, images: c.images, s,
                                                    scratch: &scratch, into: &z,
                                                    filters: c.range)
                }
                return z
            }
        }
    }
}
