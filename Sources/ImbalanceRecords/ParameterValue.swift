/// The value of a method hyperparameter as records store it: a number (integers too) or a
/// word from a list of choices. Encoded as the bare JSON number or string.
public enum ParameterValue: Codable, Hashable, Sendable, CustomStringConvertible {
    case number(Double)
    case text(String)

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self) { self = .text(s); return }
        self = .number(try c.decode(Double.self))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .number(let v): try c.encode(v)
        case .text(let s): try c.encode(s)
        }
    }

    public var number: Double? { if case .number(let v) = self { return v }; return nil }
    public var text: String? { if case .text(let s) = self { return s }; return nil }

    /// "2", "0.9999", "cosine": whole numbers without a decimal point.
    public var description: String {
        switch self {
        case .number(let v):
            return v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v)
        case .text(let s): return s
        }
    }
}
