import CGEMM
#if canImport(Glibc)
import Glibc
#endif

/// What the processor is, for run records and the GEMM's path choice (CPUID and the
/// operating system's saved vector state, so a CPU whose kernel disables AVX-512 counts as
/// without it).
public enum CPU {
    public static var vendor: String {
        var buf = [CChar](repeating: 0, count: 13)
        ib_cpu_vendor(&buf)
        return String(cString: buf)
    }

    /// The brand string, e.g. "AMD EPYC 9B14" (trimmed).
    public static var model: String {
        var buf = [CChar](repeating: 0, count: 49)
        ib_cpu_brand(&buf)
        return String(cString: buf).split(separator: " ").joined(separator: " ")
    }

    public static var family: Int { Int(ib_cpu_family()) }
    public static var modelNumber: Int { Int(ib_cpu_model()) }
    public static var hasAVX2FMA: Bool { ib_cpu_has_avx2_fma() != 0 }
    public static var hasAVX512F: Bool { ib_cpu_has_avx512f() != 0 }

    /// "AVX-512", "AVX2" (with FMA) or "baseline".
    public static var isaLevel: String { hasAVX512F ? "AVX-512" : hasAVX2FMA ? "AVX2" : "baseline" }
}
