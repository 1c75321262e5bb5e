import Foundation
import XCTest
import ImbalanceReport

/// Writes the sample study's report to $IMBALANCE_REPORT_DUMP (for looking at it); skipped otherwise.
final class DumpTests: XCTestCase {
    func testDumpSampleReport() throws {
        guard let dir = ProcessInfo.processInfo.environment["IMBALANCE_REPORT_DUMP"] else {
            throw XCTSkip("set IMBALANCE_REPORT_DUMP to write the sample report")
        }
        let report = ReportBuilder.build(records: Make.study(), title: "Sample study", command: "imbench report runs/ -o sample",
                                         chartDirectoryName: "sample-charts")
        try FileManager.default.createDirectory(atPath: dir + "/sample-charts", withIntermediateDirectories: true)
        try report.markdown.write(toFile: dir + "/sample.md", atomically: true, encoding: .utf8)
        for c in report.charts { try c.svg.write(toFile: dir + "/sample-charts/" + c.fileName, atomically: true, encoding: .utf8) }
    }
}
