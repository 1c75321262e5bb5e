import Foundation

struct ChartPoint {
    var mean: Double
    var std: Double?
}

struct ChartSeries {
    var label: String
    /// Picks colour, dash pattern and marker shape (a method keeps its style everywhere).
    var style: Int
    /// One entry per position of the panel; nil where the series has no value.
    var points: [ChartPoint?]
    var markers = true
    /// Join the points with a line (false for categories without an order, like classes).
    var connect = true
}

/// One panel of a figure: its own x positions and series, sharing the figure's y axis.
struct ChartPanel {
    /// "(a) 1 of 10 classes minority (μ = 0.1)".
    var title: String
    /// x positions in axis units (log10 ρ for a log axis), one per point of every series.
    var positions: [Double]
    /// Tick labels at positions (nil: a label per position, `labels`).
    var labels: [String]
    /// Ticks drawn instead of one per position (learning curves have many positions).
    var ticks: [(position: Double, label: String)]? = nil
    var series: [ChartSeries]
    /// Position indices drawn on a shaded band (minority classes).
    var shaded: Set<Int> = []
}

/// The y axis of a figure.
enum YScale {
    /// Fitted to mean ± std of the data, never past `ceiling` (1 for AUC, accuracy and
    /// recall) nor below 0 (none of the metrics drawn can be negative).
    case linear(ceiling: Double?)
    /// For AUCs crowding near 1: positions on a log scale of 1 − value, best (highest AUC)
    /// at the top, ticks labelled with the value itself (0.99, 0.999, ...).
    case errorLog
}

/// A figure of line-chart panels in a grid (at most 3 per row) with one shared y axis and a
/// legend on the right, as a hand-written SVG. Points of different series at one x are
/// offset sideways so that their error bars (± 1 std) stay apart. Every coordinate is
/// written with 2 decimals, so the bytes depend on the data alone.
struct LineFigure {
    var title: String
    var subtitle: String?
    var xTitle: String
    var yTitle: String
    var panels: [ChartPanel]
    var yScale: YScale
    /// Offset the series sideways at each x (off for curves, whose x is a measurement).
    var dodge = true

    static let plotWidth = 250.0, plotHeight = 190.0
    static let cellLeft = 62.0, cellTop = 24.0, cellWidth = 334.0, cellHeight = 264.0
    static let legendWidth = 190.0
    static let colours = ["#4e79a7", "#e15759", "#f28e2b", "#76b7b2", "#59a14f",
                          "#b07aa1", "#9c755f", "#edc948", "#ff9da7", "#17becf"]
    static let dashes = ["", "6 3", "2 3", "8 3 2 3"]

    static func colour(_ style: Int) -> String { colours[style % colours.count] }
    static func dash(_ style: Int) -> String { dashes[(style / 2) % dashes.count] }

    /// Round ticks covering [lo, hi] (a step of 1, 2 or 5 times a power of ten).
    static func ticks(lo: Double, hi: Double) -> (values: [Double], decimals: Int) {
        let raw = max((hi - lo) / 5, 1e-12)
        let mag = pow(10, (log10(raw)).rounded(.down))
        let norm = raw / mag
        let step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag
        let first = (lo / step).rounded(.down)
        let last = (hi / step).rounded(.up)
        let count = Int(last - first)
        let values = (0...max(count, 1)).map { (first + Double($0)) * step }
        let decimals = min(6, max(0, Int(-(log10(step)).rounded(.down))))
        return (values, decimals)
    }

    /// The y mapping of this figure: value -> fraction of the plot height from the bottom
    /// (clamped to [0, 1]), and the ticks.
    func yAxis() -> (map: (Double) -> Double, ticks: [(value: Double, label: String)]) {
        let points = panels.flatMap { $0.series.flatMap { $0.points.compactMap { $0 } } }
        switch yScale {
        case .linear(let ceiling):
            var lo = Double.infinity, hi = -Double.infinity
            for p in points { lo = min(lo, p.mean - (p.std ?? 0)); hi = max(hi, p.mean + (p.std ?? 0)) }
            if !lo.isFinite || !hi.isFinite { lo = 0; hi = 1 }
            if let c = ceiling { hi = min(hi, c); lo = min(lo, c) }
            lo = max(lo, 0)
            var span = hi - lo
            if span < 1e-4 { lo -= 5e-5; hi += 5e-5; span = hi - lo }
            lo = max(0, lo - span * 0.06); hi += span * 0.06
            if let c = ceiling { hi = min(hi, c) }
            let (values, decimals) = LineFigure.ticks(lo: lo, hi: hi)
            var yMin = max(values.first!, 0), yMax = values.last!
            if let c = ceiling, yMax > c { yMax = c }
            if yMax <= yMin { yMax = yMin + 1e-4 }
            let shown = values.filter { $0 >= yMin - 1e-12 && $0 <= yMax + 1e-12 }
            return ({ v in min(1, max(0, (v - yMin) / (yMax - yMin))) },
                    shown.map { ($0, Fmt.fixed($0, decimals)) })
        case .errorLog:
            let errors = points.map { 1 - $0.mean }.filter { $0 > 0 }
            let smallest = errors.min() ?? 1e-4, largest = errors.max() ?? 1e-1
            // Axis ends on the 1-2-5 grid just outside the data; ticks at those ends and at
            // every power of ten between them.
            func grid(_ e: Double, up: Bool) -> Double {
                let d = (log10(e)).rounded(.down)
                let candidates = [1.0, 2, 5, 10].map { $0 * pow(10, d) }
                return up ? candidates.first { $0 >= e * (1 - 1e-12) }! : candidates.last { $0 <= e * (1 + 1e-12) }!
            }
            var top = log10(grid(smallest, up: false)), bottom = log10(grid(largest, up: true))
            if bottom <= top { bottom = top + 1 }
            if bottom - top > 6 { top = bottom - 6 }
            let (t, b) = (top, bottom)
            // Fraction from the bottom: the largest error at 0, the smallest at 1.
            let map: (Double) -> Double = { v in
                let e = 1 - v
                guard e > 0 else { return 1 }
                return min(1, max(0, (b - log10(e)) / (b - t)))
            }
            // Powers of ten inside the axis, and each end unless its label would come within
            // 20 pixels of a power's.
            var decades: [Double] = []
            var d = t.rounded(.up)
            while d <= b + 1e-9 { decades.append(d); d += 1 }
            var exponents = decades
            let minimumGap = 20 / LineFigure.plotHeight * (b - t)
            for end in [t, b] where !decades.contains(where: { abs($0 - end) < minimumGap }) { exponents.append(end) }
            exponents.sort()
            let ticks = exponents.map { x -> (Double, String) in
                let e = pow(10, x)
                let decimals = max(0, Int((-x).rounded(.up)))
                return (1 - e, Fmt.fixed(1 - e, decimals))
            }
            return (map, ticks)
        }
    }

    func svg() -> String {
        let c = Fmt.coord
        let cols = max(1, min(3, panels.count))
        let rows = max(1, (panels.count + cols - 1) / cols)
        let titleLines = wrap(title, width: Double(cols) * LineFigure.cellWidth + LineFigure.legendWidth - 40, charWidth: 8.4)
        let subtitleLines = subtitle.map { wrap($0, width: Double(cols) * LineFigure.cellWidth + LineFigure.legendWidth - 40, charWidth: 6.4) } ?? []
        let top = 16.0 + Double(titleLines.count) * 18 + Double(subtitleLines.count) * 15 + 8
        let legendHeight = 28.0 + Double(legendEntries().count) * 18
        let width = Double(cols) * LineFigure.cellWidth + LineFigure.legendWidth
        let height = max(top + Double(rows) * LineFigure.cellHeight + 8, top + legendHeight)
        let (yMap, yTicks) = yAxis()

        var o = svgHeader(width: width, height: height, title: title, titleLines: titleLines, subtitleLines: subtitleLines)
        for (index, panel) in panels.enumerated() {
            let ox = Double(index % cols) * LineFigure.cellWidth + LineFigure.cellLeft
            let oy = top + Double(index / cols) * LineFigure.cellHeight + LineFigure.cellTop
            o += panelSVG(panel, ox: ox, oy: oy, yMap: yMap, yTicks: yTicks)
        }
        // Legend.
        let lx = Double(cols) * LineFigure.cellWidth + 8
        var ly = top + LineFigure.cellTop + 6
        o += "<g>\n"
        for (label, style, markers, connect) in legendEntries() {
            let col = LineFigure.colour(style), d = LineFigure.dash(style)
            let dashAttr = d.isEmpty ? "" : " stroke-dasharray=\"\(d)\""
            if connect {
                o += "<line x1=\"\(c(lx))\" y1=\"\(c(ly))\" x2=\"\(c(lx + 30))\" y2=\"\(c(ly))\" stroke=\"\(col)\" stroke-width=\"2\"\(dashAttr)/>\n"
            }
            if markers { o += LineFigure.marker(style: style, x: lx + 15, y: ly) + "\n" }
            o += "<text x=\"\(c(lx + 38))\" y=\"\(c(ly + 4))\">\(Fmt.xml(label))</text>\n"
            ly += 18
        }
        o += "</g>\n</svg>\n"
        return o
    }

    /// Distinct series across panels, in first-seen order.
    func legendEntries() -> [(String, Int, Bool, Bool)] {
        var seen = Set<String>(), out: [(String, Int, Bool, Bool)] = []
        for p in panels { for s in p.series where !seen.contains(s.label) {
            seen.insert(s.label); out.append((s.label, s.style, s.markers, s.connect))
        } }
        return out
    }

    func panelSVG(_ panel: ChartPanel, ox: Double, oy: Double, yMap: (Double) -> Double,
                  yTicks: [(value: Double, label: String)]) -> String {
        let c = Fmt.coord
        let w = LineFigure.plotWidth, h = LineFigure.plotHeight
        let lo = panel.positions.min() ?? 0, hi = panel.positions.max() ?? 1
        let pad = 18.0
        func x(_ p: Double) -> Double { hi > lo ? ox + pad + (p - lo) / (hi - lo) * (w - 2 * pad) : ox + w / 2 }
        func y(_ v: Double) -> Double { oy + h - yMap(v) * h }
        var o = "<g>\n"
        o += "<text x=\"\(c(ox + w / 2))\" y=\"\(c(oy - 8))\" text-anchor=\"middle\" font-size=\"12\" font-weight=\"bold\">\(Fmt.xml(panel.title))</text>\n"
        // Shaded positions (half the distance to the neighbours on each side).
        let sortedPositions = panel.positions.sorted()
        let spacing = zip(sortedPositions, sortedPositions.dropFirst()).map { x($1) - x($0) }.min() ?? 20
        for i in panel.shaded.sorted() where i < panel.positions.count {
            let cx = x(panel.positions[i])
            o += "<rect x=\"\(c(cx - spacing / 2))\" y=\"\(c(oy))\" width=\"\(c(spacing))\" height=\"\(c(h))\" fill=\"#eeeeee\"/>\n"
        }
        o += "<g stroke=\"#dddddd\" stroke-width=\"1\">\n"
        for t in yTicks { o += "<line x1=\"\(c(ox))\" y1=\"\(c(y(t.value)))\" x2=\"\(c(ox + w))\" y2=\"\(c(y(t.value)))\"/>\n" }
        o += "</g>\n<g text-anchor=\"end\" font-size=\"11\">\n"
        for t in yTicks { o += "<text x=\"\(c(ox - 6))\" y=\"\(c(y(t.value) + 4))\">\(Fmt.xml(t.label))</text>\n" }
        o += "</g>\n<g stroke=\"#333333\" stroke-width=\"1\">\n"
        o += "<line x1=\"\(c(ox))\" y1=\"\(c(oy))\" x2=\"\(c(ox))\" y2=\"\(c(oy + h))\"/>\n"
        o += "<line x1=\"\(c(ox))\" y1=\"\(c(oy + h))\" x2=\"\(c(ox + w))\" y2=\"\(c(oy + h))\"/>\n"
        let ticks = panel.ticks ?? zip(panel.positions, panel.labels).map { ($0, $1) }
        for t in ticks { o += "<line x1=\"\(c(x(t.position)))\" y1=\"\(c(oy + h))\" x2=\"\(c(x(t.position)))\" y2=\"\(c(oy + h + 5))\"/>\n" }
        o += "</g>\n<g text-anchor=\"middle\">\n"
        for t in ticks { o += "<text x=\"\(c(x(t.position)))\" y=\"\(c(oy + h + 18))\" font-size=\"11\">\(Fmt.xml(t.label))</text>\n" }
        o += "<text x=\"\(c(ox + w / 2))\" y=\"\(c(oy + h + 36))\">\(Fmt.xml(xTitle))</text>\n"
        let ym = oy + h / 2
        o += "<text x=\"\(c(ox - 48))\" y=\"\(c(ym))\" transform=\"rotate(-90 \(c(ox - 48)) \(c(ym)))\" font-size=\"11\">\(Fmt.xml(yTitle))</text>\n"
        o += "</g>\n"
        // Series, offset sideways by their index so error bars at one x stay apart.
        let count = panel.series.count
        let dodge = count > 1 && self.dodge ? min(6, spacing * 0.6 / Double(count)) : 0
        for (si, s) in panel.series.enumerated() {
            let dx = (Double(si) - Double(count - 1) / 2) * dodge
            let col = LineFigure.colour(s.style), d = LineFigure.dash(s.style)
            let dashAttr = d.isEmpty ? "" : " stroke-dasharray=\"\(d)\""
            o += "<g>\n"
            for (i, p) in s.points.enumerated() {
                guard let p, let sd = p.std, sd > 0, i < panel.positions.count else { continue }
                let x0 = x(panel.positions[i]) + dx, y1 = y(p.mean - sd), y2 = y(p.mean + sd)
                o += "<path d=\"M\(c(x0)) \(c(y1))V\(c(y2))M\(c(x0 - 3)) \(c(y1))H\(c(x0 + 3))M\(c(x0 - 3)) \(c(y2))H\(c(x0 + 3))\" "
                o += "stroke=\"\(col)\" stroke-width=\"1\" fill=\"none\"/>\n"
            }
            var run: [String] = []
            func flush() {
                if run.count > 1 {
                    o += "<polyline points=\"\(run.joined(separator: " "))\" fill=\"none\" stroke=\"\(col)\" stroke-width=\"2\"\(dashAttr)/>\n"
                }
                run = []
            }
            if s.connect {
                for (i, p) in s.points.enumerated() where i < panel.positions.count {
                    if let p { run.append("\(c(x(panel.positions[i]) + dx)),\(c(y(p.mean)))") } else { flush() }
                }
                flush()
            }
            if s.markers {
                for (i, p) in s.points.enumerated() where i < panel.positions.count {
                    guard let p else { continue }
                    o += LineFigure.marker(style: s.style, x: x(panel.positions[i]) + dx, y: y(p.mean)) + "\n"
                }
            }
            o += "</g>\n"
        }
        return o + "</g>\n"
    }

    static func marker(style: Int, x: Double, y: Double) -> String {
        let c = Fmt.coord, col = colour(style)
        switch style % 4 {
        case 0:
            return "<circle cx=\"\(c(x))\" cy=\"\(c(y))\" r=\"3.5\" fill=\"\(col)\"/>"
        case 1:
            return "<rect x=\"\(c(x - 3.5))\" y=\"\(c(y - 3.5))\" width=\"7\" height=\"7\" fill=\"\(col)\"/>"
        case 2:
            return "<path d=\"M\(c(x)) \(c(y - 4.5))L\(c(x + 4)) \(c(y + 3))L\(c(x - 4)) \(c(y + 3))Z\" fill=\"\(col)\"/>"
        default:
            return "<path d=\"M\(c(x)) \(c(y - 4.5))L\(c(x + 4.5)) \(c(y))L\(c(x)) \(c(y + 4.5))L\(c(x - 4.5)) \(c(y))Z\" fill=\"\(col)\"/>"
        }
    }
}

/// The start of every figure: the SVG element, its title, a white background, and the
/// title and subtitle lines centred at the top (18 and 15 pixels a line, from y = 16).
func svgHeader(width: Double, height: Double, title: String, titleLines: [String], subtitleLines: [String]) -> String {
    let c = Fmt.coord
    var o = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    o += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
    o += "viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
    o += "<title>\(Fmt.xml(title))</title>\n"
    o += "<rect x=\"0\" y=\"0\" width=\"\(Int(width))\" height=\"\(Int(height))\" fill=\"#ffffff\"/>\n"
    var ty = 16.0
    for line in titleLines {
        ty += 18
        o += "<text x=\"\(c(width / 2))\" y=\"\(c(ty - 4))\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">\(Fmt.xml(line))</text>\n"
    }
    for line in subtitleLines {
        ty += 15
        o += "<text x=\"\(c(width / 2))\" y=\"\(c(ty - 3))\" text-anchor=\"middle\" font-size=\"11\" fill=\"#444444\">\(Fmt.xml(line))</text>\n"
    }
    return o
}

/// Splits `text` at spaces into lines of at most `width` pixels at `charWidth` per character.
func wrap(_ text: String, width: Double, charWidth: Double) -> [String] {
    let limit = max(10, Int(width / charWidth))
    var lines: [String] = [], current = ""
    for word in text.split(separator: " ") {
        if current.isEmpty { current = String(word) }
        else if current.count + 1 + word.count <= limit { current += " " + word }
        else { lines.append(current); current = String(word) }
    }
    if !current.isEmpty { lines.append(current) }
    return lines.isEmpty ? [""] : lines
}

/// A critical-difference diagram (Demšar 2006, Fig. 1 and 2): the methods' average ranks on
/// an axis from 1 (best) to k, the critical difference as a bar above it, and a thick line
/// under each maximal group of methods whose ranks all lie within the CD of each other
/// (the Nemenyi test cannot tell them apart).
enum CDDiagram {
    static func svg(title: String, subtitle: String, methods: [(label: String, rank: Double)], cd: Double?, k: Int) -> String {
        let c = Fmt.coord
        let width = 680.0
        let left = 200.0, right = 480.0
        let sorted = methods.sorted { $0.rank != $1.rank ? $0.rank < $1.rank : $0.label < $1.label }
        let half = (sorted.count + 1) / 2
        let titleLines = wrap(title, width: width - 40, charWidth: 8.4)
        let subLines = wrap(subtitle, width: width - 40, charWidth: 6.4)
        let axisY = 16 + Double(titleLines.count) * 18 + Double(subLines.count) * 15 + 66
        let cliques = CDDiagram.cliques(sorted.map(\.rank), cd: cd)
        let rowsTop = axisY + 22 + Double(cliques.count) * 7
        let height = rowsTop + Double(max(half, sorted.count - half)) * 20 + 16
        func x(_ r: Double) -> Double { k > 1 ? left + (r - 1) / Double(k - 1) * (right - left) : (left + right) / 2 }

        var o = svgHeader(width: width, height: height, title: title, titleLines: titleLines, subtitleLines: subLines)
        // Axis with integer and half ticks.
        o += "<g stroke=\"#333333\" stroke-width=\"1\">\n"
        o += "<line x1=\"\(c(x(1)))\" y1=\"\(c(axisY))\" x2=\"\(c(x(Double(k))))\" y2=\"\(c(axisY))\"/>\n"
        for t in stride(from: 1.0, through: Double(k), by: 0.5) {
            let len = t == t.rounded() ? 7.0 : 4.0
            o += "<line x1=\"\(c(x(t)))\" y1=\"\(c(axisY - len))\" x2=\"\(c(x(t)))\" y2=\"\(c(axisY))\"/>\n"
        }
        o += "</g>\n<g text-anchor=\"middle\" font-size=\"11\">\n"
        for t in 1...max(k, 1) { o += "<text x=\"\(c(x(Double(t))))\" y=\"\(c(axisY - 11))\">\(t)</text>\n" }
        o += "<text x=\"\(c((left + right) / 2))\" y=\"\(c(axisY - 48))\">average rank (1 = best)</text>\n"
        o += "</g>\n"
        if let cd, cd > 0 {
            let x0 = x(1), x1 = x(min(1 + cd, Double(k)))
            let barY = axisY - 28
            o += "<g stroke=\"#000000\" stroke-width=\"2\">\n"
            o += "<line x1=\"\(c(x0))\" y1=\"\(c(barY))\" x2=\"\(c(x1))\" y2=\"\(c(barY))\"/>\n"
            o += "<line x1=\"\(c(x0))\" y1=\"\(c(barY - 4))\" x2=\"\(c(x0))\" y2=\"\(c(barY + 4))\"/>\n"
            o += "<line x1=\"\(c(x1))\" y1=\"\(c(barY - 4))\" x2=\"\(c(x1))\" y2=\"\(c(barY + 4))\"/>\n"
            o += "</g>\n"
            let label = 1 + cd > Double(k) ? "CD = \(Fmt.fixed(cd, 2)) (beyond the axis)" : "CD = \(Fmt.fixed(cd, 2))"
            o += "<text x=\"\(c(x1 + 6))\" y=\"\(c(barY + 4))\" font-size=\"11\">\(Fmt.xml(label))</text>\n"
        }
        // Methods: the better half on the left, the rest on the right, with elbow lines.
        o += "<g stroke=\"#555555\" stroke-width=\"1\" fill=\"none\">\n"
        var labels = ""
        for (i, m) in sorted.enumerated() {
            let onLeft = i < half
            let row = onLeft ? i : sorted.count - 1 - i
            let rowY = rowsTop + Double(row) * 20
            let px = x(m.rank)
            let endX = onLeft ? left - 10 : right + 10
            o += "<path d=\"M\(c(px)) \(c(axisY))V\(c(rowY))H\(c(endX))\"/>\n"
            let text = "\(m.label) (\(Fmt.fixed(m.rank, 2)))"
            labels += "<text x=\"\(c(onLeft ? endX - 4 : endX + 4))\" y=\"\(c(rowY + 4))\" text-anchor=\"\(onLeft ? "end" : "start")\">\(Fmt.xml(text))</text>\n"
        }
        o += "</g>\n" + labels
        o += "<g stroke=\"#000000\" stroke-width=\"4\" stroke-linecap=\"round\">\n"
        for (j, cl) in cliques.enumerated() {
            let y = axisY + 12 + Double(j) * 7
            o += "<line x1=\"\(c(x(sorted[cl.lowerBound].rank) - 3))\" y1=\"\(c(y))\" x2=\"\(c(x(sorted[cl.upperBound].rank) + 3))\" y2=\"\(c(y))\"/>\n"
        }
        o += "</g>\n</svg>\n"
        return o
    }

    /// Maximal runs of consecutive sorted ranks spanning less than `cd`, with at least two
    /// members (index ranges into the sorted ranks).
    static func cliques(_ ranks: [Double], cd: Double?) -> [ClosedRange<Int>] {
        guard let cd, ranks.count > 1 else { return [] }
        var out: [ClosedRange<Int>] = []
        for i in ranks.indices {
            var j = i
            while j + 1 < ranks.count && ranks[j + 1] - ranks[i] < cd { j += 1 }
            if j > i, !out.contains(where: { $0.lowerBound <= i && $0.upperBound >= j }) { out.append(i...j) }
        }
        return out
    }
}
