import Yams

/// The keys of a sweep config as one declarative table. `SweepConfig.parse` checks a YAML
/// file against it and `imbench config keys` prints it, so what is documented and what is
/// accepted cannot drift apart.
///
/// An entry (`ConfigKey`) gives a key's name, the kind of value it takes (`ConfigValue`,
/// which decides both the check and the "type" and "valid values" the command prints), its
/// default (`ConfigDefault`: required, a value stored when the key is absent, or a sentence
/// saying what absence means), its meaning, and a closure that stores the checked value
/// (`ConfigItem`) in a `SweepConfig`. The checks are generic: unknown keys,
/// missing required keys, wrong shapes, numbers out of range, unknown names, empty lists
/// and repeated list items are reported with the file's line, all at once (a key given
/// twice is refused by the YAML parser itself).
///
/// Adding a key:
/// 1. Give `SweepConfig` a stored property for it.
/// 2. Add one `ConfigKey` to `SweepConfig.keyTable` (its order is the order of
///    `imbench config keys`):
///    ```swift
///    ConfigKey("warmup", .integer(min: 0), default: .value(.integer(0)),
///              "iterations of linear learning-rate warm-up") { c, v in c.warmup = v.int! }
///    ```
///    Nested keys are a `.mapping` of entries; the mapping's closure gets them all, with
///    their defaults filled in. Per-method hyperparameters, for example:
///    ```swift
///    ConfigKey("focal", .mapping([
///        ConfigKey("gamma", .number(min: 0), default: .value(.number(2)), "focusing parameter γ"),
///    ]), default: .absent("focal loss is not used"), "focal-loss settings") { c, v in
///        c.focalGamma = v["gamma"]!.double!
///    }
///    ```
///    A key that takes one of several shapes (a name, or a mapping that describes a file)
///    is an `.either`, tried by the shape of the YAML node (scalar, list, mapping):
///    ```swift
///    ConfigKey("dataset", .either([.choice(names), .mapping([
///        ConfigKey("format", .choice(formats), default: .required, "file format"),
///        ConfigKey("path", .text, default: .required, "directory or file"),
///    ])]), default: .required, "...") { c, v in ... }   // v is .text or .mapping
///    ```
///    A value none of the cases describes (a size given as one number or two, a name with
///    its own rules) is a `.custom(type:values:check:)`, whose closure checks the YAML
///    node and returns the item or the problem (see `SweepConfig.datasetKeyTable`).
/// 3. A rule that ties keys together (one excludes another, a grid must not be empty) goes
///    into `SweepConfig.parse` after the table pass, next to the existing ones.
/// `ConfigKeyTableTests` check that every entry is printed and that docs/config.md is the
/// output of `imbench config keys --markdown`; regenerate it after adding a key.
public struct ConfigKey: Sendable {
    public var name: String
    public var value: ConfigValue
    public var defaultValue: ConfigDefault
    public var meaning: String
    /// What one item of the value is called in messages ("method" for `methods`).
    public var noun: String
    /// Stores the checked value (defaults filled in) in the config; nil for nested keys
    /// whose mapping stores them.
    public var store: (@Sendable (inout SweepConfig, ConfigItem) -> Void)?

    public init(_ name: String, _ value: ConfigValue, default defaultValue: ConfigDefault,
                _ meaning: String, noun: String? = nil,
                store: (@Sendable (inout SweepConfig, ConfigItem) -> Void)? = nil) {
        self.name = name; self.value = value; self.defaultValue = defaultValue
        self.meaning = meaning; self.noun = noun ?? name; self.store = store
    }
}

/// The kind of value a key takes.
public indirect enum ConfigValue: Sendable {
    /// Any single scalar.
    case text
    /// One of these names; `aliases` maps other accepted spellings to a name.
    case choice([String], aliases: [String: String] = [:])
    /// A whole number >= min.
    case integer(min: Int)
    /// A whole number from 0 to 2^64 - 1 (seeds).
    case unsigned
    /// A finite number in [min, max] (or (min, max] when `aboveMin`).
    case number(min: Double, max: Double? = nil, aboveMin: Bool = false)
    /// true or false (yes / no accepted).
    case boolean
    /// A YAML list of such values (a single value counts as a one-item list); never empty,
    /// no item twice.
    case list(ConfigValue)
    /// A mapping of these keys.
    case mapping([ConfigKey])
    /// Any of these, chosen by the YAML node's shape (scalar, list or mapping), then the
    /// first scalar kind that accepts the value.
    case either([ConfigValue])
    /// A value no other case describes: `check` gets the node and the key's dotted name and
    /// returns the item or the whole problem message. `type` and `values` are what
    /// `imbench config keys` prints.
    case custom(type: String, values: String, check: @Sendable (Node, String) -> CustomCheck)

    /// The type column of `imbench config keys`.
    public var typeText: String {
        switch self {
        case .text: return "text"
        case .choice: return "name"
        case .integer, .unsigned: return "whole number"
        case .number: return "number"
        case .boolean: return "true or false"
        case .list(let item): return "list of \(item.pluralTypeText)"
        case .mapping(let keys): return "mapping {" + keys.map(\.name).joined(separator: ", ") + "}"
        case .either(let kinds): return kinds.map(\.typeText).joined(separator: " or ")
        case .custom(let type, _, _): return type
        }
    }

    var pluralTypeText: String {
        switch self {
        case .text: return "texts"
        case .choice: return "names"
        case .integer, .unsigned: return "whole numbers"
        case .number: return "numbers"
        case .boolean: return "booleans"
        case .mapping, .list, .either, .custom: return typeText
        }
    }

    /// The valid-values column of `imbench config keys`.
    public var validText: String {
        switch self {
        case .text: return "any"
        case .choice(let names, let aliases):
            return names.joined(separator: ", ")
                + (aliases.isEmpty ? "" : " (" + aliases.sorted { $0.key < $1.key }
                    .map { "\($0.key) = \($0.value)" }.joined(separator: ", ") + ")")
        case .integer(let min): return ">= \(min)"
        case .unsigned: return "0 to 18446744073709551615"
        case .number(let min, let max, let above):
            let low = (above ? "> " : ">= ") + Self.format(min)
            return max.map { low + " and <= " + Self.format($0) } ?? low
        case .boolean: return "true, false"
        case .list(let item): return item.validText + "; at least one, none twice"
        case .mapping: return "see its keys"
        case .either(let kinds): return kinds.map(\.validText).joined(separator: "; or ")
        case .custom(_, let values, _): return values
        }
    }

    static func format(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
    }
}

/// The outcome of a `.custom` value's check.
public enum CustomCheck: Sendable {
    case item(ConfigItem)
    /// The problem, as the message to print (it should name the key).
    case problem(String)
}

/// What happens when a key is absent.
public enum ConfigDefault: Sendable {
    /// The config is invalid without it (within its mapping, for nested keys).
    case required
    /// This value is stored, exactly as if it had been written.
    case value(ConfigItem)
    /// Nothing is stored; the sentence says what that means ("the model's").
    case absent(String)

    public var text: String {
        switch self {
        case .required: return "required"
        case .value(let v): return v.text
        case .absent(let s): return s
        }
    }
}

/// A checked value.
public indirect enum ConfigItem: Sendable, Equatable {
    case text(String)
    case integer(Int)
    case unsigned(UInt64)
    case number(Double)
    case boolean(Bool)
    case list([ConfigItem])
    case mapping([String: ConfigItem])

    public var string: String? { if case .text(let s) = self { return s }; return nil }
    public var int: Int? { if case .integer(let v) = self { return v }; return nil }
    public var uint64: UInt64? { if case .unsigned(let v) = self { return v }; return nil }
    public var bool: Bool? { if case .boolean(let v) = self { return v }; return nil }
    public var double: Double? {
        switch self {
        case .number(let v): return v
        case .integer(let v): return Double(v)
        default: return nil
        }
    }
    public var items: [ConfigItem] { if case .list(let v) = self { return v }; return [] }
    public var numbers: [Double] { items.compactMap(\.double) }
    public var strings: [String] { items.compactMap(\.string) }
    public subscript(key: String) -> ConfigItem? {
        if case .mapping(let m) = self { return m[key] }
        return nil
    }

    /// As it would be written in YAML.
    public var text: String {
        switch self {
        case .text(let s): return s
        case .integer(let v): return String(v)
        case .unsigned(let v): return String(v)
        case .number(let v): return ConfigValue.format(v)
        case .boolean(let v): return v ? "true" : "false"
        case .list(let v): return "[" + v.map(\.text).joined(separator: ", ") + "]"
        case .mapping(let m): return "{" + m.keys.sorted().map { "\($0): \(m[$0]!.text)" }.joined(separator: ", ") + "}"
        }
    }
}

/// One row of `imbench config keys`: a key (nested keys dotted, list items as `[]`).
public struct ConfigKeyRow: Sendable, Equatable {
    public var name: String
    public var type: String
    public var defaultText: String
    public var meaning: String
    public var valid: String
}

extension ConfigKey {
    /// This key and every key nested in it, in table order.
    public func rows(prefix: String = "") -> [ConfigKeyRow] {
        let full = prefix + name
        var out = [ConfigKeyRow(name: full, type: value.typeText, defaultText: defaultValue.text,
                                meaning: meaning, valid: value.validText)]
        func nested(_ v: ConfigValue, _ path: String) {
            switch v {
            case .mapping(let keys): for k in keys { out += k.rows(prefix: path + ".") }
            case .list(let item): nested(item, path + "[]")
            case .either(let kinds): for k in kinds { nested(k, path) }
            default: break
            }
        }
        nested(value, full)
        return out
    }
}

/// Checks YAML nodes against `ConfigKey`s, collecting every problem with its line.
struct ConfigChecker {
    var problems: [(line: Int?, message: String)] = []

    mutating func fail(_ node: Node?, _ message: String) { problems.append((node?.mark?.line, message)) }

    /// Checks a mapping node against `keys`; returns the checked items (defaults filled in
    /// for absent keys that have one). `label` is the dotted path of the mapping ("" at the
    /// top level).
    mutating func mapping(_ node: Node, keys: [ConfigKey], label: String) -> [String: ConfigItem]? {
        guard let m = node.mapping else {
            fail(node, label.isEmpty ? "the top level must be a mapping of keys"
                 : "'\(label)' must be a mapping of \(keys.map(\.name).joined(separator: ", "))")
            return nil
        }
        let known = Dictionary(keys.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var seen: [String: Node] = [:]
        var out: [String: ConfigItem] = [:]
        let dotted = label.isEmpty ? "" : label + "."
        for (k, v) in m {
            // (YAML itself refuses a key given twice.)
            guard let name = k.string else { fail(k, "keys must be names"); continue }
            seen[name] = k
            guard let key = known[name] else {
                let close = keys.map(\.name).first { $0.lowercased() == name.lowercased() }
                    ?? keys.map(\.name).first { editDistance($0.lowercased(), name.lowercased()) <= 2 }
                fail(k, "unknown key '\(dotted)\(name)'" + (close.map { " (did you mean '\($0)'?)" } ?? "")
                     + "; known keys" + (label.isEmpty ? "" : " of '\(label)'") + ": "
                     + keys.map(\.name).sorted().joined(separator: ", "))
                continue
            }
            if let item = value(v, key.value, label: dotted + name, noun: key.noun) { out[name] = item }
        }
        for key in keys where seen[key.name] == nil {
            switch key.defaultValue {
            case .required:
                fail(node, label.isEmpty ? "missing required key '\(key.name)'"
                     : "'\(label)' needs '\(key.name)' (missing required key '\(dotted)\(key.name)')")
            case .value(let item): out[key.name] = item
            case .absent: break
            }
        }
        return out
    }

    /// Checks one node against a kind of value; nil (with a problem recorded) when it fails.
    mutating func value(_ node: Node, _ kind: ConfigValue, label: String, noun: String) -> ConfigItem? {
        switch kind {
        case .list(let item):
            let nodes: [Node] = node.sequence.map { Array($0) } ?? [node]
            if nodes.isEmpty { fail(node, "'\(label)' is empty: give at least one \(noun)"); return nil }
            var items: [ConfigItem] = []
            var ok = true
            for n in nodes {
                guard let v = value(n, item, label: label, noun: noun) else { ok = false; continue }
                if items.contains(v) { fail(n, "'\(label)' lists \(v.text) twice"); ok = false; continue }
                items.append(v)
            }
            return ok ? .list(items) : nil
        case .mapping(let keys):
            // A nested mapping with any problem is not used (its keys' stores may count on
            // every required key being there).
            let before = problems.count
            let m = mapping(node, keys: keys, label: label)
            return problems.count == before ? m.map { .mapping($0) } : nil
        case .custom(_, _, let check):
            switch check(node, label) {
            case .item(let item): return item
            case .problem(let message): fail(node, message); return nil
            }
        case .either(let kinds):
            let shaped = kinds.filter { k in
                switch k {
                case .mapping: return node.mapping != nil
                case .list: return node.sequence != nil
                case .custom: return true
                default: return node.scalar != nil
                }
            }
            guard !shaped.isEmpty else {
                fail(node, "'\(label)' must be \(kinds.map(\.typeText).joined(separator: " or "))"); return nil
            }
            if shaped.count > 1 {
                // Several scalar kinds: the first that accepts the value, else all their reasons.
                var trial = ConfigChecker()
                for k in shaped {
                    trial.problems = []
                    if let v = trial.value(node, k, label: label, noun: noun) { return v }
                }
                fail(node, "'\(label)' must be \(shaped.map(\.validText).joined(separator: ", or ")), found '\(node.scalar?.string ?? "")'")
                return nil
            }
            return value(node, shaped[0], label: label, noun: noun)
        default:
            guard let s = node.scalar?.string else {
                fail(node, "'\(label)' must be a single value (\(kind.typeText)), not a "
                     + (node.sequence != nil ? "list" : "mapping")); return nil
            }
            return scalar(s, node, kind, label: label, noun: noun)
        }
    }

    mutating func scalar(_ s: String, _ node: Node, _ kind: ConfigValue, label: String, noun: String) -> ConfigItem? {
        switch kind {
        case .text:
            return .text(s)
        case .choice(let names, let aliases):
            let name = aliases[s] ?? s
            guard names.contains(name) else {
                let close = names.first { $0.lowercased() == s.lowercased() }
                fail(node, "unknown \(noun) '\(s)'" + (close.map { " (did you mean '\($0)'?)" } ?? "")
                     + "; expected " + names.joined(separator: ", ")
                     + (aliases.isEmpty ? "" : " (or " + aliases.keys.sorted().joined(separator: ", ") + ")"))
                return nil
            }
            return .text(name)
        case .integer(let min):
            guard let v = Int(s), v >= min else {
                fail(node, "'\(label)' must be a whole number >= \(min), found '\(s)'"); return nil
            }
            return .integer(v)
        case .unsigned:
            guard let v = UInt64(s) else {
                fail(node, "'\(label)' must be a whole number from 0 to 18446744073709551615, found '\(s)'"); return nil
            }
            return .unsigned(v)
        case .number(let min, let max, let above):
            guard let v = Double(s), v.isFinite, above ? v > min : v >= min, max.map({ v <= $0 }) ?? true else {
                fail(node, "'\(label)' must be a number \(kind.validText), found '\(s)'"); return nil
            }
            return .number(v)
        case .boolean:
            switch s.lowercased() {
            case "true", "yes": return .boolean(true)
            case "false", "no": return .boolean(false)
            default: fail(node, "'\(label)' must be true or false, found '\(s)'"); return nil
            }
        case .list, .mapping, .either, .custom:
            return nil   // handled by value(_:_:label:noun:)
        }
    }
}

/// Levenshtein distance, for "did you mean" suggestions.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + [Int](repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1,
                                   previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
