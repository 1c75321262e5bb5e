/// Holm's step-down adjustment of a family of p-values (Holm 1979), as statsmodels'
/// `multipletests(p, method="holm")`.
///
/// Sort the m defined p-values ascending, p_(1) ≤ ... ≤ p_(m); the adjusted value of p_(i)
/// is min(1, max_{j ≤ i} (m − j + 1) p_(j)). Rejecting every hypothesis with adjusted p < α
/// is Holm's procedure (compare p_(i) with α / (m − i + 1), stop at the first failure), and
/// controls the family-wise error rate at α without assumptions on dependence.
///
/// `nil` entries (tests that could not be run) are not part of the family: they stay
/// `nil` and do not count in m. Equal p-values keep their input order (the adjusted values
/// of ties are equal anyway).
public func holmAdjusted(_ pValues: [Double?]) -> [Double?] {
    let defined = pValues.indices.filter { pValues[$0] != nil }
        .sorted { a, b in pValues[a]! != pValues[b]! ? pValues[a]! < pValues[b]! : a < b }
    let m = defined.count
    var adjusted = [Double?](repeating: nil, count: pValues.count)
    var running = 0.0
    for (j, index) in defined.enumerated() {
        running = max(running, min(1, Double(m - j) * pValues[index]!))
        adjusted[index] = running
    }
    return adjusted
}

/// The smallest Holm-adjusted p any member of a family of `familySize` tests can get when
/// no single test can go below `smallestRaw`: m · p_min (the first step of Holm's ladder).
/// When it is not below α, no test of the family can be significant, whatever the data.
public func smallestHolmAdjusted(smallestRaw: Double, familySize m: Int) -> Double {
    min(1, Double(max(m, 1)) * smallestRaw)
}
