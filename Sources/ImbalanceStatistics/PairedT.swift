/// The paired t-test of differences d (n ≥ 2), two-sided, as SciPy's `ttest_rel(a, b)` on
/// d = a − b, with the confidence interval of the mean difference that SciPy's
/// `result.confidence_interval(confidence)` gives.
///
/// Definitions: d̄ the mean, s the sample standard deviation (n − 1 in the denominator),
/// SE = s / √n, t = d̄ / SE on n − 1 degrees of freedom, p = 2 P(T ≥ |t|); the interval is
/// d̄ ± t_{(1+c)/2, n−1} SE.
///
/// Edge cases (as SciPy): s = 0 with d̄ ≠ 0 gives t = ±∞ and p = 0, with an interval of one
/// point; s = 0 with d̄ = 0 (all differences zero) has no t, so `init` returns `nil` there,
/// as it does for n < 2 or a non-finite difference.
public struct PairedTTest: Sendable, Equatable {
    public var count: Int
    /// d̄.
    public var meanDifference: Double
    /// s / √n.
    public var standardError: Double
    public var t: Double
    public var degreesOfFreedom: Int
    public var pValue: Double
    /// The interval's confidence level and ends.
    public var confidence: Double
    public var lower: Double
    public var upper: Double

    public init?(differences d: [Double], confidence: Double = 0.95) {
        guard d.count >= 2, d.allSatisfy({ $0.isFinite }), confidence > 0, confidence < 1 else { return nil }
        let n = Double(d.count)
        // Summed in sorted order, so the result does not depend on the order of the pairs.
        let sorted = d.sorted()
        var sum = 0.0
        for v in sorted { sum += v }
        let mean = sum / n
        var ss = 0.0
        for v in sorted { ss += (v - mean) * (v - mean) }
        let se = (ss / (n - 1)).squareRoot() / n.squareRoot()
        if se == 0 && mean == 0 { return nil }
        count = d.count
        meanDifference = mean
        standardError = se
        degreesOfFreedom = d.count - 1
        self.confidence = confidence
        let df = Double(d.count - 1)
        if se == 0 {
            t = mean > 0 ? .infinity : -.infinity
            pValue = 0
            lower = mean; upper = mean
        } else {
            t = mean / se
            pValue = Distributions.studentTTwoSided(t, df: df)
            let q = Distributions.studentTQuantile((1 + confidence) / 2, df: df)
            lower = mean - q * se
            upper = mean + q * se
        }
    }
}
