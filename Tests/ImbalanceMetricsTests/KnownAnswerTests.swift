import Foundation
import XCTest
import ImbalanceMetrics

/// The inputs and scikit-learn answers written by scripts/make_metric_fixtures.py.
struct KnownAnswers: Decodable, Sendable {
    let sklearnVersion: String
    let cases: [Case]

    struct Case: Decodable, Sendable {
        let name: String
        let classCount: Int
        let sampleCount: Int
        let scores: [Double]
        let scoresBitsSum: UInt64
        let labels: [Int]
        let minorityClasses: [Int]
        let expected: Expected
        let thresholding: Thresholding?

        /// The float32 scores, exactly as numpy held them (checked by `scoresBitsSum`).
        var floatScores: [Float] { scores.map { Float($0) } }
    }

    struct Expected: Decodable, Sendable {
        let perClassAuc: [Double?]
        let definedAucClasses: Int
        let multiClassAuc: Double?
        let sklearnOvrAuc: Double?
        let predictions: [Int]
        let accuracy: Double
        let balancedAccuracy: Double
        let macroF1: Double
        let precision: [Double]
        let recall: [Double]
        let f1: [Double]
        let confusion: [[Int]]
        let perClassAveragePrecision: [Double?]
        let macroAveragePrecision: Double?
        let sklearnMacroAveragePrecision: Double?
        let aucMeans: Means
        let mcc: Double
        let gMean: Double
        let ece: Double
        let recallMeans: Means
    }

    struct Means: Decodable, Sendable {
        let minority: Double?
        let majority: Double?
    }

    struct Thresholding: Decodable, Sendable {
        let trainCounts: [Int]
        let predictions: [Int]
        let accuracy: Double
        let balancedAccuracy: Double
        let macroF1: Double
        let confusion: [[Int]]
        let mcc: Double
        let gMean: Double
        let ece: Double
        let recallMeans: Means
    }

    /// Loaded once for all tests; a missing or malformed file fails every test that uses it.
    static let shared = Result { try KnownAnswers.load() }

    static func load() throws -> KnownAnswers {
        guard let url = Bundle.module.url(forResource: "metrics_known_answers", withExtension: "json",
                                          subdirectory: "Fixtures") else {
            throw CocoaError(.fileNoSuchFile)
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(KnownAnswers.self, from: Data(contentsOf: url))
    }
}

/// AUCs are exact rationals here and a trapezoid sum in scikit-learn: they agree to a few
/// ulps. Other ratios are computed by slightly different formulas, so the same tolerance.
let tolerance = 1e-12

final class KnownAnswerTests: XCTestCase {
    var fixture: KnownAnswers {
        get throws { try KnownAnswers.shared.get() }
    }

    func testFixtureIsComplete() throws {
        let fixture = try fixture
        XCTAssertEqual(fixture.cases.count, 10)
        XCTAssertFalse(fixture.sklearnVersion.isEmpty)
        XCTAssertTrue(fixture.cases.contains { $0.classCount == 2 })
        XCTAssertTrue(fixture.cases.contains { $0.classCount == 10 })
        XCTAssertTrue(fixture.cases.contains { $0.expected.definedAucClasses < $0.classCount })
    }

    /// The decoded Floats are bit for bit those scikit-learn ranked.
    func testScoresDecodeExactly() throws {
        let fixture = try fixture
        for c in fixture.cases {
            XCTAssertEqual(c.scores.count, c.sampleCount * c.classCount, c.name)
            let sum = c.floatScores.reduce(UInt64(0)) { $0 + UInt64($1.bitPattern) }
            XCTAssertEqual(sum, c.scoresBitsSum, c.name)
        }
    }

    func testAUCMatchesSklearn() throws {
        let fixture = try fixture
        for c in fixture.cases {
            let auc = try multiClassAUC(scores: c.floatScores, labels: c.labels, classCount: c.classCount)
            XCTAssertEqual(auc.perClass.count, c.classCount, c.name)
            for k in 0..<c.classCount {
                let expected = c.expected.perClassAuc[k]
                let got = auc.perClass[k]
                XCTAssertEqual(got == nil, expected == nil, "\(c.name) class \(k)")
                if let got, let expected {
                    XCTAssertEqual(got, expected, accuracy: tolerance, "\(c.name) class \(k)")
                }
                // The single-class entry point agrees with the all-classes one exactly.
                XCTAssertEqual(try rocAUC(scores: c.floatScores, labels: c.labels, positive: k,
                                          classCount: c.classCount), got, c.name)
            }
            XCTAssertEqual(auc.definedClassCount, c.expected.definedAucClasses, c.name)
            try assertEqual(auc.mean, c.expected.multiClassAuc, c.name)
            if let ovr = c.expected.sklearnOvrAuc {
                if c.classCount == 2 {
                    // scikit-learn's binary AUC scores column 1 only.
                    try assertEqual(auc.perClass[1], ovr, c.name)
                }
                // Every case with a defined sklearn ovr value has all classes present, and
                // the K = 2 cases have complementary columns, so the means agree.
                try assertEqual(auc.mean, ovr, c.name)
            } else if c.classCount > 2 {
                XCTAssertLessThan(auc.definedClassCount, c.classCount, c.name)
            }
        }
    }

    func testDecisionMetricsMatchSklearn() throws {
        let fixture = try fixture
        for c in fixture.cases {
            let predicted = try predictions(scores: c.floatScores, classCount: c.classCount)
            XCTAssertEqual(predicted, c.expected.predictions, c.name)
            XCTAssertEqual(try confusionMatrix(predictions: predicted, labels: c.labels, classCount: c.classCount),
                           c.expected.confusion, c.name)
            XCTAssertEqual(try accuracy(predictions: predicted, labels: c.labels), c.expected.accuracy,
                           accuracy: tolerance, c.name)
            XCTAssertEqual(try balancedAccuracy(predictions: predicted, labels: c.labels, classCount: c.classCount),
                           c.expected.balancedAccuracy, accuracy: tolerance, c.name)
            XCTAssertEqual(try macroF1(predictions: predicted, labels: c.labels, classCount: c.classCount),
                           c.expected.macroF1, accuracy: tolerance, c.name)
            let rates = try perClassRates(predictions: predicted, labels: c.labels, classCount: c.classCount)
            assertClose(rates.precision, c.expected.precision, c.name + " precision")
            assertClose(rates.recall, c.expected.recall, c.name + " recall")
            assertClose(rates.f1, c.expected.f1, c.name + " f1")
        }
    }

    func testEvaluateBundlesTheSameNumbers() throws {
        let fixture = try fixture
        for c in fixture.cases {
            let report = try evaluate(scores: c.floatScores, labels: c.labels, classCount: c.classCount)
            let auc = try multiClassAUC(scores: c.floatScores, labels: c.labels, classCount: c.classCount)
            XCTAssertEqual(report.multiClassAUC, auc.mean, c.name)
            XCTAssertEqual(report.perClassAUC, auc.perClass, c.name)
            XCTAssertEqual(report.aucDefinedClassCount, c.expected.definedAucClasses, c.name)
            XCTAssertEqual(report.sampleCount, c.sampleCount, c.name)
            XCTAssertEqual(report.classCount, c.classCount, c.name)
            XCTAssertFalse(report.thresholded, c.name)
            XCTAssertEqual(report.confusion, c.expected.confusion, c.name)
            XCTAssertEqual(report.accuracy, c.expected.accuracy, accuracy: tolerance, c.name)
            XCTAssertEqual(report.balancedAccuracy, c.expected.balancedAccuracy, accuracy: tolerance, c.name)
            XCTAssertEqual(report.macroF1, c.expected.macroF1, accuracy: tolerance, c.name)
            assertClose(report.precision, c.expected.precision, c.name)
            assertClose(report.recall, c.expected.recall, c.name)
            assertClose(report.f1, c.expected.f1, c.name)
        }
    }

    /// Decisions after dividing by the training priors, against numpy in float64.
    func testThresholdingMatchesNumpy() throws {
        let fixture = try fixture
        var checked = 0
        for c in fixture.cases {
            guard let t = c.thresholding else { continue }
            checked += 1
            let priors = try priors(fromCounts: t.trainCounts)
            let adjusted = try thresholded(scores: c.floatScores, priors: priors)
            XCTAssertEqual(try predictions(scores: adjusted, classCount: c.classCount), t.predictions, c.name)

            let report = try evaluate(scores: c.floatScores, labels: c.labels, classCount: c.classCount,
                                      thresholdingPriors: priors)
            XCTAssertTrue(report.thresholded)
            XCTAssertEqual(report.confusion, t.confusion, c.name)
            XCTAssertEqual(report.accuracy, t.accuracy, accuracy: tolerance, c.name)
            XCTAssertEqual(report.balancedAccuracy, t.balancedAccuracy, accuracy: tolerance, c.name)
            XCTAssertEqual(report.macroF1, t.macroF1, accuracy: tolerance, c.name)
            // AUCs are those of the raw scores, exactly.
            let plain = try evaluate(scores: c.floatScores, labels: c.labels, classCount: c.classCount)
            XCTAssertEqual(report.multiClassAUC, plain.multiClassAUC, c.name)
            XCTAssertEqual(report.perClassAUC, plain.perClassAUC, c.name)
        }
        XCTAssertEqual(checked, 5)
    }

    /// MCC (scikit-learn), G-mean (imbalanced-learn), ECE (the fixture's float64 reference),
    /// average precision (scikit-learn) and the minority / majority means.
    func testImbalanceMetricsMatchReferences() throws {
        let fixture = try fixture
        for c in fixture.cases {
            let e = c.expected
            let report = try evaluate(scores: c.floatScores, labels: c.labels, classCount: c.classCount,
                                      minorityClasses: c.minorityClasses)
            XCTAssertEqual(report.matthewsCorrelation, e.mcc, accuracy: tolerance, c.name + " MCC")
            XCTAssertEqual(try matthewsCorrelation(predictions: e.predictions, labels: c.labels, classCount: c.classCount),
                           e.mcc, accuracy: tolerance, c.name)
            XCTAssertEqual(report.geometricMeanRecall, e.gMean, accuracy: tolerance, c.name + " G-mean")
            XCTAssertEqual(report.expectedCalibrationError, e.ece, accuracy: tolerance, c.name + " ECE")
            XCTAssertEqual(report.perClassAveragePrecision.count, c.classCount)
            for k in 0..<c.classCount {
                try assertEqual(report.perClassAveragePrecision[k], e.perClassAveragePrecision[k], "\(c.name) AP \(k)")
                try assertEqual(try averagePrecision(scores: c.floatScores, labels: c.labels, positive: k,
                                                     classCount: c.classCount),
                                e.perClassAveragePrecision[k], "\(c.name) AP \(k)")
            }
            try assertEqual(report.macroAveragePrecision, e.macroAveragePrecision, c.name + " macro AP")
            if let sk = e.sklearnMacroAveragePrecision { try assertEqual(report.macroAveragePrecision, sk, c.name) }
            try assertEqual(report.recallMeans.minority, e.recallMeans.minority, c.name + " minority recall")
            try assertEqual(report.recallMeans.majority, e.recallMeans.majority, c.name + " majority recall")
            try assertEqual(report.aucMeans.minority, e.aucMeans.minority, c.name + " minority AUC")
            try assertEqual(report.aucMeans.majority, e.aucMeans.majority, c.name + " majority AUC")

            guard let t = c.thresholding else { continue }
            let adjusted = try evaluate(scores: c.floatScores, labels: c.labels, classCount: c.classCount,
                                        thresholdingPriors: try priors(fromCounts: t.trainCounts),
                                        minorityClasses: c.minorityClasses)
            XCTAssertEqual(adjusted.matthewsCorrelation, t.mcc, accuracy: tolerance, c.name + " thr MCC")
            XCTAssertEqual(adjusted.geometricMeanRecall, t.gMean, accuracy: tolerance, c.name + " thr G-mean")
            XCTAssertEqual(adjusted.expectedCalibrationError, t.ece, accuracy: tolerance, c.name + " thr ECE")
            try assertEqual(adjusted.recallMeans.minority, t.recallMeans.minority, c.name + " thr minority recall")
            // Ranking metrics come from the raw scores.
            XCTAssertEqual(adjusted.perClassAveragePrecision, report.perClassAveragePrecision, c.name)
            XCTAssertEqual(adjusted.aucMeans, report.aucMeans, c.name)
        }
    }

    /// Exact rationals for the hand-sized cases: the Mann-Whitney count rounds once.
    func testSmallCasesAreExactRationals() throws {
        let fixture = try fixture
        let binary = try XCTUnwrap(fixture.cases.first { $0.name == "binary_n7" })
        let auc = try multiClassAUC(scores: binary.floatScores, labels: binary.labels, classCount: 2)
        // Positives 0.5, 0.75, 0.5, 0.9375 against negatives 0.1875, 0.5, 0.3125: 2U = 22 of 24.
        XCTAssertEqual(auc.perClass, [11.0 / 12.0, 11.0 / 12.0])
        XCTAssertEqual(auc.mean, 11.0 / 12.0)
    }

    // MARK: - Helpers

    private func assertEqual(_ got: Double?, _ expected: Double?, _ message: String,
                             file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(got == nil, expected == nil, message, file: file, line: line)
        if let got, let expected {
            XCTAssertEqual(got, expected, accuracy: tolerance, message, file: file, line: line)
        }
    }

    private func assertClose(_ got: [Double], _ expected: [Double], _ message: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, expected.count, message, file: file, line: line)
        for (g, e) in zip(got, expected) {
            XCTAssertEqual(g, e, accuracy: tolerance, message, file: file, line: line)
        }
    }
}
