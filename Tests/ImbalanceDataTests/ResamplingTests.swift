import Foundation
import XCTest
import ImbalanceRandom
@testable import ImbalanceData
import ImbalanceTestSupport

final class ResamplingTests: XCTestCase {
    /// Class sizes 40, 4, 10, 40 (current ratio 10), labels interleaved; the training list
    /// is every example, in dataset order.
    private let data = syntheticDataset(sizes: [40, 4, 10, 40], seed: 7)
    private var all: [Int] { Array(0..<data.count) }

    private func run(_ sampler: Sampler, _ target: SamplingTarget = .balance,
                     indices: [Int]? = nil, seed: UInt64 = 5) throws -> [Int] {
        var rng = RandomStream(seed: seed)
        return try resample(indices ?? all, labels: data.labels, classCount: 4,
                            sampler: sampler, target: target, rng: &rng)
    }

    private func counts(_ indices: [Int]) -> [Int] {
        var c = [0, 0, 0, 0]
        for i in indices { c[data.labels[i]] += 1 }
        return c
    }

    private func multiplicity(_ indices: [Int]) -> [Int: Int] {
        indices.reduce(into: [:]) { $0[$1, default: 0] += 1 }
    }

    /// Original members of each class, in input order.
    private func members(_ indices: [Int]) -> [[Int]] {
        var m = [[Int]](repeating: [], count: 4)
        for i in indices { m[data.labels[i]].append(i) }
        return m
    }

    func testFullOversamplingKeepsEveryOriginalAndReplicatesWithinClass() throws {
        let out = try run(.randomOversampling)
        XCTAssertEqual(counts(out), [40, 40, 40, 40])
        XCTAssertTrue(Set(all).isSubset(of: Set(out)), "every original is kept")
        // Layout: per class in label order, the originals in input order, then the extras.
        let byClass = members(all)
        var offset = 0
        for c in 0..<4 {
            let group = Array(out[offset..<offset + 40])
            XCTAssertEqual(Array(group.prefix(byClass[c].count)), byClass[c])
            XCTAssertTrue(group.allSatisfy { data.labels[$0] == c }, "extras come from class \(c) only")
            offset += 40
        }
        // Class 1 has 4 originals and 36 replicas: with-replacement draws repeat indices.
        XCTAssertTrue(multiplicity(out).values.contains { $0 > 2 })
        XCTAssertEqual(try run(.randomOversampling), out, "same seed, same list")
        XCTAssertNotEqual(try run(.randomOversampling, seed: 6), out)
        XCTAssertEqual(try run(.randomOversampling, .ratio(1)), out, ".ratio(1) is .balance")
    }

    func testFullUndersamplingKeepsAUniformSubsetWithoutRepeats() throws {
        let out = try run(.randomUndersampling)
        XCTAssertEqual(counts(out), [4, 4, 4, 4])
        XCTAssertEqual(Set(out).count, out.count, "no repeats")
        XCTAssertTrue(Set(out).isSubset(of: Set(all)))
        // The smallest class is kept whole, in input order, and the groups follow label order.
        XCTAssertEqual(Array(out[4..<8]), members(all)[1])
        XCTAssertEqual(out.map { data.labels[$0] }, [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3])
        XCTAssertEqual(try run(.randomUndersampling), out)
        XCTAssertNotEqual(try run(.randomUndersampling, seed: 6), out)
        XCTAssertEqual(try run(.randomUndersampling, .ratio(1)), out)
    }

    func testPartialResamplingFollowsTheFormulas() throws {
        XCTAssertEqual(try resampledCounts([40, 4, 10, 40], sampler: .randomOversampling,
                                           target: .ratio(4)), [40, 10, 10, 40])
        // ceil(40 / 3) = 14.
        XCTAssertEqual(try resampledCounts([40, 4, 10, 40], sampler: .randomOversampling,
                                           target: .ratio(3)), [40, 14, 14, 40])
        // floor(4 * 3) = 12; floor(4 * 2.5) = 10.
        XCTAssertEqual(try resampledCounts([40, 4, 10, 40], sampler: .randomUndersampling,
                                           target: .ratio(3)), [12, 4, 10, 12])
        XCTAssertEqual(try resampledCounts([40, 4, 10, 40], sampler: .randomUndersampling,
                                           target: .ratio(2.5)), [10, 4, 10, 10])
        // At the current ratio nothing changes.
        XCTAssertEqual(try resampledCounts([40, 4, 10, 40], sampler: .randomOversampling,
                                           target: .ratio(10)), [40, 4, 10, 40])
        // The paper's section 4.5 setting: MNIST, step rho = 1000, mu = 0.9.
        let mnist = [5000] + [Int](repeating: 5, count: 9)
        XCTAssertEqual(try resampledCounts(mnist, sampler: .randomOversampling, target: .ratio(10)),
                       [5000] + [Int](repeating: 500, count: 9))
        XCTAssertEqual(try resampledCounts(mnist, sampler: .randomUndersampling, target: .ratio(10)),
                       [50] + [Int](repeating: 5, count: 9))
        XCTAssertEqual(try resampledCounts(mnist, sampler: .none), mnist)

        for r in [1, 1.5, 2, 3, 3.7, 7, 9.99, 10] {
            for sampler in [Sampler.randomOversampling, .randomUndersampling] {
                let out = try run(sampler, .ratio(r))
                let c = counts(out)
                let expected = sampler == .randomOversampling
                    ? [40, 4, 10, 40].map { max($0, Int((40 / r).rounded(.up))) }
                    : [40, 4, 10, 40].map { min($0, Int((4 * r).rounded(.down))) }
                XCTAssertEqual(c, expected, "\(sampler) r = \(r)")
                XCTAssertLessThanOrEqual(Double(c.max()!) / Double(c.min()!), r, "\(sampler) r = \(r)")
                if sampler == .randomOversampling {
                    XCTAssertTrue(Set(all).isSubset(of: Set(out)))
                } else {
                    XCTAssertEqual(Set(out).count, out.count)
                }
                XCTAssertTrue(out.allSatisfy { $0 >= 0 && $0 < data.count })
                XCTAssertEqual(try run(sampler, .ratio(r)), out, "deterministic per seed")
            }
        }
    }

    func testCeilAndFloorSnapQuotientsThatMissAWholeNumberByRounding() throws {
        // 21 / 1.4 = 15.000000000000002 and 15 * 8.2 = 122.99999999999999 in binary.
        XCTAssertEqual(try resampledCounts([21, 1], sampler: .randomOversampling,
                                           target: .ratio(1.4)), [21, 15])
        XCTAssertEqual(try resampledCounts([150, 15], sampler: .randomUndersampling,
                                           target: .ratio(8.2)), [123, 15])
    }

    func testResamplingASubsetWithRepeatsUsesOnlyThatSubset() throws {
        // An imbalanced subset, then ROS on it: extras come only from the subset.
        let subset = members(all).enumerated().flatMap { c, m in Array(m.prefix([8, 2, 3, 8][c])) }
        let out = try run(.randomOversampling, indices: subset)
        XCTAssertEqual(counts(out), [8, 8, 8, 8])
        XCTAssertTrue(Set(out).isSubset(of: Set(subset)))
        // Resampling an already oversampled list treats the repeats as separate examples.
        let twice = try run(.randomUndersampling, indices: out)
        XCTAssertEqual(counts(twice), [8, 8, 8, 8])
        XCTAssertEqual(twice, out, "already balanced: nothing to cut, no draws")
    }

    func testNoSamplerReturnsTheInputUnchanged() throws {
        let shuffled = all.reversed().map { $0 }
        XCTAssertEqual(try run(.none, indices: shuffled), shuffled)
    }

    func testErrors() {
        for r in [0.5, 0.999, .nan, .infinity, -1] {
            assertImbalanceError(try run(.randomOversampling, .ratio(r)),
                                 contains: ["finite number >= 1"])
        }
        assertImbalanceError(try run(.randomUndersampling, .ratio(11)),
                             contains: ["RUS to ratio 11", "above the current imbalance ratio 10",
                                        "40 / 4", "valid ratios are 1 ... 10"])
        assertImbalanceError(try run(.none, .ratio(2)), contains: ["needs a sampler"])
        let noClass1 = all.filter { data.labels[$0] != 1 }
        assertImbalanceError(try run(.randomOversampling, indices: noClass1),
                             contains: ["class 1 has no examples", "nothing to replicate"])
        assertImbalanceError(try run(.randomUndersampling, indices: noClass1),
                             contains: ["class 1 has no examples"])
        assertImbalanceError(try run(.randomOversampling, indices: [0, data.count]),
                             contains: ["index \(data.count) is outside"])
        var rng = RandomStream(seed: 1)
        assertImbalanceError(try resample([0, 1], labels: [0, 5], classCount: 2,
                                          sampler: .randomOversampling, rng: &rng),
                             contains: ["label 5", "outside 0..<2"])
        assertImbalanceError(try resampledCounts([], sampler: .randomOversampling),
                             contains: ["no classes"])
    }

    func testSamplerNamesAndCoding() throws {
        XCTAssertEqual(Sampler.allCases.map(\.rawValue), ["none", "ROS", "RUS"])
        let targets: [SamplingTarget] = [.balance, .ratio(2.5)]
        XCTAssertEqual(try JSONDecoder().decode([SamplingTarget].self,
                                                from: JSONEncoder().encode(targets)), targets)
        XCTAssertEqual(targets.map(\.ratio), [1, 2.5])
    }

    func testClassWeights() {
        XCTAssertEqual(classWeights(counts: [10, 30]), [2, Float(40.0 / 60.0)])
        XCTAssertEqual(classWeights(counts: [5000, 500]), [0.55, 5.5])
        XCTAssertEqual(classWeights(counts: [7, 7, 7]), [1, 1, 1])
        XCTAssertEqual(classWeights(counts: [0, 10]), [0, 0.5])
        XCTAssertEqual(classWeights(counts: []), [])
        // Every class carries the same total weight n_total / K.
        let c = [5000, 5, 5, 5, 5, 5, 5, 5, 5, 5]
        let w = classWeights(counts: c)
        for (n, wc) in zip(c, w) {
            XCTAssertEqual(Double(n) * Double(wc), 5045.0 / 10, accuracy: 1e-3)
        }
    }
}
