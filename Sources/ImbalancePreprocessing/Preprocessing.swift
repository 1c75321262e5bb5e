import ImbalanceData
import ImbalanceKernels

/// How images become network inputs. Fitted transforms learn their statistics from the
/// training subset only (the imbalanced set, before resampling, so duplicated images do
/// not count twice) and are then applied unchanged to training and test images.
public enum Preprocessing: String, CaseIterable, Sendable, Codable {
    /// x / 256, Caffe's input scale (the paper's LeNet-5 setup).
    case scale
    /// Global contrast normalisation, then ZCA whitening (pylearn2's recipe, as used by
    /// Springenberg et al. for All-CNN and by the paper for CIFAR-10).
    case gcnZCA = "gcn-zca"
    /// Per-channel mean and standard deviation of x / 255 (the common ResNet recipe).
    case standardize

    public static let names = allCases.map(\.rawValue).joined(separator: ", ")
}

/// Pylearn2's `global_contrast_normalize(X, scale=55)`: each image minus its own mean,
/// rescaled to an L2 norm of 55. Images with (almost) no contrast are left unscaled rather
/// than blown up (pylearn2's `min_divisor`).
public enum GlobalContrastNormalization {
    public static let scale = 55.0
    public static let minimumDivisor = 1e-8

    /// Normalises one image of `size` values in place (Double accumulation).
    public static func apply(_ x: UnsafeMutablePointer<Float>, size: Int) {
        var sum = 0.0
        for i in 0..<size { sum += Double(x[i]) }
        let mean = sum / Double(size)
        var squares = 0.0
        for i in 0..<size {
            let d = Double(x[i]) - mean
            squares += d * d
        }
        var divisor = squares.squareRoot() / scale
        if divisor < minimumDivisor { divisor = 1 }
        for i in 0..<size { x[i] = Float((Double(x[i]) - mean) / divisor) }
    }
}

/// ZCA whitening (pylearn2's `ZCA(filter_bias=0.1)`): with m the mean image and
/// C = (X - m)^T (X - m) / n + 0.1 I = V diag(l) V^T, every image becomes (x - m) P with
/// P = V diag(1 / sqrt(l)) V^T. The bias keeps near-zero eigenvalues from amplifying noise.
/// The fit runs in Double (covariance by DSYRK, eigendecomposition by LAPACK's DSYEVD, both
/// OpenBLAS's with its kernel family pinned, see `OpenBLAS`); P is stored as Float for the
/// per-image transform, the engine's own GEMM, one per block of 256 images.
public struct ZCAWhitening: Sendable {
    public static let filterBias = 0.1
    public let size: Int
    public let mean: [Float]
    /// Row-major (size, size), symmetric.
    public let matrix: [Float]
    /// Eigenvalues of the biased covariance, ascending (for reports and tests).
    public let eigenvalues: [Double]

    public init(size: Int, mean: [Float], matrix: [Float], eigenvalues: [Double]) {
        self.size = size; self.mean = mean; self.matrix = matrix; self.eigenvalues = eigenvalues
    }

    /// Fits on `count` images of `size` values, row after row.
    public static func fit(_ x: UnsafePointer<Float>, count n: Int, size d: Int) throws -> ZCAWhitening {
        guard n >= 2 else { throw PreprocessingError("ZCA needs at least 2 training images, got \(n)") }
        var mean = [Double](repeating: 0, count: d)
        for r in 0..<n {
            let row = x + r * d
            for j in 0..<d { mean[j] += Double(row[j]) }
        }
        for j in 0..<d { mean[j] /= Double(n) }
        // Centred copy in Double, then C = Xc^T Xc / n (upper triangle) by DSYRK.
        let centred = UnsafeMutablePointer<Double>.allocate(capacity: n * d)
        defer { centred.deallocate() }
        for r in 0..<n {
            let row = x + r * d, out = centred + r * d
            for j in 0..<d { out[j] = Double(row[j]) - mean[j] }
        }
        var cov = [Double](repeating: 0, count: d * d)
        try cov.withUnsafeMutableBufferPointer { c in
            try OpenBLAS.dsyrkUpperTransposed(n: d, k: n, alpha: 1.0 / Double(n), a: centred,
                                              lda: d, beta: 0, c: c.baseAddress!, ldc: d)
        }
        // Mirror the upper triangle so the matrix is full (LAPACK reads the column-major
        // "upper" triangle, which is the row-major lower one).
        for i in 0..<d {
            cov[i * d + i] += filterBias
            for j in (i + 1)..<max(i + 1, d) { cov[j * d + i] = cov[i * d + j] }
        }
        let eig = try symmetricEigen(&cov, n: d)
        // cov now holds the eigenvectors: column-major columns = row-major rows, so row k
        // is eigenvector k. P = sum_k v_k v_k^T / sqrt(l_k) = S^T S with S_k = v_k / l_k^(1/4).
        for k in 0..<d {
            let s = 1 / eig[k].squareRoot().squareRoot()
            for j in 0..<d { cov[k * d + j] *= s }
        }
        var p = [Double](repeating: 0, count: d * d)
        try cov.withUnsafeBufferPointer { s in
            try p.withUnsafeMutableBufferPointer { out in
                try OpenBLAS.dsyrkUpperTransposed(n: d, k: d, alpha: 1, a: s.baseAddress!, lda: d,
                                                  beta: 0, c: out.baseAddress!, ldc: d)
            }
        }
        for i in 0..<d { for j in (i + 1)..<max(i + 1, d) { p[j * d + i] = p[i * d + j] } }
        return ZCAWhitening(size: d, mean: mean.map(Float.init), matrix: p.map(Float.init),
                            eigenvalues: eig)
    }

    /// Whitens `count` rows in place, `rowsPerBlock` at a time through `scratch`
    /// (at least `rowsPerBlock * size` floats).
    public func apply(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        let d = size
        let block = 256
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: block * d)
        defer { scratch.deallocate() }
        mean.withUnsafeBufferPointer { m in
            matrix.withUnsafeBufferPointer { p in
                var start = 0
                while start < n {
                    let rows = min(block, n - start)
                    for r in 0..<rows {
                        let src = x + (start + r) * d, dst = scratch + r * d
                        for j in 0..<d { dst[j] = src[j] - m[j] }
                    }
                    BLAS.sgemm(transA: false, transB: false, m: rows, n: d, k: d, alpha: 1,
                               a: scratch, lda: d, b: p.baseAddress!, ldb: d, beta: 0,
                               c: x + start * d, ldc: d)
                    start += rows
                }
            }
        }
    }

    /// Eigenvalues (ascending) of a symmetric matrix; `a` is overwritten by the
    /// eigenvectors (LAPACK DSYEVD, divide and conquer).
    static func symmetricEigen(_ a: inout [Double], n: Int) throws -> [Double] {
        var w = [Double](repeating: 0, count: n)
        let info = try a.withUnsafeMutableBufferPointer { ap in
            try w.withUnsafeMutableBufferPointer { wp in
                try OpenBLAS.dsyevd(vectors: true, upper: true, n: n, a: ap.baseAddress!, lda: n,
                                    w: wp.baseAddress!)
            }
        }
        guard info == 0 else {
            throw PreprocessingError("LAPACK dsyevd did not converge (info \(info)) on the \(n)x\(n) covariance")
        }
        guard let smallest = w.first, smallest > 0 else {
            throw PreprocessingError("the ZCA covariance is not positive definite (smallest eigenvalue \(w.first ?? .nan))")
        }
        return w
    }
}

/// Per-channel standardisation: (x / 255 - mean_c) / std_c over all pixels of channel c
/// in the training subset.
public struct ChannelStandardization: Sendable {
    public let mean: [Double]
    public let std: [Double]

    public static func fit(_ data: ImageDataset, indices: [Int]) throws -> ChannelStandardization {
        guard !indices.isEmpty else { throw PreprocessingError("no training images to fit channel statistics on") }
        let c = data.channels, plane = data.height * data.width
        var sum = [Double](repeating: 0, count: c), squares = [Double](repeating: 0, count: c)
        data.pixels.withUnsafeBufferPointer { px in
            for i in indices {
                let image = px.baseAddress! + i * data.sampleSize
                for ch in 0..<c {
                    var s = 0.0, q = 0.0
                    let p = image + ch * plane
                    for k in 0..<plane {
                        let v = Double(p[k]) / 255
                        s += v; q += v * v
                    }
                    sum[ch] += s; squares[ch] += q
                }
            }
        }
        let n = Double(indices.count * plane)
        let mean = sum.map { $0 / n }
        let std = zip(squares, mean).map { max(($0 / n - $1 * $1), 0).squareRoot() }
        return ChannelStandardization(mean: mean, std: std.map { $0 > 1e-12 ? $0 : 1 })
    }

    public init(mean: [Double], std: [Double]) { self.mean = mean; self.std = std }
}

public struct PreprocessingError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
