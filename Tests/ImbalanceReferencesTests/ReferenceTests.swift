import ImbalanceRandom
import ImbalanceReferences
import XCTest

/// The references are what every kernel test and benchmark is trusted through, so they are
/// checked here independently: against hand-computed values, and against each other through
/// the adjoint identities that tie forward, input gradient and weight gradient together.
final class ReferenceTests: XCTestCase {
    private func shape(_ c: Int, _ f: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                       size: Int) -> Reference.ConvolutionShape {
        Reference.ConvolutionShape(inputChannels: c, filters: f, kernel: kernel, stride: stride,
                                   padding: padding, height: size, width: size)
    }

    func testConvolutionForwardMatchesHandComputedValues() {
        let x: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9]      // one 3x3 image
        let w: [Float] = [1, 0, 0, 1]                      // adds the diagonal of a 2x2 window
        let b: [Float] = [0.5]
        let plain = shape(1, 1, kernel: 2, size: 3)
        XCTAssertEqual(Reference.convolutionForward(plain, batch: 1, x: x, w: w, b: b),
                       [6.5, 8.5, 12.5, 14.5])
        XCTAssertEqual(Reference.convolutionForward(plain, batch: 1, x: x, w: w, b: nil),
                       [6, 8, 12, 14])
        // Stride 2, padding 1: windows at rows/columns (-1, 0) and (1, 2).
        let strided = shape(1, 1, kernel: 2, stride: 2, padding: 1, size: 3)
        XCTAssertEqual(Reference.convolutionForward(strided, batch: 1, x: x, w: w, b: b),
                       [1.5, 3.5, 7.5, 14.5])
        // A non-square image: 2x3 with a 2x2 kernel gives 1x2.
        let wide = Reference.ConvolutionShape(inputChannels: 1, filters: 1, kernel: 2,
                                              height: 2, width: 3)
        XCTAssertEqual(Reference.convolutionForward(wide, batch: 1, x: [1, 2, 3, 4, 5, 6], w: w,
                                                    b: nil), [6, 8])
    }

    /// <conv(x) - b, dy> = <x, dX(dy)> = <w, dW(x, dy)>, and db = sum of dy.
    func testGradientsAreTheAdjointsOfTheForwardPass() {
        let s = shape(3, 4, kernel: 3, stride: 2, padding: 1, size: 7)
        var rng = RandomStream(seed: 5)
        func random(_ n: Int) -> [Float] { (0..<n).map { _ in 2 * rng.uniformFloat() - 1 } }
        let x = random(2 * 3 * 49), w = random(4 * 3 * 9), b = random(4)
        let dy = random(2 * 4 * s.outPlane)
        let y = Reference.convolutionForward(s, batch: 2, x: x, w: w, b: b)
        let dx = Reference.convolutionInputGradient(s, batch: 2, dy: dy, w: w)
        let (dw, db) = Reference.convolutionWeightGradient(s, batch: 2, x: x, dy: dy)
        var lhs = 0.0
        for i in y.indices { lhs += (y[i] - Double(b[(i / s.outPlane) % 4])) * Double(dy[i]) }
        let viaInput = zip(x, dx).reduce(0.0) { $0 + Double($1.0) * $1.1 }
        let viaWeights = zip(w, dw).reduce(0.0) { $0 + Double($1.0) * $1.1 }
        // All three are sums of the same (at most 3,456) products x * w * dy in Double,
        // grouped and ordered differently (a product of two Floats is exact in Double; the
        // third factor and the additions round): ~1e-12 relative at worst; 1e-9.
        XCTAssertEqual(viaInput, lhs, accuracy: 1e-9 * abs(lhs))
        XCTAssertEqual(viaWeights, lhs, accuracy: 1e-9 * abs(lhs))
        for f in 0..<4 {
            var sum = 0.0
            for n in 0..<2 { for p in 0..<s.outPlane { sum += Double(dy[(n * 4 + f) * s.outPlane + p]) } }
            // The reference adds dy in this same order (image, then position), so this holds
            // exactly; 1e-12 is slack.
            XCTAssertEqual(db[f], sum, accuracy: 1e-12)
        }
    }

    /// <im2col(x), c> = <x, col2im(c)>, and im2col puts zeros exactly in the padding.
    func testCol2imIsTheAdjointOfIm2col() {
        let s = shape(2, 1, kernel: 3, stride: 2, padding: 1, size: 5)
        var rng = RandomStream(seed: 6)
        let x = (0..<50).map { _ in Float(rng.uniformFloat() + 0.5) }
        let c = (0..<(s.patchSize * s.outPlane)).map { _ in 2 * rng.uniformFloat() - 1 }
        let col = Reference.im2col(s, image: x)
        let img = Reference.col2im(s, column: c)
        let lhs = zip(col, c).reduce(0.0) { $0 + $1.0 * Double($1.1) }
        let rhs = zip(x, img).reduce(0.0) { $0 + Double($1.0) * $1.1 }
        // The same products x * c, exact in Double (col2im's sums of at most 4 values of c
        // are exact too), summed in two orders: only the additions round, ~1e-14; 1e-9.
        XCTAssertEqual(lhs, rhs, accuracy: 1e-9 * abs(lhs))
        // Row (c=0, ky=0, kx=0), output (0, 0) reads (-1, -1): padding.
        XCTAssertEqual(col[0], 0)
        // Row (c=0, ky=1, kx=1), output (0, 0) reads (0, 0).
        XCTAssertEqual(col[4 * s.outPlane], Double(x[0]))
    }

    func testMaxPoolRoutesTheGradientToTheFirstMaximum() {
        let s = Reference.PoolShape(batch: 1, channels: 1, height: 3, width: 3, kernel: 2,
                                    stride: 2)
        XCTAssertEqual(s.outHeight, 2)   // ceil rule: the last window is clipped
        let x: [Float] = [1, 4, 2,
                          4, 0, 3,
                          5, 1, 9]
        let (y, dx) = Reference.maxPool(s, x: x, dy: [1, 2, 3, 4])
        XCTAssertEqual(y, [4, 3, 5, 9])
        XCTAssertEqual(dx, [0, 1, 0, 0, 0, 2, 3, 0, 4])
    }

    func testRelativeErrorIsScaledByTheReferenceAndRejectsNaN() {
        XCTAssertEqual(Reference.relativeError([1, 2.5], [1, 2]), 0.25)
        XCTAssertEqual(Reference.relativeError([.nan, 2], [1, 2]), .infinity)
        XCTAssertEqual(Reference.relativeError([0, 0], [0, 0]), 0)
    }

    func testGemmEntryHonoursTransposes() {
        // A = [[1, 2], [3, 4]], B = [[5, 6], [7, 8]].
        let a: [Float] = [1, 2, 3, 4], b: [Float] = [5, 6, 7, 8]
        let g = Reference.GemmShape(m: 2, n: 2, k: 2)
        XCTAssertEqual(Reference.gemmEntry(g, a: a, lda: 2, b: b, ldb: 2, row: 0, column: 1), 22)
        let t = Reference.GemmShape(m: 2, n: 2, k: 2, transA: true, transB: true)
        // (A^T B^T)[0][1] = row 0 of A^T (1, 3) . column 1 of B^T (7, 8) = 31.
        XCTAssertEqual(Reference.gemmEntry(t, a: a, lda: 2, b: b, ldb: 2, row: 0, column: 1), 31)
    }
}
