import Foundation

/// Compares two records field by field on their canonical JSON, machine fields left out
/// (`RunRecord.withoutMachineFields`): the verdict of `imbench reproduce`.
public struct RecordComparison: Sendable {
    public enum Verdict: Equatable, Sendable {
        /// Byte-identical canonical JSON.
        case identical
        /// Only numbers differ, each by at most the tolerance.
        case withinTolerance
        case different
    }

    /// One field that differs. `path` is a JSON path such as `results.baseline.accuracy`
    /// or `curves.phase1[2].trainLoss`.
    public struct Difference: Sendable, Equatable {
        public var path: String
        public var expected: String
        public var actual: String
        /// |actual - expected| / max(1, |expected|, |actual|) for numbers; nil otherwise.
        public var relative: Double?
    }

    public var verdict: Verdict
    /// Every differing field, largest numeric difference first, then the others in path order.
    public var differences: [Difference]
    public var tolerance: Double

    /// The largest numeric difference (nil when no number differs).
    public var largest: Difference? { differences.first { $0.relative != nil } }

    /// - Parameters:
    ///   - tolerance: the largest relative difference of a number (see `Difference`) that
    ///     still counts as equal within tolerance.
    ///   - only: compare just these top-level fields (nil: all).
    public init(expected: RunRecord, actual: RunRecord, tolerance: Double = 1e-6,
                only fields: Set<String>? = nil) throws {
        self.tolerance = tolerance
        let e = try Self.tree(expected.withoutMachineFields, only: fields)
        let a = try Self.tree(actual.withoutMachineFields, only: fields)
        var found: [Difference] = []
        Self.walk(e, a, path: "", into: &found)
        found.sort {
            switch ($0.relative, $1.relative) {
            case let (x?, y?): return x != y ? x > y : $0.path < $1.path
            case (.some, nil): return true
            case (nil, .some): return false
            default: return $0.path < $1.path
            }
        }
        differences = found
        if found.isEmpty {
            verdict = .identical
        } else if found.allSatisfy({ ($0.relative ?? .infinity) <= tolerance }) {
            verdict = .withinTolerance
        } else {
            verdict = .different
        }
    }

    static func tree(_ record: RunRecord, only fields: Set<String>?) throws -> Any {
        let object = try JSONSerialization.jsonObject(with: RecordIO.encode(record))
        guard let fields, let dict = object as? [String: Any] else { return object }
        return dict.filter { fields.contains($0.key) }
    }

    static func walk(_ e: Any, _ a: Any, path: String, into out: inout [Difference]) {
        func join(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
        switch (e, a) {
        case let (x as [String: Any], y as [String: Any]):
            for key in Set(x.keys).union(y.keys).sorted() {
                switch (x[key], y[key]) {
                case let (u?, v?): walk(u, v, path: join(key), into: &out)
                case let (u?, nil):
                    out.append(Difference(path: join(key), expected: describe(u), actual: "absent", relative: nil))
                case let (nil, v?):
                    out.append(Difference(path: join(key), expected: "absent", actual: describe(v), relative: nil))
                default: break
                }
            }
        case let (x as [Any], y as [Any]):
            if x.count != y.count {
                out.append(Difference(path: path, expected: "\(x.count) elements",
                                      actual: "\(y.count) elements", relative: nil))
            }
            for i in 0..<min(x.count, y.count) { walk(x[i], y[i], path: "\(path)[\(i)]", into: &out) }
        case let (x as NSNumber, y as NSNumber):
            // Booleans arrive as numbers too (0 and 1): a differing flag counts as a full
            // relative difference, above any tolerance.
            let u = x.doubleValue, v = y.doubleValue
            if x.stringValue != y.stringValue {
                let rel = abs(u - v) / max(1, abs(u), abs(v))
                out.append(Difference(path: path, expected: describe(x), actual: describe(y),
                                      relative: rel.isNaN ? .infinity : rel))
            }
        default:
            let u = describe(e), v = describe(a)
            if u != v { out.append(Difference(path: path, expected: u, actual: v, relative: nil)) }
        }
    }

    static func describe(_ value: Any) -> String {
        if let s = value as? String { return s }
        if let n = value as? NSNumber { return n.stringValue }
        if let d = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]),
           let s = String(data: d, encoding: .utf8) { return s }
        return "\(value)"
    }
}
