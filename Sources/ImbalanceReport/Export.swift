import Foundation
import ImbalanceRecords

/// Run records as one tidy table: a row per (record, method), every configuration field,
/// seed, class count and metric a column, so pandas (`read_csv`, `read_json(lines=True)`)
/// or R (`read.csv`) load it with no script. docs/export.md lists the columns.
///
/// - Rows follow the records sorted by id, methods in the report's display order. A record
///   without results (a diverged run) still gets one row, with an empty method and its
///   divergence columns set.
/// - Per-class values are columns `<name>_<class>` (class 0...K−1); a table mixing datasets
///   of different K has the union of columns, empty where a record has no such class.
/// - Metrics a schema-1 record does not store but that follow from its confusion matrix
///   (MCC, G-mean, precision, recall, minority/majority means) are filled in, as in the
///   report; `metrics_derived` says so. Average precision, calibration error and the
///   bootstrap intervals need the scores and are empty there.
/// - Timings measure the machine, not the computation: they are left out unless asked for,
///   so that the same records give the same bytes.
/// - Missing values are empty cells in CSV and `null` in JSON lines; non-finite numbers are
///   `NaN`, `Infinity` or `-Infinity` in CSV (pandas reads them) and `null` in JSON lines.
public enum TidyExport {
    public enum Format: String, CaseIterable, Sendable {
        case csv, jsonl
    }

    enum Value {
        case string(String), int(Int), double(Double), bool(Bool), missing
        /// Already-encoded JSON (the confusion matrix), written as a string in CSV.
        case json(String)
    }

    /// The table as text.
    public static func render(_ records: [RunRecord], format: Format, timings: Bool = false) -> String {
        let (columns, rows) = table(records, timings: timings)
        switch format {
        case .csv:
            var out = columns.map(csvField).joined(separator: ",") + "\n"
            for row in rows {
                out += columns.map { csvField(row[$0] ?? .missing) }.joined(separator: ",") + "\n"
            }
            return out
        case .jsonl:
            var out = ""
            for row in rows {
                out += "{" + columns.map { "\(jsonString($0)):\(jsonValue(row[$0] ?? .missing))" }
                    .joined(separator: ",") + "}\n"
            }
            return out
        }
    }

    /// Column names in order and the rows (column -> value).
    static func table(_ input: [RunRecord], timings: Bool) -> (columns: [String], rows: [[String: Value]]) {
        let records = input.sorted { $0.id < $1.id }
        let k = records.map { max($0.data.trainCounts.count, $0.data.testCounts.count) }.max() ?? 0
        let seedKeys = Set(records.flatMap { $0.seeds.keys }).sorted()
        var columns = [
            "record_id", "method", "status", "tool", "tool_version", "schema_version",
            "dataset", "label", "model", "profile", "rho", "mu", "minority_rule", "sampler", "sampler_ratio",
            "two_phase", "repetition", "base_seed", "max_per_class", "iterations", "batch_size",
            "base_learning_rate", "learning_rate_policy", "momentum", "weight_decay", "threads",
            "preprocessing", "augmentation",
            "data_format", "data_path", "data_height", "data_width", "data_channels",
            "data_test_fraction", "data_validation_fraction", "data_split_seed",
        ]
        columns += seedKeys.map { "seed_\($0)" }
        columns += ["class_count", "minority_classes", "minority_count", "train_total", "trained_total", "test_total"]
        columns += ["divergence_phase", "divergence_iteration", "divergence_reason"]
        columns += ["auc", "accuracy", "balanced_accuracy", "macro_f1", "mcc", "macro_average_precision", "ece",
                    "g_mean", "minority_recall", "majority_recall", "minority_auc", "majority_auc", "metrics_derived"]
        columns += ["validation_auc", "validation_accuracy", "validation_balanced_accuracy", "validation_mcc"]
        columns += ["bootstrap_resamples", "bootstrap_confidence"]
        for m in ["auc", "accuracy", "balanced_accuracy", "mcc"] {
            columns += ["\(m)_ci_lower", "\(m)_ci_upper", "\(m)_se"]
        }
        if timings { columns += ["wall_seconds", "train_seconds", "images_per_second", "metric_seconds"] }
        for name in ["train_count", "trained_count", "test_count", "minority", "auc", "average_precision",
                     "precision", "recall"] {
            columns += (0..<k).map { "\(name)_\($0)" }
        }
        columns.append("confusion")

        var rows: [[String: Value]] = []
        for r in records {
            let c = r.config
            var base: [String: Value] = [
                "record_id": .string(r.id), "status": .string(r.status), "tool": .string(r.tool.name),
                "tool_version": .string(r.tool.version), "schema_version": .int(r.schemaVersion),
                "dataset": .string(c.dataset), "label": opt(c.label.map(Value.string)), "model": .string(c.model),
                "profile": .string(c.profile.kind), "rho": .double(c.profile.rho), "mu": opt(c.profile.mu.map(Value.double)),
                "minority_rule": .string(c.minorityRule), "sampler": .string(c.sampler),
                "sampler_ratio": opt(c.samplerRatio.map(Value.double)), "two_phase": .bool(c.twoPhase),
                "repetition": .int(c.repetition), "base_seed": .string(String(c.baseSeed)),
                "max_per_class": opt(c.maxPerClass.map(Value.int)), "iterations": .int(c.iterations),
                "batch_size": .int(c.batchSize), "base_learning_rate": .double(c.baseLearningRate),
                "learning_rate_policy": .string(c.learningRatePolicy), "momentum": .double(c.momentum),
                "weight_decay": .double(c.weightDecay), "threads": .int(c.threads),
                "preprocessing": opt(c.preprocessing.map(Value.string)),
                "augmentation": opt(c.augmentation.map(Value.string)),
                "class_count": .int(r.data.trainCounts.count),
                "minority_classes": .string(r.data.minorityClasses.map(String.init).joined(separator: ";")),
                "minority_count": .int(r.data.minorityClasses.count),
                "train_total": .int(r.data.trainCounts.reduce(0, +)),
                "trained_total": .int(r.data.trainedCounts.reduce(0, +)),
                "test_total": .int(r.data.testCounts.reduce(0, +)),
            ]
            if let d = c.data {
                base["data_format"] = .string(d.format)
                base["data_path"] = .string(d.path)
                base["data_height"] = opt(d.height.map(Value.int))
                base["data_width"] = opt(d.width.map(Value.int))
                base["data_channels"] = opt(d.channels.map(Value.int))
                base["data_test_fraction"] = opt(d.testFraction.map(Value.double))
                base["data_validation_fraction"] = opt(d.validationFraction.map(Value.double))
                base["data_split_seed"] = opt(d.splitSeed.map { Value.string(String($0)) })
            }
            // Seeds are 64-bit unsigned: as text, so no reader rounds them through a double.
            for (key, v) in r.seeds { base["seed_\(key)"] = .string(String(v)) }
            if let d = r.divergence {
                base["divergence_phase"] = .string(d.phase)
                base["divergence_iteration"] = .int(d.iteration)
                base["divergence_reason"] = .string(d.reason)
            }
            if timings {
                base["wall_seconds"] = .double(r.timings.wallSeconds)
                base["train_seconds"] = .double(r.timings.trainSeconds)
                base["images_per_second"] = .double(r.timings.imagesPerSecond)
                base["metric_seconds"] = opt(r.timings.metricSeconds.map(Value.double))
            }
            let minority = Set(r.data.minorityClasses)
            for (i, n) in r.data.trainCounts.enumerated() {
                base["train_count_\(i)"] = .int(n)
                base["minority_\(i)"] = .bool(minority.contains(i))
            }
            for (i, n) in r.data.trainedCounts.enumerated() { base["trained_count_\(i)"] = .int(n) }
            for (i, n) in r.data.testCounts.enumerated() { base["test_count_\(i)"] = .int(n) }

            let methods = Methods.sorted(r.results.keys)
            if methods.isEmpty { rows.append(base); continue }
            for method in methods {
                let m = r.results[method]!
                let v = MetricView(m, minorityClasses: r.data.minorityClasses)
                var row = base
                row["method"] = .string(method)
                row["auc"] = .double(v.auc); row["accuracy"] = .double(v.accuracy)
                row["balanced_accuracy"] = .double(v.balancedAccuracy); row["macro_f1"] = .double(v.macroF1)
                row["mcc"] = opt(v.mcc.map(Value.double))
                row["macro_average_precision"] = opt(v.macroAveragePrecision.map(Value.double))
                row["ece"] = opt(v.ece.map(Value.double)); row["g_mean"] = opt(v.gMean.map(Value.double))
                row["minority_recall"] = opt(v.minorityRecall.map(Value.double))
                row["majority_recall"] = opt(v.majorityRecall.map(Value.double))
                row["minority_auc"] = opt(v.minorityAUC.map(Value.double))
                row["majority_auc"] = opt(v.majorityAUC.map(Value.double))
                row["metrics_derived"] = .bool(v.derived)
                if let val = r.validation?[method] {
                    let vv = MetricView(val, minorityClasses: r.data.minorityClasses)
                    row["validation_auc"] = .double(vv.auc)
                    row["validation_accuracy"] = .double(vv.accuracy)
                    row["validation_balanced_accuracy"] = .double(vv.balancedAccuracy)
                    row["validation_mcc"] = opt(vv.mcc.map(Value.double))
                }
                if let b = v.bootstrap {
                    row["bootstrap_resamples"] = .int(b.resamples)
                    row["bootstrap_confidence"] = .double(b.confidence)
                    let estimates: [(String, IntervalEstimate?)] = [
                        ("auc", b.multiClassAUC), ("accuracy", b.accuracy),
                        ("balanced_accuracy", b.balancedAccuracy), ("mcc", b.matthewsCorrelation),
                    ]
                    for (name, e) in estimates {
                        guard let e else { continue }
                        row["\(name)_ci_lower"] = .double(e.lower)
                        row["\(name)_ci_upper"] = .double(e.upper)
                        row["\(name)_se"] = .double(e.standardError)
                    }
                }
                for (i, a) in v.perClassAUC.enumerated() { row["auc_\(i)"] = opt(a.map(Value.double)) }
                for (i, a) in (v.perClassAveragePrecision ?? []).enumerated() {
                    row["average_precision_\(i)"] = opt(a.map(Value.double))
                }
                for (i, p) in (v.precision ?? []).enumerated() { row["precision_\(i)"] = .double(p) }
                for (i, x) in v.recall.enumerated() { row["recall_\(i)"] = opt(x.map(Value.double)) }
                row["confusion"] = .json("[" + m.confusion.map { "[" + $0.map(String.init).joined(separator: ",") + "]" }
                    .joined(separator: ",") + "]")
                rows.append(row)
            }
        }
        return (columns, rows)
    }

    static func opt(_ v: Value?) -> Value { v ?? .missing }

    static func number(_ x: Double) -> String {
        if x.isNaN { return "NaN" }
        if x.isInfinite { return x > 0 ? "Infinity" : "-Infinity" }
        return "\(x)"
    }

    static func csvField(_ v: Value) -> String {
        switch v {
        case .missing: return ""
        case .int(let i): return String(i)
        case .double(let d): return number(d)
        case .bool(let b): return b ? "true" : "false"
        case .string(let s), .json(let s): return csvField(s)
        }
    }

    static func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func jsonValue(_ v: Value) -> String {
        switch v {
        case .missing: return "null"
        case .int(let i): return String(i)
        case .double(let d): return d.isFinite ? "\(d)" : "null"
        case .bool(let b): return b ? "true" : "false"
        case .string(let s): return jsonString(s)
        case .json(let s): return s
        }
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}
