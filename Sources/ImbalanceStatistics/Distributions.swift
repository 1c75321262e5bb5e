// The distribution functions the tests need: the standard normal, Student's t, chi-square
// and F, all through the regularised incomplete beta and gamma functions. Written out here
// (continued fractions and series, evaluated to about 1e-15 relative) so that the suite has
// no numerical dependency; the known-answer tests compare them with SciPy.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Probability distributions used by the paired tests, the Friedman test and the Nemenyi
/// critical difference.
///
/// Upper tails (`survival`) are computed directly rather than as `1 - cdf`, so that small
/// p-values keep their relative accuracy (a t statistic of 40 on 5 degrees of freedom has a
/// two-sided p of about 2e-7, which `1 - cdf` would round to a multiple of 1e-16).
public enum Distributions {
    /// Φ(z), the standard normal distribution function.
    public static func normalCDF(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }

    /// 1 − Φ(z), computed without cancellation.
    public static func normalSurvival(_ z: Double) -> Double { 0.5 * erfc(z / 2.0.squareRoot()) }

    /// The standard normal density φ(z).
    public static func normalDensity(_ z: Double) -> Double {
        exp(-0.5 * z * z) / (2 * Double.pi).squareRoot()
    }

    /// P(T > t) for Student's t with `df` > 0 degrees of freedom (any real t).
    ///
    /// For t ≥ 0 it is I_x(df/2, 1/2) / 2 with x = df / (df + t²); t = ±∞ gives 0 or 1.
    public static func studentTSurvival(_ t: Double, df: Double) -> Double {
        precondition(df > 0, "degrees of freedom must be positive")
        if t.isNaN { return .nan }
        if t == .infinity { return 0 }
        if t == -.infinity { return 1 }
        let x = df / (df + t * t)
        let tail = 0.5 * regularizedIncompleteBeta(a: df / 2, b: 0.5, x: x)
        return t >= 0 ? tail : 1 - tail
    }

    /// P(T ≤ t) for Student's t with `df` degrees of freedom.
    public static func studentTCDF(_ t: Double, df: Double) -> Double {
        studentTSurvival(-t, df: df)
    }

    /// The two-sided p-value P(|T| ≥ |t|).
    public static func studentTTwoSided(_ t: Double, df: Double) -> Double {
        min(1, 2 * studentTSurvival(abs(t), df: df))
    }

    /// The `p`-quantile of Student's t with `df` degrees of freedom, p in (0, 1): the t with
    /// P(T ≤ t) = p, found by bisection on the distribution function to full precision.
    public static func studentTQuantile(_ p: Double, df: Double) -> Double {
        precondition(p > 0 && p < 1, "quantile probability must be in (0, 1)")
        if p == 0.5 { return 0 }
        // Symmetric: solve for the upper tail q = min(p, 1 - p) and mirror.
        let upper = p > 0.5
        let q = upper ? 1 - p : p
        var lo = 0.0, hi = 1.0
        while studentTSurvival(hi, df: df) > q { lo = hi; hi *= 2 }
        for _ in 0..<200 {
            let mid = 0.5 * (lo + hi)
            if mid == lo || mid == hi { break }
            if studentTSurvival(mid, df: df) > q { lo = mid } else { hi = mid }
        }
        let t = 0.5 * (lo + hi)
        return upper ? t : -t
    }

    /// P(X > x) for chi-square with `df` > 0 degrees of freedom: Q(df/2, x/2).
    public static func chiSquareSurvival(_ x: Double, df: Double) -> Double {
        precondition(df > 0, "degrees of freedom must be positive")
        if x.isNaN { return .nan }
        if x <= 0 { return 1 }
        if x == .infinity { return 0 }
        return regularizedUpperGamma(a: df / 2, x: x / 2)
    }

    /// P(X > x) for the F distribution with `d1`, `d2` > 0 degrees of freedom:
    /// I_{d2/(d2 + d1 x)}(d2/2, d1/2).
    public static func fSurvival(_ x: Double, d1: Double, d2: Double) -> Double {
        precondition(d1 > 0 && d2 > 0, "degrees of freedom must be positive")
        if x.isNaN { return .nan }
        if x <= 0 { return 1 }
        if x == .infinity { return 0 }
        return regularizedIncompleteBeta(a: d2 / 2, b: d1 / 2, x: d2 / (d2 + d1 * x))
    }

    // MARK: - Special functions

    /// I_x(a, b), the regularised incomplete beta function, for a, b > 0 and x in [0, 1].
    ///
    /// The continued fraction (modified Lentz) converges fast for x < (a + 1) / (a + b + 2);
    /// above that the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) is used.
    public static func regularizedIncompleteBeta(a: Double, b: Double, x: Double) -> Double {
        precondition(a > 0 && b > 0, "beta parameters must be positive")
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)
        if x < (a + 1) / (a + b + 2) {
            return exp(logFront) * betaContinuedFraction(a: a, b: b, x: x) / a
        }
        return 1 - exp(logFront) * betaContinuedFraction(a: b, b: a, x: 1 - x) / b
    }

    /// The continued fraction of I_x(a, b) (Numerical Recipes' `betacf` recurrence).
    static func betaContinuedFraction(a: Double, b: Double, x: Double) -> Double {
        let tiny = 1e-300, eps = 1e-16
        let qab = a + b, qap = a + 1, qam = a - 1
        var c = 1.0
        var d = 1 - qab * x / qap
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...10_000 {
            let m = Double(m), m2 = 2 * m
            var aa = m * (b - m) * x / ((qam + m2) * (a + m2))
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < eps { break }
        }
        return h
    }

    /// Q(a, x) = Γ(a, x) / Γ(a), the regularised upper incomplete gamma function, a > 0, x ≥ 0.
    ///
    /// The series of P(a, x) for x < a + 1 (then Q = 1 − P), else the continued fraction of Q.
    public static func regularizedUpperGamma(a: Double, x: Double) -> Double {
        precondition(a > 0, "gamma parameter must be positive")
        if x <= 0 { return 1 }
        let logFront = a * log(x) - x - lgamma(a)
        if x < a + 1 {
            var term = 1 / a, sum = term, ap = a
            for _ in 0..<10_000 {
                ap += 1
                term *= x / ap
                sum += term
                if abs(term) < abs(sum) * 1e-17 { break }
            }
            return 1 - sum * exp(logFront)
        }
        let tiny = 1e-300
        var b = x + 1 - a
        var c = 1 / tiny
        var d = 1 / b
        var h = d
        for i in 1...10_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b; if abs(d) < tiny { d = tiny }
            c = b + an / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return exp(logFront) * h
    }
}
