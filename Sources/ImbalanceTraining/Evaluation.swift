import ImbalanceMetrics
import ImbalanceRandom
import ImbalanceRecords

/// The metrics of the methods that share one network's test-set scores: the method itself
/// and, where it applies, its thresholded variant. Every metric comes from
/// `ImbalanceMetrics.evaluate`; the bootstrap intervals of all of them come from one
/// stratified bootstrap with the same resamples.
public enum MethodEvaluation {
    /// A method evaluated from the scores, by its decision rule.
    public struct Method: Sendable {
        public var name: String
        public var decision: DecisionRule
        public var thresholded: Bool { decision == .thresholded }
        public init(name: String, decision: DecisionRule) { self.name = name; self.decision = decision }
        public init(name: String, thresholded: Bool) {
            self.init(name: name, decision: thresholded ? .thresholded : .argmax)
        }
    }

    /// Settings of the bootstrap over the test set.
    public struct BootstrapSettings: Sendable, Equatable {
        /// Resamples (0 = no intervals).
        public var resamples: Int
        public var confidence: Double
        /// The key of the record's seed that seeds the resampling.
        public var seedKey: String
        public init(resamples: Int = 1000, confidence: Double = 0.95, seedKey: String = "bootstrap") {
            self.resamples = resamples; self.confidence = confidence; self.seedKey = seedKey
        }
    }

    /// Evaluates `methods` on `(n, K)` softmax `scores`. `priors` are the training priors
    /// (before resampling) used by thresholded methods; `seed` starts the bootstrap stream,
    /// restarted for every call, so two score sets of one job (and the jobs of one
    /// repetition) are resampled alike.
    public static func evaluate(scores: [Float], labels: [Int], classCount: Int, methods: [Method],
                                priors: [Double], minorityClasses: [Int], bootstrap: BootstrapSettings,
                                seed: UInt64) throws -> [String: MetricSet] {
        var reports: [ClassificationReport] = []
        var decisions: [[Int]] = []
        for m in methods {
            reports.append(try m.decision.report(scores: scores, labels: labels, classCount: classCount,
                                                 priors: priors, minorityClasses: minorityClasses))
            decisions.append(try m.decision.predictions(scores: scores, classCount: classCount, priors: priors))
        }
        var intervals: [BootstrapIntervals?] = Array(repeating: nil, count: methods.count)
        if bootstrap.resamples > 0 {
            let plan = try StratifiedBootstrap(scores: scores, labels: labels, classCount: classCount)
            var rng = RandomStream(seed: seed)
            let out = try plan.intervals(decisions: decisions, resamples: bootstrap.resamples,
                                         confidence: bootstrap.confidence, using: &rng)
            for i in out.indices { intervals[i] = out[i] }
        }
        var results: [String: MetricSet] = [:]
        for (i, m) in methods.enumerated() {
            results[m.name] = MetricSet(reports[i], bootstrap: intervals[i].map {
                BootstrapSummary($0, confidence: bootstrap.confidence, seedKey: bootstrap.seedKey)
            })
        }
        return results
    }
}

extension MetricSet {
    /// The stored form of a report (schema 2).
    public init(_ r: ClassificationReport, bootstrap: BootstrapSummary? = nil) {
        self.init(multiClassAUC: r.multiClassAUC ?? .nan, perClassAUC: r.perClassAUC,
                  accuracy: r.accuracy, balancedAccuracy: r.balancedAccuracy,
                  macroF1: r.macroF1, confusion: r.confusion)
        matthewsCorrelation = r.matthewsCorrelation
        macroAveragePrecision = r.macroAveragePrecision
        perClassAveragePrecision = r.perClassAveragePrecision
        expectedCalibrationError = r.expectedCalibrationError
        geometricMeanRecall = r.geometricMeanRecall
        precision = r.precision
        recall = r.recall
        minorityRecall = r.recallMeans.minority
        majorityRecall = r.recallMeans.majority
        minorityAUC = r.aucMeans.minority
        majorityAUC = r.aucMeans.majority
        self.bootstrap = bootstrap
    }
}

extension BootstrapSummary {
    init(_ b: BootstrapIntervals, confidence: Double, seedKey: String) {
        func estimate(_ e: BootstrapEstimate) -> IntervalEstimate {
            IntervalEstimate(lower: e.interval.lower, upper: e.interval.upper, standardError: e.standardError,
                             definedResamples: e.interval.definedResamples)
        }
        self.init(resamples: b.resamples, confidence: confidence, seed: seedKey,
                  multiClassAUC: b.multiClassAUC.map(estimate), accuracy: estimate(b.accuracy),
                  balancedAccuracy: estimate(b.balancedAccuracy), matthewsCorrelation: estimate(b.matthewsCorrelation))
    }
}

extension MethodEvaluation {
    /// Recomputes the metrics of `record` from its score sidecar, without retraining: the
    /// same evaluation the job ran (thresholded methods from the record's training priors,
    /// minority classes from the record, the bootstrap from the record's seed with the
    /// record's number of resamples), so the result equals `record.results` exactly when the
    /// scores are the job's. Pass other `bootstrap` settings to change the intervals.
    ///
    /// - Throws: when the file belongs to another record, its labels or class count differ
    ///   from the record's test counts, or a metric fails.
    public static func recompute(record: RunRecord, scores file: ScoreFile,
                                 bootstrap: BootstrapSettings? = nil) throws -> [String: MetricSet] {
        guard file.recordID == record.id else {
            throw ExperimentError("the score file belongs to record \(file.recordID), not \(record.id)")
        }
        let k = file.classCount
        var counts = [Int](repeating: 0, count: k)
        for y in file.labels { counts[y] += 1 }
        guard k == record.data.testCounts.count, counts == record.data.testCounts else {
            throw ExperimentError("the score file's test labels (per class \(counts)) do not match the record's test counts \(record.data.testCounts)")
        }
        let stored = record.results.values.compactMap(\.bootstrap).first
        let settings = bootstrap ?? BootstrapSettings(resamples: stored?.resamples ?? 0,
                                                      confidence: stored?.confidence ?? 0.95,
                                                      seedKey: stored?.seed ?? "bootstrap")
        let priors = try ImbalanceMetrics.priors(fromCounts: record.data.trainCounts)
        var results: [String: MetricSet] = [:]
        for set in file.sets {
            let methods = set.methods.map {
                Method(name: $0, decision: MethodRegistry.decision(of: $0, in: record.config))
            }
            let seed = record.seeds[settings.seedKey]
                ?? RandomStream.mix(record.seeds["repetition"] ?? 0, settings.seedKey)
            let out = try evaluate(scores: set.scores, labels: file.labels, classCount: k, methods: methods,
                                   priors: priors, minorityClasses: record.data.minorityClasses,
                                   bootstrap: settings, seed: seed)
            results.merge(out) { a, _ in a }
        }
        return results
    }
}

/// How a method turns a network's softmax outputs into decisions: the arg-max, Buda's
/// thresholding (p_j / pi_j), or logit adjustment with tau (p_j / pi_j^tau; tau = 1 is
/// thresholding exactly). AUCs always come from the scores themselves.
public enum DecisionRule: Sendable, Equatable {
    case argmax
    case thresholded
    case logitAdjusted(tau: Double)

    /// Every metric of the decisions on `scores` (`priors`: the training set's).
    func report(scores: [Float], labels: [Int], classCount: Int, priors: [Double],
                minorityClasses: [Int]) throws -> ClassificationReport {
        switch self {
        case .argmax:
            return try ImbalanceMetrics.evaluate(scores: scores, labels: labels, classCount: classCount,
                                                 minorityClasses: minorityClasses)
        case .thresholded:
            return try ImbalanceMetrics.evaluate(scores: scores, labels: labels, classCount: classCount,
                                                 thresholdingPriors: priors, minorityClasses: minorityClasses)
        case .logitAdjusted(let tau):
            return try ImbalanceMetrics.evaluate(scores: scores, labels: labels, classCount: classCount,
                                                 logitAdjustmentPriors: priors, tau: tau, minorityClasses: minorityClasses)
        }
    }

    func predictions(scores: [Float], classCount: Int, priors: [Double]) throws -> [Int] {
        switch self {
        case .argmax: return try ImbalanceMetrics.predictions(scores: scores, classCount: classCount)
        case .thresholded:
            return try ImbalanceMetrics.predictions(scores: try ImbalanceMetrics.thresholded(scores: scores, priors: priors),
                                                    classCount: classCount)
        case .logitAdjusted(let tau):
            return try ImbalanceMetrics.predictions(
                scores: try ImbalanceMetrics.logitAdjusted(scores: scores, priors: priors, tau: tau), classCount: classCount)
        }
    }
}
