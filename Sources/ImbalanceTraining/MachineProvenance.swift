import Foundation
import ImbalanceKernels
import ImbalanceRecords
#if canImport(Glibc)
import Glibc
#endif

extension Provenance {
    /// This process's machine fields for a record of engine `ImbalanceBenchInfo.version`.
    /// OpenBLAS is loaded (pinned) to report it even when the job does not use it.
    public static func current(dataFiles: [DataFileDigest], usedOpenBLAS: Bool) -> Provenance {
        var blas: OpenBLASInfo?
        var blasError: String?
        do {
            let info = try OpenBLAS.load()
            blas = OpenBLASInfo(version: info.version, core: info.core, config: info.config,
                                pinned: info.pinned)
        } catch {
            blasError = "\(error)"
        }
        return Provenance(
            engineVersion: ImbalanceBenchInfo.version, swiftCompiler: swiftCompilerVersion,
            operatingSystem: operatingSystem, cLibrary: cLibrary,
            cpu: CPUInfo(vendor: CPU.vendor, model: CPU.model, family: CPU.family,
                         modelNumber: CPU.modelNumber, isa: CPU.isaLevel,
                         logicalCores: ProcessInfo.processInfo.activeProcessorCount),
            gemmPath: BLAS.path.description, openBLAS: blas, openBLASError: blasError,
            usedOpenBLAS: usedOpenBLAS, dataFiles: dataFiles)
    }

    /// "Linux 6.1.0-26-amd64" (uname).
    static var operatingSystem: String {
        var u = utsname()
        guard uname(&u) == 0 else { return "unknown" }
        func field<T>(_ value: inout T) -> String {
            withUnsafeBytes(of: &value) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
        }
        return "\(field(&u.sysname)) \(field(&u.release))"
    }

    /// "glibc 2.36".
    static var cLibrary: String {
        var buf = [CChar](repeating: 0, count: 64)
        guard confstr(Int32(_CS_GNU_LIBC_VERSION), &buf, buf.count) > 0 else { return "unknown" }
        return String(cString: buf)
    }

    /// The compiler that built this binary (Swift has no compile-time version string, so
    /// the `compiler(>=)` conditions narrow it down to the patch level).
    static let swiftCompilerVersion: String = {
        #if compiler(>=7.0)
        return "7.0 or later"
        #elseif compiler(>=6.9.4)
        return "6.9.4"
        #elseif compiler(>=6.9.3)
        return "6.9.3"
        #elseif compiler(>=6.9.2)
        return "6.9.2"
        #elseif compiler(>=6.9.1)
        return "6.9.1"
        #elseif compiler(>=6.9.0)
        return "6.9.0"
        #elseif compiler(>=6.8.4)
        return "6.8.4"
        #elseif compiler(>=6.8.3)
        return "6.8.3"
        #elseif compiler(>=6.8.2)
        return "6.8.2"
        #elseif compiler(>=6.8.1)
        return "6.8.1"
        #elseif compiler(>=6.8.0)
        return "6.8.0"
        #elseif compiler(>=6.7.4)
        return "6.7.4"
        #elseif compiler(>=6.7.3)
        return "6.7.3"
        #elseif compiler(>=6.7.2)
        return "6.7.2"
        #elseif compiler(>=6.7.1)
        return "6.7.1"
        #elseif compiler(>=6.7.0)
        return "6.7.0"
        #elseif compiler(>=6.6.4)
        return "6.6.4"
        #elseif compiler(>=6.6.3)
        return "6.6.3"
        #elseif compiler(>=6.6.2)
        return "6.6.2"
        #elseif compiler(>=6.6.1)
        return "6.6.1"
        #elseif compiler(>=6.6.0)
        return "6.6.0"
        #elseif compiler(>=6.5.4)
        return "6.5.4"
        #elseif compiler(>=6.5.3)
        return "6.5.3"
        #elseif compiler(>=6.5.2)
        return "6.5.2"
        #elseif compiler(>=6.5.1)
        return "6.5.1"
        #elseif compiler(>=6.5.0)
        return "6.5.0"
        #elseif compiler(>=6.4.4)
        return "6.4.4"
        #elseif compiler(>=6.4.3)
        return "6.4.3"
        #elseif compiler(>=6.4.2)
        return "6.4.2"
        #elseif compiler(>=6.4.1)
        return "6.4.1"
        #elseif compiler(>=6.4.0)
        return "6.4.0"
        #elseif compiler(>=6.3.4)
        return "6.3.4"
        #elseif compiler(>=6.3.3)
        return "6.3.3"
        #elseif compiler(>=6.3.2)
        return "6.3.2"
        #elseif compiler(>=6.3.1)
        return "6.3.1"
        #elseif compiler(>=6.3.0)
        return "6.3.0"
        #elseif compiler(>=6.2.4)
        return "6.2.4"
        #elseif compiler(>=6.2.3)
        return "6.2.3"
        #elseif compiler(>=6.2.2)
        return "6.2.2"
        #elseif compiler(>=6.2.1)
        return "6.2.1"
        #elseif compiler(>=6.2.0)
        return "6.2.0"
        #elseif compiler(>=6.1.4)
        return "6.1.4"
        #elseif compiler(>=6.1.3)
        return "6.1.3"
        #elseif compiler(>=6.1.2)
        return "6.1.2"
        #elseif compiler(>=6.1.1)
        return "6.1.1"
        #elseif compiler(>=6.1.0)
        return "6.1.0"
        #elseif compiler(>=6.0.4)
        return "6.0.4"
        #elseif compiler(>=6.0.3)
        return "6.0.3"
        #elseif compiler(>=6.0.2)
        return "6.0.2"
        #elseif compiler(>=6.0.1)
        return "6.0.1"
        #elseif compiler(>=6.0.0)
        return "6.0.0"
        #else
        return "before 6.0"
        #endif
    }()
}
