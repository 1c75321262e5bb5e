import XCTest
@testable import ImbalanceReport

final class BaseRateSearchTests: XCTestCase {
    /// Two rates x two repetitions for a baseline and a ROS cell: each keeps the rate with
    /// the best mean AUC of its own method, the tables average only those, and the search
    /// section lists every rate's mean.
    func testEachCellAndSamplerKeepsItsBestRate() {
        func at(_ r: RunRecord, _ rate: Double) -> RunRecord {
            var r = r
            r.config.baseLearningRate = rate
            r.id += "-lr\(rate)"
            return r
        }
        let p = Make.step(10, 0.5)
        let records = [
            at(Make.baseline("b0", p, rep: 0, auc: 0.90, acc: 0.5, thrAcc: 0.6), 0.05),
            at(Make.baseline("b1", p, rep: 1, auc: 0.92, acc: 0.5, thrAcc: 0.6), 0.05),
            at(Make.baseline("b0", p, rep: 0, auc: 0.80, acc: 0.4, thrAcc: 0.5), 0.005),
            at(Make.baseline("b1", p, rep: 1, auc: 0.82, acc: 0.4, thrAcc: 0.5), 0.005),
            at(Make.sampler("r0", "ROS", p, rep: 0, auc: 0.70, acc: 0.3, thrAcc: 0.3), 0.05),
            at(Make.sampler("r1", "ROS", p, rep: 1, auc: 0.72, acc: 0.3, thrAcc: 0.3), 0.05),
            at(Make.sampler("r0", "ROS", p, rep: 0, auc: 0.95, acc: 0.7, thrAcc: 0.7), 0.005),
            at(Make.sampler("r1", "ROS", p, rep: 1, auc: 0.97, acc: 0.7, thrAcc: 0.7), 0.005),
        ]
        let (kept, choices) = BaseRateSearch.apply(records)
        XCTAssertEqual(kept.count, 4)
        XCTAssertTrue(kept.allSatisfy { $0.config.baseLearningRate == BaseRateSearch.searchedRate })
        XCTAssertEqual(Set(kept.map(\.id)), ["b0-lr0.05", "b1-lr0.05", "r0-lr0.005", "r1-lr0.005"])
        XCTAssertEqual(choices.count, 2)
        let ros = choices.first { $0.cell.contains("ROS") }!
        XCTAssertEqual(ros.chosen, 0.005)
        XCTAssertEqual(ros.meanAUCByRate.first { $0.rate == 0.05 }!.meanAUC, 0.71, accuracy: 1e-12)

        let md = ReportBuilder.build(records: records, title: "t", command: "c", chartDirectoryName: "ch").markdown
        XCTAssertTrue(md.contains("## Base-rate search"), md)
        XCTAssertTrue(md.contains("Not averaged in: 4 record(s)"), md)
        XCTAssertTrue(md.contains("searched (see Base-rate search)"), md)
        // The step table holds the chosen runs only: baseline 0.91, ROS 0.96.
        XCTAssertTrue(md.contains("0.9100 ± 0.0141"), md)
        XCTAssertTrue(md.contains("0.9600 ± 0.0141"), md)
        XCTAssertFalse(md.contains("0.8100 ±"), md)
    }

    func testASingleRateLeavesRecordsAlone() {
        let p = Make.step(10, 0.5)
        let records = [Make.baseline("b0", p, rep: 0, auc: 0.9, acc: 0.5, thrAcc: 0.6)]
        let (kept, choices) = BaseRateSearch.apply(records)
        XCTAssertEqual(kept, records)
        XCTAssertTrue(choices.isEmpty)
    }
}
