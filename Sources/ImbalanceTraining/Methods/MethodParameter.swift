/// A hyperparameter a method declares: its key, type, published default and meaning. The
/// declaration is the only place the key exists: config validation, `--param`,
/// `imbench methods` and the config-key table read it.
public struct MethodParameter: Sendable {
    public enum Kind: Sendable, Equatable {
        /// A number in the interval (bounds nil = unbounded; `open*` excludes the bound).
        case real(minimum: Double?, maximum: Double?, openMinimum: Bool, openMaximum: Bool)
        /// A whole number >= minimum.
        case integer(minimum: Int)
        /// One of these words.
        case choice([String])
    }

    public let key: String
    public let kind: Kind
    public let defaultValue: ParameterValue
    public let meaning: String

    public static func real(_ key: String, _ value: Double, min: Double? = nil, max: Double? = nil,
                            openMin: Bool = false, openMax: Bool = false, _ meaning: String) -> MethodParameter {
        MethodParameter(key: key, kind: .real(minimum: min, maximum: max, openMinimum: openMin, openMaximum: openMax),
                        defaultValue: .number(value), meaning: meaning)
    }

    public static func integer(_ key: String, _ value: Int, min: Int, _ meaning: String) -> MethodParameter {
        MethodParameter(key: key, kind: .integer(minimum: min), defaultValue: .number(Double(value)), meaning: meaning)
    }

    public static func choice(_ key: String, _ value: String, _ options: [String], _ meaning: String) -> MethodParameter {
        MethodParameter(key: key, kind: .choice(options), defaultValue: .text(value), meaning: meaning)
    }

    /// "number in [0, 1)", "whole number >= 1", "one of cosine, linear".
    public var typeDescription: String {
        switch kind {
        case let .real(lo, hi, openLo, openHi):
            func n(_ x: Double) -> String { ParameterValue.number(x).description }
            switch (lo, hi) {
            case let (l?, h?): return "number in \(openLo ? "(" : "[")\(n(l)), \(n(h))\(openHi ? ")" : "]")"
            case let (l?, nil): return "number \(openLo ? ">" : ">=") \(n(l))"
            case let (nil, h?): return "number \(openHi ? "<" : "<=") \(n(h))"
            case (nil, nil): return "number"
            }
        case .integer(let lo): return "whole number >= \(lo)"
        case .choice(let options): return "one of \(options.joined(separator: ", "))"
        }
    }

    /// The value if `value` is valid for this parameter, else a message saying what is.
    public func check(_ value: ParameterValue) -> Result<ParameterValue, MethodError> {
        let bad = MethodError("'\(key)' must be a \(typeDescription), found '\(value)'")
        switch (kind, value) {
        case let (.real(lo, hi, openLo, openHi), .number(v)):
            guard v.isFinite else { return .failure(bad) }
            if let lo, openLo ? !(v > lo) : !(v >= lo) { return .failure(bad) }
            if let hi, openHi ? !(v < hi) : !(v <= hi) { return .failure(bad) }
            return .success(value)
        case let (.integer(lo), .number(v)):
            guard v.isFinite, v == v.rounded(), v >= Double(lo) else { return .failure(bad) }
            return .success(value)
        case let (.choice(options), .text(s)):
            return options.contains(s) ? .success(value) : .failure(bad)
        case (.choice, .number(let v)):
            // A YAML scalar that looks like a number may still be a choice word.
            return check(.text(ParameterValue.number(v).description))
        default:
            return .failure(bad)
        }
    }

    /// Parses a scalar as written in YAML or after `--param key=`.
    public func parse(_ text: String) -> Result<ParameterValue, MethodError> {
        switch kind {
        case .choice: return check(.text(text))
        case .real, .integer:
            guard let v = Double(text) else {
                return .failure(MethodError("'\(key)' must be a \(typeDescription), found '\(text)'"))
            }
            return check(.number(v))
        }
    }
}

/// A method's hyperparameters with their values, every declared key present.
public struct MethodParameters: Sendable, Equatable {
    public let values: [String: ParameterValue]
    public init(_ values: [String: ParameterValue]) { self.values = values }

    public func number(_ key: String) -> Double {
        guard let v = values[key]?.number else { preconditionFailure("no numeric parameter '\(key)'") }
        return v
    }
    public func integer(_ key: String) -> Int { Int(number(key)) }
    public func text(_ key: String) -> String {
        guard let v = values[key]?.text else { preconditionFailure("no text parameter '\(key)'") }
        return v
    }
}

/// A method name, hyperparameter or combination that the registry rejects; the message
/// says what would be valid.
public struct MethodError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
