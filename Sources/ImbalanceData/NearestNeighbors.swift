import ImbalanceKernels

/// Exact k-nearest-neighbour search between images by Euclidean distance in input space
/// (the byte values), for the SMOTE family.
///
/// Exact, not approximate, and independent of how the products are summed: pixels are
/// integers in 0...255, so every product is at most 255^2 = 65,025 and a dot product over a
/// block of 256 values at most 16,646,400, below 2^24: each block's dot products are exact
/// in Float, whatever the GEMM's order of summation or use of FMA. The engine's SGEMM
/// (`BLAS.sgemm`) computes them block by block, and the blocks are summed in Double (exact
/// too: the totals stay far below 2^53). The squared distances |q|^2 + |r|^2 - 2 <q, r> are
/// therefore exact integers, and ties are real ties, broken by the lower position in
/// `references` (scikit-learn does not specify its order for ties; the fixtures avoid them).
///
/// Memory stays bounded: references are converted to Float 2,048 at a time and queries 256
/// at a time, and only the k best per query are kept.
public enum NearestNeighbors {
    public static let referenceBlock = 2_048
    public static let queryBlock = 256
    /// Values per exact block: 256 * 255^2 < 2^24.
    static let exactBlock = 256

    /// For each of `queries` (indices into `data`), the positions in `references` (indices
    /// into `data`) of its `k` nearest references, nearest first. A reference with the
    /// query's own dataset index is never returned (a point is not its own neighbour, even
    /// when an exact duplicate of it exists under another index). Fewer than `k` positions
    /// come back only when `references` holds fewer candidates.
    public static func search(_ data: ImageDataset, queries: [Int], references: [Int], k: Int) -> [[Int]] {
        precondition(k >= 0, "k must be >= 0")
        let nq = queries.count, nr = references.count, d = data.sampleSize
        guard k > 0, nq > 0, nr > 0 else { return [[Int]](repeating: [], count: nq) }
        let norms: (Int) -> Double = { i in
            var s = 0
            data.pixels.withUnsafeBufferPointer { px in
                let p = px.baseAddress! + i * d
                for j in 0..<d { s += Int(p[j]) * Int(p[j]) }
            }
            return Double(s)
        }
        let queryNorms = queries.map(norms)
        let referenceNorms = references.map(norms)
        // Best k per query so far: distances ascending, positions alongside.
        var bestDistance = [Double](repeating: .infinity, count: nq * k)
        var bestPosition = [Int](repeating: -1, count: nq * k)
        let rBuffer = UnsafeMutablePointer<Float>.allocate(capacity: referenceBlock * d)
        let qBuffer = UnsafeMutablePointer<Float>.allocate(capacity: queryBlock * d)
        let partial = UnsafeMutablePointer<Float>.allocate(capacity: queryBlock * referenceBlock)
        let products = UnsafeMutablePointer<Double>.allocate(capacity: queryBlock * referenceBlock)
        defer { rBuffer.deallocate(); qBuffer.deallocate(); partial.deallocate(); products.deallocate() }

        data.pixels.withUnsafeBufferPointer { px in
            func convert(_ indices: ArraySlice<Int>, into buffer: UnsafeMutablePointer<Float>) {
                for (row, i) in indices.enumerated() {
                    let src = px.baseAddress! + i * d, dst = buffer + row * d
                    for j in 0..<d { dst[j] = Float(src[j]) }
                }
            }
            var r0 = 0
            while r0 < nr {
                let rc = min(referenceBlock, nr - r0)
                convert(references[r0..<(r0 + rc)], into: rBuffer)
                var q0 = 0
                while q0 < nq {
                    let qc = min(queryBlock, nq - q0)
                    convert(queries[q0..<(q0 + qc)], into: qBuffer)
                    // products (qc, rc) = Q (qc, d) * R^T (d, rc), in exact blocks of columns.
                    products.update(repeating: 0, count: qc * rc)
                    var c0 = 0
                    while c0 < d {
                        let cc = min(exactBlock, d - c0)
                        BLAS.sgemm(transA: false, transB: true, m: qc, n: rc, k: cc, alpha: 1,
                                   a: qBuffer + c0, lda: d, b: rBuffer + c0, ldb: d, beta: 0,
                                   c: partial, ldc: rc)
                        for e in 0..<(qc * rc) { products[e] += Double(partial[e]) }
                        c0 += cc
                    }
                    bestDistance.withUnsafeMutableBufferPointer { bd in
                        bestPosition.withUnsafeMutableBufferPointer { bp in
                            for a in 0..<qc {
                                let q = q0 + a, self_ = queries[q]
                                let dist = bd.baseAddress! + q * k, pos = bp.baseAddress! + q * k
                                let row = products + a * rc
                                let nqv = queryNorms[q]
                                for b in 0..<rc {
                                    let value = nqv + referenceNorms[r0 + b] - 2 * row[b]
                                    // Strictly smaller only: an equal distance found later
                                    // (a higher position) never displaces an earlier one.
                                    guard value < dist[k - 1], references[r0 + b] != self_ else { continue }
                                    var slot = k - 1
                                    while slot > 0 && dist[slot - 1] > value {
                                        dist[slot] = dist[slot - 1]; pos[slot] = pos[slot - 1]
                                        slot -= 1
                                    }
                                    dist[slot] = value; pos[slot] = r0 + b
                                }
                            }
                        }
                    }
                    q0 += qc
                }
                r0 += rc
            }
        }
        return (0..<nq).map { q in Array(bestPosition[(q * k)..<((q + 1) * k)].prefix { $0 >= 0 }) }
    }
}
