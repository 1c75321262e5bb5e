// libFuzzer target for the CSV parser behind CSV lists.
//
// Input: the bytes of a CSV file. Checks: refused input gives a `DataError` naming the file
// (and the line); accepted rows start on increasing lines within the file, and
// writing the rows back (every field quoted) and parsing that gives the same rows.
@testable import ImbalanceData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    let path = "fuzz-input.csv"
    do {
        let rows = try CSVFile.parse(input, path: path)
        let lines = input.filter { $0 == 0x0A }.count + 1
        for (a, b) in zip(rows, rows.dropFirst()) { require(a.line < b.line, "row lines do not increase") }
        require(rows.allSatisfy { $0.line >= 1 && $0.line <= lines && !$0.fields.isEmpty }, "row outside the file")
        let text = rows.map { r in r.fields.map { "\"" + $0.replacingQuotes() + "\"" }.joined(separator: ",") }.joined(separator: "\n")
        let again = try CSVFile.parse(Array(text.utf8), path: "round-trip.csv")
        require(again.map(\.fields) == rows.map(\.fields), "rows written back parse differently")
    } catch {
        requireDataError(error, path: path)
    }
    return 0
}

extension String {
    func replacingQuotes() -> String {
        var out = ""
        for ch in self { out.append(ch); if ch == "\"" { out.append("\"") } }
        return out
    }
}
