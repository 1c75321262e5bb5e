#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The Nemenyi post-hoc test after a Friedman test (Demšar 2006, section 3.2.2): two of k
/// methods ranked over N blocks differ significantly when their average ranks differ by at
/// least the critical difference CD = q_α √(k (k + 1) / (6 N)).
///
/// q_α is the studentised range statistic for k means and infinite degrees of freedom,
/// divided by √2. For k = 2...10 and α = 0.05 or 0.10 the values printed in Demšar's Table
/// 5(a) are used, so a CD here is the CD a reader computes from the paper. Elsewhere q_α
/// is computed (`studentizedRangeQuantile`); it agrees with the table to its 3 printed
/// decimals (the table rounds k = 3 to 2.343, the integral gives 2.3437).
public enum Nemenyi {
    /// Demšar (2006), Table 5(a), two-tailed Nemenyi test, α = 0.05, k = 2...10.
    public static let tableAlpha05: [Double] = [1.960, 2.343, 2.569, 2.728, 2.850, 2.949, 3.031, 3.102, 3.164]
    /// Demšar (2006), Table 5(a), two-tailed Nemenyi test, α = 0.10, k = 2...10.
    public static let tableAlpha10: [Double] = [1.645, 2.052, 2.291, 2.459, 2.589, 2.693, 2.780, 2.855, 2.920]

    /// q_α for k ≥ 2 methods: the table where it has an entry, else the studentised range
    /// quantile / √2.
    public static func q(methods k: Int, alpha: Double = 0.05) -> Double {
        precondition(k >= 2, "the Nemenyi test compares at least 2 methods")
        precondition(alpha > 0 && alpha < 1, "alpha must be in (0, 1)")
        if k <= 10 {
            if alpha == 0.05 { return tableAlpha05[k - 2] }
            if alpha == 0.10 { return tableAlpha10[k - 2] }
        }
        return studentizedRangeQuantile(1 - alpha, means: k) / 2.0.squareRoot()
    }

    /// CD = q_α √(k (k + 1) / (6 N)) for k methods over N blocks.
    public static func criticalDifference(methods k: Int, blocks n: Int, alpha: Double = 0.05) -> Double {
        precondition(n >= 1, "at least one block")
        return q(methods: k, alpha: alpha) * (Double(k * (k + 1)) / Double(6 * n)).squareRoot()
    }

    /// P(range of k independent standard normals ≤ w)
    /// = k ∫ φ(z) [Φ(z) − Φ(z − w)]^(k−1) dz, the studentised range distribution with
    /// infinite degrees of freedom. Composite Simpson's rule on [−9, 9 + w] with 4,000
    /// panels: the integrand is smooth and negligible outside, so the error is below 1e-12.
    public static func studentizedRangeCDF(_ w: Double, means k: Int) -> Double {
        precondition(k >= 2, "a range needs at least 2 means")
        if w <= 0 { return 0 }
        let lo = -9.0, hi = 9.0 + w, panels = 4_000
        let h = (hi - lo) / Double(panels)
        func f(_ z: Double) -> Double {
            let inner = Distributions.normalCDF(z) - Distributions.normalCDF(z - w)
            return Distributions.normalDensity(z) * pow(max(inner, 0), Double(k - 1))
        }
        var sum = f(lo) + f(hi)
        for i in 1..<panels { sum += f(lo + Double(i) * h) * (i % 2 == 1 ? 4 : 2) }
        return min(1, Double(k) * sum * h / 3)
    }

    /// The w with `studentizedRangeCDF(w, means: k) = p`, by bisection on [0, 20].
    public static func studentizedRangeQuantile(_ p: Double, means k: Int) -> Double {
        precondition(p > 0 && p < 1, "quantile probability must be in (0, 1)")
        var lo = 0.0, hi = 20.0
        for _ in 0..<100 {
            let mid = 0.5 * (lo + hi)
            if studentizedRangeCDF(mid, means: k) < p { lo = mid } else { hi = mid }
        }
        return 0.5 * (lo + hi)
    }
}
