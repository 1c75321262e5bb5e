import XCTest
import ImbalanceMetrics

final class BootstrapTests: XCTestCase {
    func testIntervalIsSeededAndBracketsTheEstimate() throws {
        let data = toySoftmax(n: 400, classCount: 4, seed: 11)
        let point = try XCTUnwrap(multiClassAUC(scores: data.scores, labels: data.labels, classCount: 4).mean)
        var rng = TestRNG(seed: 5)
        let interval = try XCTUnwrap(bootstrapMultiClassAUC(scores: data.scores, labels: data.labels, classCount: 4,
                                                             resamples: 200, using: &rng))
        XCTAssertLessThan(interval.lower, point)
        XCTAssertGreaterThan(interval.upper, point)
        XCTAssertLessThan(interval.upper - interval.lower, 0.15)
        XCTAssertEqual(interval.definedResamples, 200)
        XCTAssertEqual(interval.confidence, 0.95)

        var again = TestRNG(seed: 5)
        XCTAssertEqual(try bootstrapMultiClassAUC(scores: data.scores, labels: data.labels, classCount: 4,
                                                  resamples: 200, using: &again), interval)
    }

    func testConstantMetricGivesDegenerateInterval() throws {
        let scores = [Float](repeating: 0.5, count: 2 * 50)
        let labels = (0..<50).map { $0 % 2 }
        var rng = TestRNG(seed: 1)
        let interval = try XCTUnwrap(bootstrapMultiClassAUC(scores: scores, labels: labels, classCount: 2,
                                                             resamples: 50, using: &rng))
        XCTAssertEqual(interval.lower, 0.5)
        XCTAssertEqual(interval.upper, 0.5)
    }

    func testUndefinedEverywhereGivesNil() throws {
        var rng = TestRNG(seed: 1)
        // One sample: every resample holds a single class, so no AUC is ever defined.
        XCTAssertNil(try bootstrapMultiClassAUC(scores: [0.3, 0.7], labels: [1], classCount: 2,
                                                resamples: 10, using: &rng))
    }

    /// Percentiles interpolate as numpy's default: on 0...100 they are the percent itself.
    func testPercentilesInterpolateLinearly() throws {
        var rng = TestRNG(seed: 3)
        var calls = 0.0
        let interval = try XCTUnwrap(bootstrapInterval(sampleCount: 3, resamples: 101, confidence: 0.9,
                                                       using: &rng) { _ in
            defer { calls += 1 }
            return calls
        })
        XCTAssertEqual(interval.lower, 5, accuracy: 1e-12)
        XCTAssertEqual(interval.upper, 95, accuracy: 1e-12)
    }

    func testResampledIndicesAreInRangeAndCoverIt() throws {
        var rng = TestRNG(seed: 8)
        var seen = Set<Int>()
        _ = try bootstrapInterval(sampleCount: 7, resamples: 50, using: &rng) { indices in
            XCTAssertEqual(indices.count, 7)
            XCTAssertTrue(indices.allSatisfy { (0..<7).contains($0) })
            seen.formUnion(indices)
            return 0
        }
        XCTAssertEqual(seen, Set(0..<7))
    }

    func testInvalidArgumentsThrow() {
        var rng = TestRNG(seed: 1)
        for (n, r, c) in [(0, 10, 0.95), (5, 0, 0.95), (5, 10, 1.0), (5, 10, 0.0), (5, 10, .nan)] {
            XCTAssertThrowsError(try bootstrapInterval(sampleCount: n, resamples: r, confidence: c,
                                                       using: &rng) { _ in 0 }) { error in
                guard case .invalidBootstrap? = error as? MetricsError else { return XCTFail("\(error)") }
            }
        }
    }
}
