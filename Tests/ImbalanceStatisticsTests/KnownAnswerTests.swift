import Foundation
import XCTest
import ImbalanceStatistics

/// The inputs and SciPy / statsmodels answers written by scripts/make_statistics_fixtures.py.
struct StatisticsFixture: Decodable, Sendable {
    let scipyVersion: String
    let demsarTable: [String: [Double]]
    let wilcoxon: [Wilcoxon]
    let ttestRel: [TTest]
    let friedman: [Friedman]
    let holm: [Holm]
    let distributions: Distributions

    struct Wilcoxon: Decodable, Sendable {
        let name: String, d: [Double], statistic: Double, pvalue: Double, path: String
    }
    struct TTest: Decodable, Sendable {
        let name: String, a: [Double], b: [Double], t: Double, df: Double, pvalue: Double
        let ci95: [Double], ci90: [Double]
    }
    struct Friedman: Decodable, Sendable {
        let name: String, blocks: [[Double]], averageRanks: [Double], chiSquare: Double, pvalue: Double
        let imanDavenportF: Double?, imanDavenportPvalue: Double
    }
    struct Holm: Decodable, Sendable { let name: String, p: [Double], adjusted: [Double] }
    struct Distributions: Decodable, Sendable {
        struct TSF: Decodable, Sendable { let t: Double, df: Double, value: Double }
        struct TPPF: Decodable, Sendable { let p: Double, df: Double, value: Double }
        struct Chi: Decodable, Sendable { let x: Double, df: Double, value: Double }
        struct F: Decodable, Sendable { let x: Double, d1: Double, d2: Double, value: Double }
        struct Norm: Decodable, Sendable { let z: Double, value: Double }
        struct Range: Decodable, Sendable { let q: Double, k: Int, value: Double }
        let tSf: [TSF], tPpf: [TPPF], chi2Sf: [Chi], fSf: [F], normSf: [Norm]
        let nemenyiQ: [String: [String: Double]]
        let studentizedRangeCdf: [Range]
    }

    static let shared = Result { try load() }

    static func load() throws -> StatisticsFixture {
        guard let url = Bundle.module.url(forResource: "statistics_known_answers", withExtension: "json",
                                          subdirectory: "Fixtures") else { throw CocoaError(.fileNoSuchFile) }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(StatisticsFixture.self, from: Data(contentsOf: url))
    }
}

/// `a` within `relative` of `b` (relative to |b|, absolute below 1e-300).
func assertClose(_ a: Double, _ b: Double, relative: Double, _ message: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    let scale = max(abs(b), 1e-300)
    XCTAssertLessThanOrEqual(abs(a - b) / scale, relative, "\(message): \(a) vs \(b)", file: file, line: line)
}

final class StatisticsKnownAnswerTests: XCTestCase {
    var fixture: StatisticsFixture { get throws { try StatisticsFixture.shared.get() } }

    /// Exact p-values are ratios of integer counts: SciPy and Swift agree to rounding.
    /// Asymptotic ones go through erfc: 1e-12 relative.
    func testWilcoxonMatchesSciPy() throws {
        let cases = try fixture.wilcoxon
        XCTAssertGreaterThanOrEqual(cases.count, 16)
        XCTAssertEqual(Set(cases.map(\.path)), ["exact", "permutation", "asymptotic"])
        for c in cases {
            let test = try XCTUnwrap(SignedRankTest(differences: c.d), c.name)
            XCTAssertEqual(test.statistic, c.statistic, c.name)
            XCTAssertEqual(test.exact, c.path != "asymptotic", c.name)
            assertClose(test.pValue, c.pvalue, relative: 1e-12, c.name)
        }
    }

    func testSmallestExactPValues() throws {
        XCTAssertEqual(SignedRankTest.smallestPValue(pairs: 5), 0.0625)
        XCTAssertEqual(SignedRankTest.smallestPValue(pairs: 6), 0.03125)
        XCTAssertEqual(SignedRankTest.smallestPValue(pairs: 0), 1)
        XCTAssertEqual(SignedRankTest.smallestPValue(pairs: 1), 1)
        // The all-one-sign cases of the fixture reach exactly that bound.
        for c in try fixture.wilcoxon where c.name.contains("all_") {
            XCTAssertEqual(c.pvalue, SignedRankTest.smallestPValue(pairs: c.d.count), c.name)
        }
    }

    func testPairedTMatchesSciPy() throws {
        for c in try fixture.ttestRel {
            let d = zip(c.a, c.b).map { $0 - $1 }
            let t95 = try XCTUnwrap(PairedTTest(differences: d), c.name)
            let t90 = try XCTUnwrap(PairedTTest(differences: d, confidence: 0.9), c.name)
            XCTAssertEqual(Double(t95.degreesOfFreedom), c.df, c.name)
            assertClose(t95.t, c.t, relative: 1e-12, c.name + " t")
            assertClose(t95.pValue, c.pvalue, relative: 1e-9, c.name + " p")
            // Interval ends: the t quantile by bisection to full precision.
            assertClose(t95.lower, c.ci95[0], relative: 1e-10, c.name + " ci95 low")
            assertClose(t95.upper, c.ci95[1], relative: 1e-10, c.name + " ci95 high")
            assertClose(t90.lower, c.ci90[0], relative: 1e-10, c.name + " ci90 low")
            assertClose(t90.upper, c.ci90[1], relative: 1e-10, c.name + " ci90 high")
        }
    }

    func testFriedmanMatchesSciPy() throws {
        for c in try fixture.friedman {
            let f = try XCTUnwrap(FriedmanTest(c.blocks), c.name)
            XCTAssertEqual(f.blockCount, c.blocks.count)
            for (a, b) in zip(f.averageRanks, c.averageRanks) { assertClose(a, b, relative: 1e-14, c.name + " rank") }
            assertClose(f.chiSquare, c.chiSquare, relative: 1e-12, c.name + " chi2")
            assertClose(f.pValue, c.pvalue, relative: 1e-10, c.name + " p")
            if let expected = c.imanDavenportF {
                assertClose(f.imanDavenportF, expected, relative: 1e-12, c.name + " F")
            } else {
                XCTAssertEqual(f.imanDavenportF, .infinity, c.name)
            }
            assertClose(f.imanDavenportPValue, c.imanDavenportPvalue, relative: 1e-9, c.name + " F p")
        }
    }

    func testHolmMatchesStatsmodels() throws {
        for c in try fixture.holm {
            let adjusted = holmAdjusted(c.p.map { $0 })
            for (a, b) in zip(adjusted, c.adjusted) { assertClose(try XCTUnwrap(a), b, relative: 1e-15, c.name) }
        }
    }

    func testDistributionsMatchSciPy() throws {
        let d = try fixture.distributions
        for c in d.tSf { assertClose(Distributions.studentTSurvival(c.t, df: c.df), c.value, relative: 1e-11, "t.sf(\(c.t), \(c.df))") }
        for c in d.tPpf { assertClose(Distributions.studentTQuantile(c.p, df: c.df), c.value, relative: 1e-11, "t.ppf(\(c.p), \(c.df))") }
        for c in d.chi2Sf { assertClose(Distributions.chiSquareSurvival(c.x, df: c.df), c.value, relative: 1e-11, "chi2.sf(\(c.x), \(c.df))") }
        for c in d.fSf { assertClose(Distributions.fSurvival(c.x, d1: c.d1, d2: c.d2), c.value, relative: 1e-11, "f.sf(\(c.x))") }
        for c in d.normSf { assertClose(Distributions.normalSurvival(c.z), c.value, relative: 1e-14, "norm.sf(\(c.z))") }
        for c in d.studentizedRangeCdf {
            assertClose(Nemenyi.studentizedRangeCDF(c.q, means: c.k), c.value, relative: 1e-9, "srange.cdf(\(c.q), \(c.k))")
        }
    }

    /// The Nemenyi q: the constants are Demšar's Table 5(a) as printed (checked against the
    /// fixture's independent transcription); the computed quantile agrees with SciPy's
    /// studentised range to 1e-8 and with the printed table to its 3 decimals.
    func testNemenyiCriticalValues() throws {
        let fixture = try fixture
        XCTAssertEqual(Nemenyi.tableAlpha05, fixture.demsarTable["alpha_0.05"])
        XCTAssertEqual(Nemenyi.tableAlpha10, fixture.demsarTable["alpha_0.10"])
        for (alphaKey, alpha, table) in [("alpha_0.05", 0.05, Nemenyi.tableAlpha05), ("alpha_0.10", 0.10, Nemenyi.tableAlpha10)] {
            let scipy = try XCTUnwrap(fixture.distributions.nemenyiQ[alphaKey])
            for k in 2...20 {
                let computed = Nemenyi.studentizedRangeQuantile(1 - alpha, means: k) / 2.0.squareRoot()
                assertClose(computed, try XCTUnwrap(scipy[String(k)]), relative: 1e-8, "q \(alphaKey) k=\(k)")
                if k <= 10 {
                    XCTAssertEqual(Nemenyi.q(methods: k, alpha: alpha), table[k - 2])
                    XCTAssertEqual(computed, table[k - 2], accuracy: 0.0011, "table vs integral k=\(k)")
                } else {
                    XCTAssertEqual(Nemenyi.q(methods: k, alpha: alpha), computed)
                }
            }
        }
        // Demšar's worked example (section 3.2.4): k = 4, N = 14, CD = 1.25 at 0.05.
        XCTAssertEqual(Nemenyi.criticalDifference(methods: 4, blocks: 14), 1.25, accuracy: 0.005)
        // METHODS.md: k = 5, alpha 0.05: 2.728.
        XCTAssertEqual(Nemenyi.q(methods: 5), 2.728)
    }
}

final class StatisticsEdgeCaseTests: XCTestCase {
    func testAverageRanksShareTies() {
        XCTAssertEqual(averageRanks([3, 1, 2, 2]), [4, 1, 2.5, 2.5])
        XCTAssertEqual(averageRanks([0.9, 0.8, 0.9], descending: true), [1.5, 3, 1.5])
        XCTAssertEqual(tieGroupSizes([1, 1, 2, 3, 3, 3]), [2, 3])
    }

    func testSignedRankUndefinedAndDegenerate() throws {
        XCTAssertNil(SignedRankTest(differences: [0.1, .nan]))
        let zeros = try XCTUnwrap(SignedRankTest(differences: [0, 0, 0]))
        XCTAssertEqual(zeros.nonZeroCount, 0)
        XCTAssertEqual(zeros.pValue, 1)
        // The order of the pairs never matters.
        let d = [0.3, -0.1, 0.25, 0.7, -0.05, 0.4]
        XCTAssertEqual(SignedRankTest(differences: d), SignedRankTest(differences: d.reversed()))
    }

    func testPairedTEdgeCases() throws {
        XCTAssertNil(PairedTTest(differences: [0.1]))
        XCTAssertNil(PairedTTest(differences: [0, 0, 0]))
        // Exactly representable, so the sample variance is exactly 0.
        let constant = try XCTUnwrap(PairedTTest(differences: [0.25, 0.25, 0.25]))
        XCTAssertEqual(constant.t, .infinity)
        XCTAssertEqual(constant.pValue, 0)
        XCTAssertEqual(constant.lower, 0.25)
    }

    func testHolmSkipsUndefinedAndIsMonotone() throws {
        let adjusted = holmAdjusted([0.01, nil, 0.04, 0.03])
        XCTAssertNil(adjusted[1])
        XCTAssertEqual(try XCTUnwrap(adjusted[0]), 0.03, accuracy: 1e-15)
        XCTAssertEqual(try XCTUnwrap(adjusted[3]), 0.06, accuracy: 1e-15)
        XCTAssertEqual(try XCTUnwrap(adjusted[2]), 0.06, accuracy: 1e-15)   // monotone: max(0.04, 0.06)
        XCTAssertEqual(smallestHolmAdjusted(smallestRaw: 0.03125, familySize: 2), 0.0625)
    }

    func testFriedmanRejectsIncompleteBlocks() {
        XCTAssertNil(FriedmanTest([[1, 2, 3]]))
        XCTAssertNil(FriedmanTest([[1, 2, 3], [1, 2]]))
        XCTAssertNil(FriedmanTest([[1, 1, 1], [2, 2, 2]]))   // all tied: C = 0
        XCTAssertNil(FriedmanTest([[1, .nan], [1, 2]]))
    }

    func testPairedComparisonBundles() throws {
        let c = PairedComparison([0.95, 0.96, 0.97], [0.94, 0.94, 0.96])
        XCTAssertEqual(c.count, 3)
        XCTAssertEqual(try XCTUnwrap(c.meanDifference), (0.01 + 0.02 + 0.01) / 3, accuracy: 1e-15)
        XCTAssertEqual(c.signedRank?.rankSumNegative, 0)
        XCTAssertNotNil(c.pairedT)
        XCTAssertNil(PairedComparison([], []).meanDifference)
    }
}
