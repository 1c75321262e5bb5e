import ImbalanceKernels
import XCTest

/// The channel-minor Winograd tile transforms (CGEMM's winograd.c) against their
/// definitions, written here one element at a time, bit for bit, on every instruction-set
/// path this CPU has. Bitwise comparison is valid: each output is a fixed sequence of
/// additions and subtractions (the same in the definition and in every SIMD path), so
/// vector width and lane assignment cannot change a bit.
///
/// Shapes: channel counts below, at and past one vector (1, 3, 16, 17, 40), odd and even
/// maps down to a single tile, pads 0 to 2, several images, and channel ranges that start
/// and end inside a vector (how workers share a single-chunk batch).
final class WinogradTransformTests: XCTestCase {
    override func tearDown() { _ = BLAS.force(nil) }

    struct Case {
        var images, channels, height, width, pad: Int
        var range: Range<Int>? = nil
    }

    static let cases: [Case] = [
        Case(images: 1, channels: 1, height: 3, width: 3, pad: 0),
        Case(images: 2, channels: 3, height: 5, width: 7, pad: 1),
        Case(images: 1, channels: 16, height: 4, width: 4, pad: 1),
        Case(images: 3, channels: 17, height: 8, width: 8, pad: 1),
        Case(images: 2, channels: 40, height: 6, width: 5, pad: 2),
        Case(images: 2, channels: 33, height: 9, width: 4, pad: 0),
        Case(images: 2, channels: 40, height: 8, width: 8, pad: 1, range: 5..<29),
        Case(images: 1, channels: 24, height: 7, width: 16, pad: 1, range: 16..<24),
    ]

    static var paths: [BLAS.Path] {
        BLAS.Path.allCases.filter { $0.rawValue <= BLAS.supportedPath.rawValue }
    }

    /// Values of several magnitudes and both signs, so that any change in the order of the
    /// additions would round differently.
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            let u = Float(state >> 40) / Float(1 << 24) - 0.5
            return u * [1, 1e-3, 37, 0.25][Int(state & 3)]
        }
    }

    /// V = B^T d B, the definition: d(i, j) is the zero-padded input at (2ty + i - pad,
    /// 2tx + j - pad); V[xi] is (P, C) with P = images * tiles.
    static func inputReference(_ x: [Float], _ c: Case, _ s: WinogradShape) -> [Float] {
        let tiles = s.tilesPerImage, p = c.images * tiles
        var v = [Float](repeating: .nan, count: 16 * p * c.channels)
        for image in 0..<c.images {
            for ch in c.range ?? 0..<c.channels {
                for ty in 0..<s.tilesHigh {
                    for tx in 0..<s.tilesWide {
                        func d(_ i: Int, _ j: Int) -> Float {
                            let y = 2 * ty + i - c.pad, xx = 2 * tx + j - c.pad
                            guard y >= 0, y < c.height, xx >= 0, xx < c.width else { return 0 }
                            return x[((image * c.channels + ch) * c.height + y) * c.width + xx]
                        }
                        var t = [[Float]](repeating: [0, 0, 0, 0], count: 4)
                        for j in 0..<4 {
                            t[0][j] = d(0, j) - d(2, j); t[1][j] = d(1, j) + d(2, j)
                            t[2][j] = d(2, j) - d(1, j); t[3][j] = d(1, j) - d(3, j)
                        }
                        let row = (image * tiles + ty * s.tilesWide + tx) * c.channels + ch
                        for i in 0..<4 {
                            v[(4 * i) * p * c.channels + row] = t[i][0] - t[i][2]
                            v[(4 * i + 1) * p * c.channels + row] = t[i][1] + t[i][2]
                            v[(4 * i + 2) * p * c.channels + row] = t[i][2] - t[i][1]
                            v[(4 * i + 3) * p * c.channels + row] = t[i][1] - t[i][3]
                        }
                    }
                }
            }
        }
        return v
    }

    /// Y = A^T M A + bias, the definition, for a map of s.outHeight x s.outWidth with
    /// `c.channels` filters: M[xi] is (P, F).
    static func outputReference(_ m: [Float], bias: [Float]?, _ c: Case,
                                _ s: WinogradShape) -> [Float] {
        let f = c.channels, oh = s.outHeight, ow = s.outWidth, tiles = s.tilesPerImage
        let p = c.images * tiles
        var y = [Float](repeating: .nan, count: c.images * f * oh * ow)
        for image in 0..<c.images {
            for k in 0..<f {
                let b = bias?[k] ?? 0
                for ty in 0..<s.tilesHigh {
                    for tx in 0..<s.tilesWide {
                        let row = (image * tiles + ty * s.tilesWide + tx) * f + k
                        let q = (0..<16).map { m[$0 * p * f + row] }
                        let r00 = q[0] + q[4] + q[8], r01 = q[1] + q[5] + q[9]
                        let r02 = q[2] + q[6] + q[10], r03 = q[3] + q[7] + q[11]
                        let r10 = q[4] - q[8] - q[12], r11 = q[5] - q[9] - q[13]
                        let r12 = q[6] - q[10] - q[14], r13 = q[7] - q[11] - q[15]
                        let out: [[Float]] = [[r00 + r01 + r02 + b, r01 - r02 - r03 + b],
                                              [r10 + r11 + r12 + b, r11 - r12 - r13 + b]]
                        for a in 0..<2 {
                            for bb in 0..<2 where 2 * ty + a < oh && 2 * tx + bb < ow {
                                y[((image * f + k) * oh + 2 * ty + a) * ow + 2 * tx + bb] = out[a][bb]
                            }
                        }
                    }
                }
            }
        }
        return y
    }

    /// Z = A dY A^T, the definition: dY past the map's edge is zero; Z[xi] is (P, F).
    static func gradientReference(_ dy: [Float], _ c: Case, _ s: WinogradShape) -> [Float] {
        let f = c.channels, oh = s.outHeight, ow = s.outWidth, tiles = s.tilesPerImage
        let p = c.images * tiles
        var z = [Float](repeating: .nan, count: 16 * p * f)
        for image in 0..<c.images {
            for k in c.range ?? 0..<f {
                for ty in 0..<s.tilesHigh {
                    for tx in 0..<s.tilesWide {
                        func g(_ i: Int, _ j: Int) -> Float {
                            let y = 2 * ty + i, x = 2 * tx + j
                            guard y < oh, x < ow else { return 0 }
                            return dy[((image * f + k) * oh + y) * ow + x]
                        }
                        let a = g(0, 0), b = g(0, 1), cc = g(1, 0), d = g(1, 1)
                        let ps = [a, a + cc, a - cc, -cc], qs = [b, b + d, b - d, -d]
                        let row = (image * tiles + ty * s.tilesWide + tx) * f + k
                        for i in 0..<4 {
                            z[(4 * i) * p * f + row] = ps[i]
                            z[(4 * i + 1) * p * f + row] = ps[i] + qs[i]
                            z[(4 * i + 2) * p * f + row] = ps[i] - qs[i]
                            z[(4 * i + 3) * p * f + row] = -qs[i]
                        }
                    }
                }
            }
        }
        return z
    }

    /// Compares only the entries the reference defines (NaN elsewhere: columns outside a
    /// channel range are not the transform's to write).
    func assertBits(_ got: [Float], _ want: [Float], _ what: String) {
        XCTAssertEqual(got.count, want.count, what)
        var defined = 0
        for i in 0..<min(got.count, want.count) where !want[i].isNaN {
            defined += 1
            if got[i].bitPattern != want[i].bitPattern {
                XCTFail("\(what): element \(i) is \(got[i]), the definition gives \(want[i])")
                return
            }
        }
        XCTAssertGreaterThan(defined, 0, "\(what): nothing compared")
    }

    func testInputTransformMatchesDefinition() {
        for path in Self.paths {
            XCTAssertTrue(BLAS.force(path))
            for (n, c) in Self.cases.enumerated() {
                let s = WinogradShape(channels: c.channels, filters: 1, height: c.height,
                                      width: c.width, pad: c.pad)
                let x = Self.values(c.images * c.channels * c.height * c.width, seed: UInt64(n + 1))
                var v = [Float](repeating: .nan, count: 16 * c.images * s.tilesPerImage * c.channels)
                var scratch = [Float](repeating: .nan, count: winogradInputScratchSize(s))
                x.withUnsafeBufferPointer { xp in
                    winogradTransformInput(xp.baseAddress!, images: c.images, s,
                                           scratch: &scratch, into: &v, channels: c.range)
                }
                assertBits(v, Self.inputReference(x, c, s), "input, \(path), case \(n) \(c)")
            }
        }
    }

    /// `winogradTransformOutput` of `m` into a NaN-filled output, with scratch NaN-filled.
    static func transformOutput(_ m: [Float], bias: [Float]?, images: Int,
                                _ s: WinogradShape) -> [Float] {
        var y = [Float](repeating: .nan, count: images * s.filters * s.outHeight * s.outWidth)
        var scratch = [Float](repeating: .nan, count: winogradOutputScratchSize(s))
        m.withUnsafeBufferPointer { mp in
            guard let bias else {
                return winogradTransformOutput(mp.baseAddress!, images: images, s, bias: nil,
                                               scratch: &scratch, into: &y)
            }
            bias.withUnsafeBufferPointer { bp in
                winogradTransformOutput(mp.baseAddress!, images: images, s,
                                        bias: bp.baseAddress!, scratch: &scratch, into: &y)
            }
        }
        return y
    }

    func testOutputTransformMatchesDefinition() {
        for path in Self.paths {
            XCTAssertTrue(BLAS.force(path))
            for (n, c) in Self.cases.enumerated() where c.range == nil {
                // The forward's output map is (H + 2 pad - 2) x (W + 2 pad - 2); here the
                // case's channels are the filters.
                let s = WinogradShape(channels: 1, filters: c.channels, height: c.height,
                                      width: c.width, pad: c.pad)
                let p = c.images * s.tilesPerImage
                let m = Self.values(16 * p * c.channels, seed: UInt64(100 + n))
                let bias = n % 2 == 0 ? Self.values(c.channels, seed: UInt64(200 + n)) : nil
                let y = Self.transformOutput(m, bias: bias, images: c.images, s)
                assertBits(y, Self.outputReference(m, bias: bias, c, s),
                           "output, \(path), case \(n) \(c)")
            }
        }
    }

    func testOutputGradientTransformMatchesDefinition() {
        for path in Self.paths {
            XCTAssertTrue(BLAS.force(path))
            for (n, c) in Self.cases.enumerated() {
                let s = WinogradShape(channels: 1, filters: c.channels, height: c.height,
                                      width: c.width, pad: c.pad)
                let dy = Self.values(c.images * c.channels * s.outHeight * s.outWidth,
                                     seed: UInt64(300 + n))
                var z = [Float](repeating: .nan, count: 16 * c.images * s.tilesPerImage * c.channels)
                var scratch = [Float](repeating: .nan, count: winogradOutputScratchSize(s))
                dy.withUnsafeBufferPointer { dp in
                    winogradTransformOutputGradient(dp.baseAddress!, images: c.images, s,
                                                    scratch: &scratch, into: &z, filters: c.range)
                }
                assertBits(z, Self.gradientReference(dy, c, s), "gradient, \(path), case \(n) \(c)")
            }
        }
    }
}
