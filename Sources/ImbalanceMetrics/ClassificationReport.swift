/// Every metric of one evaluation of a network on a test set, made by one `evaluate` call
/// so that all of them come from the same predictions.
///
/// AUCs always come from the raw scores; accuracy, balanced accuracy, F1 and the confusion
/// matrix come from the arg-max decisions, which thresholding may have changed. That split
/// is what lets the suite show the paper's finding that thresholding raises accuracy but
/// not AUC.
public struct ClassificationReport: Sendable, Equatable, Codable {
    /// Number of test samples.
    public var sampleCount: Int
    /// Number of classes K.
    public var classCount: Int
    /// Mean of the defined one-vs-rest AUCs (the paper's main metric); `nil` only when no
    /// class has both positives and negatives among the labels.
    public var multiClassAUC: Double?
    /// One-vs-rest AUC per class; `nil` for a class absent from the labels (or the only
    /// one present).
    public var perClassAUC: [Double?]
    /// How many classes entered `multiClassAUC` (K for the protocol's full test sets).
    public var aucDefinedClassCount: Int
    /// Whether the decisions used thresholded scores.
    public var thresholded: Bool
    /// Fraction of samples whose decision is right.
    public var accuracy: Double
    /// Mean recall over the classes present in the labels.
    public var balancedAccuracy: Double
    /// Mean F1 over all K classes (0 for a class neither present nor predicted).
    public var macroF1: Double
    /// `confusion[true][predicted]`, K x K.
    public var confusion: [[Int]]
    /// Per-class precision, 0 for a class never predicted.
    public var precision: [Double]
    /// Per-class recall, 0 for a class absent from the labels.
    public var recall: [Double]
    /// Per-class F1, 0 where both precision and recall are 0/0.
    public var f1: [Double]

    /// Internal: the rates are read off `confusion`, which must be a square matrix as built
    /// by `confusionMatrix`; reports come from `evaluate` (or from decoding a stored one).
    init(sampleCount: Int, classCount: Int, auc: MultiClassAUC, thresholded: Bool,
         confusion: [[Int]], accuracy: Double) {
        let rates = PerClassRates(confusion: confusion)
        self.sampleCount = sampleCount
        self.classCount = classCount
        self.multiClassAUC = auc.mean
        self.perClassAUC = auc.perClass
        self.aucDefinedClassCount = auc.definedClassCount
        self.thresholded = thresholded
        self.accuracy = accuracy
        self.balancedAccuracy = ImbalanceMetrics.balancedAccuracy(confusion: confusion)
        self.macroF1 = rates.macroF1
        self.confusion = confusion
        self.precision = rates.precision
        self.recall = rates.recall
        self.f1 = rates.f1
    }
}

/// Evaluates the `(n, K)` row-major softmax `scores` of a network against `labels`.
///
/// With `thresholdingPriors` (from `priors(fromCounts:)` on the training set before
/// resampling) the decisions are taken on `thresholded(scores:priors:)`; the AUCs are the
/// same either way, and are computed once from the raw scores.
///
/// - Throws: `noSamples` for an empty test set, or any shape, range, NaN or prior error of
///   the functions it calls.
public func evaluate(scores: [Float], labels: [Int], classCount: Int,
                     thresholdingPriors: [Double]? = nil) throws(MetricsError) -> ClassificationReport {
    try checkShape(scoreCount: scores.count, labels: labels, classCount: classCount)
    guard !labels.isEmpty else { throw .noSamples }
    let auc = try multiClassAUC(scores: scores, labels: labels, classCount: classCount)
    let decided: [Int]
    if let priors = thresholdingPriors {
        guard priors.count == classCount else {
            throw .priorCountMismatch(priors: priors.count, classCount: classCount)
        }
        decided = try predictions(scores: try thresholded(scores: scores, priors: priors), classCount: classCount)
    } else {
        decided = try predictions(scores: scores, classCount: classCount)
    }
    return try report(auc: auc, predictions: decided, labels: labels, classCount: classCount,
                      thresholded: thresholdingPriors != nil)
}

/// Evaluates `Double` scores. Thresholding is not offered here: its exactness guarantee
/// is for Float network outputs (see `thresholded(scores:priors:)`).
public func evaluate(scores: [Double], labels: [Int], classCount: Int) throws(MetricsError) -> ClassificationReport {
    try checkShape(scoreCount: scores.count, labels: labels, classCount: classCount)
    guard !labels.isEmpty else { throw .noSamples }
    let auc = try multiClassAUC(scores: scores, labels: labels, classCount: classCount)
    let decided = try predictions(scores: scores, classCount: classCount)
    return try report(auc: auc, predictions: decided, labels: labels, classCount: classCount, thresholded: false)
}

func report(auc: MultiClassAUC, predictions: [Int], labels: [Int], classCount: Int,
            thresholded: Bool) throws(MetricsError) -> ClassificationReport {
    let confusion = try confusionMatrix(predictions: predictions, labels: labels, classCount: classCount)
    return ClassificationReport(sampleCount: labels.count, classCount: classCount, auc: auc,
                                thresholded: thresholded, confusion: confusion,
                                accuracy: try accuracy(predictions: predictions, labels: labels))
}
