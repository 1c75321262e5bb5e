import XCTest
import ImbalanceMetrics

final class EdgeCaseTests: XCTestCase {
    func testAllEqualScoresGiveOneHalf() throws {
        let scores = [Float](repeating: 0.25, count: 4 * 6)
        let labels = [0, 1, 2, 3, 0, 1]
        let auc = try multiClassAUC(scores: scores, labels: labels, classCount: 4)
        XCTAssertEqual(auc.perClass, [0.5, 0.5, 0.5, 0.5])
        XCTAssertEqual(auc.mean, 0.5)
        XCTAssertEqual(try predictions(scores: scores, classCount: 4), [0, 0, 0, 0, 0, 0])
    }

    func testPerfectAndReversedRankings() throws {
        let scores: [Float] = [0.9, 0.1, 0.8, 0.2, 0.3, 0.7]
        XCTAssertEqual(try rocAUC(scores: scores, labels: [0, 0, 1], positive: 0, classCount: 2), 1)
        XCTAssertEqual(try rocAUC(scores: scores, labels: [1, 1, 0], positive: 0, classCount: 2), 0)
    }

    /// Positive and negative zero are equal scores, so they tie.
    func testSignedZerosTie() throws {
        XCTAssertEqual(try rocAUC(scores: [0, 1, -0.0, 1], labels: [0, 1], positive: 0, classCount: 2), 0.5)
    }

    func testAbsentClassIsUndefinedAndLeftOutOfTheMean() throws {
        // Class 2 never occurs among the labels.
        let scores: [Float] = [0.7, 0.2, 0.1,
                               0.2, 0.7, 0.1,
                               0.6, 0.3, 0.1,
                               0.1, 0.3, 0.6]
        let labels = [0, 1, 0, 1]
        let auc = try multiClassAUC(scores: scores, labels: labels, classCount: 3)
        XCTAssertNil(auc.perClass[2])
        XCTAssertEqual(auc.definedClassCount, 2)
        XCTAssertEqual(auc.perClass[0], 1)
        XCTAssertEqual(auc.perClass[1], 0.875)                  // 0.3 vs 0.3 ties: 7 of 8
        XCTAssertEqual(auc.mean, 0.9375)
        XCTAssertNil(try rocAUC(scores: scores, labels: labels, positive: 2, classCount: 3))

        let report = try evaluate(scores: scores, labels: labels, classCount: 3)
        XCTAssertEqual(report.aucDefinedClassCount, 2)
        XCTAssertEqual(report.confusion, [[2, 0, 0], [0, 1, 1], [0, 0, 0]])
        XCTAssertEqual(report.balancedAccuracy, 0.75)           // classes 0 and 1 only
        XCTAssertEqual(report.precision, [1, 1, 0])              // class 2 predicted once, wrongly
        XCTAssertEqual(report.recall, [1, 0.5, 0])               // class 2: no samples, 0
        XCTAssertEqual(report.f1[2], 0)
    }

    func testSingleSample() throws {
        let report = try evaluate(scores: [0.2, 0.8], labels: [1], classCount: 2)
        XCTAssertNil(report.multiClassAUC)
        XCTAssertEqual(report.perClassAUC, [nil, nil])
        XCTAssertEqual(report.aucDefinedClassCount, 0)
        XCTAssertEqual(report.accuracy, 1)
        XCTAssertEqual(report.balancedAccuracy, 1)
        XCTAssertEqual(report.confusion, [[0, 0], [0, 1]])
        XCTAssertEqual(report.macroF1, 0.5)                      // class 0 has F1 0 by convention
    }

    func testSingleClass() throws {
        let report = try evaluate(scores: [1, 1, 1], labels: [0, 0, 0], classCount: 1)
        XCTAssertNil(report.multiClassAUC)
        XCTAssertEqual(report.accuracy, 1)
        XCTAssertEqual(report.confusion, [[3]])
    }

    func testArgmaxFirstMaximumWins() throws {
        let scores: [Float] = [0.25, 0.25, 0.25, 0.25,
                               0.1, 0.4, 0.4, 0.1,
                               0, 0, 0.5, 0.5,
                               -.infinity, -.infinity, -.infinity, -1]
        XCTAssertEqual(try predictions(scores: scores, classCount: 4), [0, 1, 2, 3])
        XCTAssertEqual(try predictions(scores: scores.map(Double.init), classCount: 4), [0, 1, 2, 3])
    }

    /// The sorted Mann-Whitney count against the pairwise definition, on random data with
    /// many ties, including tiny and lopsided samples: equal to the last bit.
    func testAgreesWithPairwiseDefinition() throws {
        var rng = TestRNG(seed: 42)
        for trial in 0..<200 {
            let k = 1 + rng.int(4)
            let n = 1 + rng.int(60)
            let levels = 1 + rng.int(8)
            let scores = (0..<(n * k)).map { _ in Float(rng.int(levels)) / Float(levels) }
            let labels = (0..<n).map { _ in trial % 3 == 0 ? rng.int(k) : (rng.unit() < 0.9 ? 0 : rng.int(k)) }
            let auc = try multiClassAUC(scores: scores, labels: labels, classCount: k)
            for c in 0..<k {
                let expected = bruteForceAUC(scores, labels: labels, positive: c, classCount: k)
                XCTAssertEqual(auc.perClass[c], expected, "trial \(trial) class \(c)")
            }
        }
    }

    func testInvalidInputsThrow() {
        XCTAssertThrowsError(try multiClassAUC(scores: [0.5, 0.5, 0.5], labels: [0, 1], classCount: 2)) {
            XCTAssertEqual($0 as? MetricsError, .shapeMismatch(scoreCount: 3, sampleCount: 2, classCount: 2))
        }
        XCTAssertThrowsError(try multiClassAUC(scores: [0.5, 0.5], labels: [2], classCount: 2)) {
            XCTAssertEqual($0 as? MetricsError, .classOutOfRange(sample: 0, value: 2, classCount: 2))
        }
        XCTAssertThrowsError(try multiClassAUC(scores: [0.5, 0.5], labels: [-1], classCount: 2)) {
            XCTAssertEqual($0 as? MetricsError, .classOutOfRange(sample: 0, value: -1, classCount: 2))
        }
        XCTAssertThrowsError(try multiClassAUC(scores: [Float](), labels: [], classCount: 0)) {
            XCTAssertEqual($0 as? MetricsError, .invalidClassCount(0))
        }
        XCTAssertThrowsError(try rocAUC(scores: [0.5, 0.5], labels: [0], positive: 2, classCount: 2)) {
            XCTAssertEqual($0 as? MetricsError, .positiveClassOutOfRange(2, classCount: 2))
        }
        XCTAssertThrowsError(try multiClassAUC(scores: [0.5, 0.5, 0.1, .nan], labels: [0, 1], classCount: 2)) {
            XCTAssertEqual($0 as? MetricsError, .nanScore(sample: 1, class: 1))
        }
        XCTAssertThrowsError(try predictions(scores: [0.5, .nan], classCount: 2)) {
            XCTAssertEqual($0 as? MetricsError, .nanScore(sample: 0, class: 1))
        }
        XCTAssertThrowsError(try predictions(scores: [0.5, 0.5, 0.5], classCount: 2))
        XCTAssertThrowsError(try evaluate(scores: [Float](), labels: [], classCount: 3)) {
            XCTAssertEqual($0 as? MetricsError, .noSamples)
        }
        XCTAssertThrowsError(try accuracy(predictions: [0], labels: [0, 1])) {
            XCTAssertEqual($0 as? MetricsError, .countMismatch(predictions: 1, labels: 2))
        }
        XCTAssertThrowsError(try accuracy(predictions: [], labels: [])) {
            XCTAssertEqual($0 as? MetricsError, .noSamples)
        }
        XCTAssertThrowsError(try confusionMatrix(predictions: [3], labels: [0], classCount: 3)) {
            XCTAssertEqual($0 as? MetricsError, .classOutOfRange(sample: 0, value: 3, classCount: 3))
        }
        // Empty but well-formed: nothing is defined, nothing throws.
        XCTAssertNil(try rocAUC(scores: [Float](), labels: [], positive: 0, classCount: 2))
        XCTAssertEqual(MetricsError.noSamples.description, "no samples")
    }

    /// The protocol's largest evaluation is 10,000 x 10 (MNIST); it must stay cheap.
    func testMNISTSizedEvaluationIsQuick() throws {
        let data = toySoftmax(n: 10_000, classCount: 10, seed: 9)
        let clock = ContinuousClock()
        let start = clock.now
        let report = try evaluate(scores: data.scores, labels: data.labels, classCount: 10)
        XCTAssertEqual(report.aucDefinedClassCount, 10)
        XCTAssertLessThan(clock.now - start, .seconds(10))
    }
}
