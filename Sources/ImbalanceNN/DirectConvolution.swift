import ImbalanceKernels

/// The direct method: im2col + GEMM over chunks of images (Caffe's approach).
///
/// A chunk of m images is unfolded side by side into one column matrix
/// (C*KH*KW, m*OH*OW) and multiplied by the weights (F, C*KH*KW) in one GEMM. An image
/// that is a chunk of its own is unfolded and multiplied band by band (`plan.bandRows` output
/// rows at a time), and with `plan.kernelRows` as KH GEMMs over shifted windows of a 1 x KW
/// column matrix (`ConvolutionPlan.rowGeometry`), so that its GEMM writes the output in
/// place and each band's columns stay in L2.
///
/// Backward unfolds each chunk again: keeping every chunk's columns from forward (8 MiB for
/// LeNet's conv2) measured slower than redoing im2col into one L2-resident buffer. Each
/// group sums its own weight gradient; the groups' are added in group order at the end.
///
/// Scratch is per worker, not per group: one thread reuses one column buffer, which then
/// stays in L2 (four rotating 1 MiB buffers measured 10% slower on LeNet-5).
final class DirectConvolution: ConvolutionAlgorithm {
    /// Per worker: the column matrix of the chunk (or band) at hand.
    private var columns: [Tensor] = []
    /// Per worker, for one-image chunks: the band's column matrix transposed (with kernel
    /// rows ((bandRows+KH-1)*OW, C*KW), else (bandRows*OW, C*KH*KW)), for the weight
    /// gradient's NN GEMMs.
    private var transposedColumns: [Tensor] = []
    /// Per worker: a multi-image chunk's (F, m*P) GEMM result, or its gathered dY.
    private var products: [Tensor] = []
    /// Per worker, when fused with max pooling: one image's output, or its gradient.
    private var imageOutputs: [Tensor] = []
    /// Weight gradients of groups 1..<groups (group 0 writes the parameter's).
    private var weightPartials: [Tensor] = []
    /// With kernel rows: the weights as KH matrices (F, C*KW), one per kernel row, rebuilt
    /// from the weights at every pass, and per group the weight gradient in that layout.
    private var rowWeights = Tensor(shape: [0])
    private var rowGradients: [Tensor] = []
    private var reservedWorkers = 0

    func reserve(_ plan: ConvolutionPlan) {
        let g = plan.geometry, f = plan.filters, chunks = plan.chunks
        let weights = f * g.patchSize
        let workers = Parallel.workers(for: chunks.groups)
        growBuffers(&columns, to: workers, floats: plan.directColumnFloats)
        if chunks.chunk > 1 {
            growBuffers(&products, to: workers, floats: f * chunks.chunk * g.outPlane)
        }
        if plan.fusesPooling { growBuffers(&imageOutputs, to: workers, floats: f * g.outPlane) }
        if let floats = plan.transposedColumnFloats {
            growBuffers(&transposedColumns, to: workers, floats: floats)
        }
        if plan.kernelRows {
            if rowWeights.capacity < weights { rowWeights = Tensor(shape: [weights]) }
            growBuffers(&rowGradients, to: chunks.groups, floats: weights)
        } else {
            growBuffers(&weightPartials, to: chunks.groups - 1, floats: weights)
            if !weightPartials.isEmpty {
                // Room for the packed weights too (`packedWeights`).
                let packed = max(BLAS.packedFloats(m: f, k: g.patchSize),
                                 BLAS.packedFloats(m: g.patchSize, k: f))
                growBuffers(&weightPartials, to: 1, floats: max(weights, packed))
            }
        }
        reservedWorkers = workers
    }

    /// The weights packed once for a pass whose chunks (or bands) all multiply by them:
    /// op(A) = W (F, C*KH*KW) for the forward, W^T for the input gradient, so that each
    /// chunk's GEMM skips repacking A (ResNet-10's 4x4 blocks: 2.4 M floats, eight chunks
    /// per batch). Same bits: packing only moves data. It lives in group 1's weight-gradient
    /// scratch, idle outside the weight gradient, so it costs no memory. Nil unless
    /// `plan.packsWeights`, or when the scratch was sized for another GEMM path.
    private func packedWeights(_ w: UnsafePointer<Float>, _ plan: ConvolutionPlan,
                               transposed: Bool) -> BLAS.Packing? {
        let g = plan.geometry, f = plan.filters
        let (m, k) = transposed ? (g.patchSize, f) : (f, g.patchSize)
        let floats = BLAS.packedFloats(m: m, k: k)
        guard plan.packsWeights(transposed: transposed), floats > 0, !weightPartials.isEmpty,
              weightPartials[0].capacity >= floats else { return nil }
        return BLAS.packA(transA: transposed, m: m, k: k, a: w, lda: g.patchSize,
                          into: weightPartials[0].pointer)
    }

    /// Grows the per-worker scratch if `Parallel.threads` grew since `reserve`.
    @inline(__always)
    private func ensureWorkers(_ plan: ConvolutionPlan) {
        if Parallel.workers(for: plan.chunks.groups) > reservedWorkers { reserve(plan) }
    }

    func forward(_ plan: ConvolutionPlan, input x: UnsafePointer<Float>,
                 weights w: UnsafePointer<Float>, bias b: UnsafePointer<Float>?,
                 output: ConvolutionOutput) {
        ensureWorkers(plan)
        let g = plan.geometry, filters = plan.filters
        let inSize = g.channels * g.inPlane, outPlane = g.outPlane, patch = g.patchSize
        var y: UnsafeMutablePointer<Float>?, pooling: FusedPooling?
        switch output {
        case .batch(let p): y = p
        case .pooled(let p):
            precondition(plan.fusesPooling, "the plan does not fuse pooling")
            pooling = p
        }
        let rows = plan.rowGeometry
        if rows != nil { copyToKernelRows(w, plan) }
        let packed = packedWeights(w, plan, transposed: false)
        plan.chunks.forEachChunk { _, worker, start, m in
            let col = columns[worker].pointer
            let ld = m * outPlane
            if m > 1 {
                for i in 0..<m {
                    im2col(x + (start + i) * inSize, g, col + i * outPlane, ldCol: ld)
                }
            }
            // Fused, the image's output lives only in this worker's buffer.
            let dst = pooling == nil ? y! + start * filters * outPlane
                : imageOutputs[worker].pointer
            if m == 1 {
                // One image: the GEMM's (F, P) result is already the output's layout;
                // band by band (one band unless the image is large), each GEMM writes its
                // rows of it.
                forEachBand(plan) { band, _ in
                    let n = band.count * g.outWidth
                    let out = dst + band.lowerBound * g.outWidth
                    if let g1 = rows {
                        let ld = unfoldKernelRows(x + start * inSize, g, g1, band, into: col)
                        let ckw = g1.patchSize
                        for kh in 0..<g.kernelH {
                            BLAS.sgemm(transA: false, transB: false, m: filters, n: n, k: ckw,
                                       alpha: 1, a: rowWeights.pointer + kh * filters * ckw,
                                       lda: ckw, b: col + kh * g.outWidth, ldb: ld,
                                       beta: kh == 0 ? 0 : 1, c: out, ldc: outPlane)
                        }
                        return
                    }
                    im2col(x + start * inSize, g, col, ldCol: n, rows: band)
                    multiply(w, packed, m: filters, n: n, k: patch, b: col, ldb: n,
                             c: out, ldc: outPlane)
                }
                if let b {
                    for f in 0..<filters {
                        addScalar(dst + f * outPlane, b[f], dst + f * outPlane,
                                  count: outPlane)
                    }
                }
                if let pooling {
                    pooling.layer.pool(images: start, count: 1, from: dst, into: pooling.batch)
                }
            } else {
                let product = products[worker].pointer
                multiply(w, packed, m: filters, n: ld, k: patch, b: col, ldb: ld,
                         c: product, ldc: ld)
                // (F, m*P) -> (m, F, P), adding the bias on the way.
                for i in 0..<m {
                    for f in 0..<filters {
                        let src = product + f * ld + i * outPlane
                        let d = dst + (i * filters + f) * outPlane
                        if let b { addScalar(src, b[f], d, count: outPlane) }
                        else { copyShort(src, d, count: outPlane) }
                    }
                }
            }
        }
    }

    func backwardData(_ plan: ConvolutionPlan, outputGradient dY: ConvolutionOutputGradient,
                      weights w: UnsafePointer<Float>,
                      inputGradient dX: UnsafeMutablePointer<Float>) {
        run(plan, input: nil, outputGradient: dY, weights: w, inputGradient: dX,
            weightGradient: nil, bias: nil)
    }

    func backwardWeights(_ plan: ConvolutionPlan, input x: UnsafePointer<Float>,
                         outputGradient dY: ConvolutionOutputGradient,
                         weightGradient dW: UnsafeMutablePointer<Float>?, bias: BiasGradient?) {
        run(plan, input: x, outputGradient: dY, weights: nil, inputGradient: nil,
            weightGradient: dW, bias: bias)
    }

    /// Both passes in one loop over the chunks: each chunk's dY is unpooled or gathered
    /// once and used by the bias, weight and input gradients while it is in cache; except
    /// when the input gradient packs W^T once (`ConvolutionPlan.packsWeights`).
    func backward(_ plan: ConvolutionPlan, input x: UnsafePointer<Float>,
                  outputGradient dY: ConvolutionOutputGradient, weights w: UnsafePointer<Float>,
                  inputGradient dX: UnsafeMutablePointer<Float>,
                  weightGradient dW: UnsafeMutablePointer<Float>?, bias: BiasGradient?) {
        if dW != nil && plan.packsWeights(transposed: true) {
            // Large weights: the input gradient first, in a loop of its own that reads W^T
            // packed once from group 1's weight-gradient scratch, then the weight and bias
            // gradients. Repacking 2.4 M floats of W^T per chunk (ResNet-10's 4x4 blocks)
            // costs more than reading dY twice; each gradient's calls and their order are
            // those of the single loop, so the bits are too.
            run(plan, input: nil, outputGradient: dY, weights: w, inputGradient: dX,
                weightGradient: nil, bias: nil)
            run(plan, input: x, outputGradient: dY, weights: nil, inputGradient: nil,
                weightGradient: dW, bias: bias)
            return
        }
        run(plan, input: x, outputGradient: dY, weights: w, inputGradient: dX,
            weightGradient: dW, bias: bias)
    }

    /// The chunk loop of every backward pass: the bias gradient when `bias` is given, the
    /// weight gradient when `dW` is (which needs `x`), the input gradient when `dX` is
    /// (which needs `w`).
    private func run(_ plan: ConvolutionPlan, input x: UnsafePointer<Float>?,
                     outputGradient source: ConvolutionOutputGradient,
                     weights w: UnsafePointer<Float>?,
                     inputGradient dX: UnsafeMutablePointer<Float>?,
                     weightGradient dW: UnsafeMutablePointer<Float>?, bias: BiasGradient?) {
        ensureWorkers(plan)
        let g = plan.geometry, filters = plan.filters, chunks = plan.chunks
        let inSize = g.channels * g.inPlane, outPlane = g.outPlane, patch = g.patchSize
        let weightCount = filters * patch
        var dYAll: UnsafePointer<Float>?, pooling: FusedPooling?
        switch source {
        case .batch(let p): dYAll = p
        case .pooled(let p):
            precondition(plan.fusesPooling, "the plan does not fuse pooling")
            pooling = p
        }
        let needWeight = dW != nil
        let rows = plan.rowGeometry
        if rows != nil && dX != nil { copyToKernelRows(w!, plan) }
        // The packed weights borrow group 1's weight-gradient scratch: input gradient alone.
        let packed = dX != nil && !needWeight ? packedWeights(w!, plan, transposed: true) : nil
        chunks.forEachChunk { group, worker, start, m in
            let dWShare = !needWeight ? nil : rows != nil ? rowGradients[group].pointer
                : group == 0 ? dW! : weightPartials[group - 1].pointer
            // A group's first chunk overwrites its gradients, later ones add to them.
            let first = chunks.isFirst(start: start, group: group)
            let col = columns[worker].pointer
            let ld = m * outPlane
            // dY as an (F, m*P) matrix: one image's gradient already is one, several
            // are gathered side by side.
            var dY: UnsafePointer<Float>
            if let pooling {
                let own = imageOutputs[worker].pointer
                pooling.layer.unpool(images: start, count: m, gradient: pooling.batch, into: own)
                dY = UnsafePointer(own)
            } else {
                dY = dYAll! + start * filters * outPlane
            }
            if m > 1 {
                let gathered = products[worker].pointer
                for i in 0..<m {
                    for f in 0..<filters {
                        copyShort(dY + (i * filters + f) * outPlane,
                                  gathered + f * ld + i * outPlane, count: outPlane)
                    }
                }
                dY = UnsafePointer(gathered)
            }
            bias?.add(chunk: dY, ld: ld, group: group, first: first)
            if m == 1 {
                // Band by band (one band unless the image is large): dW accumulates over
                // the bands in order, dX receives each band's fold.
                let dXImage = dX.map { $0 + start * inSize }
                dXImage?.update(repeating: 0, count: inSize)
                forEachBand(plan) { band, index in
                    let n = band.count * g.outWidth
                    let dYBand = dY + band.lowerBound * g.outWidth
                    if let g1 = rows {
                        // Kernel rows: the column window kh*OW.. of each GEMM, as forward.
                        let (span, ld) = kernelRowSpan(band, g)
                        let ckw = g1.patchSize
                        if let dWShare {
                            // dW_kh (F, C*KW) (+)= dY (F, n) * window_kh^T (n, C*KW). The
                            // KH windows overlap, so the columns are transposed once here
                            // rather than packed transposed by each GEMM; the products and
                            // their order are the same.
                            _ = unfoldKernelRows(x! + start * inSize, g, g1, band, into: col)
                            let colT = transposedColumns[worker].pointer
                            BLAS.transpose(rows: ckw, cols: ld, col, lds: ld, into: colT, ldd: ckw)
                            for kh in 0..<g.kernelH {
                                BLAS.sgemm(transA: false, transB: false, m: filters, n: ckw, k: n,
                                           alpha: 1, a: dYBand, lda: outPlane,
                                           b: colT + kh * g.outWidth * ckw, ldb: ckw,
                                           beta: first && index == 0 ? 0 : 1,
                                           c: dWShare + kh * filters * ckw, ldc: ckw)
                            }
                        }
                        if let dXImage {
                            // Row kh's GEMM adds into columns kh*OW..<kh*OW+n; the first
                            // writes them, so only the last (KH-1)*OW columns need zeros.
                            for r in 0..<ckw {
                                (col + r * ld + n).update(repeating: 0, count: ld - n)
                            }
                            for kh in 0..<g.kernelH {
                                BLAS.sgemm(transA: true, transB: false, m: ckw, n: n, k: filters,
                                           alpha: 1, a: rowWeights.pointer + kh * filters * ckw,
                                           lda: ckw, b: dYBand, ldb: outPlane,
                                           beta: kh == 0 ? 0 : 1, c: col + kh * g.outWidth,
                                           ldc: ld)
                            }
                            col2im(col, ldCol: ld, g1, dXImage, rows: span)
                        }
                        return
                    }
                    if let dWShare {
                        im2col(x! + start * inSize, g, col, ldCol: n, rows: band)
                        let beta: Float = first && index == 0 ? 0 : 1
                        if BLAS.readsInPlace(m: filters, n: patch, k: n) {
                            // Small (LeNet-5's conv1: 20 x 25 over 576 positions): with the
                            // columns transposed once, the NN product packs nothing.
                            let colT = transposedColumns[worker].pointer
                            BLAS.transpose(rows: patch, cols: n, col, lds: n, into: colT, ldd: patch)
                            BLAS.sgemm(transA: false, transB: false, m: filters, n: patch, k: n,
                                       alpha: 1, a: dYBand, lda: outPlane, b: colT, ldb: patch,
                                       beta: beta, c: dWShare, ldc: patch)
                        } else {
                            BLAS.sgemm(transA: false, transB: true, m: filters, n: patch, k: n,
                                       alpha: 1, a: dYBand, lda: outPlane, b: col, ldb: n,
                                       beta: beta, c: dWShare, ldc: patch)
                        }
                    }
                    if let dXImage {
                        multiply(w!, packed, transA: true, m: patch, n: n, k: filters,
                                 b: dYBand, ldb: outPlane, c: col, ldc: n)
                        col2im(col, ldCol: n, g, dXImage, rows: band)
                    }
                }
                return
            }
            // Several small images side by side.
            if let dWShare {
                for i in 0..<m {
                    im2col(x! + (start + i) * inSize, g, col + i * outPlane, ldCol: ld)
                }
                // dW (F, patch) (+)= dY (F, ld) * col^T (ld, patch)
                BLAS.sgemm(transA: false, transB: true, m: filters, n: patch, k: ld,
                           alpha: 1, a: dY, lda: ld, b: col, ldb: ld,
                           beta: first ? 0 : 1, c: dWShare, ldc: patch)
            }
            if let dX {
                // dCol (patch, ld) = W^T (patch, F) * dY (F, ld), in the column buffer.
                multiply(w!, packed, transA: true, m: patch, n: ld, k: filters,
                         b: dY, ldb: ld, c: col, ldc: ld)
                for i in 0..<m {
                    col2im(col + i * outPlane, ldCol: ld, g, dX + (start + i) * inSize)
                }
            }
        }
        // Groups' gradients, added in group order.
        if let dW {
            if rows != nil {
                for group in 1..<max(1, chunks.groups) {
                    accumulate(rowGradients[group].pointer, into: rowGradients[0].pointer,
                               count: weightCount)
                }
                copyFromKernelRows(rowGradients[0].pointer, plan, into: dW)
            } else {
                for group in 1..<max(1, chunks.groups) {
                    accumulate(weightPartials[group - 1].pointer, into: dW, count: weightCount)
                }
            }
        }
        bias?.reduce(plan)
    }

    // MARK: - Kernel rows and bands

    /// The weights W[f, c, kh, kw] into the kernel-row layout R[kh][f, c*KW + kw].
    private func copyToKernelRows(_ w: UnsafePointer<Float>, _ plan: ConvolutionPlan) {
        copyKernelRows(plan, toRows: true, weights: UnsafeMutablePointer(mutating: w),
                       rows: rowWeights.pointer)
    }

    /// A gradient in the kernel-row layout back into the weights' layout.
    private func copyFromKernelRows(_ r: UnsafeMutablePointer<Float>, _ plan: ConvolutionPlan,
                                    into dW: UnsafeMutablePointer<Float>) {
        copyKernelRows(plan, toRows: false, weights: dW, rows: r)
    }

    /// Copies between the layout W[f, c, kh, kw] and R[kh][f, c*KW + kw], one way or the
    /// other (`toRows`).
    private func copyKernelRows(_ plan: ConvolutionPlan, toRows: Bool,
                                weights w: UnsafeMutablePointer<Float>,
                                rows r: UnsafeMutablePointer<Float>) {
        let g = plan.geometry, filters = plan.filters
        let kh = g.kernelH, kw = g.kernelW, ckw = g.channels * kw
        for f in 0..<filters {
            for c in 0..<g.channels {
                for y in 0..<kh {
                    let original = w + ((f * g.channels + c) * kh + y) * kw
                    let row = r + (y * filters + f) * ckw + c * kw
                    if toRows { copyShort(original, row, count: kw) }
                    else { copyShort(row, original, count: kw) }
                }
            }
        }
    }

    /// The rows of `rowGeometry`'s column matrix that a band of output rows reads (the
    /// band and the KH-1 rows below it), and that band-local matrix's row length.
    @inline(__always)
    private func kernelRowSpan(_ band: Range<Int>, _ g: ConvGeometry)
        -> (rows: Range<Int>, ld: Int) {
        let rows = band.lowerBound..<band.upperBound + g.kernelH - 1
        return (rows, rows.count * g.outWidth)
    }

    /// Unfolds one image's band for kernel-row GEMMs (`g1` = `rowGeometry`) into `col`;
    /// returns the matrix's row length, the GEMMs' leading dimension.
    @inline(__always)
    private func unfoldKernelRows(_ image: UnsafePointer<Float>, _ g: ConvGeometry,
                                  _ g1: ConvGeometry, _ band: Range<Int>,
                                  into col: UnsafeMutablePointer<Float>) -> Int {
        let (rows, ld) = kernelRowSpan(band, g)
        im2col(image, g1, col, ldCol: ld, rows: rows)
        return ld
    }

    /// C (m, n) = op(W) B, op(W) read from its packing when there is one.
    @inline(__always)
    private func multiply(_ w: UnsafePointer<Float>, _ packed: BLAS.Packing?,
                          transA: Bool = false, m: Int, n: Int, k: Int,
                          b: UnsafePointer<Float>, ldb: Int,
                          c: UnsafeMutablePointer<Float>, ldc: Int) {
        BLAS.sgemm(transA: transA, transB: false, m: m, n: n, k: k, a: w, lda: transA ? m : k,
                   packedA: packed, b: b, ldb: ldb, beta: 0, c: c, ldc: ldc)
    }

    /// Calls `body(band, index)` for the bands of output rows of one image, in order.
    @inline(__always)
    private func forEachBand(_ plan: ConvolutionPlan, _ body: (Range<Int>, Int) -> Void) {
        let height = plan.geometry.outHeight, rows = plan.bandRows
        var y = 0, index = 0
        while y < height {
            let end = min(height, y + rows)
            body(y..<end, index)
            y = end; index += 1
        }
    }
}

extension ConvolutionPlan {
    /// Floats of one worker's transposed column buffer, nil when no weight-gradient GEMM
    /// uses one: every band with kernel rows, else a one-image chunk's band whose NN
    /// product reads its operands in place (the smallest band is the likeliest to; a plan
    /// of several images per chunk may still end with a one-image chunk).
    var transposedColumnFloats: Int? {
        let g = geometry
        if kernelRows { return g.channels * g.kernelW * (bandRows + g.kernelH - 1) * g.outWidth }
        let last = g.outHeight % bandRows == 0 ? bandRows : g.outHeight % bandRows
        guard BLAS.readsInPlace(m: filters, n: g.patchSize, k: last * g.outWidth) else { return nil }
        return g.patchSize * bandRows * g.outWidth
    }

    /// Floats of one worker's column buffer in the direct method: a chunk's column matrix,
    /// or one band's (C*KH*KW, bandRows*OW); with kernel rows, the larger of that and the
    /// band's 1 x KW matrix (C*KW, (bandRows+KH-1)*OW).
    public var directColumnFloats: Int {
        let g = geometry
        let full = chunks.chunk * g.patchSize * bandRows * g.outWidth
        guard kernelRows else { return full }
        return max(full, g.channels * g.kernelW * (bandRows + g.kernelH - 1) * g.outWidth)
    }
}
