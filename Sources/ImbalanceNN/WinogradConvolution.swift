import ImbalanceKernels

/// The Winograd method: F(2x2,3x3) for 3x3 and F(4x4,5x5) for 5x5 stride-1 layers (the
/// transforms and their GEMMs are in ImbalanceKernels' Winograd.swift), over chunks of
/// images sized by tiles (`plan.winograd`). E = 16 or 64 transformed elements per tile.
///
/// Forward: U = G g G^T once per pass, then per chunk the input tiles' transform V, the E
/// GEMMs M = V U and the output transform. Input gradient: for F(2x2,3x3) the same
/// convolution of dY with the rotated, transposed filters at pad (k - 1) - p
/// (`WinogradPlan.adjoint`), for F(4x4,5x5) through the forward's tiles
/// (`WinogradPlan.transposesData`). Weight
/// gradient: per chunk dU += Z^T V from the output gradient's tiles Z (2.25 or 6.25 times
/// fewer multiplies than im2col + GEMM); groups sum their own dU, added in group order, and
/// dW = G^T dU G at the end. The bias gradient is `BiasGradient`'s, the same sum as the
/// direct method's.
final class WinogradConvolution: ConvolutionAlgorithm {
    /// The transformed filters of the pass at hand: E matrices (C, F), or (F, C) adjoint.
    private var transformed = Tensor(shape: [0])
    /// Per worker: one chunk's transformed inputs V and the E products M (or Z).
    private var inputs: [Tensor] = []
    private var products: [Tensor] = []
    /// Per worker (per piece of a single-chunk batch): the transforms' channel-minor planes.
    private var planes: [Tensor] = []
    /// Per group: the E (F, C) matrices of the transformed weight gradient.
    private var gradients: [Tensor] = []
    private var reservedWorkers = 0

    func reserve(_ plan: ConvolutionPlan) {
        guard let w = plan.winograd else { preconditionFailure("the plan has no Winograd tiling") }
        let c = plan.geometry.channels, f = plan.filters, e = w.forward.elements
        let workers = Parallel.workers(for: w.chunks.groups)
        let tiles = e * w.chunks.chunk * w.tilesPerImage
        // V and dV have C columns, M and Z F; the adjoint convolution swaps the two.
        growBuffers(&inputs, to: workers, floats: tiles * (w.transposesData ? c : max(c, f)))
        growBuffers(&products, to: workers, floats: tiles * (w.transposesData ? f : max(c, f)))
        growBuffers(&planes, to: Parallel.workers(for: w.planePieces), floats: w.planeFloats)
        growBuffers(&gradients, to: w.chunks.groups, floats: e * c * f)
        if transformed.capacity < e * c * f { transformed = Tensor(shape: [e * c * f]) }
        reservedWorkers = Parallel.workers(for: w.planePieces)
    }

    /// Grows the per-worker scratch if `Parallel.threads` grew since `reserve`.
    @inline(__always)
    private func ensureWorkers(_ w: WinogradPlan, _ plan: ConvolutionPlan) {
        if Parallel.workers(for: w.planePieces) > reservedWorkers { reserve(plan) }
    }

    private func tiling(_ plan: ConvolutionPlan) -> WinogradPlan {
        guard let w = plan.winograd else { preconditionFailure("the plan has no Winograd tiling") }
        ensureWorkers(w, plan)
        return w
    }

    func forward(_ plan: ConvolutionPlan, input x: UnsafePointer<Float>,
                 weights w: UnsafePointer<Float>, bias b: UnsafePointer<Float>?,
                 output: ConvolutionOutput) {
        let tiles = tiling(plan)
        winogradTransformFilters(w, filters: plan.filters, channels: plan.geometry.channels,
                                 kernel: tiles.forward.kernel, adjoint: false,
                                 into: transformed.pointer)
        convolve(x, tiles.forward, chunks: tiles.chunks, u: transformed.pointer, bias: b,
                 into: output.batchOutput(.winograd))
    }

    func backwardData(_ plan: ConvolutionPlan, outputGradient dY: ConvolutionOutputGradient,
                      weights w: UnsafePointer<Float>,
                      inputGradient dX: UnsafeMutablePointer<Float>) {
        let tiles = tiling(plan)
        // Through the forward's tiles, the forward's U; otherwise the adjoint's filters.
        winogradTransformFilters(w, filters: plan.filters, channels: plan.geometry.channels,
                                 kernel: tiles.forward.kernel, adjoint: !tiles.transposesData,
                                 into: transformed.pointer)
        if tiles.transposesData {
            return transposedData(dY.batchGradient(.winograd), tiles, into: dX)
        }
        convolve(dY.batchGradient(.winograd), tiles.adjoint, chunks: tiles.chunks,
                 u: transformed.pointer, bias: nil, into: dX)
    }

    func backwardWeights(_ plan: ConvolutionPlan, input x: UnsafePointer<Float>,
                         outputGradient dY: ConvolutionOutputGradient,
                         weightGradient dW: UnsafeMutablePointer<Float>?, bias: BiasGradient?) {
        let tiles = tiling(plan), dYAll = dY.batchGradient(.winograd)
        if let dW { weightGradient(x, dYAll, tiles, into: dW) }
        bias?.compute(plan, outputGradient: dYAll)
    }

    /// Runs a Winograd convolution of `source` (shape `s`) with transformed filters `u`
    /// into `destination`, chunk by chunk on the workers.
    private func convolve(_ source: UnsafePointer<Float>, _ s: WinogradShape,
                          chunks: ChunkPlan, u: UnsafePointer<Float>,
                          bias: UnsafePointer<Float>?,
                          into destination: UnsafeMutablePointer<Float>) {
        let inImage = s.channels * s.height * s.width
        let outImage = s.filters * s.outHeight * s.outWidth
        chunks.forEachChunk { _, worker, start, count in
            let v = inputs[worker].pointer, m = products[worker].pointer
            winogradTransformInput(source + start * inImage, images: count, s,
                                   scratch: planes[worker].pointer, into: v)
            winogradMultiply(u, v, filters: s.filters, channels: s.channels,
                             columns: count * s.tilesPerImage, elements: s.elements, into: m)
            winogradTransformOutput(m, images: count, s, bias: bias,
                                    scratch: planes[worker].pointer,
                                    into: destination + start * outImage)
        }
    }

    /// dX through the forward's tiles (`WinogradPlan.transposesData`): per chunk the output
    /// gradient's tiles Z, dV = Z U^T in E GEMMs, and dX = B dV B^T over the tiles.
    private func transposedData(_ dY: UnsafePointer<Float>, _ wp: WinogradPlan,
                                into dX: UnsafeMutablePointer<Float>) {
        let s = wp.forward, u = transformed.pointer
        let inImage = s.channels * s.height * s.width
        let outImage = s.filters * s.outHeight * s.outWidth
        wp.chunks.forEachChunk { _, worker, start, count in
            let z = products[worker].pointer, dv = inputs[worker].pointer
            let scratch = planes[worker].pointer
            winogradTransformOutputGradient(dY + start * outImage, images: count, s,
                                            scratch: scratch, into: z)
            winogradMultiplyData(z, u, filters: s.filters, channels: s.channels,
                                 columns: count * s.tilesPerImage, elements: s.elements,
                                 into: dv)
            winogradTransformInputGradient(dv, images: count, s, scratch: scratch,
                                           into: dX + start * inImage)
        }
    }

    /// dW from the input tiles (V, as in forward) and the output gradient's tiles (Z):
    /// dU += Z^T V in E GEMMs per chunk, then dW = G^T dU G.
    private func weightGradient(_ x: UnsafePointer<Float>, _ dY: UnsafePointer<Float>,
                                _ wp: WinogradPlan, into dW: UnsafeMutablePointer<Float>) {
        let s = wp.forward, chunks = wp.chunks, tiles = s.tilesPerImage
        let inImage = s.channels * s.height * s.width
        let outImage = s.filters * s.outHeight * s.outWidth
        if chunks.chunkCount == 1 {
            // The batch is one chunk (ResNet-10's 4x4 blocks): its transforms are split by
            // channels and filters (each plane computed alike) and its E GEMMs dealt out,
            // so that every worker has a share.
            let v = inputs[0].pointer, z = products[0].pointer
            let pieces = wp.planePieces
            Parallel.forEach(pieces) { piece, worker in
                let scratch = planes[worker].pointer
                winogradTransformInput(x, images: chunks.images, s, scratch: scratch, into: v,
                                       channels: Parallel.range(piece, of: pieces,
                                                                total: s.channels))
                winogradTransformOutputGradient(dY, images: chunks.images, s, scratch: scratch,
                                                into: z,
                                                filters: Parallel.range(piece, of: pieces,
                                                                        total: s.filters))
            }
            winogradMultiplyGradient(z, v, filters: s.filters, channels: s.channels,
                                     columns: chunks.images * tiles, elements: s.elements,
                                     accumulate: false, spread: true,
                                     into: gradients[0].pointer)
            winogradTransformFilterGradient(gradients[0].pointer, filters: s.filters,
                                            channels: s.channels, kernel: s.kernel, into: dW)
            return
        }
        chunks.forEachChunk { group, worker, start, count in
            let v = inputs[worker].pointer, z = products[worker].pointer
            let scratch = planes[worker].pointer
            winogradTransformInput(x + start * inImage, images: count, s, scratch: scratch,
                                   into: v)
            winogradTransformOutputGradient(dY + start * outImage, images: count, s,
                                            scratch: scratch, into: z)
            winogradMultiplyGradient(z, v, filters: s.filters, channels: s.channels,
                                     columns: count * tiles, elements: s.elements,
                                     accumulate: !chunks.isFirst(start: start, group: group),
                                     into: gradients[group].pointer)
        }
        let du = gradients[0].pointer, count = s.elements * s.filters * s.channels
        for group in 1..<max(1, chunks.groups) {
            accumulate(gradients[group].pointer, into: du, count: count)
        }
        winogradTransformFilterGradient(du, filters: s.filters, channels: s.channels,
                                        kernel: s.kernel, into: dW)
    }
}

extension WinogradPlan {
    /// Floats of one worker's scratch (the channel-minor planes of a transform), for
    /// either convolution.
    public var planeFloats: Int {
        let own = max(winogradInputScratchSize(forward), winogradOutputScratchSize(forward))
        if transposesData { return own }
        return max(own, winogradInputScratchSize(adjoint), winogradOutputScratchSize(adjoint))
    }

    /// Pieces that share the scratch planes: a batch that is a single chunk splits its
    /// weight-gradient transforms into `ChunkPlan.maxGroups` pieces, otherwise each group
    /// has its chunks.
    public var planePieces: Int {
        chunks.chunkCount == 1 ? ChunkPlan.maxGroups : chunks.groups
    }
}
