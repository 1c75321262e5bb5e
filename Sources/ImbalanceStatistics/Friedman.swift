/// The Friedman test of k methods over N blocks (Demšar 2006, section 3.2.2), with SciPy's
/// tie correction (`friedmanchisquare`) and the Iman–Davenport F statistic Demšar
/// recommends beside it.
///
/// Here a block is one cell of the study (an imbalance setting) and the values are the
/// methods' mean AUCs there. Definitions:
/// - In each block the methods are ranked 1...k, best first (`descending`, the default:
///   the highest value gets rank 1), ties sharing their mean rank; R_j is method j's
///   average rank over the N blocks.
/// - χ²_F = [12 N / (k(k+1)) Σ_j R_j² − 3 N (k+1)] / C, with the tie correction
///   C = 1 − Σ(t³ − t) / (N k (k² − 1)) over the tie groups t of every block; p from
///   χ² with k − 1 degrees of freedom. The direction of ranking does not change χ²_F.
/// - F_F = (N − 1) χ²_F / (N (k − 1) − χ²_F) on (k − 1, (k − 1)(N − 1)) degrees of
///   freedom; when every block ranks the methods alike (χ²_F = N (k − 1)), F_F = ∞, p = 0.
public struct FriedmanTest: Sendable, Equatable {
    /// Methods k.
    public var methodCount: Int
    /// Blocks N.
    public var blockCount: Int
    /// R_j, in the order the methods were given.
    public var averageRanks: [Double]
    public var chiSquare: Double
    public var pValue: Double
    public var imanDavenportF: Double
    public var imanDavenportPValue: Double

    /// `values[block][method]`, every block with the same k ≥ 2 methods, N ≥ 2 blocks, all
    /// values finite; `nil` otherwise, or when every value of every block ties (C = 0).
    /// (SciPy insists on k ≥ 3; k = 2 is accepted here, where Friedman is a two-sided sign
    /// test with ties split.)
    public init?(_ values: [[Double]], descending: Bool = true) {
        let n = values.count
        guard n >= 2, let k = values.first?.count, k >= 2,
              values.allSatisfy({ $0.count == k && $0.allSatisfy(\.isFinite) }) else { return nil }
        var sums = [Double](repeating: 0, count: k)
        var tieTerm = 0.0
        for block in values {
            let r = ImbalanceStatistics.averageRanks(block, descending: descending)
            for j in 0..<k { sums[j] += r[j] }
            for t in tieGroupSizes(block) { tieTerm += Double(t * t * t - t) }
        }
        let nd = Double(n), kd = Double(k)
        let correction = 1 - tieTerm / (nd * kd * (kd * kd - 1))
        guard correction > 0 else { return nil }
        let ranks = sums.map { $0 / nd }
        var sumSquares = 0.0
        for r in ranks { sumSquares += r * r }
        let chi = (12 * nd / (kd * (kd + 1)) * sumSquares - 3 * nd * (kd + 1)) / correction
        methodCount = k
        blockCount = n
        averageRanks = ranks
        chiSquare = chi
        pValue = Distributions.chiSquareSurvival(chi, df: kd - 1)
        let denominator = nd * (kd - 1) - chi
        if denominator <= 0 {
            imanDavenportF = .infinity
            imanDavenportPValue = 0
        } else {
            imanDavenportF = (nd - 1) * chi / denominator
            imanDavenportPValue = Distributions.fSurvival(imanDavenportF, d1: kd - 1, d2: (kd - 1) * (nd - 1))
        }
    }
}
