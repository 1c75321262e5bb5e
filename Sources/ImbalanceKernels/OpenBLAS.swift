import COpenBLAS
#if canImport(Glibc)
import Glibc
#endif

/// Debian's OpenBLAS, loaded on first use with one kernel family pinned for every CPU.
///
/// Why a pin: OpenBLAS's DYNAMIC_ARCH build chooses its kernels per CPU when it loads, and
/// its families round differently (an AVX-512 machine runs SkylakeX kernels, a Zen 3 runs
/// Haswell ones). The engine's own GEMM does not depend on it, but the ZCA fit's DSYRK and
/// DSYEVD do, and ZCA-whitened inputs are part of a record. Every process therefore asks
/// for the Haswell family (present on every x86-64 CPU with AVX2 and FMA) before the
/// library loads, through `OPENBLAS_CORETYPE`, and checks afterwards that it runs; a CPU
/// without AVX2 + FMA keeps OpenBLAS's own choice, which the record then names.
///
/// `IMBENCH_OPENBLAS_CORE` overrides the pin for experiments (`none`: no pin); a record
/// made that way says so in its machine fields.
public enum OpenBLAS {
    /// The kernel family every process asks for on CPUs that can run it.
    public static let pinnedFamily = "Haswell"

    /// The family to pin on this machine, nil for none.
    public static var requestedCore: String? {
        if let v = getenv("IMBENCH_OPENBLAS_CORE").map({ String(cString: $0) }), !v.isEmpty {
            return v.lowercased() == "none" ? nil : v
        }
        return CPU.hasAVX2FMA ? pinnedFamily : nil
    }

    /// Loads the library (once per process) and returns what runs. Throws with the reason
    /// when it cannot be opened or the pinned family is not the one running.
    @discardableResult
    public static func load() throws -> Info {
        let core = requestedCore
        let status: Int32 = core.map { c in c.withCString { ib_openblas_load($0) } } ?? ib_openblas_load(nil)
        guard status == 0 else { throw OpenBLASError(String(cString: ib_openblas_error())) }
        let config = String(cString: ib_openblas_config()).trimmingCharacters(in: " ")
        return Info(core: String(cString: ib_openblas_corename()), config: config,
                    version: version(fromConfig: config), pinned: core)
    }

    /// What the loaded library reports.
    public struct Info: Sendable, Equatable {
        /// The kernel family running ("Haswell").
        public var core: String
        /// `openblas_get_config()`, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64".
        public var config: String
        /// "0.3.21", read from the config string.
        public var version: String
        /// The family that was pinned, nil when OpenBLAS chose.
        public var pinned: String?
    }

    static func version(fromConfig config: String) -> String {
        let words = config.split(separator: " ")
        if let i = words.firstIndex(of: "OpenBLAS"), i + 1 < words.count { return String(words[i + 1]) }
        return "unknown"
    }

    /// Sets OpenBLAS's worker-thread count (benchmarks' yardstick only; the engine keeps it
    /// at one).
    public static func setThreads(_ count: Int) throws {
        try load()
        ib_openblas_set_num_threads(Int32(max(1, count)))
    }

    public static var threads: Int { ib_openblas_loaded() != 0 ? Int(ib_openblas_get_num_threads()) : 0 }

    /// OpenBLAS's own row-major SGEMM, C = alpha op(A) op(B) + beta C (a yardstick for
    /// benchmarks, never used by the engine).
    public static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                             alpha: Float, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) throws {
        try load()
        ib_cblas_sgemm(Int32(IB_CBLAS_ROW_MAJOR),
                       Int32(transA ? IB_CBLAS_TRANS : IB_CBLAS_NO_TRANS),
                       Int32(transB ? IB_CBLAS_TRANS : IB_CBLAS_NO_TRANS),
                       Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb),
                       beta, c, Int32(ldc))
    }

    /// Row-major DSYRK: the upper triangle of C = alpha A^T A + beta C, A (k, n).
    public static func dsyrkUpperTransposed(n: Int, k: Int, alpha: Double, a: UnsafePointer<Double>,
                                            lda: Int, beta: Double, c: UnsafeMutablePointer<Double>,
                                            ldc: Int) throws {
        try load()
        ib_cblas_dsyrk(Int32(IB_CBLAS_ROW_MAJOR), Int32(IB_CBLAS_UPPER),
                       Int32(IB_CBLAS_TRANS), Int32(n), Int32(k), alpha, a, Int32(lda),
                       beta, c, Int32(ldc))
    }

    /// LAPACK DSYEVD (divide and conquer) on a column-major symmetric (n, n) matrix:
    /// eigenvalues ascending into `w`, eigenvectors over `a`. Returns LAPACK's info.
    public static func dsyevd(vectors: Bool, upper: Bool, n: Int, a: UnsafeMutablePointer<Double>,
                              lda: Int, w: UnsafeMutablePointer<Double>) throws -> Int32 {
        try load()
        var jobz = CChar(UInt8(ascii: vectors ? "V" : "N")), uplo = CChar(UInt8(ascii: upper ? "U" : "L"))
        var nn = Int32(n), ld = Int32(lda), info: Int32 = 0
        var lwork: Int32 = -1, liwork: Int32 = -1
        var workQuery = 0.0
        var iworkQuery: Int32 = 0
        ib_lapack_dsyevd(&jobz, &uplo, &nn, a, &ld, w, &workQuery, &lwork, &iworkQuery, &liwork, &info)
        guard info == 0 else { return info }
        lwork = Int32(workQuery.rounded(.up)); liwork = iworkQuery
        var work = [Double](repeating: 0, count: Int(lwork))
        var iwork = [Int32](repeating: 0, count: Int(liwork))
        work.withUnsafeMutableBufferPointer { wk in
            iwork.withUnsafeMutableBufferPointer { iw in
                ib_lapack_dsyevd(&jobz, &uplo, &nn, a, &ld, w, wk.baseAddress!, &lwork,
                                 iw.baseAddress!, &liwork, &info)
            }
        }
        return info
    }
}

public struct OpenBLASError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension String {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}
