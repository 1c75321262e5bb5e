/// The Wilcoxon signed-rank test of paired differences, two-sided, as SciPy's
/// `wilcoxon(d)` with its defaults (`zero_method="wilcox"`, `correction=False`,
/// `method="auto"`), so that a p-value here can be checked against SciPy's.
///
/// Definitions (d = the differences, n = their count):
/// - Zero differences are dropped (Wilcoxon's rule); n′ counts the non-zero ones.
/// - |d| is ranked 1...n′, ties sharing their mean rank; R+ (R−) sums the ranks of the
///   positive (negative) differences. The statistic is min(R+, R−).
/// - p-value, as SciPy 1.17 chooses it:
///   - n ≤ 50, no zeros and no ties: the exact null distribution of R+ (every sign pattern
///     equally likely), p = 2 min(P(R+ ≥ r), P(R+ ≤ r)), at most 1.
///   - n ≤ 13 with zeros or ties: the same, over the 2^n′ sign patterns of the tied ranks
///     (SciPy runs an exhaustive permutation test, which is this distribution).
///   - otherwise the normal approximation z = (R+ − n′(n′+1)/4) / σ with the tie correction
///     σ² = (n′(n′+1)(2n′+1) − Σ(t³ − t)/2) / 24, p = 2 (1 − Φ(|z|)).
/// - No non-zero difference: p = 1 (nothing contradicts the null; SciPy returns NaN or 1
///   depending on the path).
///
/// The smallest p the exact test can give is 2 / 2^n′ (every difference of one sign): with
/// 5 pairs that is 0.0625, so fewer than 6 pairs can never reach 0.05. `smallestPValue`
/// gives it, so a report can say "too few repetitions" instead of an empty verdict.
public struct SignedRankTest: Sendable, Equatable {
    /// Pairs given, zeros included.
    public var count: Int
    /// Non-zero differences, the n′ the test runs on.
    public var nonZeroCount: Int
    /// Sum of the ranks of the positive differences.
    public var rankSumPositive: Double
    /// Sum of the ranks of the negative differences.
    public var rankSumNegative: Double
    /// min(R+, R−), SciPy's two-sided statistic.
    public var statistic: Double { min(rankSumPositive, rankSumNegative) }
    /// Two-sided p-value.
    public var pValue: Double
    /// Whether p came from the exact (or exhaustive) distribution rather than the normal
    /// approximation.
    public var exact: Bool

    /// Runs the test on the differences `d`; `nil` when a difference is not finite.
    public init?(differences d: [Double]) {
        guard d.allSatisfy({ $0.isFinite }) else { return nil }
        count = d.count
        let nonZero = d.filter { $0 != 0 }
        nonZeroCount = nonZero.count
        let ranks = averageRanks(nonZero.map { abs($0) })
        var plus = 0.0, minus = 0.0
        for (v, r) in zip(nonZero, ranks) { if v > 0 { plus += r } else { minus += r } }
        rankSumPositive = plus
        rankSumNegative = minus
        guard !nonZero.isEmpty else { pValue = 1; exact = true; return }
        let ties = tieGroupSizes(nonZero.map { abs($0) })
        let hasZeros = nonZero.count < d.count
        let useExact = d.count <= 50 && ((!hasZeros && ties.isEmpty) || d.count <= 13)
        exact = useExact
        if useExact {
            pValue = SignedRankTest.exactTwoSided(ranks: ranks, positiveSum: plus)
        } else {
            let n = Double(nonZero.count)
            let mean = n * (n + 1) / 4
            let tieTerm = ties.reduce(0.0) { $0 + Double($1 * $1 * $1 - $1) }
            let sigma = ((n * (n + 1) * (2 * n + 1) - tieTerm / 2) / 24).squareRoot()
            let z = (plus - mean) / sigma
            pValue = min(1, 2 * Distributions.normalSurvival(abs(z)))
        }
    }

    /// 2 / 2^n: the smallest two-sided p the exact test can reach with `n` non-zero pairs
    /// (1 for n = 0).
    public static func smallestPValue(pairs n: Int) -> Double {
        n <= 0 ? 1 : min(1, 2 / Double(sign: .plus, exponent: n, significand: 1))
    }

    /// The exact two-sided p of an observed R+ over every sign pattern of `ranks` (which may
    /// be half-integers when tied). Ranks are doubled to integers and the number of sign
    /// patterns giving each sum is counted by dynamic programming; counts up to 2^50 are
    /// exact in a Double.
    static func exactTwoSided(ranks: [Double], positiveSum: Double) -> Double {
        let doubled = ranks.map { Int(($0 * 2).rounded()) }
        let total = doubled.reduce(0, +)
        var counts = [Double](repeating: 0, count: total + 1)
        counts[0] = 1
        var reach = 0
        for r in doubled {
            for s in stride(from: reach, through: 0, by: -1) where counts[s] != 0 {
                counts[s + r] += counts[s]
            }
            reach += r
        }
        let observed = Int((positiveSum * 2).rounded())
        var below = 0.0, above = 0.0, all = 0.0
        for (s, c) in counts.enumerated() {
            all += c
            if s <= observed { below += c }
            if s >= observed { above += c }
        }
        return min(1, 2 * min(below, above) / all)
    }
}
