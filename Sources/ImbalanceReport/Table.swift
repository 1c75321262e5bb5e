import Foundation

enum Metric {
    case auc, accuracy
    var name: String { self == .auc ? "multi-class ROC AUC" : "accuracy" }
}

struct TableColumn {
    /// Markdown header.
    var header: String
    /// Category label on the chart's x axis.
    var chartLabel: String
    var metric: Metric
}

struct TableRow {
    var method: String
    var label: String
    var cells: [MethodCell?]
}

/// A table of methods (rows) by settings (columns), rendered as markdown and, optionally,
/// as a line chart.
struct Table {
    var firstHeader = "Method"
    var columns: [TableColumn]
    var rows: [TableRow]

    static func stat(_ c: MethodCell, _ m: Metric) -> Stat { m == .auc ? c.auc : c.accuracy }

    /// Rows whose mean, rounded to the 4 displayed decimals, equals the column's highest.
    func bold(column j: Int) -> Set<Int> {
        var best: Double?
        var rounded: [Int: Double] = [:]
        for (i, row) in rows.enumerated() {
            guard let c = row.cells[j] else { continue }
            let s = Table.stat(c, columns[j].metric)
            guard s.n > 0, s.mean.isFinite else { continue }
            let r = Double(Fmt.fixed(s.mean, 4))!
            rounded[i] = r
            best = max(best ?? r, r)
        }
        guard let b = best else { return [] }
        return Set(rounded.filter { $0.value == b }.keys)
    }

    struct Rendered {
        var markdown: String
        var hasDiverged: Bool
        var hasUndefined: Bool
    }

    func render() -> Rendered {
        var md = "| \(Fmt.cell(firstHeader)) |" + columns.map { " \(Fmt.cell($0.header)) |" }.joined() + "\n"
        md += "|---|" + String(repeating: "---:|", count: columns.count) + "\n"
        let bolds = columns.indices.map { bold(column: $0) }
        var dagger = false, undefined = false
        for (i, row) in rows.enumerated() {
            md += "| \(Fmt.cell(row.label)) |"
            for j in columns.indices {
                var text = ""
                if let c = row.cells[j] {
                    let s = Table.stat(c, columns[j].metric)
                    if s.n == 0 {
                        text = "– (n=0)"
                    } else {
                        text = "\(Fmt.fixed(s.mean, 4)) ± \(s.std.map { Fmt.fixed($0, 4) } ?? "–") (n=\(s.n))"
                        if bolds[j].contains(i) { text = "**\(text)**" }
                    }
                    if c.divergedRuns > 0 { text += " †"; dagger = true }
                    if s.undefined > 0 { text += " ‡"; undefined = true }
                }
                md += " \(text) |"
            }
            md += "\n"
        }
        return Rendered(markdown: md, hasDiverged: dagger, hasUndefined: undefined)
    }

    func chartSeries() -> [ChartSeries] {
        rows.map { row in
            ChartSeries(label: row.label, style: Methods.styleIndex(row.method),
                        points: row.cells.enumerated().map { j, c in
                            guard let c else { return nil }
                            let s = Table.stat(c, columns[j].metric)
                            guard s.n > 0, s.mean.isFinite else { return nil }
                            return ChartPoint(mean: s.mean, std: s.std)
                        })
        }
    }
}
