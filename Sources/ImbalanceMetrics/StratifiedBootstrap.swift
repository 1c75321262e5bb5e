// The stratified bootstrap of a test set: how much a run's AUC, accuracy, balanced accuracy
// and MCC would move on another test set of the same class sizes. The protocol's test sets
// are balanced and fixed, so resampling within each class keeps every resample a test set
// of the same design (and every class's AUC defined).
//
// Speed: a resample is a vector of multiplicities w_i (how often sample i was drawn), never
// a copied score matrix. Each score column is sorted once, with its tie groups; the AUC of a
// resample is then one pass over the sorted column adding weighted counts, and its
// confusion matrix one pass over the samples. For a 10,000 x 10 test set that is about
// 10^5 additions per resample instead of ten sorts.

/// Percentile intervals of the decision and ranking metrics of one evaluation.
public struct BootstrapIntervals: Sendable, Equatable, Codable {
    /// Resamples drawn.
    public var resamples: Int
    /// Multi-class ROC AUC (from the raw scores; the same for a method and its thresholded
    /// decisions, which share the resamples).
    public var multiClassAUC: BootstrapEstimate?
    public var accuracy: BootstrapEstimate
    public var balancedAccuracy: BootstrapEstimate
    public var matthewsCorrelation: BootstrapEstimate
}

/// One metric's bootstrap distribution, summarised.
public struct BootstrapEstimate: Sendable, Equatable, Codable {
    /// The percentile interval (linear interpolation between order statistics, numpy's
    /// default) and the number of resamples on which the metric was defined.
    public var interval: ConfidenceInterval
    /// Sample standard deviation (n − 1) of the resampled values: the bootstrap standard
    /// error the seed studies report as "± SE".
    public var standardError: Double
}

/// A test set prepared for stratified resampling: its labels, each class's members, and
/// every score column sorted once. Build it once per score matrix and call `intervals` for
/// each set of decisions made from those scores.
public struct StratifiedBootstrap {
    let labels: [Int]
    let classCount: Int
    /// Sample indices of each class, ascending.
    let members: [[Int]]
    /// Per column k: sample indices sorted by column k's score (ascending; ties in index
    /// order, which does not matter: tied samples are summed together).
    let order: [[Int32]]
    /// Per column k: the end (exclusive) of every tie group within `order[k]`.
    let groupEnds: [[Int32]]

    /// Prepares `(n, K)` row-major `scores` and their `labels`.
    ///
    /// - Throws: on a shape mismatch, a label outside `0..<classCount`, a NaN score, or
    ///   `noSamples`.
    public init<T: BinaryFloatingPoint>(scores: [T], labels: [Int], classCount: Int) throws(MetricsError) {
        try checkShape(scoreCount: scores.count, labels: labels, classCount: classCount)
        guard !labels.isEmpty else { throw .noSamples }
        try scores.withUnsafeBufferPointer { (b) throws(MetricsError) in try checkNoNaN(b, classCount: classCount) }
        self.labels = labels
        self.classCount = classCount
        var members = Array(repeating: [Int](), count: classCount)
        for (i, y) in labels.enumerated() { members[y].append(i) }
        self.members = members
        var order: [[Int32]] = [], ends: [[Int32]] = []
        for k in 0..<classCount {
            let sorted = labels.indices.sorted { a, b in
                let (x, y) = (scores[a * classCount + k], scores[b * classCount + k])
                return x != y ? x < y : a < b
            }
            var e: [Int32] = []
            for j in 1...sorted.count where j == sorted.count
                || scores[sorted[j] * classCount + k] != scores[sorted[j - 1] * classCount + k] {
                e.append(Int32(j))
            }
            order.append(sorted.map { Int32($0) })
            ends.append(e)
        }
        self.order = order
        self.groupEnds = ends
    }

    /// Intervals for each prediction vector in `decisions` (e.g. the arg-max and the
    /// thresholded decisions of the same scores), all from the same `resamples` draws of
    /// `generator`: a method and its thresholded variant are resampled identically, and so
    /// are two runs that seed the generator alike.
    ///
    /// Each resample draws, for every class c with n_c test samples, n_c of its samples
    /// uniformly with replacement (`uniformIndex`, a fixed rule, so a seeded generator gives
    /// the same intervals on every toolchain).
    ///
    /// - Throws: `invalidBootstrap` for no resamples or a confidence outside (0, 1);
    ///   `countMismatch` or `classOutOfRange` for a malformed decision vector.
    public func intervals<G: RandomNumberGenerator>(decisions: [[Int]], resamples: Int = 1000,
                                                    confidence: Double = 0.95,
                                                    using generator: inout G) throws(MetricsError) -> [BootstrapIntervals] {
        guard resamples >= 1 else { throw .invalidBootstrap("resamples must be at least 1") }
        guard confidence > 0 && confidence < 1 else {
            throw .invalidBootstrap("confidence must be in (0, 1), got \(confidence)")
        }
        for d in decisions {
            guard d.count == labels.count else { throw .countMismatch(predictions: d.count, labels: labels.count) }
            try checkClasses(d, classCount: classCount)
        }
        let k = classCount, n = labels.count
        var weights = [Int](repeating: 0, count: n)
        var aucValues: [Double] = []
        aucValues.reserveCapacity(resamples)
        var decisionValues = Array(repeating: (acc: [Double](), bacc: [Double](), mcc: [Double]()), count: decisions.count)
        // Flat confusion (true * K + predicted) and, per decision set, each sample's cell.
        var flat = [Int](repeating: 0, count: k * k)
        let cells = decisions.map { d in zip(labels, d).map { $0 * k + $1 } }
        for _ in 0..<resamples {
            drawWeights(into: &weights, using: &generator)
            if let auc = weightedMultiClassAUC(weights) { aucValues.append(auc) }
            for j in decisions.indices {
                flat.withUnsafeMutableBufferPointer { c in
                    weights.withUnsafeBufferPointer { w in
                        cells[j].withUnsafeBufferPointer { cell in
                            for i in 0..<k * k { c[i] = 0 }
                            for i in 0..<n { c[cell[i]] += w[i] }
                        }
                    }
                }
                var confusion = [[Int]]()
                confusion.reserveCapacity(k)
                for t in 0..<k { confusion.append(Array(flat[(t * k)..<((t + 1) * k)])) }
                var correct = 0
                for c in 0..<k { correct += confusion[c][c] }
                decisionValues[j].acc.append(Double(correct) / Double(n))
                decisionValues[j].bacc.append(balancedAccuracy(confusion: confusion))
                decisionValues[j].mcc.append(try matthewsCorrelation(confusion: confusion))
            }
        }
        let aucEstimate = summarise(aucValues, confidence: confidence)
        return decisionValues.map { v in
            BootstrapIntervals(resamples: resamples, multiClassAUC: aucEstimate,
                               accuracy: summarise(v.acc, confidence: confidence)!,
                               balancedAccuracy: summarise(v.bacc, confidence: confidence)!,
                               matthewsCorrelation: summarise(v.mcc, confidence: confidence)!)
        }
    }

    /// Fills `weights` with the multiplicities of one stratified resample.
    func drawWeights<G: RandomNumberGenerator>(into weights: inout [Int], using generator: inout G) {
        weights.withUnsafeMutableBufferPointer { w in
            for i in w.indices { w[i] = 0 }
            for m in members where !m.isEmpty {
                m.withUnsafeBufferPointer { mb in
                    for _ in 0..<mb.count { w[mb[uniformIndex(below: mb.count, using: &generator)]] += 1 }
                }
            }
        }
    }

    /// The sample indices of the resample `drawWeights` would make next from the same
    /// generator state, class by class (for tests that rebuild a resample explicitly).
    func drawIndices<G: RandomNumberGenerator>(using generator: inout G) -> [Int] {
        var out: [Int] = []
        for m in members where !m.isEmpty {
            for _ in 0..<m.count { out.append(m[uniformIndex(below: m.count, using: &generator)]) }
        }
        return out
    }

    /// Mean of the one-vs-rest AUCs of the classes with both positives and negatives in
    /// the resample weighted by `weights`: the Mann-Whitney count of `mannWhitneyAUC`, with
    /// every sample counted w_i times. Exact (integers, one division per class), so equal
    /// bit for bit to `multiClassAUC` on the explicitly resampled set.
    func weightedMultiClassAUC(_ weights: [Int]) -> Double? {
        var sum = 0.0, defined = 0
        let n = labels.count
        for k in 0..<classCount {
            var positives = 0
            for i in members[k] { positives += weights[i] }
            let negatives = n - positives
            guard positives > 0, negatives > 0 else { continue }
            var twiceU = 0, negativesBelow = 0, start = 0
            order[k].withUnsafeBufferPointer { o in
                labels.withUnsafeBufferPointer { y in
                    weights.withUnsafeBufferPointer { w in
                        groupEnds[k].withUnsafeBufferPointer { ends in
                            for end in ends {
                                let e = Int(end)
                                if e == start + 1 {
                                    // A group of one sample, the common case for softmax scores.
                                    let i = Int(o[start])
                                    if y[i] == k { twiceU += w[i] * 2 * negativesBelow } else { negativesBelow += w[i] }
                                } else {
                                    var gp = 0, gn = 0
                                    for j in start..<e {
                                        let i = Int(o[j])
                                        if y[i] == k { gp += w[i] } else { gn += w[i] }
                                    }
                                    twiceU += gp * (2 * negativesBelow + gn)
                                    negativesBelow += gn
                                }
                                start = e
                            }
                        }
                    }
                }
            }
            sum += Double(twiceU) / (2 * Double(positives) * Double(negatives))
            defined += 1
        }
        return defined > 0 ? sum / Double(defined) : nil
    }
}

/// Percentile interval and standard error of resampled values; `nil` when there are none.
func summarise(_ values: [Double], confidence: Double) -> BootstrapEstimate? {
    guard !values.isEmpty else { return nil }
    let sorted = values.sorted()
    let tail = (1 - confidence) / 2
    var mean = 0.0
    for v in sorted { mean += v }
    mean /= Double(sorted.count)
    var ss = 0.0
    for v in sorted { ss += (v - mean) * (v - mean) }
    let se = sorted.count > 1 ? (ss / Double(sorted.count - 1)).squareRoot() : 0
    return BootstrapEstimate(
        interval: ConfidenceInterval(lower: quantile(sorted: sorted, tail), upper: quantile(sorted: sorted, 1 - tail),
                                     confidence: confidence, definedResamples: sorted.count),
        standardError: se)
}
