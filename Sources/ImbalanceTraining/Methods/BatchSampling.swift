import ImbalanceRandom

/// Where each training step's batch of example indices comes from. A sampler is made for
/// one phase, draws only from the batch-order stream it is handed, and allocates nothing
/// per batch.
public protocol BatchSampler: AnyObject {
    /// Writes the next `count` example indices for step `iteration` (0-based) of a phase of
    /// `iterations` steps.
    func next(into buffer: UnsafeMutablePointer<Int>, count: Int, iteration: Int, iterations: Int,
              rng: inout RandomStream)
}

/// A method's batch sampling, as a value its declaration can hold.
public enum BatchSampling: Sendable, Equatable {
    /// Instance-balanced epochs: shuffle the training list, walk it, reshuffle at the end
    /// (a batch that runs past the end continues into the next epoch, as Caffe's data
    /// cursor). Every example once per epoch; class frequencies are those of the list.
    case epochs
    /// Class-aware sampling (Shen et al. 2016), as their description and the reference code
    /// of Kang et al. 2020 (`ClassAwareSampler`) do it: classes come from a cyclic list,
    /// reshuffled at each pass, and each class yields `samplesPerClass` consecutive examples
    /// from its own cyclic, reshuffled list of members. Every class is drawn equally often,
    /// and within a class every example once per cycle.
    case classAware(samplesPerClass: Int)
    /// Class j with probability proportional to n_j^q (q = 1/2: square-root sampling,
    /// Kang et al. 2020), then the next example of that class's cyclic, reshuffled list.
    case classPower(exponent: Double)
    /// Progressively balanced (Kang et al. 2020): p_j(t) = (1 - t/T) n_j / sum n + (t/T) / K,
    /// t the step of the phase and T its length (the paper moves t per epoch), then the next
    /// example of that class's cyclic list.
    case progressive

    /// Makes the sampler for a phase over `indices` (labels from `labels`, K classes). The
    /// epoch sampler shuffles its list from `rng` here, as the trainer always has.
    func make(indices: [Int], labels: [Int], classCount: Int, rng: inout RandomStream) -> BatchSampler {
        switch self {
        case .epochs: return EpochBatches(indices, rng: &rng)
        case .classAware(let per): return ClassAwareBatches(indices, labels: labels, classCount: classCount,
                                                            samplesPerClass: per, rng: &rng)
        case .classPower(let q):
            return ClassProbabilityBatches(indices, labels: labels, classCount: classCount, rng: &rng) { counts, _, _, w in
                for j in counts.indices { w[j] = counts[j] > 0 ? Double(counts[j]).squareRootPower(q) : 0 }
            }
        case .progressive:
            return ClassProbabilityBatches(indices, labels: labels, classCount: classCount, rng: &rng) { counts, t, total, w in
                var present = 0.0, n = 0.0
                for c in counts where c > 0 { present += 1; n += Double(c) }
                let f = total > 0 ? Double(t) / Double(total) : 0
                for j in counts.indices { w[j] = counts[j] > 0 ? (1 - f) * Double(counts[j]) / n + f / present : 0 }
            }
        }
    }
}

private extension Double {
    /// self^q; sqrt for q = 1/2 exactly.
    func squareRootPower(_ q: Double) -> Double { q == 0.5 ? squareRoot() : pow(self, q) }
}

/// `BatchSampling.epochs`: exactly the draws the trainer made before batch sampling was
/// pluggable (one shuffle of the list at the start and one per epoch), so records of
/// instance-balanced training keep their bits.
final class EpochBatches: BatchSampler {
    private var order: [Int]
    private var cursor = 0

    init(_ indices: [Int], rng: inout RandomStream) {
        precondition(!indices.isEmpty, "cannot train on an empty set")
        order = indices
        rng.shuffle(&order)
    }

    func next(into buffer: UnsafeMutablePointer<Int>, count: Int, iteration: Int, iterations: Int,
              rng: inout RandomStream) {
        for b in 0..<count {
            if cursor == order.count {
                rng.shuffle(&order)
                cursor = 0
            }
            buffer[b] = order[cursor]
            cursor += 1
        }
    }
}

/// A list walked in a cycle and reshuffled at the start of every pass (the reference code's
/// `RandomCycleIter`, which also shuffles before its first pass).
struct CyclicList {
    private(set) var items: [Int]
    private var cursor: Int
    init(_ items: [Int]) { self.items = items; cursor = items.count }
    var isEmpty: Bool { items.isEmpty }
    mutating func next(_ rng: inout RandomStream) -> Int {
        if cursor == items.count { rng.shuffle(&items); cursor = 0 }
        defer { cursor += 1 }
        return items[cursor]
    }
}

/// Splits `indices` by label; classes without examples get empty lists.
func membersByClass(_ indices: [Int], labels: [Int], classCount: Int) -> [CyclicList] {
    var members = [[Int]](repeating: [], count: classCount)
    for i in indices { members[labels[i]].append(i) }
    return members.map(CyclicList.init)
}

/// `BatchSampling.classAware`.
final class ClassAwareBatches: BatchSampler {
    private var classes: CyclicList
    private var members: [CyclicList]
    private let samplesPerClass: Int
    private var current = 0
    private var taken: Int

    init(_ indices: [Int], labels: [Int], classCount: Int, samplesPerClass: Int, rng: inout RandomStream) {
        precondition(!indices.isEmpty, "cannot train on an empty set")
        precondition(samplesPerClass >= 1)
        let lists = membersByClass(indices, labels: labels, classCount: classCount)
        members = lists
        classes = CyclicList((0..<classCount).filter { !lists[$0].isEmpty })
        self.samplesPerClass = samplesPerClass
        taken = samplesPerClass
    }

    func next(into buffer: UnsafeMutablePointer<Int>, count: Int, iteration: Int, iterations: Int,
              rng: inout RandomStream) {
        for b in 0..<count {
            if taken == samplesPerClass { current = classes.next(&rng); taken = 0 }
            buffer[b] = members[current].next(&rng)
            taken += 1
        }
    }
}

/// Class j drawn with probabilities from `weights(counts, step, steps)` (normalised here),
/// by inverting the cumulative distribution with one uniform draw; then the next example
/// of the class's cyclic list. The distribution is recomputed only when it can change
/// (every step for progressive sampling, once for fixed ones), into a preallocated table.
final class ClassProbabilityBatches: BatchSampler {
    /// Writes the unnormalised class weights for step `step` of `steps` into `into`.
    typealias Weights = (_ counts: [Int], _ step: Int, _ steps: Int, _ into: inout [Double]) -> Void
    private var members: [CyclicList]
    private let counts: [Int]
    private let weights: Weights
    private var table: [Double]
    private var cumulative: [Double]
    private var tableStep = -1
    private let changes: Bool
    private let lastClass: Int

    init(_ indices: [Int], labels: [Int], classCount: Int, rng: inout RandomStream,
         weights: @escaping Weights) {
        precondition(!indices.isEmpty, "cannot train on an empty set")
        members = membersByClass(indices, labels: labels, classCount: classCount)
        counts = members.map(\.items.count)
        self.weights = weights
        table = [Double](repeating: 0, count: classCount)
        cumulative = table
        lastClass = counts.lastIndex { $0 > 0 }!
        // A distribution that does not depend on the step is built once.
        var a = table, b = table
        weights(counts, 0, 2, &a); weights(counts, 1, 2, &b)
        changes = a != b
    }

    private func build(step: Int, steps: Int) {
        weights(counts, step, steps, &table)
        var total = 0.0
        for w in table { total += w }
        var acc = 0.0
        for j in table.indices { acc += table[j] / total; cumulative[j] = acc }
        tableStep = step
    }

    func next(into buffer: UnsafeMutablePointer<Int>, count: Int, iteration: Int, iterations: Int,
              rng: inout RandomStream) {
        if tableStep < 0 || (changes && tableStep != iteration) { build(step: iteration, steps: iterations) }
        for b in 0..<count {
            let u = rng.uniformDouble()
            var j = 0
            while j < lastClass && (u >= cumulative[j] || counts[j] == 0) { j += 1 }
            buffer[b] = members[j].next(&rng)
        }
    }
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
