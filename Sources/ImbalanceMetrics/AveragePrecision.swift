// Average precision (AUC-PR as scikit-learn defines it), one-vs-rest per class. Where the
// ROC AUC asks how well a class's column ranks its samples above all others, AP asks how
// pure the top of that ranking is, which is what a minority class with few test samples
// among many negatives makes hard: a handful of high-scoring negatives barely move its ROC
// AUC but halve its precision.

/// Per-class values of a one-vs-rest metric and their mean over the defined classes.
public struct PerClassMean: Sendable, Equatable, Codable {
    /// Mean of the defined values; `nil` when no class is defined.
    public var mean: Double?
    /// One value per class; `nil` where the metric is undefined (no positive sample).
    public var perClass: [Double?]

    public init(perClass: [Double?]) {
        self.perClass = perClass
        let defined = perClass.compactMap { $0 }
        mean = defined.isEmpty ? nil : defined.reduce(0, +) / Double(defined.count)
    }
}

/// One-vs-rest average precision of class `positive`, as scikit-learn's
/// `average_precision_score(labels == positive, scores[:, positive])`:
///
///     AP = Σ_n (R_n − R_{n−1}) P_n
///
/// over the distinct score thresholds in decreasing order, where P_n and R_n are the
/// precision and recall of "score ≥ threshold n" and R_0 = 0. Tied scores form one
/// threshold, so the order of tied samples never matters. This is not the trapezoidal area
/// under the precision-recall curve, which interpolates linearly and is optimistic.
///
/// Only the order of the column matters (as for the ROC AUC), so thresholding, which
/// rescales a column by a positive constant, leaves AP unchanged.
///
/// - Returns: `nil` when the labels hold no positive, where AP is undefined (scikit-learn
///   warns and returns a meaningless value there).
/// - Throws: on a shape mismatch, a label or `positive` outside `0..<classCount`, or a NaN.
public func averagePrecision(scores: [Float], labels: [Int], positive: Int, classCount: Int) throws(MetricsError) -> Double? {
    try checkShape(scoreCount: scores.count, labels: labels, classCount: classCount)
    return try scores.withUnsafeBufferPointer { (buffer) throws(MetricsError) -> Double? in
        var entries: [RankedScore] = []
        _ = try columnAUC(buffer, labels: labels, column: positive, classCount: classCount, entries: &entries)
        return averagePrecision(sortedAscending: entries)
    }
}

/// Every class's one-vs-rest average precision of the `(n, K)` row-major `scores` and their
/// mean over the classes with a positive (the macro AP of scikit-learn's
/// `average_precision_score(one_hot(labels), scores, average="macro")` when every class is
/// present).
public func macroAveragePrecision(scores: [Float], labels: [Int], classCount: Int) throws(MetricsError) -> PerClassMean {
    try rankingMetrics(scores: scores, labels: labels, classCount: classCount).averagePrecision
}

/// ROC AUCs and average precisions of every class from one sort per column.
struct RankingMetrics {
    var auc: MultiClassAUC
    var averagePrecision: PerClassMean
}

/// One-vs-rest ROC AUC and AP of every column of validated `(n, K)` scores. The AUC is the
/// same computation as `multiClassAUC` (exact, bit-identical); AP walks the column's sorted
/// entries from the top.
func rankingMetrics<T: BinaryFloatingPoint>(scores: [T], labels: [Int], classCount: Int) throws(MetricsError) -> RankingMetrics {
    try checkShape(scoreCount: scores.count, labels: labels, classCount: classCount)
    return try scores.withUnsafeBufferPointer { (buffer) throws(MetricsError) -> RankingMetrics in
        try checkNoNaN(buffer, classCount: classCount)
        var entries: [RankedScore] = []
        var aucs: [Double?] = [], aps: [Double?] = []
        for k in 0..<classCount {
            aucs.append(try columnAUC(buffer, labels: labels, column: k, classCount: classCount, entries: &entries))
            aps.append(averagePrecision(sortedAscending: entries))
        }
        let defined = aucs.compactMap { $0 }
        let mean = defined.isEmpty ? nil : defined.reduce(0, +) / Double(defined.count)
        return RankingMetrics(auc: MultiClassAUC(mean: mean, perClass: aucs),
                              averagePrecision: PerClassMean(perClass: aps))
    }
}

/// AP of entries sorted by ascending score (as `mannWhitneyAUC` leaves them), walking tie
/// groups from the highest score down. `nil` without a positive.
///
/// Entries come sorted only when `columnAUC` found both classes; with no negative it
/// returns before sorting, but then every threshold has precision 1 and AP is 1.
func averagePrecision(sortedAscending entries: [RankedScore]) -> Double? {
    var positives = 0
    for e in entries where e.isPositive { positives += 1 }
    guard positives > 0 else { return nil }
    if positives == entries.count { return 1 }
    var truePositives = 0, falsePositives = 0
    var ap = 0.0
    var end = entries.count
    while end > 0 {
        let value = entries[end - 1].value
        var start = end - 1
        var groupPositives = 0
        while start >= 0 && entries[start].value == value {
            if entries[start].isPositive { groupPositives += 1 }
            start -= 1
        }
        let group = end - 1 - start
        truePositives += groupPositives
        falsePositives += group - groupPositives
        if groupPositives > 0 {
            ap += Double(groupPositives) / Double(positives)
                * (Double(truePositives) / Double(truePositives + falsePositives))
        }
        end = start + 1
    }
    return ap
}
