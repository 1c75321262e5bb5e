import ImbalanceRandom

/// A data-level method for imbalance. Names follow imbalanced-learn so that readers who know
/// `RandomOverSampler` / `RandomUnderSampler` know what to expect; the raw values are the
/// names run records use (`JobConfig.sampler`).
public enum Sampler: String, Codable, Hashable, Sendable, CaseIterable {
    /// Train on the imbalanced set as it is (the paper's baseline).
    case none
    /// Random minority oversampling, as imbalanced-learn's `RandomOverSampler`.
    case randomOversampling = "ROS"
    /// Random majority undersampling, as imbalanced-learn's `RandomUnderSampler`.
    case randomUndersampling = "RUS"
}

/// How far a sampler goes, the analogue of imbalanced-learn's `sampling_strategy`.
public enum SamplingTarget: Codable, Hashable, Sendable, CustomStringConvertible {
    /// All classes equal in size (imbalanced-learn's "auto" / "all"); the paper's default.
    case balance
    /// Only part of the way, leaving max/min <= the given ratio rho', with
    /// 1 <= rho' <= the current ratio (the paper's section 4.5). `.ratio(1)` equals `.balance`.
    case ratio(Double)

    /// The max/min ratio the target allows.
    public var ratio: Double {
        switch self {
        case .balance: return 1
        case .ratio(let r): return r
        }
    }

    public var description: String {
        switch self {
        case .balance: return "full balance"
        case .ratio(let r): return "ratio \(formatNumber(r))"
        }
    }
}

/// The per-class counts a sampler produces from `counts` (indexed by label), with no draw.
///
/// With n_max, n_min the largest and smallest current counts and r the target ratio:
/// - ROS raises every class to max(n_c, ceil(n_max / r)): the largest classes are
///   untouched and the smallest grow just enough for max/min <= r.
/// - RUS cuts every class to min(n_c, floor(n_min * r)): the smallest classes are
///   untouched and the largest shrink just enough for max/min <= r.
/// Ceil and floor (rather than rounding) are what guarantee max/min <= r; a quotient
/// within 1e-9 of a whole number counts as that number.
///
/// - Throws: `ImbalanceError` for no classes, a class with no examples (ROS and RUS),
///   a ratio below 1, not finite or above the current ratio, or a ratio with `.none`.
public func resampledCounts(_ counts: [Int], sampler: Sampler,
                            target: SamplingTarget = .balance) throws -> [Int] {
    let subject = sampler == .none ? "no sampler" : "\(sampler.rawValue) to \(target)"
    func fail(_ message: String) -> ImbalanceError {
        ImbalanceError(subject: subject, message: message)
    }
    if sampler == .none {
        // A ratio with no sampler is a configuration mistake, not something to ignore.
        if case .ratio = target {
            throw fail("a target ratio needs a sampler (ROS or RUS)")
        }
        return counts
    }
    guard let nMax = counts.max(), let nMin = counts.min() else {
        throw fail("there are no classes to resample")
    }
    if let empty = counts.firstIndex(where: { $0 <= 0 }) {
        throw fail("class \(empty) has no examples; \(sampler == .randomOversampling ? "there is nothing to replicate" : "every class would be cut to 0")")
    }
    let current = Double(nMax) / Double(nMin)
    let r = target.ratio
    guard r.isFinite, r >= 1 else {
        throw fail("the target ratio must be a finite number >= 1 (1 = full balance), found \(formatNumber(r))")
    }
    guard r <= current * (1 + 1e-9) else {
        throw fail("the target ratio \(formatNumber(r)) is above the current imbalance ratio \(formatNumber(current)) (= \(nMax) / \(nMin)); valid ratios are 1 ... \(formatNumber(current))")
    }
    switch sampler {
    case .none:
        return counts
    case .randomOversampling:
        let floorCount = snappedCeil(Double(nMax) / r)
        return counts.map { max($0, floorCount) }
    case .randomUndersampling:
        let ceilingCount = snappedFloor(Double(nMin) * r)
        return counts.map { min($0, ceilingCount) }
    }
}

/// Resamples a training index list to the counts of `resampledCounts`.
///
/// - ROS keeps every original and adds, per class, extra draws *with replacement* from that
///   class's originals (one `uniformInt(below: n_c)` per extra), exactly as
///   `RandomOverSampler` does; replicas are real repeats of an index.
/// - RUS keeps, per class, a uniform subset *without replacement* (one `sample` call), as
///   `RandomUnderSampler` does.
///
/// Classes are visited in label order and a class left at its size consumes no draws, so the
/// result is a function of the seed and the input. The output is grouped by class in label
/// order; within a class the kept originals come in their input order, then (ROS) the
/// extras in draw order. Training shuffles anyway; a fixed, readable layout makes the list
/// easy to check and to compare between runs.
///
/// - Parameters:
///   - indices: the training set, as indices into `labels` (repeats are allowed and count
///     as separate examples).
///   - labels: the dataset's labels, each in `0..<classCount`.
/// - Throws: `ImbalanceError` for an index outside `labels`, a label outside the class
///   range, or any error of `resampledCounts`.
public func resample(_ indices: [Int], labels: [Int], classCount: Int, sampler: Sampler,
                     target: SamplingTarget = .balance,
                     rng: inout RandomStream) throws -> [Int] {
    let subject = sampler == .none ? "no sampler" : "\(sampler.rawValue) to \(target)"
    guard classCount >= 1 else {
        throw ImbalanceError(subject: subject, message: "classCount must be at least 1, found \(classCount)")
    }
    var members = [[Int]](repeating: [], count: classCount)
    for i in indices {
        guard i >= 0, i < labels.count else {
            throw ImbalanceError(subject: subject, message:
                "index \(i) is outside the dataset's 0..<\(labels.count)")
        }
        let label = labels[i]
        guard label >= 0, label < classCount else {
            throw ImbalanceError(subject: subject, message:
                "example \(i) has label \(label), outside 0..<\(classCount)")
        }
        members[label].append(i)
    }
    let targets = try resampledCounts(members.map(\.count), sampler: sampler, target: target)
    if sampler == .none { return indices }

    var result: [Int] = []
    result.reserveCapacity(targets.reduce(0, +))
    for label in 0..<classCount {
        let pool = members[label]
        let want = targets[label]
        if want == pool.count {
            result += pool
        } else if want > pool.count {
            result += pool
            for _ in 0..<(want - pool.count) {
                result.append(pool[rng.uniformInt(below: pool.count)])
            }
        } else {
            result += rng.sample(want, from: pool.count).sorted().map { pool[$0] }
        }
    }
    return result
}

/// Inverse-frequency class weights w_c = n_total / (K * n_c), scikit-learn's
/// `class_weight="balanced"`, for class-weighted cross-entropy.
///
/// With these weights every class contributes the same total weight, n_total / K, which
/// is the loss-side counterpart of full oversampling. A class with no examples gets 0: it
/// never occurs in a batch, so its weight is never used, and 0 keeps infinities out of
/// records. Computed in Double and rounded once to Float.
public func classWeights(counts: [Int]) -> [Float] {
    let k = counts.count
    let total = counts.reduce(0, +)
    return counts.map { n in
        guard n > 0 else { return 0 }
        return Float(Double(total) / (Double(k) * Double(n)))
    }
}
