import ImbalanceKernels
import XCTest

/// The engine's GEMM against its definition (one sequential FMA chain per element over k),
/// bit for bit, on every instruction-set path this CPU has. Bitwise comparison is valid
/// here: the definition fixes each element's operations and their order, and the paths
/// differ only in tiling and vector width, which the definition makes irrelevant.
final class GEMMTests: XCTestCase {
    override func tearDown() { BLAS.force(nil); BLAS.forcePacked(false) }

    struct Case {
        var m, n, k: Int
        var transA = false, transB = false, accumulate = false
        /// Extra leading-dimension padding of A, B and C.
        var pad = 0
    }

    /// Shapes at and around every blocking boundary: tiles (6 x 16 and 12 x 32), the
    /// MC = 144 row block, the KC = 256 depth block, the NC = 4096 column block, plus the
    /// engine's real shapes (LeNet-5's conv2 and ip1, an All-CNN layer, ResNet-10's 4x4 maps),
    /// and tiles of at most one vector's columns (the narrow kernels: LeNet-5's conv1 weight
    /// gradient, 5 wide, and ip2, 10 wide).
    static let shapes: [(Int, Int, Int)] = [
        (1, 1, 1), (1, 7, 3), (5, 1, 9), (6, 16, 1), (7, 17, 2), (11, 31, 5), (12, 32, 8),
        (13, 33, 17), (25, 47, 255), (24, 48, 256), (23, 49, 257), (144, 20, 30), (145, 20, 30),
        (3, 4097, 7), (289, 70, 520), (50, 64, 500), (64, 500, 800), (20, 576, 25),
        (96, 130, 864), (16, 128, 4608), (20, 5, 576), (64, 10, 500), (13, 9, 40), (50, 100, 64),
    ]

    static var cases: [Case] {
        var out: [Case] = []
        for (i, s) in shapes.enumerated() {
            for t in 0..<4 {
                out.append(Case(m: s.0, n: s.1, k: s.2, transA: t & 1 != 0, transB: t & 2 != 0,
                                accumulate: (i + t) % 2 == 1, pad: (i + t) % 3))
            }
        }
        return out
    }

    static var paths: [BLAS.Path] { BLAS.Path.allCases.filter { $0.rawValue <= BLAS.supportedPath.rawValue } }

    /// Operands with a spread of magnitudes and signs, so that rounding differences in any
    /// reordering would show.
    static func operands(_ c: Case, seed: UInt64) -> (a: [Float], lda: Int, b: [Float], ldb: Int, c: [Float], ldc: Int) {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        func next() -> Float {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            let u = Float(state >> 40) / Float(1 << 24) - 0.5
            let scale: Float = [1, 1e-3, 37, 0.25][Int(state & 3)]
            return u * scale
        }
        let (ar, ac) = c.transA ? (c.k, c.m) : (c.m, c.k)
        let (br, bc) = c.transB ? (c.n, c.k) : (c.k, c.n)
        let lda = ac + c.pad, ldb = bc + c.pad, ldc = c.n + c.pad
        let a = (0..<(ar * lda)).map { _ in next() }
        let b = (0..<(br * ldb)).map { _ in next() }
        let cm = (0..<(c.m * ldc)).map { _ in next() }
        return (a, lda, b, ldb, cm, ldc)
    }

    static func run(_ c: Case, _ o: (a: [Float], lda: Int, b: [Float], ldb: Int, c: [Float], ldc: Int),
                    reference: Bool) -> [Float] {
        var out = o.c
        o.a.withUnsafeBufferPointer { a in
            o.b.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { cp in
                    if reference {
                        BLAS.sgemmReference(transA: c.transA, transB: c.transB, m: c.m, n: c.n, k: c.k,
                                            a: a.baseAddress!, lda: o.lda, b: b.baseAddress!, ldb: o.ldb,
                                            accumulate: c.accumulate, c: cp.baseAddress!, ldc: o.ldc)
                    } else {
                        BLAS.sgemm(transA: c.transA, transB: c.transB, m: c.m, n: c.n, k: c.k, alpha: 1,
                                   a: a.baseAddress!, lda: o.lda, b: b.baseAddress!, ldb: o.ldb,
                                   beta: c.accumulate ? 1 : 0, c: cp.baseAddress!, ldc: o.ldc)
                    }
                }
            }
        }
        return out
    }

    func testEveryPathEqualsTheDefinitionBitForBit() {
        for (i, c) in Self.cases.enumerated() {
            let o = Self.operands(c, seed: UInt64(i + 1))
            let expected = Self.run(c, o, reference: true).map(\.bitPattern)
            for path in Self.paths {
                XCTAssertTrue(BLAS.force(path))
                // Small products go unpacked by default; forcing the packed kernels keeps
                // their small edge tiles covered.
                for packed in [false, true] {
                    BLAS.forcePacked(packed)
                    let got = Self.run(c, o, reference: false).map(\.bitPattern)
                    // The padding between rows must come back untouched too.
                    XCTAssertEqual(got, expected, "\(path), packed forced \(packed): \(c)")
                }
                BLAS.forcePacked(false)
            }
        }
    }

    /// op(A) packed once (`BLAS.packA`) and read from its packing gives the definition's
    /// bits on every path, for packings split among 1 and 2 threads, with the packed path
    /// forced or not (small products then read A in place and ignore the packing), and when
    /// the packing was made for another path than the one in use (it must be ignored).
    /// The packing buffer starts as NaN, so a float the packing leaves unwritten and the
    /// product reads would show.
    func testPrepackedAEqualsTheDefinitionBitForBit() {
        let threads = Parallel.threads
        defer { Parallel.configure(threads: threads) }
        for (i, c) in Self.cases.enumerated() {
            let o = Self.operands(c, seed: UInt64(i + 1))
            let expected = Self.run(c, o, reference: true).map(\.bitPattern)
            for path in Self.paths {
                for packer in Self.paths {
                    XCTAssertTrue(BLAS.force(packer))
                    Parallel.configure(threads: 1 + (i + packer.rawValue) % 2)
                    var packed = [Float](repeating: .nan, count: max(1, BLAS.packedFloats(m: c.m, k: c.k)))
                    let madeFor = o.a.withUnsafeBufferPointer { a in
                        packed.withUnsafeMutableBufferPointer {
                            BLAS.packA(transA: c.transA, m: c.m, k: c.k, a: a.baseAddress!,
                                       lda: o.lda, into: $0.baseAddress!)
                        }
                    }
                    XCTAssertEqual(madeFor.path, packer)
                    XCTAssertTrue(BLAS.force(path))
                    for forced in [false, true] {
                        BLAS.forcePacked(forced)
                        var out = o.c
                        o.a.withUnsafeBufferPointer { a in
                            o.b.withUnsafeBufferPointer { b in
                                packed.withUnsafeBufferPointer { p in
                                    out.withUnsafeMutableBufferPointer { cp in
                                        let packing = BLAS.Packing(pointer: p.baseAddress!,
                                                                   path: madeFor.path)
                                        BLAS.sgemm(transA: c.transA, transB: c.transB, m: c.m, n: c.n,
                                                   k: c.k, a: a.baseAddress!, lda: o.lda,
                                                   packedA: packing,
                                                   b: b.baseAddress!, ldb: o.ldb,
                                                   beta: c.accumulate ? 1 : 0,
                                                   c: cp.baseAddress!, ldc: o.ldc)
                                    }
                                }
                            }
                        }
                        XCTAssertEqual(out.map(\.bitPattern), expected,
                                       "\(path), packed for \(packer), packed forced \(forced): \(c)")
                    }
                    BLAS.forcePacked(false)
                }
            }
        }
    }

    /// K blocks continue the chain: accumulating two calls over a split k is one call.
    func testSplitKAccumulatesLikeOneCall() {
        let m = 13, n = 37, k = 600, split = 333
        let c = Case(m: m, n: n, k: k)
        let o = Self.operands(c, seed: 99)
        let whole = Self.run(c, o, reference: false)
        for path in Self.paths {
            BLAS.force(path)
            var out = [Float](repeating: 7, count: m * n)
            o.a.withUnsafeBufferPointer { a in
                o.b.withUnsafeBufferPointer { b in
                    out.withUnsafeMutableBufferPointer { cp in
                        BLAS.sgemm(transA: false, transB: false, m: m, n: n, k: split, alpha: 1,
                                   a: a.baseAddress!, lda: k, b: b.baseAddress!, ldb: n, beta: 0,
                                   c: cp.baseAddress!, ldc: n)
                        BLAS.sgemm(transA: false, transB: false, m: m, n: n, k: k - split, alpha: 1,
                                   a: a.baseAddress! + split, lda: k, b: b.baseAddress! + split * n,
                                   ldb: n, beta: 1, c: cp.baseAddress!, ldc: n)
                    }
                }
            }
            XCTAssertEqual(out.map(\.bitPattern), whole.map(\.bitPattern), "\(path)")
        }
    }

    /// Non-finite inputs propagate exactly as in the definition (padding never mixes in).
    func testNonFiniteValuesPropagateAsInTheDefinition() {
        var c = Case(m: 7, n: 19, k: 9)
        c.accumulate = true
        var o = Self.operands(c, seed: 5)
        o.a[3] = .infinity; o.b[20] = .nan; o.c[40] = -.infinity
        let expected = Self.run(c, o, reference: true)
        for path in Self.paths {
            BLAS.force(path)
            let got = Self.run(c, o, reference: false)
            XCTAssertEqual(got.map(\.bitPattern), expected.map(\.bitPattern), "\(path)")
            XCTAssertTrue(got.contains { $0.isNaN })
        }
    }

    /// The transpose moves every element, and nothing outside the destination's rows.
    func testTransposeMovesEveryElement() {
        for (rows, cols) in [(1, 1), (3, 5), (8, 8), (9, 17), (100, 96), (16, 7), (7, 16)] {
            let lds = cols + 3, ldd = rows + 2
            let src = (0..<(rows * lds)).map { Float($0) * 0.5 - 7 }
            var dst = [Float](repeating: -1, count: cols * ldd)
            src.withUnsafeBufferPointer { s in
                dst.withUnsafeMutableBufferPointer { d in
                    BLAS.transpose(rows: rows, cols: cols, s.baseAddress!, lds: lds,
                                   into: d.baseAddress!, ldd: ldd)
                }
            }
            for j in 0..<cols {
                for i in 0..<ldd {
                    let expected = i < rows ? src[i * lds + j] : -1
                    XCTAssertEqual(dst[j * ldd + i], expected, "\(rows) x \(cols) at (\(j), \(i))")
                }
            }
        }
    }

    /// k = 0: C becomes zero, or stays as it is when accumulating.
    func testEmptyDepth() {
        let a: [Float] = [1], b: [Float] = [1]
        for accumulate in [false, true] {
            var out: [Float] = [3, 4, 5, 6]
            BLAS.sgemm(transA: false, transB: false, m: 2, n: 2, k: 0, alpha: 1, a: a, lda: 1, b: b,
                       ldb: 2, beta: accumulate ? 1 : 0, c: &out, ldc: 2)
            XCTAssertEqual(out, accumulate ? [3, 4, 5, 6] : [0, 0, 0, 0])
        }
    }

    /// The automatic path is the best the CPU has, and CPUID agrees with /proc/cpuinfo.
    func testPathFollowsTheCPU() throws {
        let flags = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
            .split(separator: "\n").first { $0.hasPrefix("flags") }.map { Set($0.split(separator: " ").map(String.init)) } ?? []
        XCTAssertEqual(CPU.hasAVX512F, flags.contains("avx512f"))
        XCTAssertEqual(CPU.hasAVX2FMA, flags.contains("avx2") && flags.contains("fma"))
        BLAS.force(nil)
        XCTAssertEqual(BLAS.path, CPU.hasAVX512F ? .avx512 : CPU.hasAVX2FMA ? .avx2 : .scalar)
        XCTAssertFalse(CPU.vendor.isEmpty)
    }
}
