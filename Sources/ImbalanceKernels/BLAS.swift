import CGEMM

/// The engine's matrix products.
///
/// Every matrix here is row-major and Float32. `sgemm` is the engine's own fixed-order GEMM
/// (Sources/CGEMM): each output element is one sequential chain of fused multiply-adds over
/// k, so its bits are the same on every CPU, whichever of its AVX-512, AVX2 or scalar
/// paths runs, and do not depend on OpenBLAS or its version. OpenBLAS (`OpenBLAS`) is left
/// to the ZCA fit's LAPACK calls and to benchmarks' yardsticks.
public enum BLAS {
    /// C = op(A) * op(B) + beta * C, all row-major, with beta 0 or 1 (the only values the
    /// engine uses): op(A) is (m, k), op(B) is (k, n), C is (m, n). With beta = 1 the chain
    /// of every element starts from its value in C, so accumulating over several calls is
    /// the same as one call over the concatenated k.
    @inline(__always)
    public static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                             alpha: Float, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        precondition(alpha == 1 && (beta == 0 || beta == 1),
                     "the engine's GEMM computes op(A) op(B) (+ C): alpha 1, beta 0 or 1")
        ib_sgemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, a, lda, b, ldb,
                 beta == 1 ? 1 : 0, c, ldc)
    }

    /// The floats `packA` writes for an (m, k) op(A) on the path in use: m rounded up to
    /// the path's tile height, times k (0 on the scalar path, which packs nothing).
    @inline(__always)
    public static func packedFloats(m: Int, k: Int) -> Int { ib_sgemm_packed_a_floats(m, k) }

    /// op(A) packed whole by `packA`, and the GEMM path it was packed for.
    public struct Packing {
        public let pointer: UnsafePointer<Float>
        public let path: Path
        public init(pointer: UnsafePointer<Float>, path: Path) {
            self.pointer = pointer; self.path = path
        }
    }

    /// Packs op(A) (m, k) whole into `packed` (`packedFloats(m:k:)` floats), its K blocks
    /// split among the worker threads, for `sgemm(packedA:)`: a layer's weights packed once
    /// per pass instead of once per chunk of images. Call it outside `Parallel` loops.
    public static func packA(transA: Bool, m: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                             into packed: UnsafeMutablePointer<Float>) -> Packing {
        let blocks = ib_sgemm_pack_blocks(k)
        Parallel.forEachRange(blocks, pieces: Parallel.pieces(forElements: m * k)) { r in
            _ = ib_sgemm_pack_a(transA ? 1 : 0, m, k, a, lda, packed, r.lowerBound, r.upperBound)
        }
        return Packing(pointer: UnsafePointer(packed), path: path)
    }

    /// `sgemm` with op(A) also given packed by `packA`: the same product, bit for bit
    /// (packing only moves data), without packing A again. When there is no packing (nil),
    /// it was made for another path than the one in use, or the product goes unpacked, A is
    /// read from `a` as `sgemm` does.
    @inline(__always)
    public static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                             a: UnsafePointer<Float>, lda: Int, packedA: Packing?,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        precondition(beta == 0 || beta == 1, "the engine's GEMM takes beta 0 or 1")
        ib_sgemm_prepacked(transA ? 1 : 0, transB ? 1 : 0, m, n, k, a, lda, packedA?.pointer,
                           Int32(packedA?.path.rawValue ?? -1), b, ldb, beta == 1 ? 1 : 0, c, ldc)
    }

    /// dst (cols, rows) = src (rows, cols) transposed, leading dimensions `lds` and `ldd`.
    /// Moves data only, so any caller may use it without changing a bit of its results.
    @inline(__always)
    public static func transpose(rows: Int, cols: Int, _ src: UnsafePointer<Float>, lds: Int,
                                 into dst: UnsafeMutablePointer<Float>, ldd: Int) {
        ib_transpose(rows, cols, src, lds, dst, ldd)
    }

    /// The naive definition of `sgemm` (one element at a time, same chain order): the
    /// reference that tests compare the optimised paths with, bit for bit.
    public static func sgemmReference(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                                      a: UnsafePointer<Float>, lda: Int,
                                      b: UnsafePointer<Float>, ldb: Int,
                                      accumulate: Bool, c: UnsafeMutablePointer<Float>, ldc: Int) {
        ib_sgemm_reference(transA ? 1 : 0, transB ? 1 : 0, m, n, k, a, lda, b, ldb,
                           accumulate ? 1 : 0, c, ldc)
    }

    /// The GEMM's instruction-set paths.
    public enum Path: Int, CaseIterable, Sendable, CustomStringConvertible {
        case scalar = 0, avx2 = 1, avx512 = 2
        public var description: String {
            switch self {
            case .scalar: return "scalar"
            case .avx2: return "avx2"
            case .avx512: return "avx512"
            }
        }
    }

    /// The path `sgemm` takes now (the best this CPU supports unless forced).
    public static var path: Path { Path(rawValue: Int(ib_gemm_isa())) ?? .scalar }
    /// The best path this CPU supports.
    public static var supportedPath: Path { Path(rawValue: Int(ib_gemm_supported_isa())) ?? .scalar }

    /// Forces a path (tests and benchmarks), nil for the automatic choice. Returns false
    /// when the CPU lacks it. Call only while no GEMM runs.
    @discardableResult
    public static func force(_ path: Path?) -> Bool {
        ib_gemm_force_isa(Int32(path?.rawValue ?? -1)) >= 0
    }

    /// Whether an (m, n, k) product with B not transposed reads A and B in place instead of
    /// packing them. Depends on the shape only, so choosing a layout by it changes no bit.
    @inline(__always)
    public static func readsInPlace(m: Int, n: Int, k: Int) -> Bool {
        ib_sgemm_reads_in_place(m, n, k) != 0
    }

    /// Sends every product through the packed kernels (true) or restores the shape rule
    /// that reads small products in place (false), so that tests reach both. Call only
    /// while no GEMM runs.
    public static func forcePacked(_ on: Bool) { _ = ib_gemm_force_packed(on ? 1 : 0) }
}
