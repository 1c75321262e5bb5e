import ImbalanceKernels

/// One way of computing a convolution's three passes over a batch, following a
/// `ConvolutionPlan` (one file per algorithm: `DirectConvolution`, `WinogradConvolution`).
///
/// Layouts: input x (N, C, H, W), weights w (F, C, KH, KW), bias b (F), output y
/// (N, F, OH, OW), all row-major, N = `plan.images`. Every pass overwrites what it writes.
/// An algorithm owns its scratch: `reserve` sizes it for a plan (buffers only grow, so a
/// smaller last batch allocates nothing); per-worker buffers follow `Parallel.threads`, and a
/// pass grows them first if the thread count grew since.
protocol ConvolutionAlgorithm: AnyObject {
    func reserve(_ plan: ConvolutionPlan)

    /// y = x * w + b, or pooled image by image as it is computed (`.pooled`, only when
    /// `plan.fusesPooling`).
    func forward(_ plan: ConvolutionPlan, input x: UnsafePointer<Float>,
                 weights w: UnsafePointer<Float>, bias b: UnsafePointer<Float>?,
                 output: ConvolutionOutput)

    /// dX (N, C, H, W) = the adjoint of the forward convolution applied to dY.
    func backwardData(_ plan: ConvolutionPlan, outputGradient dY: ConvolutionOutputGradient,
                      weights w: UnsafePointer<Float>, inputGradient dX: UnsafeMutablePointer<Float>)

    /// dW (F, C, KH, KW) = sum over images and output positions of dY times the input
    /// window (skipped when nil: frozen weights), and the bias gradient through `bias`
    /// (nil: no bias, or a frozen one).
    func backwardWeights(_ plan: ConvolutionPlan, input x: UnsafePointer<Float>,
                         outputGradient dY: ConvolutionOutputGradient,
                         weightGradient dW: UnsafeMutablePointer<Float>?, bias: BiasGradient?)

    /// Both backward passes. By default the weight gradient, then the input gradient; an
    /// algorithm that shares work between them (one read of each chunk's dY) overrides it.
    func backward(_ plan: ConvolutionPlan, input x: UnsafePointer<Float>,
                  outputGradient dY: ConvolutionOutputGradient, weights w: UnsafePointer<Float>,
                  inputGradient dX: UnsafeMutablePointer<Float>,
                  weightGradient dW: UnsafeMutablePointer<Float>?, bias: BiasGradient?)
}

extension ConvolutionAlgorithm {
    func backward(_ plan: ConvolutionPlan, input x: UnsafePointer<Float>,
                  outputGradient dY: ConvolutionOutputGradient, weights w: UnsafePointer<Float>,
                  inputGradient dX: UnsafeMutablePointer<Float>,
                  weightGradient dW: UnsafeMutablePointer<Float>?, bias: BiasGradient?) {
        backwardWeights(plan, input: x, outputGradient: dY, weightGradient: dW, bias: bias)
        backwardData(plan, outputGradient: dY, weights: w, inputGradient: dX)
    }
}

/// A max pooling run in the same pass as the convolution before it (`ConvolutionPooling`):
/// the pooling layer, and the batch's pooled output (forward) or its gradient (backward).
struct FusedPooling {
    let layer: MaxPool
    let batch: UnsafeMutablePointer<Float>
}

/// Where a forward pass puts its output.
enum ConvolutionOutput {
    /// The whole batch's output (N, F, OH, OW).
    case batch(UnsafeMutablePointer<Float>)
    /// Each image's output pooled as soon as it is computed; the convolution's output is
    /// never stored in full.
    case pooled(FusedPooling)

    /// The batch output of an algorithm that never fuses pooling.
    func batchOutput(_ method: ConvolutionMethod) -> UnsafeMutablePointer<Float> {
        guard case .batch(let y) = self else {
            preconditionFailure("the \(method.rawValue) method cannot fuse pooling")
        }
        return y
    }
}

/// Where a backward pass reads the output gradient dY from.
enum ConvolutionOutputGradient {
    /// The whole batch's output gradient (N, F, OH, OW).
    case batch(UnsafePointer<Float>)
    /// Unpooled image by image from the gradient of the fused pooling's output.
    case pooled(FusedPooling)

    func batchGradient(_ method: ConvolutionMethod) -> UnsafePointer<Float> {
        guard case .batch(let dY) = self else {
            preconditionFailure("the \(method.rawValue) method cannot fuse pooling")
        }
        return dY
    }
}

/// The bias gradient db[f] = sum over images and positions of dY[n, f, :, :], summed one
/// way whichever method computes the weight gradient: per chunk of `plan.chunks`, each
/// filter's values of a chunk as one row (the chunk's images side by side) through `sum`,
/// chunks added in order within their group, groups added in group order.
final class BiasGradient {
    let filters: Int
    /// The parameter's gradient (F), which group 0 writes.
    let gradient: UnsafeMutablePointer<Float>
    /// Groups 1..<groups' shares (F each).
    private var partials: [Tensor] = []
    /// Per worker: one filter's row of a multi-image chunk (chunk * OH * OW floats).
    private var rows: [Tensor] = []
    private var reservedWorkers = 0

    init(filters: Int, gradient: UnsafeMutablePointer<Float>) {
        self.filters = filters; self.gradient = gradient
    }

    func reserve(_ plan: ConvolutionPlan) {
        growBuffers(&partials, to: plan.chunks.groups - 1, floats: filters)
        let workers = Parallel.workers(for: plan.chunks.groups)
        if plan.chunks.chunk > 1 {
            growBuffers(&rows, to: workers, floats: plan.chunks.chunk * plan.geometry.outPlane)
        }
        reservedWorkers = workers
    }

    /// Group `group`'s share: the parameter's gradient for group 0.
    @inline(__always)
    func share(_ group: Int) -> UnsafeMutablePointer<Float> {
        group == 0 ? gradient : partials[group - 1].pointer
    }

    /// Adds one chunk's sums to its group's share, overwriting it for the group's first
    /// chunk. `dY` is the chunk's gradient as an (F, ld) matrix, ld = images * OH * OW.
    @inline(__always)
    func add(chunk dY: UnsafePointer<Float>, ld: Int, group: Int, first: Bool) {
        let db = share(group)
        if first { db.update(repeating: 0, count: filters) }
        for f in 0..<filters { db[f] += sum(dY + f * ld, count: ld) }
    }

    /// Adds the groups' shares into the gradient, in group order.
    func reduce(_ plan: ConvolutionPlan) {
        for group in 1..<max(1, plan.chunks.groups) {
            addShort(partials[group - 1].pointer, gradient, count: filters)
        }
    }

    /// The whole bias gradient from the batch's dY (N, F, OH, OW), for methods whose weight
    /// gradient does not go chunk by chunk: each multi-image chunk's row of a filter is
    /// gathered into a worker's buffer first, as the direct method's chunks have it.
    func compute(_ plan: ConvolutionPlan, outputGradient dY: UnsafePointer<Float>) {
        if Parallel.workers(for: plan.chunks.groups) > reservedWorkers { reserve(plan) }
        let plane = plan.geometry.outPlane, filters = self.filters
        plan.chunks.forEachChunk { group, worker, start, m in
            let first = plan.chunks.isFirst(start: start, group: group)
            let chunk = dY + start * filters * plane
            if m == 1 {
                add(chunk: chunk, ld: plane, group: group, first: first)
                return
            }
            let db = share(group), row = rows[worker].pointer
            if first { db.update(repeating: 0, count: filters) }
            for f in 0..<filters {
                for i in 0..<m { copyShort(chunk + (i * filters + f) * plane, row + i * plane,
                                           count: plane) }
                db[f] += sum(row, count: m * plane)
            }
        }
        reduce(plan)
    }
}

/// At least `count` buffers of at least `floats` floats in `list` (never shrinks).
func growBuffers(_ list: inout [Tensor], to count: Int, floats: Int) {
    for i in 0..<max(0, count) {
        if i < list.count {
            if list[i].capacity < floats { list[i] = Tensor(shape: [floats]) }
        } else {
            list.append(Tensor(shape: [floats]))
        }
    }
}
