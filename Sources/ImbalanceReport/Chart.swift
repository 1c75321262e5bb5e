import Foundation

struct ChartPoint {
    var mean: Double
    var std: Double?
}

struct ChartSeries {
    var label: String
    /// Picks colour, dash pattern and marker shape.
    var style: Int
    /// One entry per category; nil where the series has no value.
    var points: [ChartPoint?]
}

/// A hand-written SVG line chart over categorical x values: one polyline with markers per
/// series, error bars of one standard deviation, y ticks at round values, a legend on the
/// right. Fixed 640 x 400 canvas; every coordinate is written with 2 decimals.
enum LineChart {
    static let width = 640.0, height = 400.0
    static let plotLeft = 70.0, plotRight = 455.0, plotTop = 48.0, plotBottom = 330.0
    static let colours = ["#4e79a7", "#e15759", "#f28e2b", "#76b7b2", "#59a14f",
                          "#b07aa1", "#9c755f", "#edc948", "#ff9da7", "#17becf"]
    static let dashes = ["", "6 3", "2 3", "8 3 2 3"]

    static func colour(_ style: Int) -> String { colours[style % colours.count] }
    static func dash(_ style: Int) -> String { dashes[(style / 2) % dashes.count] }

    /// Round y ticks covering [lo, hi].
    static func ticks(lo: Double, hi: Double) -> (values: [Double], decimals: Int) {
        let raw = (hi - lo) / 5
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

    static func svg(title: String, xTitle: String, yTitle: String, categories: [String],
                    series: [ChartSeries]) -> String {
        // y range from mean ± std of every point.
        var lo = Double.infinity, hi = -Double.infinity
        for s in series { for p in s.points.compactMap({ $0 }) {
            lo = min(lo, p.mean - (p.std ?? 0)); hi = max(hi, p.mean + (p.std ?? 0))
        } }
        if !lo.isFinite || !hi.isFinite { lo = 0; hi = 1 }
        let span = max(hi - lo, 0.01)
        let mid = (lo + hi) / 2
        if hi - lo < 0.01 { lo = mid - span / 2; hi = mid + span / 2 }
        lo -= span * 0.05; hi += span * 0.05
        let (tickValues, decimals) = ticks(lo: lo, hi: hi)
        let yMin = tickValues.first!, yMax = tickValues.last!
        func y(_ v: Double) -> Double { plotBottom - (v - yMin) / (yMax - yMin) * (plotBottom - plotTop) }
        let k = max(categories.count, 1)
        let band = (plotRight - plotLeft) / Double(k)
        func x(_ i: Int) -> Double { plotLeft + (Double(i) + 0.5) * band }
        let c = Fmt.coord

        var o = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        o += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
        o += "viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
        o += "<title>\(Fmt.xml(title))</title>\n"
        o += "<rect x=\"0\" y=\"0\" width=\"\(Int(width))\" height=\"\(Int(height))\" fill=\"#ffffff\"/>\n"
        o += "<text x=\"\(c(width / 2))\" y=\"24\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">\(Fmt.xml(title))</text>\n"
        // Grid and y ticks.
        o += "<g stroke=\"#dddddd\" stroke-width=\"1\">\n"
        for v in tickValues {
            o += "<line x1=\"\(c(plotLeft))\" y1=\"\(c(y(v)))\" x2=\"\(c(plotRight))\" y2=\"\(c(y(v)))\"/>\n"
        }
        o += "</g>\n<g text-anchor=\"end\">\n"
        for v in tickValues {
            o += "<text x=\"\(c(plotLeft - 6))\" y=\"\(c(y(v) + 4))\">\(Fmt.fixed(v, decimals))</text>\n"
        }
        o += "</g>\n"
        // Axes.
        o += "<g stroke=\"#333333\" stroke-width=\"1\">\n"
        o += "<line x1=\"\(c(plotLeft))\" y1=\"\(c(plotTop))\" x2=\"\(c(plotLeft))\" y2=\"\(c(plotBottom))\"/>\n"
        o += "<line x1=\"\(c(plotLeft))\" y1=\"\(c(plotBottom))\" x2=\"\(c(plotRight))\" y2=\"\(c(plotBottom))\"/>\n"
        for i in categories.indices {
            o += "<line x1=\"\(c(x(i)))\" y1=\"\(c(plotBottom))\" x2=\"\(c(x(i)))\" y2=\"\(c(plotBottom + 5))\"/>\n"
        }
        o += "</g>\n<g text-anchor=\"middle\">\n"
        for (i, label) in categories.enumerated() {
            o += "<text x=\"\(c(x(i)))\" y=\"\(c(plotBottom + 19))\">\(Fmt.xml(label))</text>\n"
        }
        o += "<text x=\"\(c((plotLeft + plotRight) / 2))\" y=\"\(c(plotBottom + 45))\">\(Fmt.xml(xTitle))</text>\n"
        let ym = (plotTop + plotBottom) / 2
        o += "<text x=\"18\" y=\"\(c(ym))\" transform=\"rotate(-90 18 \(c(ym)))\">\(Fmt.xml(yTitle))</text>\n"
        o += "</g>\n"
        // Series.
        for s in series {
            let col = colour(s.style), d = dash(s.style)
            let dashAttr = d.isEmpty ? "" : " stroke-dasharray=\"\(d)\""
            o += "<g>\n"
            // Error bars.
            for (i, p) in s.points.enumerated() {
                guard let p, let sd = p.std, sd > 0 else { continue }
                let x0 = x(i), y1 = y(p.mean - sd), y2 = y(p.mean + sd)
                o += "<path d=\"M\(c(x0)) \(c(y1))V\(c(y2))M\(c(x0 - 4)) \(c(y1))H\(c(x0 + 4))M\(c(x0 - 4)) \(c(y2))H\(c(x0 + 4))\" "
                o += "stroke=\"\(col)\" stroke-width=\"1\" fill=\"none\"/>\n"
            }
            // Polylines through runs of consecutive present points.
            var run: [String] = []
            func flush() {
                if run.count > 1 {
                    o += "<polyline points=\"\(run.joined(separator: " "))\" fill=\"none\" stroke=\"\(col)\" stroke-width=\"2\"\(dashAttr)/>\n"
                }
                run = []
            }
            for (i, p) in s.points.enumerated() {
                if let p { run.append("\(c(x(i))),\(c(y(p.mean)))") } else { flush() }
            }
            flush()
            for (i, p) in s.points.enumerated() {
                guard let p else { continue }
                o += marker(style: s.style, x: x(i), y: y(p.mean)) + "\n"
            }
            o += "</g>\n"
        }
        // Legend.
        o += "<g>\n"
        for (i, s) in series.enumerated() {
            let ly = plotTop + 8 + Double(i) * 20
            let lx = plotRight + 15
            let col = colour(s.style), d = dash(s.style)
            let dashAttr = d.isEmpty ? "" : " stroke-dasharray=\"\(d)\""
            o += "<line x1=\"\(c(lx))\" y1=\"\(c(ly))\" x2=\"\(c(lx + 30))\" y2=\"\(c(ly))\" stroke=\"\(col)\" stroke-width=\"2\"\(dashAttr)/>\n"
            o += marker(style: s.style, x: lx + 15, y: ly) + "\n"
            o += "<text x=\"\(c(lx + 38))\" y=\"\(c(ly + 4))\">\(Fmt.xml(s.label))</text>\n"
        }
        o += "</g>\n</svg>\n"
        return o
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
