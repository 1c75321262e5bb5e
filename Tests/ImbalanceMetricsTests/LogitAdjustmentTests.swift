import Foundation
import XCTest
import ImbalanceMetrics

final class LogitAdjustmentTests: XCTestCase {
    let counts = [5000, 5000, 5000, 5000, 5000, 5, 5, 5, 5, 5]

    /// tau = 1 is Buda's thresholding: the same decision scores, the same predictions and
    /// the same report, on fine and on coarse (tie-heavy) softmax outputs.
    func testTauOneGivesExactlyThePredictionsOfThresholding() throws {
        let k = counts.count
        let p = try priors(fromCounts: counts)
        for (seed, coarse) in [(UInt64(11), false), (12, true)] {
            let data = toySoftmax(n: 2000, classCount: k, seed: seed, logPriors: p.map { log($0) }, coarse: coarse)
            let thr = try thresholded(scores: data.scores, priors: p)
            let la = try logitAdjusted(scores: data.scores, priors: p, tau: 1)
            XCTAssertEqual(la.map(\.bitPattern), thr.map(\.bitPattern))
            XCTAssertEqual(try predictions(scores: la, classCount: k), try predictions(scores: thr, classCount: k))
            let a = try evaluate(scores: data.scores, labels: data.labels, classCount: k,
                                 logitAdjustmentPriors: p, tau: 1)
            let b = try evaluate(scores: data.scores, labels: data.labels, classCount: k, thresholdingPriors: p)
            XCTAssertEqual(a, b)
            // And the adjustment matters here: the tilted network is fixed by it.
            let raw = try evaluate(scores: data.scores, labels: data.labels, classCount: k)
            XCTAssertGreaterThan(a.balancedAccuracy, raw.balancedAccuracy)
        }
    }

    /// tau = 0 decides on the raw scores; any tau leaves every AUC bit-identical; other
    /// tau decide as argmax_j log p_j - tau log pi_j computed directly.
    func testOtherTauAndAUCInvariance() throws {
        let k = counts.count
        let p = try priors(fromCounts: counts)
        let data = toySoftmax(n: 1500, classCount: k, seed: 13, logPriors: p.map { log($0) })
        let raw = try evaluate(scores: data.scores, labels: data.labels, classCount: k)
        let zero = try evaluate(scores: data.scores, labels: data.labels, classCount: k,
                                logitAdjustmentPriors: p, tau: 0)
        XCTAssertEqual(zero.confusion, raw.confusion)
        for tau in [0.25, 0.5, 1.5] {
            let r = try evaluate(scores: data.scores, labels: data.labels, classCount: k,
                                 logitAdjustmentPriors: p, tau: tau)
            XCTAssertEqual(r.multiClassAUC?.bitPattern, raw.multiClassAUC?.bitPattern)
            XCTAssertEqual(r.perClassAUC.map { $0?.bitPattern }, raw.perClassAUC.map { $0?.bitPattern })
            var direct = [Int]()
            for i in 0..<(data.scores.count / k) {
                var best = 0, bestValue = -Double.infinity
                for j in 0..<k {
                    let v = log(Double(data.scores[i * k + j])) - tau * log(p[j])
                    if v > bestValue { best = j; bestValue = v }
                }
                direct.append(best)
            }
            XCTAssertEqual(try predictions(scores: try logitAdjusted(scores: data.scores, priors: p, tau: tau),
                                           classCount: k), direct, "tau \(tau)")
        }
    }

    /// Zero scores and zero priors: a class never seen in training cannot be predicted
    /// (tau > 0), a zero score loses to any positive one, and errors are thresholding's.
    func testEdgeCases() throws {
        let s: [Float] = [0.5, 0.5, 0, 0.2, 0.8, 0]
        let adjusted = try logitAdjusted(scores: s, priors: [0.5, 0, 0.5], tau: 0.5)
        XCTAssertEqual(try predictions(scores: adjusted, classCount: 3), [0, 0])
        XCTAssertEqual(adjusted[1], -.infinity)
        XCTAssertEqual(adjusted[2], -.infinity)
        XCTAssertThrowsError(try logitAdjusted(scores: [0.1, 0.9], priors: [0, 0], tau: 2)) {
            XCTAssertEqual($0 as? MetricsError, .allPriorsZero)
        }
        XCTAssertThrowsError(try logitAdjusted(scores: [0.1, 0.9, 0.3], priors: [0.5, 0.5], tau: 2))
    }
}
