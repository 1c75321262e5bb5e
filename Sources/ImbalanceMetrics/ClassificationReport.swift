/// Every metric of one evaluation of a network on a test set, made by one `evaluate` call
/// so that all of them come from the same predictions.
///
/// Ranking metrics (ROC AUC, average precision) always come from the raw scores; accuracy,
/// balanced accuracy, F1, MCC, G-mean, recall and the confusion matrix come from the
/// arg-max decisions, which thresholding may have changed; the calibration error uses the
/// probabilities behind those decisions. That split is what lets the suite show the paper's
/// finding that thresholding raises accuracy but not AUC.
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
    /// Mean one-vs-rest average precision over the classes present (`averagePrecision`).
    public var macroAveragePrecision: Double?
    /// One-vs-rest average precision per class; `nil` for a class absent from the labels.
    public var perClassAveragePrecision: [Double?]
    /// Whether the decisions used thresholded scores.
    public var thresholded: Bool
    /// Fraction of samples whose decision is right.
    public var accuracy: Double
    /// Mean recall over the classes present in the labels.
    public var balancedAccuracy: Double
    /// Mean F1 over all K classes (0 for a class neither present nor predicted).
    public var macroF1: Double
    /// Multi-class Matthews correlation of the decisions (`matthewsCorrelation`).
    public var matthewsCorrelation: Double
    /// Geometric mean of the recalls of the classes present (`geometricMeanRecall`).
    public var geometricMeanRecall: Double
    /// Top-label expected calibration error, 15 bins (`expectedCalibrationError`), of the
    /// softmax outputs, or of `priorCorrectedProbabilities` when thresholded.
    public var expectedCalibrationError: Double
    /// Mean recall of the minority classes given to `evaluate` and of the others.
    public var recallMeans: GroupMeans
    /// Mean one-vs-rest AUC of the minority classes and of the others.
    public var aucMeans: GroupMeans
    /// `confusion[true][predicted]`, K x K.
    public var confusion: [[Int]]
    /// Per-class precision, 0 for a class never predicted.
    public var precision: [Double]
    /// Per-class recall, 0 for a class absent from the labels.
    public var recall: [Double]
    /// Per-class F1, 0 where both precision and recall are 0/0.
    public var f1: [Double]
}

/// The number of bins of the calibration error in every report (Guo et al. 2017).
public let calibrationBins = 15

/// Evaluates the `(n, K)` row-major softmax `scores` of a network against `labels`.
///
/// With `thresholdingPriors` (from `priors(fromCounts:)` on the training set before
/// resampling) the decisions are taken on `thresholded(scores:priors:)`; the AUCs and
/// average precisions are the same either way, and are computed once from the raw scores.
/// `minorityClasses` (the imbalanced set's, from the run) splits recall and AUC into
/// minority and majority means; leave it empty for a balanced set.
///
/// - Throws: `noSamples` for an empty test set, or any shape, range, NaN or prior error of
///   the functions it calls.
public func evaluate(scores: [Float], labels: [Int], classCount: Int, thresholdingPriors: [Double]? = nil,
                     minorityClasses: [Int] = []) throws(MetricsError) -> ClassificationReport {
    try checkShape(scoreCount: scores.count, labels: labels, classCount: classCount)
    guard !labels.isEmpty else { throw .noSamples }
    let ranking = try rankingMetrics(scores: scores, labels: labels, classCount: classCount)
    if let priors = thresholdingPriors {
        guard priors.count == classCount else {
            throw .priorCountMismatch(priors: priors.count, classCount: classCount)
        }
        let probabilities = try priorCorrectedProbabilities(scores: scores, priors: priors)
        let decided = try predictions(scores: try thresholded(scores: scores, priors: priors), classCount: classCount)
        let ece = try expectedCalibrationError(probabilities: probabilities, labels: labels, classCount: classCount,
                                               bins: calibrationBins)
        return try report(ranking: ranking, predictions: decided, labels: labels, classCount: classCount,
                          thresholded: true, calibrationError: ece, minorityClasses: minorityClasses)
    }
    let decided = try predictions(scores: scores, classCount: classCount)
    let ece = try expectedCalibrationError(probabilities: scores, labels: labels, classCount: classCount,
                                           bins: calibrationBins)
    return try report(ranking: ranking, predictions: decided, labels: labels, classCount: classCount,
                      thresholded: false, calibrationError: ece, minorityClasses: minorityClasses)
}

/// Evaluates `Double` scores (rows taken as probabilities for the calibration error).
/// Thresholding is not offered here: its exactness guarantee is for Float network outputs
/// (see `thresholded(scores:priors:)`).
public func evaluate(scores: [Double], labels: [Int], classCount: Int,
                     minorityClasses: [Int] = []) throws(MetricsError) -> ClassificationReport {
    try checkShape(scoreCount: scores.count, labels: labels, classCount: classCount)
    guard !labels.isEmpty else { throw .noSamples }
    let ranking = try rankingMetrics(scores: scores, labels: labels, classCount: classCount)
    let decided = try predictions(scores: scores, classCount: classCount)
    let ece = try expectedCalibrationError(probabilities: scores, labels: labels, classCount: classCount,
                                           bins: calibrationBins)
    return try report(ranking: ranking, predictions: decided, labels: labels, classCount: classCount,
                      thresholded: false, calibrationError: ece, minorityClasses: minorityClasses)
}

func report(ranking: RankingMetrics, predictions: [Int], labels: [Int], classCount: Int, thresholded: Bool,
            calibrationError: Double, minorityClasses: [Int]) throws(MetricsError) -> ClassificationReport {
    let confusion = try confusionMatrix(predictions: predictions, labels: labels, classCount: classCount)
    let rates = PerClassRates(confusion: confusion)
    return ClassificationReport(
        sampleCount: labels.count, classCount: classCount,
        multiClassAUC: ranking.auc.mean, perClassAUC: ranking.auc.perClass,
        aucDefinedClassCount: ranking.auc.definedClassCount,
        macroAveragePrecision: ranking.averagePrecision.mean,
        perClassAveragePrecision: ranking.averagePrecision.perClass,
        thresholded: thresholded,
        accuracy: try accuracy(predictions: predictions, labels: labels),
        balancedAccuracy: balancedAccuracy(confusion: confusion), macroF1: rates.macroF1,
        matthewsCorrelation: try matthewsCorrelation(confusion: confusion),
        geometricMeanRecall: try geometricMeanRecall(confusion: confusion),
        expectedCalibrationError: calibrationError,
        recallMeans: GroupMeans(values: definedRecalls(confusion: confusion), minorityClasses: minorityClasses),
        aucMeans: GroupMeans(values: ranking.auc.perClass, minorityClasses: minorityClasses),
        confusion: confusion, precision: rates.precision, recall: rates.recall, f1: rates.f1)
}
