import Foundation
import ImbalanceReferences

/// The largest error, relative to the reference's scale, that a kernel may show against its
/// naive Double reference. Float32 sums of a few thousand products stay near 1e-6 here, so
/// 1e-4 leaves room for reassociation inside OpenBLAS while catching any indexing mistake
/// (which gives errors of order 1).
public let verificationTolerance = 1e-4

/// One quantity compared against its reference before timing.
public struct Check: Codable, Sendable {
    public let quantity: String
    public let relativeError: Double
    /// The batch (or number of sampled entries) the comparison covered.
    public let coverage: String
}

/// A kernel whose result disagrees with the naive reference: the benchmark run stops here
/// rather than time a wrong kernel.
public struct VerificationFailure: Error, CustomStringConvertible {
    public let workload: String
    public let quantity: String
    public let relativeError: Double

    public var description: String {
        "kernel benchmark \(workload): \(quantity) differs from the naive Double reference "
            + "(max error relative to the reference's largest magnitude "
            + String(format: "%.2e", relativeError) + " > \(verificationTolerance)); "
            + "nothing was timed"
    }
}

/// Compares and throws when out of tolerance, so a failing check cannot be overlooked.
func check(_ workload: String, _ quantity: String, coverage: String,
           _ got: UnsafePointer<Float>, _ want: [Double]) throws -> Check {
    let error = Reference.relativeError(got, want)
    guard error <= verificationTolerance else {
        throw VerificationFailure(workload: workload, quantity: quantity, relativeError: error)
    }
    return Check(quantity: quantity, relativeError: error, coverage: coverage)
}
