import Foundation
import ImbalanceStatistics

/// A family of paired comparisons, one row per cell (or per pair of cells), tested together:
/// each row pairs two series of runs by repetition (same base seed and repetition index,
/// hence the same data draws and initial weights) and tests their differences with the
/// Wilcoxon signed-rank test (exact for small n) and the paired t-test; p-values are
/// Holm-adjusted within the family, so a family is what one table or one finding reports.
///
/// Significance, the verdicts built on it, and "too few repetitions" all use the Wilcoxon
/// test: it assumes nothing about the shape of the differences (Demšar 2006 recommends it
/// for pairs of classifiers), and its smallest attainable p is known in advance (2 / 2^n),
/// so whether a family can reach α at all is decided by its design, not by its data. The
/// paired t-test is reported beside it as a check.
struct PairedFamily {
    static let alpha = 0.05

    struct Row {
        var label: String
        var comparison: PairedComparison
        var wilcoxonHolm: Double?
        var tHolm: Double?

        var mean: Double? { comparison.meanDifference }
        var significant: Bool { (wilcoxonHolm ?? 1) < PairedFamily.alpha }
        var tSignificant: Bool { (tHolm ?? 1) < PairedFamily.alpha }
    }

    var rows: [Row]

    /// Builds the family from `(label, a, b)` with values keyed by repetition; only
    /// repetitions present on both sides are paired, in repetition order. Rows without a
    /// pair are dropped.
    init(_ items: [(label: String, a: [RunKey: Double], b: [RunKey: Double])]) {
        var rows: [Row] = []
        for item in items {
            let keys = Set(item.a.keys).intersection(item.b.keys)
                .filter { item.a[$0]!.isFinite && item.b[$0]!.isFinite }.sorted()
            guard !keys.isEmpty else { continue }
            let c = PairedComparison(keys.map { item.a[$0]! }, keys.map { item.b[$0]! })
            rows.append(Row(label: item.label, comparison: c))
        }
        let w = holmAdjusted(rows.map { $0.comparison.signedRank?.pValue })
        let t = holmAdjusted(rows.map { $0.comparison.pairedT?.pValue })
        for i in rows.indices { rows[i].wilcoxonHolm = w[i]; rows[i].tHolm = t[i] }
        self.rows = rows
    }

    var isEmpty: Bool { rows.isEmpty }
    var maxPairs: Int { rows.map(\.comparison.count).max() ?? 0 }

    /// The smallest Holm-adjusted Wilcoxon p any row could get, whatever the data.
    var smallestAttainable: Double {
        smallestHolmAdjusted(smallestRaw: SignedRankTest.smallestPValue(pairs: maxPairs), familySize: rows.count)
    }

    /// Whether any row can be significant at α.
    var testable: Bool { !rows.isEmpty && smallestAttainable < Self.alpha }

    /// Pairs per row needed for the smallest attainable Holm p to fall below α.
    var pairsNeeded: Int {
        var n = 1
        while smallestHolmAdjusted(smallestRaw: SignedRankTest.smallestPValue(pairs: n), familySize: rows.count)
                >= Self.alpha { n += 1 }
        return n
    }

    func count(direction: Int) -> Int {
        rows.filter { ($0.mean ?? 0) * Double(direction) > 0 }.count
    }

    func significant(direction: Int) -> Int {
        rows.filter { $0.significant && ($0.mean ?? 0) * Double(direction) > 0 }.count
    }

    func tSignificant(direction: Int) -> Int {
        rows.filter { $0.tSignificant && ($0.mean ?? 0) * Double(direction) > 0 }.count
    }

    /// "2 paired repetitions per cell" / "2 to 6 paired repetitions per cell".
    func pairsText(unit: String) -> String {
        let ns = rows.map(\.comparison.count)
        let lo = ns.min() ?? 0, hi = ns.max() ?? 0
        return (lo == hi ? "\(hi)" : "\(lo) to \(hi)") + " paired repetition\(hi == 1 ? "" : "s") per \(unit)"
    }

    /// Why no row can be significant, and what the paired t-test says meanwhile.
    func untestableText(unit: String) -> String {
        let plural = Self.plural(unit, rows.count)
        var s = "too few repetitions to test (\(pairsText(unit: unit)): the smallest Holm-adjusted Wilcoxon p over "
            + "\(rows.count) \(plural) is \(Fmt.p(smallestAttainable)); \(pairsNeeded) repetitions are needed to reach "
            + "\(Fmt.number(Self.alpha)))"
        let t = rows.filter(\.tSignificant).count
        if rows.contains(where: { $0.comparison.pairedT != nil }) {
            s += "; the paired t-test, which assumes normally distributed differences, is significant in \(t)"
        }
        return s
    }

    /// "cell" / "cells", "pair of cells" / "pairs of cells", "value of ρ" / "values of ρ".
    static func plural(_ unit: String, _ n: Int) -> String {
        guard n != 1 else { return unit }
        if let r = unit.range(of: " of ") { return unit[..<r.lowerBound] + "s" + unit[r.lowerBound...] }
        return unit + "s"
    }

    /// "significantly in 3 (Wilcoxon signed-rank, Holm p < 0.05; paired t: 4)", or without
    /// naming the test again, "significantly in 3 (paired t: 4)".
    func significanceText(direction: Int, namingTheTest: Bool = true) -> String {
        "significantly in \(significant(direction: direction)) ("
            + (namingTheTest ? "Wilcoxon signed-rank, Holm p < \(Fmt.number(Self.alpha)); " : "")
            + "paired t: \(tSignificant(direction: direction)))"
    }

    enum Verdict: Equatable {
        case consistent, differs, notSignificant, mixed, untestable

        var text: String {
            switch self {
            case .consistent: return "consistent with the paper"
            case .differs: return "differs from the paper"
            case .notSignificant: return "no significant difference either way"
            case .mixed: return "mixed: significant in both directions or against the majority"
            case .untestable: return "too few repetitions to test"
            }
        }
    }

    /// The verdict on a directional claim ("a − b has the sign of `direction` in most
    /// rows"): *consistent* when at least one row is significant in that direction, none
    /// against it, and the mean difference has that sign in more than half of the rows;
    /// *differs* when at least one row is significant against it and no fewer than in its
    /// favour; *no significant difference* when no row is significant; *mixed* otherwise.
    func directionalVerdict(direction: Int) -> Verdict {
        guard testable else { return .untestable }
        let favour = significant(direction: direction), against = significant(direction: -direction)
        if against > 0 && against >= favour { return .differs }
        if favour > 0 && against == 0 && 2 * count(direction: direction) > rows.count { return .consistent }
        if favour == 0 && against == 0 { return .notSignificant }
        return .mixed
    }

    /// One finding line for a directional claim: "<claim> in 7 of 9 cells, significantly in
    /// 4 (...), significantly the other way in 0 — verdict".
    func claimLine(_ claim: String, direction: Int, unit: String) -> String {
        var s = "\(claim) in \(count(direction: direction)) of \(rows.count) \(Self.plural(unit, rows.count))"
        guard testable else { return s + " — " + untestableText(unit: unit) }
        s += ", " + significanceText(direction: direction)
        s += ", significantly the other way in \(significant(direction: -direction))"
        return s + " — " + directionalVerdict(direction: direction).text
    }

    /// The family as a markdown table. `decimals` for the differences.
    func markdown(first: String, decimals: Int) -> String {
        var md = "| \(Fmt.cell(first)) | Pairs | Mean difference [95% CI] | Wilcoxon p | Holm | Paired t p | Holm |\n"
        md += "|---|---:|---|---:|---:|---:|---:|\n"
        for r in rows {
            let c = r.comparison
            var diff = c.meanDifference.map { Fmt.signed($0, decimals) } ?? "–"
            if let t = c.pairedT { diff += " [\(Fmt.signed(t.lower, decimals)), \(Fmt.signed(t.upper, decimals))]" }
            func bold(_ s: String, _ on: Bool) -> String { on ? "**\(s)**" : s }
            var cols: [String] = [Fmt.cell(r.label), "\(c.count)", diff]
            cols.append(c.signedRank.map { Fmt.p($0.pValue) } ?? "–")
            cols.append(r.wilcoxonHolm.map { bold(Fmt.p($0), r.significant) } ?? "–")
            cols.append(c.pairedT.map { Fmt.p($0.pValue) } ?? "–")
            cols.append(r.tHolm.map { bold(Fmt.p($0), r.tSignificant) } ?? "–")
            md += "|" + cols.map { " \($0) |" }.joined() + "\n"
        }
        return md
    }
}
