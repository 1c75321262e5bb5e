/// Ranks 1...n of `values`, tied values sharing the mean of the ranks they span (SciPy's
/// `rankdata(method="average")`). With `descending`, the largest value gets rank 1, which
/// is how methods are ranked by AUC (best first).
///
/// The sort is stable and ties are exact (no tolerance): two AUCs tie only when they are
/// the same number.
public func averageRanks(_ values: [Double], descending: Bool = false) -> [Double] {
    let order = values.indices.sorted { a, b in
        let (x, y) = (values[a], values[b])
        if x != y { return descending ? x > y : x < y }
        return a < b
    }
    var ranks = [Double](repeating: 0, count: values.count)
    var start = 0
    while start < order.count {
        var end = start + 1
        while end < order.count && values[order[end]] == values[order[start]] { end += 1 }
        // Positions start..<end hold ranks start+1 ... end; their mean:
        let shared = Double(start + 1 + end) / 2
        for i in start..<end { ranks[order[i]] = shared }
        start = end
    }
    return ranks
}

/// The sizes of the groups of exactly equal values that have more than one member.
public func tieGroupSizes(_ values: [Double]) -> [Int] {
    var counts: [Double: Int] = [:]
    for v in values { counts[v, default: 0] += 1 }
    return counts.values.filter { $0 > 1 }.sorted()
}
