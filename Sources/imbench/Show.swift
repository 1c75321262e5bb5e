import ArgumentParser
import Foundation
import ImbalanceFetch
import ImbalanceTraining

/// `imbench show RECORD`: one run record as text: what was trained (every configuration
/// field), on what (class counts before and after resampling, the data check), and every
/// metric of every method. Fields are read generically from the record's JSON, so fields a
/// newer schema adds are shown too.
struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Pretty-print run records: configuration, class counts and the metrics of every method.")

    @Argument(help: "Run record files (records/ID.json of a sweep, or train --output).") var records: [String]
    @Flag(help: "Also print seeds, per-class AUC, confusion matrices and learning curves.") var details = false

    func run() throws {
        var texts: [String] = []
        for path in records {
            let record: RunRecord
            do { record = try RecordIO.read(path) } catch { throw DataCommandError("\(error)") }
            texts.append(try Self.render(record, path: path, details: details))
        }
        print(texts.joined(separator: "\n\n"))
    }

    static func render(_ r: RunRecord, path: String, details: Bool) throws -> String {
        var out: [String] = []
        out.append("\(path)")
        out.append("  id:      \(r.id)")
        out.append("  engine:  \(r.tool.name) \(r.tool.version), record schema \(r.schemaVersion)"
                   + (r.tool.version == ImbalanceBenchInfo.version ? "" : " (this binary is \(ImbalanceBenchInfo.version))"))
        var status = "  status:  \(r.status)"
        if let d = r.divergence { status += " in \(d.phase) at iteration \(d.iteration): \(d.reason)" }
        out.append(status)

        out.append("")
        out.append("Configuration")
        for (key, value) in try fields(of: r.config) { out.append("  " + pad(key, 20) + value) }

        out.append("")
        out.append("Data")
        out.append("  directory: \(r.data.dataDirectory)")
        if let c = r.provenance?.dataCheck {
            out.append("  check:     \(c.result)" + (c.manifest.map { " (against \($0))" } ?? "") + ": \(c.detail)")
        } else {
            out.append("  check:     none recorded")
        }
        let d = r.data
        out.append("  " + pad("class", 7) + lpad("imbalanced", 11) + lpad("trained on", 12) + lpad("test", 8) + "  minority")
        for c in 0..<max(d.trainCounts.count, d.testCounts.count) {
            func at(_ a: [Int]) -> String { c < a.count ? grouped(a[c]) : "-" }
            out.append("  " + pad(String(c), 7) + lpad(at(d.trainCounts), 11) + lpad(at(d.trainedCounts), 12)
                       + lpad(at(d.testCounts), 8) + (d.minorityClasses.contains(c) ? "  yes" : ""))
        }
        out.append("  " + pad("total", 7) + lpad(grouped(d.trainCounts.reduce(0, +)), 11)
                   + lpad(grouped(d.trainedCounts.reduce(0, +)), 12) + lpad(grouped(d.testCounts.reduce(0, +)), 8))

        out.append("")
        out.append("Metrics on the test set")
        let methods = r.results.keys.sorted { rank($0) == rank($1) ? $0 < $1 : rank($0) < rank($1) }
        var rows: [(String, [String: Double])] = []
        var columns: [String] = []
        for m in methods {
            let values = try scalars(of: r.results[m]!)
            rows.append((m, values))
            for k in values.keys where !columns.contains(k) { columns.append(k) }
        }
        let known = ["multiClassAUC", "accuracy", "balancedAccuracy", "macroF1"]
        columns = known.filter(columns.contains) + columns.filter { !known.contains($0) }.sorted()
        if rows.isEmpty {
            out.append("  none (the run did not finish)")
        } else {
            let width = max(22, (methods.map(\.count).max() ?? 0) + 2)
            out.append("  " + pad("method", width) + columns.map { lpad($0, max(10, $0.count + 2)) }.joined())
            for (m, values) in rows {
                out.append("  " + pad(m, width) + columns.map { c in
                    lpad(values[c].map { String(format: "%.6f", $0) } ?? "-", max(10, c.count + 2))
                }.joined())
            }
        }
        if details {
            out.append("")
            out.append("Seeds")
            for (k, v) in r.seeds.sorted(by: { $0.key < $1.key }) { out.append("  " + pad(k, 16) + String(v)) }
            for m in methods {
                let metrics = r.results[m]!
                out.append("")
                out.append("\(m): per-class AUC")
                out.append("  " + metrics.perClassAUC.enumerated().map { "\($0.offset): " + ($0.element.map { String(format: "%.6f", $0) } ?? "undefined") }
                    .joined(separator: "  "))
                out.append("\(m): confusion matrix (rows: true class, columns: predicted)")
                for (i, row) in metrics.confusion.enumerated() {
                    out.append("  " + pad(String(i), 4) + row.map { lpad(String($0), 7) }.joined())
                }
            }
            for (phase, points) in r.curves.sorted(by: { $0.key < $1.key }) where !points.isEmpty {
                out.append("")
                out.append("Learning curve, \(phase)")
                out.append("  " + lpad("iteration", 10) + lpad("train loss", 12) + lpad("train acc", 11)
                           + lpad("test loss", 11) + lpad("test acc", 10))
                for p in points {
                    out.append("  " + lpad(String(p.iteration), 10) + lpad(String(format: "%.4f", p.trainLoss), 12)
                               + lpad(String(format: "%.4f", p.trainAccuracy), 11) + lpad(String(format: "%.4f", p.testLoss), 11)
                               + lpad(String(format: "%.4f", p.testAccuracy), 10))
                }
            }
        }
        out.append("")
        let t = r.timings
        var timing = String(format: "Timings: wall %.1f s, training %.1f s (%.0f images/s)", t.wallSeconds, t.trainSeconds,
                            t.imagesPerSecond)
        if let p = t.preprocessingSeconds { timing += String(format: ", preprocessing %.1f s", p) }
        if let e = t.evaluationSeconds { timing += String(format: ", test evaluation %.1f s", e) }
        out.append(timing)
        return out.joined(separator: "\n")
    }

    /// Methods in the order the study discusses them: the baseline, then each sampler with
    /// its variants, then anything else.
    static func rank(_ m: String) -> Int {
        if m.hasPrefix("baseline") { return 0 }
        if m.hasPrefix("ROS") || m == "two-phase-ROS" { return 1 }
        if m.hasPrefix("RUS") || m == "two-phase-RUS" { return 2 }
        return 3
    }

    /// Every field of an encodable value, as "key: value" text, keys sorted; nested values
    /// as compact JSON.
    static func fields<T: Encodable>(of value: T) throws -> [(String, String)] {
        guard case .object(let obj) = try JSONValue.of(value) else { return [] }
        return obj.keys.sorted().map { ($0, obj[$0]!.text) }
    }

    /// The number-valued fields of an encodable value (metrics), by name.
    static func scalars<T: Encodable>(of value: T) throws -> [String: Double] {
        guard case .object(let obj) = try JSONValue.of(value) else { return [:] }
        var out: [String: Double] = [:]
        for (k, v) in obj {
            switch v {
            case .number(let d, _): out[k] = d
            case .string(let s) where Double(s) != nil || s == "NaN": out[k] = Double(s) ?? .nan
            default: break
            }
        }
        return out
    }

    static func pad(_ s: String, _ n: Int) -> String {
        s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count)
    }

    static func lpad(_ s: String, _ n: Int) -> String {
        s.count >= n ? " " + s : String(repeating: " ", count: n - s.count) + s
    }
}

/// A JSON value, decoded strictly (a boolean is never a number), for printing records
/// field by field.
indirect enum JSONValue: Decodable {
    case null, bool(Bool), number(Double, text: String), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int64.self) { self = .number(Double(i), text: String(i)) }
        else if let u = try? c.decode(UInt64.self) { self = .number(Double(u), text: String(u)) }
        else if let d = try? c.decode(Double.self) { self = .number(d, text: String(d)) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    static func of<T: Encodable>(_ value: T) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: RecordIO.encoder().encode(value))
    }

    var text: String {
        switch self {
        case .null: return "none"
        case .bool(let b): return b ? "true" : "false"
        case .number(_, let text): return text
        case .string(let s): return s
        case .array(let a): return "[" + a.map(\.text).joined(separator: ", ") + "]"
        case .object(let o): return "{" + o.keys.sorted().map { "\($0): \(o[$0]!.text)" }.joined(separator: ", ") + "}"
        }
    }
}
