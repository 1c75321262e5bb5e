import Foundation

/// Renders a report as aligned text (terminal) or markdown (README), one table per family
/// and network, so the figures a reviewer compares sit side by side.
public enum TableFormat: String, Sendable, CaseIterable {
    case text, markdown
}

public func render(_ report: KernelReport, as format: TableFormat) -> String {
    var out = ""
    let y = report.yardstick
    out += "OpenBLAS \(report.machine.openblasCore), \(report.machine.openblasThreads) thread(s); "
        + "\(report.machine.cpu), \(report.machine.logicalCores) logical cores; "
        + "load average \(report.machine.loadAverageAtStart) at start, "
        + "\(report.machine.loadAverageAtEnd) at end\n"
    out += "sgemm \(y.shape), interleaved with the runs of each convolution and sgemm pass: "
        + "median " + f1(y.median) + " GFLOP/s (per-pass medians from " + f1(y.min) + " to "
        + f1(y.max) + " over \(y.passes) passes)\n"
    out += "Every kernel was checked against its naive Double reference first "
        + "(tolerance \(report.verificationTolerance)); times are medians of at least "
        + "\(report.timing.minRuns) runs after \(report.timing.warmupRuns) warm-up; "
        + "% of sgemm is the median of per-run ratios to the yardstick run just before.\n"

    let byFamily = Dictionary(grouping: report.rows, by: \.family)
    if let rows = byFamily[.sgemm] {
        out += section("sgemm, square", format)
        out += table(["shape", "ms", "GFLOP/s", "sgemm 1024³", "% of sgemm"],
                     rows.map { [$0.shape, ms($0.milliseconds), opt($0.gflops), opt($0.sgemmGFLOPS),
                                 pct($0.percentOfSgemm)] }, format, labels: 1)
    }
    if let rows = byFamily[.conv] {
        let order = ["forward", "backward-weights", "backward-data", "backward"]
        var networks: [String] = []
        for r in rows where !networks.contains(r.network) { networks.append(r.network) }
        for network in networks {
            out += section("Convolution, \(networkTitle(network))", format)
            var lines: [[String]] = []
            var lastLayer = ""
            let sorted = rows.filter { $0.network == network && order.contains($0.pass) }
            var layers: [String] = []
            for r in sorted where !layers.contains(r.name.components(separatedBy: "/")[1]) {
                layers.append(r.name.components(separatedBy: "/")[1])
            }
            for layer in layers {
                for pass in order {
                    guard let r = sorted.first(where: {
                        $0.name.components(separatedBy: "/")[1] == layer && $0.pass == pass
                    }) else { continue }
                    let first = layer != lastLayer
                    lastLayer = layer
                    lines.append([first ? r.layer + batchSuffix(r) : "", first ? r.shape : "",
                                  r.pass + (r.derived ? " (difference)" : ""), ms(r.milliseconds),
                                  opt(r.gflops), opt(r.gemmAloneGFLOPS),
                                  r.gemmShare.map { String(format: "%.0f%%", $0 * 100) } ?? "—",
                                  opt(r.sgemmGFLOPS), pct(r.percentOfSgemm)])
                }
            }
            out += table(["layer", "shape", "pass", "ms", "GFLOP/s", "its GEMMs alone",
                          "GEMM share", "sgemm 1024³", "% of sgemm"], lines, format, labels: 3)
        }
    }
    for family in [Family.pool, .unfold] {
        guard let rows = byFamily[family] else { continue }
        out += section(family == .pool ? "Max pooling" : "im2col and col2im alone", format)
        out += table(["layer", "shape", "pass", "ms", "GB/s", "Gop/s"],
                     rows.map { [networkTitle($0.network) + " " + $0.layer, $0.shape, $0.pass,
                                  ms($0.milliseconds), opt($0.gigabytesPerSecond), opt($0.gflops)] },
                     format, labels: 3)
    }
    if !report.allCNNTarget.isEmpty {
        out += section("Issue 5 target: All-CNN 3×3 forward with >= 96 input channels at >= 70% of sgemm",
                       format)
        // One decimal here: a layer at 69.96% must not read "70%, not met".
        out += table(["layer", "shape", "GFLOP/s", "sgemm 1024³", "% of sgemm", "target"],
                     report.allCNNTarget.map {
                         [$0.layer, $0.shape, f1($0.gflops), f1($0.sgemmGFLOPS),
                          String(format: "%.1f%%", $0.percentOfSgemm),
                          $0.meets70Percent ? "met" : "not met"]
                     }, format, labels: 2)
    }
    return out
}

private func networkTitle(_ n: String) -> String {
    switch n {
    case "lenet5": return "LeNet-5"
    case "allcnn": return "All-CNN"
    case "resnet10": return "ResNet-10 (CIFAR stem)"
    default: return n
    }
}

/// Marks the batch only where it differs from the networks' benchmark batch of 64.
private func batchSuffix(_ r: Row) -> String {
    r.name.hasSuffix(".b64/\(r.pass)") ? "" : " (" + (r.name.components(separatedBy: ".").last?
        .components(separatedBy: "/").first ?? "") + ")"
}

private func section(_ title: String, _ format: TableFormat) -> String {
    format == .markdown ? "\n#### \(title)\n\n" : "\n== \(title) ==\n"
}

private func f1(_ x: Double) -> String { String(format: "%.1f", x) }
private func opt(_ x: Double?) -> String { x.map(f1) ?? "—" }
private func pct(_ x: Double?) -> String { x.map { String(format: "%.0f%%", $0) } ?? "—" }
private func ms(_ x: Double) -> String {
    x >= 100 ? String(format: "%.1f", x) : x >= 1 ? String(format: "%.2f", x) : String(format: "%.3f", x)
}

/// The first `labels` columns are left-aligned labels, the rest right-aligned figures.
private func table(_ header: [String], _ rows: [[String]], _ format: TableFormat,
                   labels: Int) -> String {
    if format == .markdown {
        var s = "| " + header.joined(separator: " | ") + " |\n|"
        for i in header.indices { s += i < labels ? "---|" : "---:|" }
        s += "\n"
        for r in rows { s += "| " + r.joined(separator: " | ") + " |\n" }
        return s
    }
    var widths = header.map(\.count)
    for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { i, c in
            let pad = String(repeating: " ", count: widths[i] - c.count)
            return i < labels ? c + pad : pad + c
        }.joined(separator: "  ") + "\n"
    }
    return line(header) + rows.map(line).joined()
}
