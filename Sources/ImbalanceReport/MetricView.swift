import ImbalanceMetrics
import ImbalanceRecords

/// Every metric of one method in one record, whatever its schema: stored values where the
/// record has them (schema 2), and otherwise what follows exactly from what a schema-1
/// record stores (MCC, G-mean, per-class precision and recall and their minority/majority
/// means from the confusion matrix and the record's minority classes; minority/majority AUC
/// from the per-class AUCs). Average precision, calibration error and bootstrap intervals
/// need the scores and stay nil for schema 1.
struct MetricView {
    var auc: Double
    var accuracy: Double
    var balancedAccuracy: Double
    var macroF1: Double
    var mcc: Double?
    var macroAveragePrecision: Double?
    var ece: Double?
    var gMean: Double?
    var minorityRecall: Double?
    var majorityRecall: Double?
    var minorityAUC: Double?
    var majorityAUC: Double?
    var perClassAUC: [Double?]
    var perClassAveragePrecision: [Double?]?
    var precision: [Double]?
    var recall: [Double?]
    var bootstrap: BootstrapSummary?
    /// True when a value above was derived rather than read from the record.
    var derived: Bool

    init(_ m: MetricSet, minorityClasses: [Int]) {
        auc = m.multiClassAUC
        accuracy = m.accuracy
        balancedAccuracy = m.balancedAccuracy
        macroF1 = m.macroF1
        perClassAUC = m.perClassAUC
        macroAveragePrecision = m.macroAveragePrecision
        perClassAveragePrecision = m.perClassAveragePrecision
        ece = m.expectedCalibrationError
        bootstrap = m.bootstrap
        let squareConfusion = !m.confusion.isEmpty && m.confusion.allSatisfy { $0.count == m.confusion.count }
        let definedRecall = squareConfusion ? definedRecalls(confusion: m.confusion) : []
        recall = m.recall.map { stored in
            stored.enumerated().map { c, r in c < definedRecall.count && definedRecall[c] == nil ? nil : r }
        } ?? definedRecall
        var derived = false
        if let v = m.matthewsCorrelation { mcc = v } else {
            mcc = squareConfusion ? try? matthewsCorrelation(confusion: m.confusion) : nil
            derived = derived || mcc != nil
        }
        if let v = m.geometricMeanRecall { gMean = v } else {
            gMean = squareConfusion ? try? geometricMeanRecall(confusion: m.confusion) : nil
            derived = derived || gMean != nil
        }
        if let p = m.precision { precision = p } else if squareConfusion {
            var p = [Double](repeating: 0, count: m.confusion.count)
            for c in p.indices {
                let predicted = m.confusion.reduce(0) { $0 + $1[c] }
                if predicted > 0 { p[c] = Double(m.confusion[c][c]) / Double(predicted) }
            }
            precision = p
            derived = true
        }
        if m.minorityRecall != nil || m.majorityRecall != nil {
            minorityRecall = m.minorityRecall; majorityRecall = m.majorityRecall
        } else {
            let g = GroupMeans(values: recall, minorityClasses: minorityClasses)
            minorityRecall = g.minority; majorityRecall = g.majority
            derived = derived || g != GroupMeans(minority: nil, majority: nil)
        }
        if m.minorityAUC != nil || m.majorityAUC != nil {
            minorityAUC = m.minorityAUC; majorityAUC = m.majorityAUC
        } else {
            let g = GroupMeans(values: perClassAUC, minorityClasses: minorityClasses)
            minorityAUC = g.minority; majorityAUC = g.majority
            derived = derived || g != GroupMeans(minority: nil, majority: nil)
        }
        self.derived = derived
    }
}
