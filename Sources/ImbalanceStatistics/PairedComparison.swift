/// One paired comparison of two methods over repetitions: the differences a_r − b_r of the
/// runs that share repetition r (same data draws and initial weights), their mean with a
/// t interval, the Wilcoxon signed-rank test and the paired t-test.
///
/// The tests treat the repetitions as the sample: they ask whether the difference would
/// persist over new draws of the training subset, imbalance and initialisation, on this
/// test set. Test-set sampling noise is the bootstrap intervals' job.
public struct PairedComparison: Sendable, Equatable {
    /// The differences, in the order given.
    public var differences: [Double]
    /// Mean difference (nil without pairs).
    public var meanDifference: Double?
    /// Wilcoxon signed-rank test (nil without pairs).
    public var signedRank: SignedRankTest?
    /// Paired t-test and the t interval of the mean difference (nil for fewer than 2 pairs
    /// or all differences zero).
    public var pairedT: PairedTTest?

    public var count: Int { differences.count }

    /// Compares `a` with `b`, which must be paired element by element.
    public init(_ a: [Double], _ b: [Double], confidence: Double = 0.95) {
        precondition(a.count == b.count, "paired samples must have equal length")
        differences = zip(a, b).map { $0 - $1 }
        if differences.isEmpty {
            meanDifference = nil
        } else {
            var s = 0.0
            for d in differences.sorted() { s += d }
            meanDifference = s / Double(differences.count)
        }
        signedRank = differences.isEmpty ? nil : SignedRankTest(differences: differences)
        pairedT = PairedTTest(differences: differences, confidence: confidence)
    }
}
