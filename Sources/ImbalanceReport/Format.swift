import Foundation

/// Deterministic text formatting shared by the markdown and the SVG output. Everything goes
/// through `String(format:)` with the POSIX conventions (no locale), so the bytes depend on
/// the numbers alone.
enum Fmt {
    /// `x` with a fixed number of decimals; "-0.00" is written "0.00".
    static func fixed(_ x: Double, _ decimals: Int) -> String {
        if x.isNaN { return "NaN" }
        if x.isInfinite { return x > 0 ? "Infinity" : "-Infinity" }
        var s = String(format: "%.\(decimals)f", x)
        if s.hasPrefix("-"), s.dropFirst().allSatisfy({ $0 == "0" || $0 == "." }) { s.removeFirst() }
        return s
    }

    /// A p-value with 3 significant digits ("0.0312", "0.438", "2.31e-05", "1").
    static func p(_ x: Double) -> String {
        if x.isNaN { return "NaN" }
        return String(format: "%.3g", x)
    }

    /// A difference with its sign: "+0.00021", "−0.00100" (a minus sign, not a hyphen),
    /// "0.00000" for a value that rounds to zero.
    static func signed(_ x: Double, _ decimals: Int) -> String {
        let s = fixed(abs(x), decimals)
        if s.allSatisfy({ $0 == "0" || $0 == "." }) { return s }
        return (x < 0 ? "\u{2212}" : "+") + s
    }

    /// Coordinates in the SVG: two decimals.
    static func coord(_ x: Double) -> String { fixed(x, 2) }

    /// A configuration value (rho, mu, learning rate, ...): integers without a decimal point,
    /// everything else in Swift's shortest round-trip form (0.1, 0.0005, 1e-05).
    static func number(_ x: Double) -> String {
        if x.isFinite, x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
        return "\(x)"
    }

    /// Text from records placed in a markdown table cell: markdown punctuation and HTML
    /// brackets backslash-escaped (pipes included), line breaks flattened.
    static func cell(_ s: String) -> String { inline(s) }

    /// Text from records placed in running markdown (headings, list items, cells).
    static func inline(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "\\", "|", "*", "_", "`", "<", ">", "[", "]", "#": out += "\\" + String(ch)
            case "\n", "\r": out += " "
            default: out.append(ch)
            }
        }
        return out
    }

    /// Text placed in SVG character data or attribute values.
    static func xml(_ s: String) -> String {
        var out = ""
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                // Control characters other than tab/newline are not allowed in XML 1.0.
                if ch.value < 0x20 && ch != "\t" && ch != "\n" && ch != "\r" { out += " " } else {
                    out.unicodeScalars.append(ch)
                }
            }
        }
        return out
    }

    /// A file-name fragment: lower-case letters, digits, '.' and '-'.
    static func slug(_ s: String) -> String {
        var out = ""
        var lastDash = false
        for ch in s.lowercased().unicodeScalars {
            if (ch >= "a" && ch <= "z") || (ch >= "0" && ch <= "9") || ch == "." {
                out.unicodeScalars.append(ch); lastDash = false
            } else if !lastDash {
                out += "-"; lastDash = true
            }
        }
        while out.hasPrefix("-") || out.hasPrefix(".") { out.removeFirst() }
        while out.hasSuffix("-") { out.removeLast() }
        return out.isEmpty ? "x" : out
    }
}

/// Three-way comparison, for chaining lexicographic orders.
@inline(__always)
func cmp<T: Comparable>(_ a: T, _ b: T) -> Int { a < b ? -1 : (b < a ? 1 : 0) }

func cmpOptional<T: Comparable>(_ a: T?, _ b: T?) -> Int {
    switch (a, b) {
    case (nil, nil): return 0
    case (nil, _): return -1
    case (_, nil): return 1
    case let (x?, y?): return cmp(x, y)
    }
}

/// True when the first non-zero comparison is negative.
func lexLess(_ comparisons: Int...) -> Bool {
    for c in comparisons where c != 0 { return c < 0 }
    return false
}
