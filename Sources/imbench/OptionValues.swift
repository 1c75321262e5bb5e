import ArgumentParser
import Foundation

/// Parse-time checks of option values, used as `transform:` so that a bad value fails
/// before anything runs, with the option's name and the valid range in the message
/// (ArgumentParser prints "The value 'X' is invalid for '--option <option>': REASON").
/// Numeric options are declared with `parsing: .unconditional` so that a negative value is
/// read as a value (and refused with its range) rather than as an unknown option.
enum OptionValue {
    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    static func integer(_ range: ClosedRange<Int>) -> @Sendable (String) throws -> Int {
        { text in
            guard let v = Int(text), range.contains(v) else {
                throw Invalid(description: "expected a whole number " + describe(range))
            }
            return v
        }
    }

    static func integer(atLeast min: Int) -> @Sendable (String) throws -> Int {
        integer(min...Int.max)
    }

    static func seed(_ text: String) throws -> UInt64 {
        guard let v = UInt64(text) else {
            throw Invalid(description: "expected a whole number from 0 to \(UInt64.max)")
        }
        return v
    }

    /// A finite number >= min (> min when `above`), <= max when given.
    static func number(min: Double, max: Double? = nil, above: Bool = false) -> @Sendable (String) throws -> Double {
        { text in
            guard let v = Double(text), v.isFinite, above ? v > min : v >= min, max.map({ v <= $0 }) ?? true else {
                let low = (above ? "> " : ">= ") + format(min)
                throw Invalid(description: "expected a number " + low + (max.map { " and <= " + format($0) } ?? ""))
            }
            return v
        }
    }

    /// A number strictly between 0 and 1.
    static func fraction(_ text: String) throws -> Double {
        guard let v = Double(text), v > 0, v < 1 else {
            throw Invalid(description: "expected a number strictly between 0 and 1")
        }
        return v
    }

    static func choice(_ names: [String]) -> @Sendable (String) throws -> String {
        { text in
            guard names.contains(text) else {
                let close = names.first { $0.lowercased() == text.lowercased() }
                throw Invalid(description: "expected one of " + names.joined(separator: ", ")
                              + (close.map { " (did you mean '\($0)'?)" } ?? ""))
            }
            return text
        }
    }

    /// Threads or worker processes: at least 1, at most the cores of this machine (more
    /// only slows each one down).
    static func cores(_ text: String) throws -> Int {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        guard let v = Int(text), v >= 1, v <= cores else {
            throw Invalid(description: "expected a whole number from 1 to \(cores) (the cores of this machine)")
        }
        return v
    }

    static func describe(_ r: ClosedRange<Int>) -> String {
        if r.upperBound == Int.max { return ">= \(r.lowerBound)" }
        return "from \(r.lowerBound) to \(r.upperBound)"
    }

    static func format(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
    }
}

/// `--output FILE`: checked before a long run, so that a path that cannot be written fails
/// at once instead of after the training.
func checkOutputPath(_ path: String, option: String = "--output") throws {
    let url = URL(fileURLWithPath: absolute(path))
    var isDir: ObjCBool = false
    if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue {
        throw ValidationError("\(option) \(path): is a directory; give a file name, e.g. \(path)/run.json")
    }
    let dir = url.deletingLastPathComponent().path
    guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) else {
        throw ValidationError("\(option) \(path): the directory \(dir) does not exist (create it first)")
    }
    guard isDir.boolValue else { throw ValidationError("\(option) \(path): \(dir) is not a directory") }
    guard access(dir, W_OK) == 0 else { throw ValidationError("\(option) \(path): the directory \(dir) is not writable") }
}

/// `--jobs J` × `--threads T` must fit the machine's cores.
func checkCoreBudget(jobs: Int, threads: Int) throws {
    let cores = ProcessInfo.processInfo.activeProcessorCount
    if jobs * threads > cores {
        throw ValidationError("--jobs \(jobs) with --threads \(threads) each is \(jobs * threads) threads on \(cores) cores; "
                              + "lower one of them (jobs x threads <= \(cores))")
    }
}
