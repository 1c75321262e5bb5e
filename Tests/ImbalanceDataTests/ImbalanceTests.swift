import Foundation
import XCTest
import ImbalanceRandom
@testable import ImbalanceData
import ImbalanceTestSupport

/// A dataset of 1x1x1 images with `sizes[c]` examples of class c, labels shuffled so that
/// class members are interleaved; each pixel is its index mod 256.
func syntheticDataset(sizes: [Int], seed: UInt64 = 1) -> ImageDataset {
    var labels: [Int] = []
    for (c, n) in sizes.enumerated() { labels += [Int](repeating: c, count: n) }
    var rng = RandomStream(seed: seed)
    rng.shuffle(&labels)
    return ImageDataset(name: "synthetic", channels: 1, height: 1, width: 1,
                        pixels: labels.indices.map { UInt8(truncatingIfNeeded: $0) },
                        labels: labels, classNames: sizes.indices.map { "c\($0)" })
}

/// Asserts that `body` throws an `ImbalanceError` whose text contains every one of `parts`.
func assertImbalanceError<T>(_ body: @autoclosure () throws -> T, contains parts: [String],
                             file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try body()
        XCTFail("expected an ImbalanceError containing \(parts)", file: file, line: line)
    } catch let error as ImbalanceError {
        for part in parts {
            XCTAssertTrue(error.description.contains(part),
                          "error \"\(error)\" does not mention \"\(part)\"", file: file, line: line)
        }
    } catch {
        XCTFail("expected an ImbalanceError, got \(type(of: error)): \(error)", file: file, line: line)
    }
}

final class ImbalanceProfileTests: XCTestCase {
    private func counts(_ p: ImbalanceProfile, _ n: Int = 10, _ nMax: Int = 5000) throws -> [Int] {
        try p.classCounts(classes: n, nMax: nMax)
    }

    private func differences(_ a: [Int]) -> [Int] {
        zip(a, a.dropFirst()).map { $0 - $1 }
    }

    func testBalanced() throws {
        XCTAssertEqual(try counts(.balanced), [Int](repeating: 5000, count: 10))
        XCTAssertEqual(try counts(.balanced, 2, 7), [7, 7])
        assertImbalanceError(try counts(.balanced, 1), contains: ["at least 2 classes", "found 1"])
    }

    func testStepCountsFromThePaper() throws {
        // Paper figure 1a: five classes of 500, five of 5000.
        XCTAssertEqual(try counts(.step(rho: 10, mu: 0.5)),
                       [Int](repeating: 5000, count: 5) + [Int](repeating: 500, count: 5))
        XCTAssertEqual(try counts(.step(rho: 1000, mu: 0.9)),
                       [5000] + [Int](repeating: 5, count: 9))
        XCTAssertEqual(try counts(.step(rho: 5000, mu: 0.1)),
                       [Int](repeating: 5000, count: 9) + [1])
        XCTAssertEqual(try counts(.step(rho: 2, mu: 0.2)),
                       [Int](repeating: 5000, count: 8) + [2500, 2500])
        // floor(5000 / 2500) and floor(5000 / 3) = 1666.
        XCTAssertEqual(try counts(.step(rho: 2500, mu: 0.5)).last, 2)
        XCTAssertEqual(try counts(.step(rho: 3, mu: 0.5)).last, 1666)
        // rho = 1 is allowed: no imbalance, but a valid configuration.
        XCTAssertEqual(try counts(.step(rho: 1, mu: 0.5)), [Int](repeating: 5000, count: 10))
    }

    func testStepAcceptsEveryDecimalMuOfTheGrid() throws {
        // 0.3 * 10 and 0.7 * 10 are not exact in binary; they must still count as 3 and 7.
        let grid = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
        for (k, mu) in zip(1..., grid) {
            let c = try counts(.step(rho: 10, mu: mu))
            XCTAssertEqual(c.filter { $0 == 500 }.count, k, "mu \(mu)")
            XCTAssertEqual(c.filter { $0 == 5000 }.count, 10 - k, "mu \(mu)")
            XCTAssertEqual(c, c.sorted(by: >), "rank order must be non-increasing")
        }
        // ImageNet: 1000 classes, mu = 0.8 -> 800 minority classes of 1000 / 50 = 20.
        let imagenet = try ImbalanceProfile.step(rho: 50, mu: 0.8).classCounts(classes: 1000, nMax: 1000)
        XCTAssertEqual(imagenet.filter { $0 == 20 }.count, 800)
        XCTAssertEqual(imagenet.filter { $0 == 1000 }.count, 200)
    }

    func testStepWithTwoClasses() throws {
        XCTAssertEqual(try counts(.step(rho: 10, mu: 0.5), 2, 100), [100, 10])
        XCTAssertEqual(try counts(.step(rho: 3, mu: 0.5), 2, 100), [100, 33])
        assertImbalanceError(try counts(.step(rho: 10, mu: 0.1), 2, 100),
                             contains: ["not a whole number", "valid mu for N = 2", "0.5"])
    }

    func testFloorSnapsQuotientsThatMissAWholeNumberByRounding() throws {
        // 33 / 1.1 is 29.999999999999996 in binary; the user means 30.
        XCTAssertEqual(try counts(.step(rho: 1.1, mu: 0.5), 2, 33), [33, 30])
        XCTAssertEqual(try counts(.linear(rho: 1.1), 2, 33), [33, 30])
    }

    func testStepErrors() {
        assertImbalanceError(try counts(.step(rho: 10, mu: 0.25)),
                             contains: ["not a whole number", "2.5",
                                        "valid mu for N = 10", "0.1, 0.2, 0.3", "0.9"])
        assertImbalanceError(try counts(.step(rho: 10_000, mu: 0.5)),
                             contains: ["0 examples", "largest rho allowed is 5000"])
        assertImbalanceError(try counts(.step(rho: 0.5, mu: 0.5)), contains: ["rho", ">= 1", "0.5"])
        assertImbalanceError(try counts(.step(rho: .nan, mu: 0.5)), contains: ["rho", "finite"])
        assertImbalanceError(try counts(.step(rho: .infinity, mu: 0.5)), contains: ["rho", "finite"])
        for mu in [0.0, 1.0, -0.1, 1.5, .nan] {
            assertImbalanceError(try counts(.step(rho: 10, mu: mu)),
                                 contains: ["strictly between 0 and 1", "valid mu"])
        }
        assertImbalanceError(try counts(.step(rho: 10, mu: 1e-12)), contains: ["no imbalance"])
        assertImbalanceError(try counts(.step(rho: 10, mu: 1 - 1e-12)), contains: ["no majority"])
        assertImbalanceError(try counts(.step(rho: 10, mu: 0.5), 1), contains: ["at least 2 classes"])
        assertImbalanceError(try counts(.step(rho: 10, mu: 0.5), 10, 0), contains: ["n_max"])
        // Large N: the message names the rule rather than 999 values.
        assertImbalanceError(try ImbalanceProfile.step(rho: 10, mu: 0.0005)
                                .classCounts(classes: 1000, nMax: 1000),
                             contains: ["k/1000 for k = 1...999"])
    }

    func testLinearCounts() throws {
        let ten = try counts(.linear(rho: 10))
        XCTAssertEqual(ten, [5000, 4500, 4000, 3500, 3000, 2500, 2000, 1500, 1000, 500])
        XCTAssertEqual(Set(differences(ten)), [500])

        // (5000 - 5) / 9 = 555 exactly.
        let thousand = try counts(.linear(rho: 1000))
        XCTAssertEqual(thousand, [5000, 4445, 3890, 3335, 2780, 2225, 1670, 1115, 560, 5])
        XCTAssertEqual(Set(differences(thousand)), [555])

        // (5000 - 200) / 9 = 533.33...: each count rounded to nearest, steps of 533 or 534.
        let twentyFive = try counts(.linear(rho: 25))
        XCTAssertEqual(twentyFive, [5000, 4467, 3933, 3400, 2867, 2333, 1800, 1267, 733, 200])
        XCTAssertEqual(Set(differences(twentyFive)), [533, 534])

        // The paper's largest MNIST ratio: one example in the smallest class.
        let max = try counts(.linear(rho: 5000))
        XCTAssertEqual(max, [5000, 4445, 3889, 3334, 2778, 2223, 1667, 1112, 556, 1])
        XCTAssertEqual(Set(differences(max)), [555, 556])

        XCTAssertEqual(try counts(.linear(rho: 10), 2, 5000), [5000, 500])
        // A tie (3.5) goes to the larger count.
        XCTAssertEqual(try counts(.linear(rho: 2.5), 3, 5), [5, 4, 2])
        XCTAssertEqual(try counts(.linear(rho: 1)), [Int](repeating: 5000, count: 10))

        assertImbalanceError(try counts(.linear(rho: 10_000)), contains: ["largest rho allowed is 5000"])
        assertImbalanceError(try counts(.linear(rho: 10), 1), contains: ["at least 2 classes"])
        assertImbalanceError(try counts(.linear(rho: 0.9)), contains: [">= 1"])
    }

    func testExponentialCountsMatchTheCIFARLTReferenceLists() throws {
        // The lists LDAM-DRW's get_img_num_per_cls produces for CIFAR-10-LT.
        XCTAssertEqual(try counts(.exponential(rho: 100)),
                       [5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50])
        XCTAssertEqual(try counts(.exponential(rho: 10)),
                       [5000, 3871, 2997, 2320, 1796, 1391, 1077, 834, 645, 500])
        XCTAssertEqual(try counts(.exponential(rho: 50), 2, 5000), [5000, 100])
        XCTAssertEqual(try counts(.exponential(rho: 1)), [Int](repeating: 5000, count: 10))
        assertImbalanceError(try counts(.exponential(rho: 6000)), contains: ["largest rho allowed is 5000"])
        assertImbalanceError(try counts(.exponential(rho: 10), 1), contains: ["at least 2 classes"])
    }

    func testProfileCodableAndNames() throws {
        let profiles: [ImbalanceProfile] = [.balanced, .step(rho: 10, mu: 0.5),
                                            .linear(rho: 25), .exponential(rho: 100)]
        let data = try JSONEncoder().encode(profiles)
        XCTAssertEqual(try JSONDecoder().decode([ImbalanceProfile].self, from: data), profiles)
        XCTAssertEqual(profiles.map(\.kindName), ["balanced", "step", "linear", "exponential"])
        XCTAssertEqual(profiles.map(\.rho), [1, 10, 25, 100])
        XCTAssertEqual(profiles.map(\.mu), [nil, 0.5, nil, nil])
        XCTAssertEqual(ImbalanceProfile.step(rho: 10, mu: 0.5).description, "step(rho: 10, mu: 0.5)")
        XCTAssertEqual(MinorityRule.allCases.map(\.rawValue), ["random", "lowest"])
    }
}

final class MakeImbalancedTests: XCTestCase {
    /// Ten classes of 50..59 examples, capped to a balanced base of 50 each.
    private func base(seed: UInt64 = 3) -> (ImageDataset, [Int]) {
        let d = syntheticDataset(sizes: (0..<10).map { 50 + $0 })
        var rng = RandomStream(seed: seed)
        return (d, BaseSet.capPerClass(d, maxPerClass: 50, rng: &rng))
    }

    private func check(_ set: ImbalancedSet, in d: ImageDataset, base: [Int],
                       profile: ImbalanceProfile,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(set.indices, set.indices.sorted(), file: file, line: line)
        XCTAssertEqual(Set(set.indices).count, set.indices.count, "repeats", file: file, line: line)
        XCTAssertTrue(Set(set.indices).isSubset(of: Set(base)), file: file, line: line)
        XCTAssertEqual(d.subset(set.indices).classCounts(), set.classCounts, file: file, line: line)
        let rankCounts = try profile.classCounts(classes: 10, nMax: set.nMax)
        XCTAssertEqual(set.rankToLabel.map { set.classCounts[$0] }, rankCounts, file: file, line: line)
        XCTAssertEqual(set.rankToLabel.sorted(), Array(0..<10), file: file, line: line)
        XCTAssertEqual(set.minorityClasses, (0..<10).filter { set.classCounts[$0] < set.nMax },
                       file: file, line: line)
    }

    func testExactCountsForEveryProfileAndRule() throws {
        let (d, baseIndices) = base()
        let profiles: [ImbalanceProfile] = [.balanced, .step(rho: 10, mu: 0.5),
                                            .step(rho: 50, mu: 0.9), .step(rho: 2, mu: 0.2),
                                            .linear(rho: 10), .exponential(rho: 10)]
        for rule in MinorityRule.allCases {
            for profile in profiles {
                var rng = RandomStream(seed: 11)
                let set = try makeImbalanced(d, baseIndices: baseIndices, profile: profile,
                                             rule: rule, rng: &rng)
                XCTAssertEqual(set.nMax, 50)
                try check(set, in: d, base: baseIndices, profile: profile)
            }
        }
        var rng = RandomStream(seed: 11)
        let step = try makeImbalanced(d, baseIndices: baseIndices, profile: .step(rho: 10, mu: 0.5),
                                      rule: .lowest, rng: &rng)
        XCTAssertEqual(step.classCounts, [5, 5, 5, 5, 5, 50, 50, 50, 50, 50])
        XCTAssertEqual(step.minorityClasses, [0, 1, 2, 3, 4])
        XCTAssertEqual(step.indices.count, 275)
        XCTAssertEqual(step.realisedRatio, 10)
    }

    func testBalancedProfileKeepsTheWholeBase() throws {
        let (d, baseIndices) = base()
        for rule in MinorityRule.allCases {
            var rng = RandomStream(seed: 4)
            let set = try makeImbalanced(d, baseIndices: baseIndices, profile: .balanced,
                                         rule: rule, rng: &rng)
            XCTAssertEqual(set.indices, baseIndices)
            XCTAssertEqual(set.minorityClasses, [])
        }
    }

    func testRandomRuleDrawsAFreshMinoritySetPerSeed() throws {
        let (d, baseIndices) = base()
        var seen = Set<[Int]>()
        var everMinority = Set<Int>()
        for seed in UInt64(0)..<40 {
            var rng = RandomStream(seed: seed)
            let set = try makeImbalanced(d, baseIndices: baseIndices,
                                         profile: .step(rho: 10, mu: 0.3), rule: .random, rng: &rng)
            XCTAssertEqual(set.minorityClasses.count, 3)
            XCTAssertEqual(set.minorityClasses.map { set.classCounts[$0] }, [5, 5, 5])
            var again = RandomStream(seed: seed)
            let repeated = try makeImbalanced(d, baseIndices: baseIndices,
                                              profile: .step(rho: 10, mu: 0.3), rule: .random,
                                              rng: &again)
            XCTAssertEqual(repeated, set, "seed \(seed) must reproduce exactly")
            seen.insert(set.minorityClasses)
            everMinority.formUnion(set.minorityClasses)
        }
        XCTAssertGreaterThan(seen.count, 20, "120 possible sets; 40 seeds should hit many")
        XCTAssertEqual(everMinority, Set(0..<10))
    }

    func testLowestRuleNestsMinoritySets() throws {
        let (d, baseIndices) = base()
        var previous: Set<Int> = []
        for k in 1...9 {
            for seed in UInt64(0)..<3 {
                var rng = RandomStream(seed: seed)
                let set = try makeImbalanced(d, baseIndices: baseIndices,
                                             profile: .step(rho: 10, mu: Double(k) / 10),
                                             rule: .lowest, rng: &rng)
                XCTAssertEqual(set.minorityClasses, Array(0..<k))
                XCTAssertTrue(previous.isSubset(of: Set(set.minorityClasses)))
            }
            previous = Set(0..<k)
        }
        var a = RandomStream(seed: 1), b = RandomStream(seed: 1)
        let small = try makeImbalanced(d, baseIndices: baseIndices, profile: .step(rho: 10, mu: 0.2),
                                       rule: .lowest, rng: &a)
        let large = try makeImbalanced(d, baseIndices: baseIndices, profile: .step(rho: 10, mu: 0.8),
                                       rule: .lowest, rng: &b)
        XCTAssertTrue(Set(small.minorityClasses).isSubset(of: Set(large.minorityClasses)))
        // Linear under the lowest rule: label 0 smallest, counts grow with the label.
        var c = RandomStream(seed: 1)
        let linear = try makeImbalanced(d, baseIndices: baseIndices, profile: .linear(rho: 10),
                                        rule: .lowest, rng: &c)
        XCTAssertEqual(linear.classCounts, [5, 10, 15, 20, 25, 30, 35, 40, 45, 50])
        XCTAssertEqual(linear.rankToLabel, Array((0..<10).reversed()))
    }

    func testWithinClassSubsamplingDependsOnSeedNotOnBaseOrder() throws {
        let (d, baseIndices) = base()
        var r1 = RandomStream(seed: 1), r2 = RandomStream(seed: 2), r3 = RandomStream(seed: 1)
        let one = try makeImbalanced(d, baseIndices: baseIndices, profile: .step(rho: 10, mu: 0.5),
                                     rule: .lowest, rng: &r1)
        let two = try makeImbalanced(d, baseIndices: baseIndices, profile: .step(rho: 10, mu: 0.5),
                                     rule: .lowest, rng: &r2)
        XCTAssertEqual(one.classCounts, two.classCounts)
        XCTAssertNotEqual(one.indices, two.indices)
        let reversed = try makeImbalanced(d, baseIndices: baseIndices.reversed(),
                                          profile: .step(rho: 10, mu: 0.5), rule: .lowest, rng: &r3)
        XCTAssertEqual(reversed, one)
    }

    func testNMaxDefaultsToTheSmallestClassAndAnExplicitNMaxIsChecked() throws {
        // Uncapped: classes of 50..59 (like MNIST's 5,421..6,742 before the cap).
        let d = syntheticDataset(sizes: (0..<10).map { 50 + $0 })
        let all = Array(0..<d.count)
        var rng = RandomStream(seed: 1)
        let set = try makeImbalanced(d, baseIndices: all, profile: .step(rho: 10, mu: 0.5),
                                     rule: .random, rng: &rng)
        XCTAssertEqual(set.nMax, 50)
        XCTAssertEqual(set.classCounts.sorted(), [5, 5, 5, 5, 5, 50, 50, 50, 50, 50])
        var r2 = RandomStream(seed: 1)
        let explicit = try makeImbalanced(d, baseIndices: all, profile: .step(rho: 10, mu: 0.5),
                                          rule: .random, nMax: 40, rng: &r2)
        XCTAssertEqual(explicit.classCounts.sorted(), [4, 4, 4, 4, 4, 40, 40, 40, 40, 40])
        var r3 = RandomStream(seed: 1)
        assertImbalanceError(try makeImbalanced(d, baseIndices: all, profile: .step(rho: 10, mu: 0.5),
                                                rule: .random, nMax: 53, rng: &r3),
                             contains: ["more examples asked than exist", "n_max = 53",
                                        "class 0 ('c0') has 50", "class 2 ('c2') has 52",
                                        "smallest class size, 50"])
    }

    func testBadBaseSetsAreRejected() {
        let d = syntheticDataset(sizes: [5, 5, 5])
        var rng = RandomStream(seed: 1)
        assertImbalanceError(try makeImbalanced(d, baseIndices: [0, 1, 15], profile: .balanced,
                                                rule: .lowest, rng: &rng),
                             contains: ["base index 15", "0..<15"])
        assertImbalanceError(try makeImbalanced(d, baseIndices: [0, 1, 1], profile: .balanced,
                                                rule: .lowest, rng: &rng),
                             contains: ["base index 1 appears more than once"])
        let noClass2 = (0..<d.count).filter { d.labels[$0] != 2 }
        assertImbalanceError(try makeImbalanced(d, baseIndices: noClass2, profile: .balanced,
                                                rule: .lowest, rng: &rng),
                             contains: ["class 2 ('c2') has no examples"])
        assertImbalanceError(try makeImbalanced(d, baseIndices: Array(0..<15),
                                                profile: .step(rho: 10, mu: 0.5),
                                                rule: .lowest, rng: &rng),
                             contains: ["not a whole number"])
    }
}
