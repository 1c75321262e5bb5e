#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import ImbalanceRandom

/// A bad imbalance profile or resampling request. Kept apart from `DataError` because
/// nothing here is about a file: the fix is always a different parameter value, so every
/// message says which values would have been accepted.
public struct ImbalanceError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What was asked for, e.g. `"step(rho: 10000, mu: 0.5)"` or `"ROS to ratio 20"`.
    public var subject: String
    /// What is wrong and what would be valid.
    public var message: String

    public init(subject: String, message: String) {
        self.subject = subject
        self.message = message
    }

    public var description: String { "\(subject): \(message)" }
}

/// The shape of the class-size distribution imposed on a balanced base set.
///
/// Counts are defined in *rank order* (rank 0 is a largest class, holding n_max; counts
/// never grow with the rank) and a `MinorityRule` then decides which label gets which rank.
/// Separating the two keeps the arithmetic independent of the random draw, so the counts
/// of a configuration can be checked (and reported) without a dataset or a seed.
public enum ImbalanceProfile: Codable, Hashable, Sendable, CustomStringConvertible {
    /// Every class keeps n_max examples (the paper's "original" reference runs).
    case balanced
    /// The paper's step imbalance: round(mu * N) minority classes of floor(n_max / rho).
    case step(rho: Double, mu: Double)
    /// The paper's linear imbalance: n_max down to floor(n_max / rho) in equal steps.
    case linear(rho: Double)
    /// The long-tailed profile of the CIFAR-LT literature (Cao et al. 2019, LDAM-DRW):
    /// n_i = n_max * rho^(-i / (N - 1)). Not in Buda et al.; included so results can be set
    /// beside that literature.
    case exponential(rho: Double)

    /// The imbalance ratio max/min the profile asks for (1 when balanced). The realised
    /// ratio can be a little larger because counts are whole numbers.
    public var rho: Double {
        switch self {
        case .balanced: return 1
        case .step(let rho, _), .linear(let rho), .exponential(let rho): return rho
        }
    }

    /// The fraction of minority classes, for step imbalance only.
    public var mu: Double? {
        if case .step(_, let mu) = self { return mu }
        return nil
    }

    /// The name run records use for the profile kind (`ProfileSpec.kind`).
    public var kindName: String {
        switch self {
        case .balanced: return "balanced"
        case .step: return "step"
        case .linear: return "linear"
        case .exponential: return "exponential"
        }
    }

    public var description: String {
        switch self {
        case .balanced: return "balanced"
        case .step(let rho, let mu): return "step(rho: \(formatNumber(rho)), mu: \(formatNumber(mu)))"
        case .linear(let rho): return "linear(rho: \(formatNumber(rho)))"
        case .exponential(let rho): return "exponential(rho: \(formatNumber(rho)))"
        }
    }

    /// Per-class counts in rank order (index 0 = a largest class = `nMax`; non-increasing).
    ///
    /// Rounding, chosen so that the smallest class is the same for every profile with the
    /// same rho and so that the realised ratio is never below the requested one:
    /// - n_min = floor(n_max / rho) for every profile (the protocol's rule for step).
    /// - Step: the last round(mu * N) ranks hold n_min, the others n_max.
    /// - Linear: rank i holds n_max - i * (n_max - n_min) / (N - 1), rounded to the nearest
    ///   integer with ties towards the larger count, computed in exact integer arithmetic so
    ///   the result does not depend on floating point. The first and last ranks are exactly
    ///   n_max and n_min; consecutive differences are constant when (N - 1) divides
    ///   (n_max - n_min) and otherwise differ by at most one.
    /// - Exponential: floor(n_max * (1/rho)^(i / (N - 1))), the formula and truncation of the
    ///   LDAM-DRW reference code, so CIFAR-10-LT with rho = 100 gives its familiar
    ///   5000, 2997, ..., 83, 50. The last rank is n_min.
    ///
    /// Floors and ceilings treat a quotient within 1e-9 (relative) of a whole number as that
    /// number, so a decimal rho such as 1000/3 does not lose an example to binary rounding.
    ///
    /// - Throws: `ImbalanceError` for N < 2, n_max < 1, rho < 1 or not finite, mu outside
    ///   (0, 1), mu * N not a whole number of classes, or a class that would be left empty.
    public func classCounts(classes n: Int, nMax: Int) throws -> [Int] {
        func fail(_ message: String) -> ImbalanceError {
            ImbalanceError(subject: description, message: message)
        }
        guard n >= 2 else {
            throw fail("needs at least 2 classes, found \(n)")
        }
        guard nMax >= 1 else {
            throw fail("n_max must be at least 1, found \(nMax)")
        }
        if case .balanced = self {
            return [Int](repeating: nMax, count: n)
        }
        let rho = self.rho
        guard rho.isFinite, rho >= 1 else {
            throw fail("rho must be a finite number >= 1 (the ratio of the largest to the smallest class), found \(formatNumber(rho))")
        }
        // Step's mu is checked before the empty-class test: a bad mu is the more basic error.
        var minorityCount = 0
        if case .step(_, let mu) = self {
            guard mu.isFinite, mu > 0, mu < 1 else {
                throw fail("mu (the fraction of minority classes) must lie strictly between 0 and 1, found \(formatNumber(mu)); \(validMuText(n))")
            }
            let product = mu * Double(n)
            let whole = product.rounded()
            guard abs(product - whole) <= 1e-9 else {
                throw fail("mu * N = \(formatNumber(mu)) * \(n) = \(formatNumber(product)) is not a whole number of classes; \(validMuText(n))")
            }
            minorityCount = Int(whole)
            guard minorityCount > 0, minorityCount < n else {
                throw fail("mu * N rounds to \(minorityCount) minority classes, leaving \(minorityCount == 0 ? "no imbalance" : "no majority class"); \(validMuText(n))")
            }
        }
        let nMin = snappedFloor(Double(nMax) / rho)
        guard nMin >= 1 else {
            throw fail("the smallest class would get floor(n_max / rho) = floor(\(nMax) / \(formatNumber(rho))) = 0 examples; with n_max = \(nMax) the largest rho allowed is \(nMax)")
        }
        switch self {
        case .balanced:
            return [Int](repeating: nMax, count: n)
        case .step:
            return [Int](repeating: nMax, count: n - minorityCount)
                + [Int](repeating: nMin, count: minorityCount)
        case .linear:
            // count_i = a / b with a = n_max * (N-1) - i * D, b = N - 1; nearest, ties up.
            let b = n - 1
            let d = nMax - nMin
            return (0..<n).map { i in
                let a = nMax * b - i * d
                return (2 * a + b) / (2 * b)
            }
        case .exponential:
            let base = 1.0 / rho
            return (0..<n).map { i in
                if i == 0 { return nMax }
                if i == n - 1 { return nMin }
                return snappedFloor(Double(nMax) * pow(base, Double(i) / Double(n - 1)))
            }
        }
    }
}

/// Which label receives which rank of the profile's counts.
///
/// The raw values are the names run records use (`JobConfig.minorityRule`).
public enum MinorityRule: String, Codable, Hashable, Sendable, CaseIterable {
    /// The paper's MNIST (and ImageNet) rule: a fresh uniformly random class order for every
    /// repetition, so results average over which digits are rare.
    case random
    /// The paper's CIFAR-10 rule: the lowest labels get the smallest counts (label 0 the
    /// smallest, label N-1 a largest), so the minority set of a smaller mu is contained in
    /// that of a larger mu and runs differ only in how many classes are rare. Note that the
    /// CIFAR-LT literature puts its head at label 0; this rule is the reverse of that.
    case lowest
}

/// An imbalanced training subset of a dataset, and how it was formed.
public struct ImbalancedSet: Equatable, Sendable {
    /// Indices into the dataset, ascending, without repeats, all taken from the base set.
    public var indices: [Int]
    /// Examples per class, indexed by label.
    public var classCounts: [Int]
    /// Labels holding fewer than `nMax` examples, ascending (empty when balanced).
    public var minorityClasses: [Int]
    /// `rankToLabel[r]` is the label that received rank r of the profile's counts
    /// (rank 0 = a largest class).
    public var rankToLabel: [Int]
    /// The size of the largest classes.
    public var nMax: Int

    public init(indices: [Int], classCounts: [Int], minorityClasses: [Int],
                rankToLabel: [Int], nMax: Int) {
        self.indices = indices
        self.classCounts = classCounts
        self.minorityClasses = minorityClasses
        self.rankToLabel = rankToLabel
        self.nMax = nMax
    }

    /// The imbalance ratio actually realised, max/min over the class counts.
    public var realisedRatio: Double {
        guard let hi = classCounts.max(), let lo = classCounts.min(), lo > 0 else { return .infinity }
        return Double(hi) / Double(lo)
    }
}

/// The class order a rule gives for `classes` classes: `result[rank] = label`.
///
/// `.random` draws one full Fisher-Yates permutation even when the profile is balanced or
/// only the minority set matters, so that the stream's consumption (and with it every later
/// draw) depends only on N and not on the profile.
public func classOrder(classes n: Int, rule: MinorityRule, rng: inout RandomStream) -> [Int] {
    switch rule {
    case .lowest:
        return (0..<n).map { n - 1 - $0 }
    case .random:
        var order = Array(0..<n)
        rng.shuffle(&order)
        return order
    }
}

/// Subsamples a balanced base set into an imbalanced one.
///
/// Draws, in this fixed order: the class order (for `.random`), then for each class in
/// label order one `sample` call choosing its examples uniformly without replacement from
/// that class's base indices taken in ascending order. A class kept whole consumes no draws.
/// Sorting first makes the result depend on the base set, not on the order it is passed in.
///
/// - Parameters:
///   - baseIndices: the base set (e.g. from `BaseSet.capPerClass`); no repeats.
///   - nMax: the size of the largest classes. Every class of the base set must hold at
///     least this many examples, whatever rank it would draw, so that whether a
///     configuration is feasible never depends on the seed. The default, the smallest base
///     class size, is therefore always feasible; for the protocol's capped base sets (MNIST
///     capped at 5,000, whose smallest class has 5,421) it is simply the cap.
/// - Throws: `ImbalanceError` for an invalid profile, a base index out of range or
///   repeated, an empty base class, or an `nMax` larger than some class holds.
public func makeImbalanced(_ dataset: some LabelledImages, baseIndices: [Int],
                           profile: ImbalanceProfile, rule: MinorityRule, nMax: Int? = nil,
                           rng: inout RandomStream) throws -> ImbalancedSet {
    let n = dataset.classCount
    let subject = "\(profile) on \(dataset.name)"
    var seen = [Bool](repeating: false, count: dataset.count)
    for i in baseIndices {
        guard i >= 0, i < dataset.count else {
            throw ImbalanceError(subject: subject, message:
                "base index \(i) is outside the dataset's 0..<\(dataset.count)")
        }
        guard !seen[i] else {
            throw ImbalanceError(subject: subject, message:
                "base index \(i) appears more than once; a base set must not repeat examples")
        }
        seen[i] = true
    }
    var members = [[Int]](repeating: [], count: n)
    for i in baseIndices.sorted() { members[dataset.labels[i]].append(i) }
    let available = members.map(\.count)

    if let emptyClass = available.firstIndex(of: 0) {
        throw ImbalanceError(subject: subject, message:
            "class \(emptyClass) ('\(dataset.classNames[emptyClass])') has no examples in the base set")
    }
    let smallest = available.min() ?? 0
    let largest = nMax ?? smallest
    if largest > smallest {
        let short = available.indices.filter { available[$0] < largest }
        let list = short.map { "class \($0) ('\(dataset.classNames[$0])') has \(available[$0])" }
            .joined(separator: ", ")
        throw ImbalanceError(subject: subject, message:
            "more examples asked than exist: n_max = \(largest) but \(list) in the base set; every class must hold at least n_max (omit nMax to use the smallest class size, \(smallest))")
    }
    let rankCounts = try profile.classCounts(classes: n, nMax: largest)

    let order = classOrder(classes: n, rule: rule, rng: &rng)
    var counts = [Int](repeating: 0, count: n)
    for (rank, label) in order.enumerated() { counts[label] = rankCounts[rank] }

    var indices: [Int] = []
    indices.reserveCapacity(counts.reduce(0, +))
    for label in 0..<n {
        let pool = members[label]
        if counts[label] == pool.count {
            indices += pool
        } else {
            indices += rng.sample(counts[label], from: pool.count).map { pool[$0] }
        }
    }
    indices.sort()
    return ImbalancedSet(indices: indices, classCounts: counts,
                         minorityClasses: (0..<n).filter { counts[$0] < largest },
                         rankToLabel: order, nMax: largest)
}

/// floor(x), but a value within 1e-9 (relative) below a whole number counts as that number.
func snappedFloor(_ x: Double) -> Int {
    let whole = x.rounded()
    if abs(x - whole) <= 1e-9 * max(1, abs(x)) { return Int(whole) }
    return Int(x.rounded(.down))
}

/// ceil(x), but a value within 1e-9 (relative) above a whole number counts as that number.
func snappedCeil(_ x: Double) -> Int {
    let whole = x.rounded()
    if abs(x - whole) <= 1e-9 * max(1, abs(x)) { return Int(whole) }
    return Int(x.rounded(.up))
}

/// Numbers in messages: whole values without a trailing ".0" (users type "rho 10").
func formatNumber(_ x: Double) -> String {
    if x.isFinite, x == x.rounded(), abs(x) < 1e15 { return String(Int(x)) }
    return "\(x)"
}

/// The step-mu values that are valid for `n` classes, for error messages.
private func validMuText(_ n: Int) -> String {
    guard n >= 2 else { return "no mu is valid for fewer than 2 classes" }
    if n <= 20 {
        let values = (1..<n).map { formatNumber(Double($0) / Double(n)) }
        return "valid mu for N = \(n) are k/\(n) for k = 1...\(n - 1): " + values.joined(separator: ", ")
    }
    return "valid mu for N = \(n) are k/\(n) for k = 1...\(n - 1)"
}
