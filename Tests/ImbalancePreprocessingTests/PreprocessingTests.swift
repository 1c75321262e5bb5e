import XCTest
import ImbalanceData
import ImbalanceRandom
@testable import ImbalancePreprocessing

final class PreprocessingTests: XCTestCase {
    /// Small correlated images: 2 channels of 3x3, so the 18x18 algebra is checkable.
    func makeDataset(count: Int, seed: UInt64 = 7) -> ImageDataset {
        var rng = RandomStream(seed: seed)
        var pixels = [UInt8](), labels = [Int]()
        for i in 0..<count {
            let base = Double(rng.uniformInt(below: 200))
            for k in 0..<18 {
                // shared brightness + a per-pixel term: strongly correlated features
                let v = base * 0.5 + Double(k * 3) + Double(rng.uniformInt(below: 40))
                pixels.append(UInt8(min(255, v)))
            }
            labels.append(i % 3)
        }
        return ImageDataset(name: "toy/train", channels: 2, height: 3, width: 3, pixels: pixels,
                            labels: labels, classNames: ["a", "b", "c"])
    }

    func testGlobalContrastNormalizationGivesZeroMeanAndNorm55() {
        var x: [Float] = [1, 5, 9, 2, 200, 7]
        x.withUnsafeMutableBufferPointer { GlobalContrastNormalization.apply($0.baseAddress!, size: 6) }
        let mean = x.reduce(0, +) / 6
        let norm = x.map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
        // The outputs (up to ~50) are Double results rounded to Float (half an ulp 1.9e-6 at
        // 50), and the mean here is summed in Float: within ~2e-6 of 0; 1e-5. The norm of the
        // Float outputs is 55 to 6e-8 relative (3e-6); 1e-3 is loose.
        XCTAssertEqual(Double(mean), 0, accuracy: 1e-5)
        XCTAssertEqual(norm, 55, accuracy: 1e-3)
        // A flat image has no contrast: it becomes zeros, not NaN.
        var flat: [Float] = [3, 3, 3]
        flat.withUnsafeMutableBufferPointer { GlobalContrastNormalization.apply($0.baseAddress!, size: 3) }
        XCTAssertEqual(flat, [0, 0, 0])
    }

    /// P must satisfy P (C + 0.1 I) P = I with C the training covariance, and be symmetric.
    func testZCAWhitensTheBiasedCovariance() throws {
        let n = 500, d = 18
        let data = makeDataset(count: n)
        var x = data.pixels.map(Float.init)
        let zca = try x.withUnsafeBufferPointer { try ZCAWhitening.fit($0.baseAddress!, count: n, size: d) }
        // Covariance in Double.
        var mean = [Double](repeating: 0, count: d)
        for r in 0..<n { for j in 0..<d { mean[j] += Double(x[r * d + j]) / Double(n) } }
        var c = [Double](repeating: 0, count: d * d)
        for r in 0..<n {
            for i in 0..<d { for j in 0..<d {
                c[i * d + j] += (Double(x[r * d + i]) - mean[i]) * (Double(x[r * d + j]) - mean[j]) / Double(n)
            } }
        }
        for i in 0..<d { c[i * d + i] += ZCAWhitening.filterBias }
        let p = zca.matrix.map(Double.init)
        // The fit mirrors one triangle of the Double P before rounding it to Float, so this
        // holds exactly; 1e-6 leaves the check independent of how the fit fills P.
        for i in 0..<d { for j in 0..<d { XCTAssertEqual(p[i * d + j], p[j * d + i], accuracy: 1e-6) } }
        func mul(_ a: [Double], _ b: [Double]) -> [Double] {
            var out = [Double](repeating: 0, count: d * d)
            for i in 0..<d { for k in 0..<d { for j in 0..<d { out[i * d + j] += a[i * d + k] * b[k * d + j] } } }
            return out
        }
        let identity = mul(mul(p, c), p)
        // P is the Double fit rounded to Float (6e-8 relative per entry); P C P - I grows that
        // by P's condition number, sqrt of C's (eigenvalues from ~130, the per-pixel noise,
        // to ~1.5e4, the shared brightness: ~11), to ~1e-5 at most. 2e-3 is loose; a wrong
        // P (a missing square root, wrong eigenvectors) is off by O(1).
        for i in 0..<d { for j in 0..<d {
            XCTAssertEqual(identity[i * d + j], i == j ? 1 : 0, accuracy: 2e-3, "(\(i),\(j))")
        } }
        XCTAssertEqual(zca.eigenvalues.count, d)
        XCTAssertTrue(zca.eigenvalues.allSatisfy { $0 >= ZCAWhitening.filterBias * 0.999 })
        // apply() is (x - m) P.
        let row = Array(x[0..<d])
        x.withUnsafeMutableBufferPointer { zca.apply($0.baseAddress!, count: n) }
        // apply() subtracts the mean in Float (|x - m| < 128: half an ulp 3.8e-6) and runs an
        // 18-term Float FMA chain with P's entries (< 0.1); the Double sum below uses the same
        // Float P and mean: a few 1e-6 on outputs of order 1; 1e-3 is loose.
        for j in 0..<d {
            var expected = 0.0
            for k in 0..<d { expected += (Double(row[k]) - Double(zca.mean[k])) * p[k * d + j] }
            XCTAssertEqual(Double(x[j]), expected, accuracy: 1e-3)
        }
    }

    func testZCARejectsTooFewImages() {
        let x: [Float] = [1, 2, 3]
        XCTAssertThrowsError(try x.withUnsafeBufferPointer { try ZCAWhitening.fit($0.baseAddress!, count: 1, size: 3) })
    }

    func testStandardizationGivesZeroMeanUnitStdPerChannelOnTheFittedImages() throws {
        let data = makeDataset(count: 300)
        let fit = Array(0..<200)
        let (train, _) = try InputPipeline.make(.standardize, augmentation: .none, train: data,
                                                fitIndices: fit + fit.prefix(50), test: data)
        var out = [Float](repeating: 0, count: fit.count * 18)
        fit.withUnsafeBufferPointer { idx in
            out.withUnsafeMutableBufferPointer { train.fillBatch(indices: idx, into: $0.baseAddress!, labels: nil) }
        }
        for ch in 0..<2 {
            var s = 0.0, q = 0.0
            for r in 0..<fit.count { for k in 0..<9 { let v = Double(out[r * 18 + ch * 9 + k]); s += v; q += v * v } }
            let m = s / Double(fit.count * 9)
            // (x/255 - mean) * (1/std) in Float with the statistics rounded to Float, std
            // ~0.13 (scale ~8): each output errs by ~1e-6 at most, so the mean and std over these
            // 1,800 values are within ~1e-6 of 0 and 1; 1e-4 and 1e-3 are loose.
            XCTAssertEqual(m, 0, accuracy: 1e-4)
            XCTAssertEqual((q / Double(fit.count * 9) - m * m).squareRoot(), 1, accuracy: 1e-3)
        }
    }

    /// Test images are transformed with the training statistics, not their own.
    func testGCNZCATestSetUsesTrainingFit() throws {
        let train = makeDataset(count: 200, seed: 1), test = makeDataset(count: 50, seed: 2)
        let (p1, t1) = try InputPipeline.make(.gcnZCA, augmentation: .none, train: train,
                                              fitIndices: Array(0..<200), test: test)
        guard case .gcnZCA(let zca) = p1.preprocessing else { return XCTFail("wrong kind") }
        var expected = test.pixels[0..<18].map(Float.init)
        expected.withUnsafeMutableBufferPointer {
            GlobalContrastNormalization.apply($0.baseAddress!, size: 18)
            zca.apply($0.baseAddress!, count: 1)
        }
        var got = [Float](repeating: 0, count: 18)
        [0].withUnsafeBufferPointer { idx in
            got.withUnsafeMutableBufferPointer { t1.fillBatch(indices: idx, into: $0.baseAddress!, labels: nil) }
        }
        // The same GCN and mean subtraction; the ZCA GEMM has 50 rows in the pipeline and 1
        // here, and the engine's GEMM makes each element the same FMA chain over k whatever
        // m, so this would hold bitwise: 1e-4 is only looser than needed.
        for j in 0..<18 { XCTAssertEqual(got[j], expected[j], accuracy: 1e-4) }
    }

    func testUnpreparedImageIsAProgrammingErrorNotSilentZeros() throws {
        // Only images 0..<10 are prepared; the pipeline knows which rows exist.
        let data = makeDataset(count: 20)
        let (train, _) = try InputPipeline.make(.standardize, augmentation: .none, train: data,
                                                fitIndices: Array(0..<10), test: data)
        var out = [Float](repeating: 0, count: 18)
        var labels = [Int](repeating: -1, count: 1)
        [9].withUnsafeBufferPointer { idx in
            out.withUnsafeMutableBufferPointer { o in
                labels.withUnsafeMutableBufferPointer { train.fillBatch(indices: idx, into: o.baseAddress!, labels: $0.baseAddress!) }
            }
        }
        XCTAssertEqual(labels[0], 9 % 3)
    }

    /// Every augmented image is one of the (2p+1)^2 x 2 crops of the padded original, all
    /// offsets and both mirror states occur, and the same stream gives the same batch.
    func testCropMirrorProducesPaddedShiftedMirroredCopies() throws {
        var pixels = [UInt8]()
        for k in 0..<(3 * 8 * 8) { pixels.append(UInt8(1 + k % 250)) }
        let data = ImageDataset(name: "one", channels: 3, height: 8, width: 8, pixels: pixels,
                                labels: [0], classNames: ["x"])
        // Standardize with a constant-free check: compare against the unaugmented pipeline.
        let (aug, plain) = try InputPipeline.make(.standardize, augmentation: .cropMirror, train: data,
                                                  fitIndices: [0], test: data)
        var reference = [Float](repeating: 0, count: 192)
        [0].withUnsafeBufferPointer { idx in
            reference.withUnsafeMutableBufferPointer { plain.fillBatch(indices: idx, into: $0.baseAddress!, labels: nil) }
        }
        let p = Augmentation.cropPadding
        func candidate(dy: Int, dx: Int, mirror: Bool) -> [Float] {
            var out = [Float](repeating: 0, count: 192)
            for c in 0..<3 { for y in 0..<8 { for x in 0..<8 {
                let sy = y + dy, sx = (mirror ? 7 - x : x) + dx
                if sy >= 0 && sy < 8 && sx >= 0 && sx < 8 { out[c * 64 + y * 8 + x] = reference[c * 64 + sy * 8 + sx] }
            } } }
            return out
        }
        var seen = Set<String>()
        aug.augmentationStream = RandomStream(seed: 3)
        var first: [[Float]] = []
        for _ in 0..<2_000 {
            var out = [Float](repeating: .nan, count: 192)
            [0].withUnsafeBufferPointer { idx in
                out.withUnsafeMutableBufferPointer { aug.fillBatch(indices: idx, into: $0.baseAddress!, labels: nil) }
            }
            if first.count < 5 { first.append(out) }
            var matched: String?
            search: for dy in -p...p { for dx in -p...p { for m in [false, true] where candidate(dy: dy, dx: dx, mirror: m) == out {
                matched = "\(dy),\(dx),\(m)"; break search
            } } }
            guard let key = matched else { return XCTFail("augmented image is not a crop of the padded original") }
            seen.insert(key)
        }
        XCTAssertEqual(seen.count, (2 * p + 1) * (2 * p + 1) * 2, "every offset and mirror state occurs")
        aug.augmentationStream = RandomStream(seed: 3)
        for expected in first {
            var out = [Float](repeating: 0, count: 192)
            [0].withUnsafeBufferPointer { idx in
                out.withUnsafeMutableBufferPointer { aug.fillBatch(indices: idx, into: $0.baseAddress!, labels: nil) }
            }
            XCTAssertEqual(out, expected)
        }
    }

    func testScaledPipelineMatchesCaffeScale() {
        let data = makeDataset(count: 4)
        let pipe = InputPipeline.scaled(data)
        var out = [Float](repeating: 0, count: 18)
        [2].withUnsafeBufferPointer { idx in
            out.withUnsafeMutableBufferPointer { pipe.fillBatch(indices: idx, into: $0.baseAddress!, labels: nil) }
        }
        XCTAssertEqual(out, data.pixels[36..<54].map { Float($0) * ImageDataset.caffeScale })
    }
}
