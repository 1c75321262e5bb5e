import XCTest
import ImbalanceMetrics

final class ThresholdingTests: XCTestCase {
    /// A step profile like the paper's (rho = 1000, mu = 0.5 on 10 classes).
    let stepCounts = [5000, 5000, 5000, 5000, 5000, 5, 5, 5, 5, 5]

    func testPriorsAreTrainingFractions() throws {
        XCTAssertEqual(try priors(fromCounts: [3, 1]), [0.75, 0.25])
        XCTAssertEqual(try priors(fromCounts: [2, 0, 2]), [0.5, 0, 0.5])
        XCTAssertThrowsError(try priors(fromCounts: [0, 0])) { XCTAssertEqual($0 as? MetricsError, .emptyTrainingSet) }
        XCTAssertThrowsError(try priors(fromCounts: [])) { XCTAssertEqual($0 as? MetricsError, .emptyTrainingSet) }
        XCTAssertThrowsError(try priors(fromCounts: [4, -1])) {
            XCTAssertEqual($0 as? MetricsError, .negativeCount(class: 1, count: -1))
        }
    }

    /// The protocol's invariant: every one-vs-rest AUC is bit-identical after thresholding,
    /// here on realistic softmax outputs (fine and coarse, so with and without ties).
    func testThresholdingLeavesEveryAUCBitIdentical() throws {
        let k = stepCounts.count
        let p = try priors(fromCounts: stepCounts)
        for (seed, coarse) in [(UInt64(1), false), (2, true), (3, true)] {
            let data = toySoftmax(n: 3000, classCount: k, seed: seed, logPriors: p.map { log($0) }, coarse: coarse)
            let adjusted = try thresholded(scores: data.scores, priors: p)
            let before = try multiClassAUC(scores: data.scores, labels: data.labels, classCount: k)
            let after = try multiClassAUC(scores: adjusted, labels: data.labels, classCount: k)
            XCTAssertEqual(before.definedClassCount, k)
            for c in 0..<k {
                let b = try XCTUnwrap(before.perClass[c]), a = try XCTUnwrap(after.perClass[c])
                XCTAssertEqual(a.bitPattern, b.bitPattern, "seed \(seed) class \(c)")
            }
            XCTAssertEqual(after.mean?.bitPattern, before.mean?.bitPattern)
            if coarse { XCTAssertTrue(hasTies(data.scores, classCount: k), "coarse data should tie") }
        }
    }

    /// Why the quotients are Double: in Float, two neighbouring scores can round to one
    /// quotient, a new tie that changes the AUC. The Double quotients keep them apart.
    func testFloatDivisionWouldCreateTiesButThresholdedDoesNot() throws {
        let prior = 0.3
        var a: Float = 0.8
        var found = false
        for _ in 0..<10_000 {
            let b = a.nextUp
            if a / Float(prior) == b / Float(prior) { found = true; break }
            a = b
        }
        XCTAssertTrue(found, "expected a Float quotient collision")
        let b = a.nextUp
        // Two samples, class 0 positive on the higher score: AUC 1 before and after.
        let scores: [Float] = [b, 1 - b, a, 1 - a]
        let labels = [0, 1]
        let adjusted = try thresholded(scores: scores, priors: [prior, 1 - prior])
        XCTAssertLessThan(adjusted[2], adjusted[0])
        XCTAssertEqual(try rocAUC(scores: adjusted, labels: labels, positive: 0, classCount: 2), 1)
        XCTAssertEqual(try rocAUC(scores: scores, labels: labels, positive: 0, classCount: 2), 1)
        // Float thresholding would have tied them: AUC 0.5.
        let floatAdjusted = scores.enumerated().map { $0.element / Float($0.offset % 2 == 0 ? prior : 1 - prior) }
        XCTAssertEqual(try rocAUC(scores: floatAdjusted, labels: labels, positive: 0, classCount: 2), 0.5)
    }

    /// Thresholding changes decisions: a network biased towards the majority is corrected.
    func testThresholdingChangesAccuracy() throws {
        let scores: [Float] = [0.6, 0.4, 0.96875, 0.03125, 0.2, 0.8]
        let labels = [1, 0, 1]
        let p = try priors(fromCounts: [90, 10])
        XCTAssertEqual(try predictions(scores: scores, classCount: 2), [0, 0, 1])
        XCTAssertEqual(try predictions(scores: try thresholded(scores: scores, priors: p), classCount: 2), [1, 0, 1])
        let plain = try evaluate(scores: scores, labels: labels, classCount: 2)
        let adjusted = try evaluate(scores: scores, labels: labels, classCount: 2, thresholdingPriors: p)
        XCTAssertEqual(plain.accuracy, 2.0 / 3.0)
        XCTAssertEqual(adjusted.accuracy, 1)
        XCTAssertEqual(plain.multiClassAUC, adjusted.multiClassAUC)
        XCTAssertEqual(plain.perClassAUC, adjusted.perClassAUC)

        // On a realistic biased network and a balanced test set, accuracy rises.
        let k = stepCounts.count
        let q = try priors(fromCounts: stepCounts)
        let data = toySoftmax(n: 2000, classCount: k, seed: 7, logPriors: q.map { log($0) })
        let before = try evaluate(scores: data.scores, labels: data.labels, classCount: k)
        let after = try evaluate(scores: data.scores, labels: data.labels, classCount: k, thresholdingPriors: q)
        XCTAssertGreaterThan(after.accuracy, before.accuracy + 0.1)
        XCTAssertEqual(after.multiClassAUC, before.multiClassAUC)
    }

    /// A class absent from training gets score 0, never inf or NaN, and cannot win.
    func testZeroPriorZeroesTheColumn() throws {
        let scores: [Float] = [0.125, 0.25, 0.625,
                               0.5, 0.25, 0.25,
                               0, 0, 1]
        let p = try priors(fromCounts: [5, 5, 0])
        let adjusted = try thresholded(scores: scores, priors: p)
        XCTAssertTrue(adjusted.allSatisfy { $0.isFinite })
        XCTAssertEqual(adjusted, [0.25, 0.5, 0, 1, 0.5, 0, 0, 0, 0])
        XCTAssertEqual(try predictions(scores: adjusted, classCount: 3), [1, 0, 0])
        // AUCs in the report still come from the raw scores, class 2 included.
        let labels = [2, 0, 2]
        let report = try evaluate(scores: scores, labels: labels, classCount: 3, thresholdingPriors: p)
        let plain = try evaluate(scores: scores, labels: labels, classCount: 3)
        XCTAssertEqual(report.perClassAUC, plain.perClassAUC)
        XCTAssertEqual(report.perClassAUC[2], 1)
    }

    func testInvalidPriorsAreRefused() {
        let scores: [Float] = [0.5, 0.5]
        for bad in [-0.1, 1.5, .nan, .infinity, 1e-300] {
            XCTAssertThrowsError(try thresholded(scores: scores, priors: [0.5, bad])) { error in
                guard case .invalidPrior(class: 1, _)? = error as? MetricsError else {
                    return XCTFail("\(error)")
                }
            }
        }
        XCTAssertThrowsError(try thresholded(scores: scores, priors: [0, 0])) {
            XCTAssertEqual($0 as? MetricsError, .allPriorsZero)
        }
        XCTAssertThrowsError(try thresholded(scores: [0.1, 0.2, 0.3], priors: [0.5, 0.5])) {
            XCTAssertEqual($0 as? MetricsError, .shapeMismatch(scoreCount: 3, sampleCount: 1, classCount: 2))
        }
        XCTAssertThrowsError(try thresholded(scores: [.nan, 0.2], priors: [0.5, 0.5])) {
            XCTAssertEqual($0 as? MetricsError, .nanScore(sample: 0, class: 0))
        }
        XCTAssertThrowsError(try evaluate(scores: scores, labels: [0], classCount: 2, thresholdingPriors: [1])) {
            XCTAssertEqual($0 as? MetricsError, .priorCountMismatch(priors: 1, classCount: 2))
        }
    }

    private func hasTies(_ scores: [Float], classCount k: Int) -> Bool {
        let column = stride(from: 0, to: scores.count, by: k).map { scores[$0] }
        return Set(column).count < column.count
    }
}
