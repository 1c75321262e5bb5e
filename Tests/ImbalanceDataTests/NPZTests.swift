import Foundation
import XCTest
@testable import ImbalanceData

final class NPZTests: XCTestCase {
    func arrays() -> [(name: String, array: NPYArray)] {
        [("x", NPYArray(uint8: (0..<24).map { UInt8($0 * 10) }, shape: [2, 1, 3, 4])),
         ("y", NPYArray(int64: [7, -1])),
         ("w", NPYArray(float64: [0.5, -2.25, 1e300])),
         ("empty", NPYArray(int64: []))]
    }

    /// Written, read back identically, and the same arrays always give the same bytes.
    func testRoundTripAndDeterministicBytes() throws {
        let dir = try TempDir()
        let a = dir.file("a.npz"), b = dir.file("b.npz")
        try NPZ.write(arrays(), to: a)
        try NPZ.write(arrays(), to: b)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: a)), try Data(contentsOf: URL(fileURLWithPath: b)))
        let back = try NPZ.read(a)
        for (name, array) in arrays() { XCTAssertEqual(back[name], array, name) }
        XCTAssertEqual(back["y"]?.int64Values, [7, -1])
        // The .npy header is padded to 64 bytes and says what numpy needs.
        let npy = NPYArray(int64: [1, 2]).npyFile
        let headerLength = Int(npy[8]) | Int(npy[9]) << 8
        XCTAssertEqual((10 + headerLength) % 64, 0)
        XCTAssertTrue(String(decoding: npy[10..<(10 + headerLength)], as: UTF8.self)
            .hasPrefix("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }"))
    }

    /// NumPy itself loads the file (skipped where python3 with numpy is not installed).
    func testNumPyLoadsTheFile() throws {
        let dir = try TempDir()
        let path = dir.file("n.npz")
        try NPZ.write(arrays(), to: path)
        let script = """
        import sys, numpy as np
        d = np.load(sys.argv[1])
        x = d["x"]
        print(sorted(d.files), x.dtype, x.shape, int(x.sum()), d["y"].dtype, d["y"].tolist(), d["w"].tolist(), d["empty"].shape)
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
                       "['empty', 'w', 'x', 'y'] uint8 (2, 1, 3, 4) 2760 int64 [7, -1] [0.5, -2.25, 1e+300] (0,)")
    }

    func testErrorsNameTheFile() throws {
        let dir = try TempDir()
        XCTAssertThrowsError(try NPZ.write([("x", NPYArray(int64: [1])), ("x", NPYArray(int64: [2]))], to: dir.file("d.npz"))) {
            XCTAssertTrue("\($0)".contains("d.npz: array name 'x' is empty or repeated"), "\($0)")
        }
        XCTAssertThrowsError(try NPZ.write(arrays(), to: dir.file("missing/dir/f.npz"))) {
            XCTAssertTrue("\($0)".contains("missing/dir/f.npz: cannot create"), "\($0)")
        }
        let bad = dir.file("bad.npz")
        try Data([1, 2, 3, 4, 5]).write(to: URL(fileURLWithPath: bad))
        XCTAssertThrowsError(try NPZ.read(bad)) { XCTAssertTrue("\($0)".contains("bad.npz")) }
    }
}
