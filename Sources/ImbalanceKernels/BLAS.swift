import CBLAS

/// Thin, typed access to OpenBLAS.
///
/// Every matrix here is row-major and Float32. The wrappers exist so that the rest of the
/// engine never spells out CBLAS enums, and so that thread control (process-wide in
/// OpenBLAS) has one place to live.
public enum BLAS {
    /// C = alpha * op(A) * op(B) + beta * C, all row-major.
    /// op(A) is (m, k), op(B) is (k, n), C is (m, n).
    @inline(__always)
    public static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                             alpha: Float, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor,
                    transA ? CblasTrans : CblasNoTrans,
                    transB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha,
                    a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }

    /// Sets OpenBLAS's worker-thread count for this process. For LeNet-sized matrices one
    /// thread is faster than two; sweeps run one process per core instead.
    public static func setThreads(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }

    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// The kernel family OpenBLAS selected for this CPU (for example "SkylakeX"), recorded
    /// with benchmark results because it decides the GEMM speed.
    public static var coreName: String {
        guard let p = openblas_get_corename() else { return "unknown" }
        return String(cString: p)
    }

    public static var config: String {
        guard let p = openblas_get_config() else { return "unknown" }
        return String(cString: p)
    }
}
