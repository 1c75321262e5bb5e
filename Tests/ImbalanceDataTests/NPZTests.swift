import Foundation
import XCTest
@testable import ImbalanceData

final class NPZWriterTests: XCTestCase {
    func arrays() -> [(name: String, array: NPYArray)] {
        [("x", NPYArray(uint8: (0..<24).map { UInt8($0 * 10) }, shape: [2, 1, 3, 4])),
         ("y", NPYArray(int64: [7, -1])),
         ("empty", NPYArray(int64: []))]
    }

    /// Written, read back identically by the suite's own strict zip and .npy readers, and
    /// the same arrays always give the same bytes.
    func testRoundTripAndDeterministicBytes() throws {
        let dir = try TempDir()
        let a = dir.file("a.npz"), b = dir.file("b.npz")
        try NPZWriter.write(arrays(), to: a)
        try NPZWriter.write(arrays(), to: b)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: a)), try Data(contentsOf: URL(fileURLWithPath: b)))
        let zip = try ZipArchive.read(at: a)
        for (name, array) in arrays() {
            let member = try XCTUnwrap(zip.member(named: name + ".npy"), name)
            XCTAssertEqual(try NPYFile.parse(zip.content(of: member), path: "\(a):\(name)"), array, name)
        }
        XCTAssertEqual(NPYArray(int64: [7, -1]).integers(), [7, -1])
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file(".a.npz.\(getpid()).tmp")), "no temporary left")
    }

    /// NumPy itself loads the file (skipped where python3 with numpy is not installed).
    func testNumPyLoadsTheFile() throws {
        let dir = try TempDir()
        let path = dir.file("n.npz")
        try NPZWriter.write(arrays(), to: path)
        let script = """
        import sys, numpy as np
        d = np.load(sys.argv[1])
        x = d["x"]
        print(sorted(d.files), x.dtype, x.shape, int(x.sum()), d["y"].dtype, d["y"].tolist(), d["empty"].shape)
        """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script, path]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = Pipe()
        do { try p.run() } catch { throw XCTSkip("python3 not available") }
        p.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard p.terminationStatus == 0 else { throw XCTSkip("python3 with numpy not available") }
        XCTAssertEqual(text.trimmingCharacters(in: .whitespacesAndNewlines),
                       "['empty', 'x', 'y'] uint8 (2, 1, 3, 4) 2760 int64 [7, -1] (0,)")
    }

    func testErrorsNameTheFile() throws {
        let dir = try TempDir()
        XCTAssertThrowsError(try NPZWriter.write([("x", NPYArray(int64: [1])), ("x", NPYArray(int64: [2]))],
                                                 to: dir.file("d.npz"))) {
            XCTAssertTrue("\($0)".contains("d.npz: array name 'x' is empty or repeated"), "\($0)")
        }
        XCTAssertThrowsError(try NPZWriter.write(arrays(), to: dir.file("missing/dir/f.npz"))) {
            XCTAssertTrue("\($0)".contains("missing/dir/f.npz: cannot write"), "\($0)")
        }
    }
}
