#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Summaries of per-class rates that show what a mean over all classes hides: the
/// geometric mean of recalls, and means over the minority and the majority classes.

/// The geometric mean of the per-class recalls of `confusion[true][predicted]` over the
/// classes present in the labels (imbalanced-learn's `geometric_mean_score(average=
/// "multiclass", labels=<classes present>)`): exp(mean(log r_k)), and 0 as soon as one class
/// has recall 0, so a classifier that never finds some class scores 0 whatever it does on
/// the others. Classes without a test sample have no recall and are left out, as in
/// `balancedAccuracy`.
///
/// - Throws: the shape errors of `matthewsCorrelation(confusion:)`; `noSamples` when no
///   class has a sample.
public func geometricMeanRecall(confusion: [[Int]]) throws(MetricsError) -> Double {
    try checkConfusion(confusion)
    var logSum = 0.0
    var present = 0
    for (c, row) in confusion.enumerated() {
        let trueCount = row.reduce(0, +)
        guard trueCount > 0 else { continue }
        present += 1
        if row[c] == 0 { logSum = -.infinity; continue }
        logSum += log(Double(row[c]) / Double(trueCount))
    }
    guard present > 0 else { throw .noSamples }
    return logSum == -.infinity ? 0 : exp(logSum / Double(present))
}

/// Means of a per-class metric over the minority classes and over the others.
public struct GroupMeans: Sendable, Equatable, Codable {
    /// Mean over the defined values of the minority classes; `nil` when there is none
    /// (a balanced profile has no minority class).
    public var minority: Double?
    /// Mean over the defined values of the other classes; `nil` when there is none.
    public var majority: Double?

    public init(minority: Double?, majority: Double?) {
        self.minority = minority
        self.majority = majority
    }

    /// Splits `values` (one per class, `nil` where undefined) by membership in
    /// `minorityClasses` (indices outside `0..<values.count` are ignored) and averages each
    /// side over its defined values, summing in class order.
    public init(values: [Double?], minorityClasses: [Int]) {
        let minoritySet = Set(minorityClasses)
        var sums = (0.0, 0.0), counts = (0, 0)
        for (c, v) in values.enumerated() {
            guard let v else { continue }
            if minoritySet.contains(c) { sums.0 += v; counts.0 += 1 } else { sums.1 += v; counts.1 += 1 }
        }
        minority = counts.0 > 0 ? sums.0 / Double(counts.0) : nil
        majority = counts.1 > 0 ? sums.1 / Double(counts.1) : nil
    }
}

/// Per-class recall of `confusion[true][predicted]`, `nil` for a class without a test
/// sample (where `PerClassRates.recall` says 0).
public func definedRecalls(confusion: [[Int]]) -> [Double?] {
    confusion.enumerated().map { c, row in
        let n = row.reduce(0, +)
        return n > 0 ? Double(row[c]) / Double(n) : nil
    }
}
