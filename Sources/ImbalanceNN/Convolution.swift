import ImbalanceKernels
import ImbalanceRandom

/// 2-D convolution as im2col + GEMM over chunks of images (Caffe's approach), or Winograd
/// F(2x2,3x3) for the passes of 3x3 stride-1 layers where it pays (forward and input
/// gradient on one rule, weight gradient on another).
///
/// Input (N, C, H, W) -> output (N, F, OH, OW); weights (F, C, KH, KW), bias (F).
/// A chunk of images is unfolded side by side into one column matrix
/// (C*KH*KW, chunk*OH*OW). One image per chunk is the rule (its column matrix stays in
/// cache and its GEMM writes the output in place); only small maps take several, so that
/// no GEMM is narrower than `minimumColumns`; images whose column matrix would not stay
/// in L2 are unfolded in bands of output rows (`bandBudget`).
///
/// Chunks are dealt to a fixed number of groups (`groups`, never more than
/// `maxGroups`), which `Parallel.forEach` runs on its workers: every group sums its own
/// weight gradient, and the groups' gradients are added in group order at the end (scratch
/// buffers belong to workers, which changes no result). The grouping depends on the batch
/// and the layer only, so one thread and two give the same bits. Backward unfolds each
/// chunk again: keeping every chunk's columns from forward (8 MiB for LeNet's conv2)
/// measured slower than redoing im2col into one L2-resident buffer.
public final class Convolution: Layer, MACCounting {
    public let name: String
    public let filters: Int
    public let kernel: Int
    public let stride: Int
    public let padding: Int
    public let weight: Parameter
    /// nil when the layer was built with `bias: false` (a convolution followed by batch
    /// normalisation: BN's beta already shifts each channel, so a bias would be redundant).
    public let bias: Parameter?
    public let initialization: WeightInitialization
    /// Upper bound on one chunk's column matrix, in floats (64 KiB: in practice one image
    /// per chunk, whose GEMM writes the output in place with no reordering or gathering of
    /// the gradient). Measured with `imbench bench --column-budget`: LeNet-5 4,638 images/s
    /// at 16,384 floats vs 4,016 at 262,144 (1 thread), 7,877 vs 6,775 (2 threads).
    public var columnBudget = 16_384 { didSet { plan = Plan() } }
    /// Fewest output positions (GEMM columns) per chunk: small maps (ResNet's 4x4) are
    /// batched until a GEMM is this wide, whatever the budget.
    public var minimumColumns = 64 { didSet { plan = Plan() } }
    /// The same floor for layers whose weights exceed `largeWeights` floats (1 MiB, the
    /// L2): OpenBLAS packs the whole weight matrix at every call, which a wider GEMM
    /// amortises. ResNet-10's 8x8 and 4x4 blocks: 59 -> 60-63 images/s on 1 thread
    /// (`imbench bench --model resnet10 --minimum-columns 128`, alternating with 64).
    public var largeWeightColumns = 128 { didSet { plan = Plan() } }
    public static let largeWeights = 262_144
    /// Upper bound, in floats, on the column matrix of one band of output rows, for images
    /// whose whole column matrix exceeds it: such an image is unfolded and multiplied band
    /// by band, so that its columns stay in L2 (ResNet's and All-CNN's 32x32 layers: 2.4
    /// and 3.5 MB per image otherwise). 1 MiB, the L2: at 512 KiB, All-CNN's stride-2
    /// conv3 (884 KB per image) went in two bands of GEMMs half as wide, and its forward
    /// took 38 instead of 35 ms per batch (`imbench bench --layers --band-budget`).
    public var bandBudget = 262_144 { didSet { plan = Plan() } }
    /// Output rows per band (all of them when an image is not banded).
    private var bandRows = 1

    /// When the direct method splits the kernel's rows into GEMMs of their own.
    public enum KernelRowUse: Sendable {
        /// Where it measured faster (`kernelRowsPay`).
        case automatic
        /// Never: one GEMM over the whole column matrix, to measure what splitting gains.
        case never
        /// In every stride-1 layer whose images go one per chunk, for tests on any shape.
        case always
    }
    public var kernelRows = KernelRowUse.automatic { didSet { plan = Plan() } }
    /// Set when the plan splits kernel rows: the geometry of a 1 x KW kernel over the same
    /// input and padding, whose column matrix (C*KW, (OH+KH-1)*OW) holds every input row
    /// once per kernel column. Kernel row kh's full-im2col rows are this matrix's window
    /// of OH*OW columns starting at kh*OW, so the convolution is KH GEMMs over shifted
    /// windows of a matrix KH times smaller, and col2im folds only along the rows.
    private var rowGeometry: ConvGeometry?
    /// The weights as KH matrices (F, C*KW), one per kernel row, rebuilt from `weight`
    /// at every pass.
    private var rowWeights = Tensor(shape: [0])
    /// Per group: the weight gradient in `rowWeights`' layout.
    private var rowGradients: [Tensor] = []
    /// Most groups a batch is split into: the most workers a layer can use. A constant, not
    /// the thread count, so that results never depend on the thread count.
    public static let maxGroups = 4

    /// How a batch of `images` is cut: `chunkCount` chunks of `chunk` images (the last
    /// may be shorter), chunk c handled by group c % groups. Used for the im2col chunks and
    /// the Winograd chunks alike.
    struct Plan {
        var images = 0, chunk = 1, chunkCount = 0, groups = 1

        init() {}

        /// Equal chunks of at most `most` images (64 images with room for 18 go as 4 x 16,
        /// not 18+18+18+10), so that the groups get equal work.
        init(images n: Int, most: Int) {
            images = n
            guard n > 0 else { return }
            let limit = max(1, min(n, most))
            let count = (n + limit - 1) / limit
            chunk = (n + count - 1) / count
            chunkCount = (n + chunk - 1) / chunk
            groups = min(chunkCount, Convolution.maxGroups)
        }

        /// Runs `body(group, worker, start, count)` for every chunk (its first image and
        /// image count), each group's chunks in order on one of `Parallel`'s workers.
        func forEachChunk(_ body: (_ group: Int, _ worker: Int, _ start: Int,
                                   _ count: Int) -> Void) {
            let p = self
            Parallel.forEach(groups) { group, worker in
                var c = group
                while c < p.chunkCount {
                    let start = c * p.chunk
                    body(group, worker, start, min(p.chunk, p.images - start))
                    c += p.groups
                }
            }
        }
    }

    private var geometry: ConvGeometry?
    private var plan = Plan()
    /// One per worker: the column matrix of the chunk at hand.
    private var columns: [Tensor] = []
    /// One per worker: the (F, chunk*P) GEMM result / gathered output gradient.
    private var products: [Tensor] = []
    /// One per worker when fused with max pooling: one image's output, or its gradient.
    private var imageOutputs: [Tensor] = []
    /// Weight and bias gradients of groups 1..<groups (group 0 writes the parameters').
    private var weightPartials: [Tensor] = []
    private var biasPartials: [Tensor] = []

    /// When passes go by Winograd F(2x2,3x3) (3x3 stride-1 layers only).
    public enum WinogradUse: Sendable {
        /// Where it measured faster (`winogradPays`, `winogradPaysForWeights`).
        case automatic
        /// Never: the direct method, to measure what Winograd gains.
        case never
        /// In every 3x3 stride-1 layer, for tests of the transforms on any shape.
        case always
    }
    public var winograd = WinogradUse.automatic { didSet { plan = Plan() } }
    /// Target output tiles per Winograd chunk (images * tiles per image).
    public var winogradTiles = 256 { didSet { plan = Plan() } }
    private struct WinogradPlan {
        var forward: WinogradShape, adjoint: WinogradShape, chunks: Plan
        /// Which passes run Winograd: forward and input gradient together (they share the
        /// tile geometry and their rule), the weight gradient on its own rule.
        var data: Bool, weights: Bool
    }
    private var winogradPlan: WinogradPlan?
    private var transformedFilters = Tensor(shape: [0])
    private var transformedAdjoint = Tensor(shape: [0])
    /// Per worker: transformed inputs and the 16 products of one Winograd chunk.
    private var winogradInputs: [Tensor] = []
    private var winogradProducts: [Tensor] = []
    private var winogradPlanes: [Tensor] = []
    /// Per group: the 16 (F, C) matrices of the transformed weight gradient.
    private var winogradGradients: [Tensor] = []

    public init(name: String, inputChannels: Int, filters: Int, kernel: Int, stride: Int = 1,
                padding: Int = 0, bias: Bool = true, biasLearningRateMultiplier: Float = 1,
                initialization: WeightInitialization = .xavier) {
        self.name = name; self.filters = filters; self.kernel = kernel
        self.stride = stride; self.padding = padding; self.initialization = initialization
        weight = Parameter(name: "\(name).weight", shape: [filters, inputChannels, kernel, kernel])
        self.bias = bias ? Parameter(name: "\(name).bias", shape: [filters],
                                     learningRateMultiplier: biasLearningRateMultiplier) : nil
    }

    public var parameters: [Parameter] { bias.map { [weight, $0] } ?? [weight] }
    public var inputChannels: Int { weight.value.shape[1] }

    public func initialize(using rng: inout RandomStream) {
        initialization.fill(weight.value, fanIn: inputChannels * kernel * kernel, rng: &rng)
        bias?.value.zero()
    }

    /// Pure shape arithmetic (Caffe's floor rule), without touching any buffer, so that
    /// composite layers can count work and check shapes before anything is sized.
    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        ((height + 2 * padding - kernel) / stride + 1, (width + 2 * padding - kernel) / stride + 1)
    }

    public func forwardMACs(inputShape: [Int]) -> Int {
        let (oh, ow) = outputSize(height: inputShape[2], width: inputShape[3])
        return inputShape[0] * filters * oh * ow * inputChannels * kernel * kernel
    }

    public func outputShape(for input: [Int]) -> [Int] {
        precondition(input.count == 4 && input[1] == inputChannels,
                     "\(name): expected (N, \(inputChannels), H, W), got \(input)")
        let g = ConvGeometry(channels: input[1], height: input[2], width: input[3],
                             kernel: kernel, stride: stride, pad: padding)
        if geometry != g { geometry = g; plan = Plan() }
        _ = plan(images: input[0])
        return [input[0], filters, g.outHeight, g.outWidth]
    }

    /// The plan for a batch of `n` images, sized on first use: forward and backward ask
    /// for the batch they are actually given, so a shape query for another batch size in
    /// between (a work count for one image) cannot make them skip images.
    private func plan(images n: Int) -> Plan {
        if plan.images == n { return plan }
        guard let g = geometry else { preconditionFailure("\(name): outputShape not called") }
        if n == 0 { plan = Plan(); return plan }
        let perImage = g.patchSize * g.outPlane
        let least = weight.value.count >= Self.largeWeights ? largeWeightColumns : minimumColumns
        let fill = (least + g.outPlane - 1) / g.outPlane
        let p = Plan(images: n, most: max(fill, columnBudget / max(1, perImage)))
        let chunk = p.chunk
        plan = p
        bandRows = g.outHeight
        if chunk == 1 && perImage > bandBudget {
            let most = max(1, bandBudget / (g.patchSize * g.outWidth))
            let bands = (g.outHeight + most - 1) / most
            bandRows = (g.outHeight + bands - 1) / bands
        }
        func grow(_ list: inout [Tensor], to count: Int, floats: Int) {
            Self.grow(&list, to: count, floats: floats)
        }
        // Scratch is per worker, not per group: one thread reuses one column buffer, which
        // then stays in L2 (four rotating 1 MiB buffers measured 10% slower on LeNet-5).
        let workers = Parallel.workers(for: p.groups)
        grow(&columns, to: workers, floats: chunk * g.patchSize * bandRows * g.outWidth)
        rowGeometry = nil
        let wantRows = kernelRows == .always
            || (kernelRows == .automatic && Self.kernelRowsPay(g))
        if chunk == 1 && g.strideH == 1 && g.strideW == 1 && g.kernelH > 1 && wantRows {
            rowGeometry = ConvGeometry(channels: g.channels, height: g.height, width: g.width,
                                       kernelH: 1, kernelW: g.kernelW, strideH: 1, strideW: 1,
                                       padH: g.padH, padW: g.padW)
            grow(&columns, to: workers, floats: g.channels * g.kernelW
                 * (bandRows + g.kernelH - 1) * g.outWidth)
            if rowWeights.capacity < weight.value.count {
                rowWeights = Tensor(shape: [weight.value.count])
            }
            grow(&rowGradients, to: p.groups, floats: weight.value.count)
        }
        if chunk > 1 { grow(&products, to: workers, floats: filters * chunk * g.outPlane) }
        grow(&weightPartials, to: p.groups - 1, floats: weight.value.count)
        if bias != nil { grow(&biasPartials, to: p.groups - 1, floats: filters) }
        winogradPlan = nil
        let applicable = kernel == 3 && stride == 1 && padding <= 2
        let wantData = winograd == .always
            || (winograd == .automatic && Self.winogradPays(g, filters: filters))
        let wantWeights = winograd == .always
            || (winograd == .automatic && Self.winogradPaysForWeights(g, filters: filters))
        if applicable && (wantData || wantWeights) {
            let c = g.channels
            let fwd = WinogradShape(channels: c, filters: filters, height: g.height,
                                    width: g.width, pad: padding)
            let adj = WinogradShape(channels: filters, filters: c, height: g.outHeight,
                                    width: g.outWidth, pad: 2 - padding)
            let tiles = max(fwd.tilesPerImage, adj.tilesPerImage)
            let w = WinogradPlan(forward: fwd, adjoint: adj,
                                 chunks: Plan(images: n, most: winogradTiles / tiles),
                                 data: wantData, weights: wantWeights)
            winogradPlan = w
            let floats = 16 * max(c, filters) * w.chunks.chunk * tiles
            let wk = Parallel.workers(for: w.chunks.groups)
            grow(&winogradInputs, to: wk, floats: floats)
            grow(&winogradProducts, to: wk, floats: floats)
            // A single chunk's weight-gradient transforms are split across all workers.
            let planes = w.chunks.chunkCount == 1 ? Parallel.workers(for: Self.maxGroups) : wk
            grow(&winogradPlanes, to: planes, floats: max(winogradPaddedPlaneSize(fwd),
                                                      winogradPaddedPlaneSize(adj)))
            grow(&winogradGradients, to: w.chunks.groups, floats: 16 * c * filters)
            if transformedFilters.capacity < 16 * c * filters {
                transformedFilters = Tensor(shape: [16 * c * filters])
                transformedAdjoint = Tensor(shape: [16 * c * filters])
            }
        }
        return p
    }

    /// Where Winograd F(2x2,3x3) beats im2col + GEMM (measured with `imbench bench
    /// --layers` against `--no-winograd`): 3x3 stride-1 layers with enough channels that
    /// the 16 GEMMs dominate the tile transforms (All-CNN's 3-channel conv1 is 3x slower
    /// by Winograd) and outputs at least 16 wide, since the transforms work on eight tiles
    /// of a row at once (All-CNN's 6x6 conv7 is 1.4x slower by Winograd, ResNet's 8x8
    /// blocks about 5% slower). Tiles per chunk: 128 and 256 measured alike on All-CNN,
    /// 512 4% and 1024 10% slower.
    static func winogradPays(_ g: ConvGeometry, filters: Int) -> Bool {
        g.channels >= 16 && filters >= 16 && g.outWidth >= 16
    }

    /// Where the Winograd weight gradient beats im2col + GEMM (`scripts/bench-kernels`,
    /// backward-weights): on smaller maps than the forward, because its 16 GEMMs sum over
    /// tiles (a long inner dimension) and only the cheap dY transform is added.
    /// ResNet-10's 8x8 blocks: 57 -> 44 ms per batch of 64, 4x4 blocks: 62 -> 42 ms.
    static func winogradPaysForWeights(_ g: ConvGeometry, filters: Int) -> Bool {
        g.channels >= 16 && filters >= 16 && g.outWidth >= 4
    }

    /// Where splitting kernel rows beats one GEMM over the full column matrix (measured
    /// with `imbench bench --layers` against `--no-kernel-rows`): stride-1 layers whose
    /// GEMMs keep an inner dimension C*KW of at least 64.
    static func kernelRowsPay(_ g: ConvGeometry) -> Bool {
        g.channels * g.kernelW >= 64
    }

    /// Whether this layer's direct passes split kernel rows (after `outputShape`).
    public var usesKernelRows: Bool { rowGeometry != nil }

    /// Copies between `weight`'s layout W[f, c, kh, kw] and the kernel-row layout
    /// R[kh][f, c*KW + kw]: the weights into `rowWeights` before a pass (`toRows`), the
    /// summed gradient from `rowGradients[0]` back after backward.
    private func copyKernelRows(_ g: ConvGeometry, toRows: Bool) {
        let w = toRows ? weight.value.pointer : weight.gradient.pointer
        let r = toRows ? rowWeights.pointer : rowGradients[0].pointer
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

    /// Calls `body(band, index)` for the bands of output rows of one image, in order.
    @inline(__always)
    private func forEachBand(_ g: ConvGeometry, _ body: (Range<Int>, Int) -> Void) {
        var y = 0, index = 0
        while y < g.outHeight {
            let end = min(g.outHeight, y + bandRows)
            body(y..<end, index)
            y = end; index += 1
        }
    }

    /// At least `count` buffers of at least `floats` floats in `list`.
    private static func grow(_ list: inout [Tensor], to count: Int, floats: Int) {
        for i in 0..<count {
            if i < list.count {
                if list[i].capacity < floats { list[i] = Tensor(shape: [floats]) }
            } else {
                list.append(Tensor(shape: [floats]))
            }
        }
    }

    /// Whether this layer's forward and input gradient run Winograd for its current input
    /// (after `outputShape`).
    public var usesWinograd: Bool { winogradPlan?.data ?? false }
    /// Whether its weight gradient does.
    public var usesWinogradForWeights: Bool { winogradPlan?.weights ?? false }

    /// Runs a Winograd convolution of `source` (shape `s`) with transformed filters `u`
    /// into `destination`, chunk by chunk on the workers.
    private func winogradConvolve(_ source: UnsafePointer<Float>, _ s: WinogradShape,
                                  chunks: Plan, u: UnsafePointer<Float>,
                                  bias: UnsafePointer<Float>?,
                                  into destination: UnsafeMutablePointer<Float>) {
        let inImage = s.channels * s.height * s.width
        let outImage = s.filters * s.outHeight * s.outWidth
        chunks.forEachChunk { _, worker, start, count in
            let v = winogradInputs[worker].pointer, m = winogradProducts[worker].pointer
            winogradTransformInput(source + start * inImage, images: count, s,
                                   scratch: winogradPlanes[worker].pointer, into: v)
            winogradMultiply(u, v, filters: s.filters, channels: s.channels,
                             columns: count * s.tilesPerImage, into: m)
            winogradTransformOutput(m, images: count, s, bias: bias,
                                    into: destination + start * outImage)
        }
    }

    public func forward(_ input: Tensor, into output: Tensor, context: inout ForwardContext) {
        forward(input, output: output.pointer, pooling: nil)
    }

    /// Max pooling fused after this convolution (`Network.fusesConvolutionPooling`): the
    /// pooling layer and the batch's pooled output, or its gradient in backward.
    private struct Pooling {
        let layer: MaxPool
        let batch: UnsafeMutablePointer<Float>
    }

    /// Whether `Network` may run this convolution and the max pooling after it as one pass
    /// for a batch of `n`: the direct method with one image per chunk.
    func canFusePooling(images n: Int) -> Bool {
        guard geometry != nil, n > 0 else { return false }
        let p = plan(images: n)
        guard p.chunk == 1, winogradPlan == nil, let g = geometry else { return false }
        Self.grow(&imageOutputs, to: Parallel.workers(for: p.groups), floats: filters * g.outPlane)
        return true
    }

    /// Forward, then max pooling of each image as soon as it is computed, into `pooled`.
    func forward(_ input: Tensor, pooledBy pool: MaxPool, into pooled: Tensor) {
        forward(input, output: nil, pooling: Pooling(layer: pool, batch: pooled.pointer))
    }

    private func forward(_ input: Tensor, output y: UnsafeMutablePointer<Float>?,
                         pooling: Pooling?) {
        guard let g = geometry else { preconditionFailure("\(name): outputShape not called") }
        let p = plan(images: input.shape[0])
        let inSize = g.channels * g.inPlane, outPlane = g.outPlane, patch = g.patchSize
        let x = input.pointer, w = weight.value.pointer
        let b = bias?.value.pointer
        if let wp = winogradPlan, wp.data {
            winogradTransformFilters(w, filters: filters, channels: g.channels, adjoint: false,
                                     into: transformedFilters.pointer)
            winogradConvolve(x, wp.forward, chunks: wp.chunks, u: transformedFilters.pointer,
                             bias: b, into: y!)
            return
        }
        if rowGeometry != nil { copyKernelRows(g, toRows: true) }
        p.forEachChunk { _, worker, start, m in
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
                forEachBand(g) { band, _ in
                    let n = band.count * g.outWidth
                    let out = dst + band.lowerBound * g.outWidth
                    if let g1 = rowGeometry {
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
                    BLAS.sgemm(transA: false, transB: false, m: filters, n: n, k: patch,
                               alpha: 1, a: w, lda: patch, b: col, ldb: n,
                               beta: 0, c: out, ldc: outPlane)
                }
                if let b {
                    for f in 0..<filters {
                        addScalar(dst + f * outPlane, b[f], dst + f * outPlane,
                                  count: outPlane)
                    }
                }
                pooling?.layer.pool(images: start, count: 1, from: dst, into: pooling!.batch)
            } else {
                let product = products[worker].pointer
                BLAS.sgemm(transA: false, transB: false, m: filters, n: ld, k: patch,
                           alpha: 1, a: w, lda: patch, b: col, ldb: ld,
                           beta: 0, c: product, ldc: ld)
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

    /// The weight gradient by Winograd: per chunk, the input tiles (V, as in forward) and
    /// the output gradient's tiles (Z) give dU += Z V^T in 16 GEMMs with 2.25 times fewer
    /// multiplies than im2col + GEMM; groups sum their own dU, added in group order, and
    /// dW = G^T dU G at the end.
    private func winogradWeightGradient(_ x: UnsafePointer<Float>,
                                        _ dY: UnsafePointer<Float>, _ wp: WinogradPlan) {
        let s = wp.forward, chunks = wp.chunks, tiles = s.tilesPerImage
        let inImage = s.channels * s.height * s.width
        let outImage = s.filters * s.outHeight * s.outWidth
        if chunks.chunkCount == 1 {
            // The batch is one chunk (ResNet-10's 4x4 blocks): its transforms are split by
            // channels and filters (each plane computed alike) and its 16 GEMMs dealt out,
            // so that every worker has a share.
            let v = winogradInputs[0].pointer, z = winogradProducts[0].pointer
            let pieces = Convolution.maxGroups
            Parallel.forEach(pieces) { piece, worker in
                let scratch = winogradPlanes[worker].pointer
                winogradTransformInput(x, images: chunks.images, s, scratch: scratch, into: v,
                                       channels: Parallel.range(piece, of: pieces,
                                                                total: s.channels))
                winogradTransformOutputGradient(dY, images: chunks.images, s, scratch: scratch,
                                                into: z,
                                                filters: Parallel.range(piece, of: pieces,
                                                                        total: s.filters))
            }
            winogradMultiplyGradient(z, v, filters: s.filters, channels: s.channels,
                                     columns: chunks.images * tiles, accumulate: false,
                                     spread: true, into: winogradGradients[0].pointer)
            winogradTransformFilterGradient(winogradGradients[0].pointer, filters: s.filters,
                                            channels: s.channels,
                                            into: weight.gradient.pointer)
            return
        }
        chunks.forEachChunk { group, worker, start, count in
            let v = winogradInputs[worker].pointer, z = winogradProducts[worker].pointer
            let scratch = winogradPlanes[worker].pointer
            winogradTransformInput(x + start * inImage, images: count, s, scratch: scratch,
                                   into: v)
            winogradTransformOutputGradient(dY + start * outImage, images: count, s,
                                            scratch: scratch, into: z)
            winogradMultiplyGradient(z, v, filters: s.filters, channels: s.channels,
                                     columns: count * tiles,
                                     accumulate: start != group * chunks.chunk,
                                     into: winogradGradients[group].pointer)
        }
        let du = winogradGradients[0].pointer, count = 16 * s.filters * s.channels
        for group in 1..<max(1, chunks.groups) {
            accumulate(winogradGradients[group].pointer, into: du, count: count)
        }
        winogradTransformFilterGradient(du, filters: s.filters, channels: s.channels,
                                        into: weight.gradient.pointer)
    }

    public func backward(input: Tensor, output: Tensor, outputGradient: Tensor,
                         inputGradient: Tensor?) {
        backward(input: input, outputGradient: outputGradient.pointer, pooling: nil,
                 inputGradient: inputGradient)
    }

    /// Backward through the fused max pooling and this convolution: each image's output
    /// gradient is unpooled from `pooledGradient` into a worker's buffer and used at once.
    func backward(input: Tensor, pooledBy pool: MaxPool, pooledGradient: Tensor,
                  inputGradient: Tensor?) {
        backward(input: input, outputGradient: nil,
                 pooling: Pooling(layer: pool, batch: pooledGradient.pointer),
                 inputGradient: inputGradient)
    }

    private func backward(input: Tensor, outputGradient dYAll: UnsafePointer<Float>?,
                          pooling: Pooling?, inputGradient: Tensor?) {
        guard let g = geometry else { preconditionFailure("\(name): outputShape not called") }
        let p = plan(images: input.shape[0])
        let inSize = g.channels * g.inPlane, outPlane = g.outPlane, patch = g.patchSize
        let x = input.pointer, w = weight.value.pointer
        let winograd = winogradPlan
        // Passes that go by Winograd are their own loops after this one, which always
        // does the bias gradient.
        let needWeight = weight.isTrainable && !(winograd?.weights ?? false)
        let dX = (winograd?.data ?? false) ? nil : inputGradient?.pointer
        let rows = rowGeometry
        if rows != nil && dX != nil { copyKernelRows(g, toRows: true) }
        p.forEachChunk { group, worker, start, m in
            let dW = rows != nil ? rowGradients[group].pointer
                : group == 0 ? weight.gradient.pointer : weightPartials[group - 1].pointer
            let dB = bias == nil ? nil
                : group == 0 ? bias!.gradient.pointer : biasPartials[group - 1].pointer
            // A group's first chunk overwrites its gradients, later ones add to them.
            let first = start == group * p.chunk
            if first { dB?.update(repeating: 0, count: filters) }
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
            if let dB {
                for f in 0..<filters { dB[f] += sum(dY + f * ld, count: ld) }
            }
            if m == 1 {
                // Band by band (one band unless the image is large): dW accumulates over
                // the bands in order, dX receives each band's fold.
                let image = x + start * inSize, dXImage = dX.map { $0 + start * inSize }
                dXImage?.update(repeating: 0, count: inSize)
                forEachBand(g) { band, index in
                    let n = band.count * g.outWidth
                    let dYBand = dY + band.lowerBound * g.outWidth
                    if let g1 = rows {
                        // Kernel rows: the column window kh*OW.. of each GEMM, as forward.
                        let (span, ld) = kernelRowSpan(band, g)
                        let ckw = g1.patchSize
                        if needWeight {
                            _ = unfoldKernelRows(image, g, g1, band, into: col)
                            for kh in 0..<g.kernelH {
                                BLAS.sgemm(transA: false, transB: true, m: filters, n: ckw, k: n,
                                           alpha: 1, a: dYBand, lda: outPlane,
                                           b: col + kh * g.outWidth, ldb: ld,
                                           beta: first && index == 0 ? 0 : 1,
                                           c: dW + kh * filters * ckw, ldc: ckw)
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
                    if needWeight {
                        im2col(image, g, col, ldCol: n, rows: band)
                        BLAS.sgemm(transA: false, transB: true, m: filters, n: patch, k: n,
                                   alpha: 1, a: dYBand, lda: outPlane, b: col, ldb: n,
                                   beta: first && index == 0 ? 0 : 1, c: dW, ldc: patch)
                    }
                    if let dXImage {
                        BLAS.sgemm(transA: true, transB: false, m: patch, n: n, k: filters,
                                   alpha: 1, a: w, lda: patch, b: dYBand, ldb: outPlane,
                                   beta: 0, c: col, ldc: n)
                        col2im(col, ldCol: n, g, dXImage, rows: band)
                    }
                }
                return
            }
            // Several small images side by side.
            if needWeight {
                for i in 0..<m {
                    im2col(x + (start + i) * inSize, g, col + i * outPlane, ldCol: ld)
                }
                // dW (F, patch) (+)= dY (F, ld) * col^T (ld, patch)
                BLAS.sgemm(transA: false, transB: true, m: filters, n: patch, k: ld,
                           alpha: 1, a: dY, lda: ld, b: col, ldb: ld,
                           beta: first ? 0 : 1, c: dW, ldc: patch)
            }
            if let dX {
                // dCol (patch, ld) = W^T (patch, F) * dY (F, ld), in the column buffer.
                BLAS.sgemm(transA: true, transB: false, m: patch, n: ld, k: filters,
                           alpha: 1, a: w, lda: patch, b: dY, ldb: ld,
                           beta: 0, c: col, ldc: ld)
                for i in 0..<m {
                    col2im(col + i * outPlane, ldCol: ld, g, dX + (start + i) * inSize)
                }
            }
        }
        if let wp = winograd, wp.weights, weight.isTrainable {
            winogradWeightGradient(x, dYAll!, wp)
        }
        if let wp = winograd, wp.data, let dXAll = inputGradient?.pointer {
            winogradTransformFilters(w, filters: filters, channels: g.channels, adjoint: true,
                                     into: transformedAdjoint.pointer)
            winogradConvolve(dYAll!, wp.adjoint, chunks: wp.chunks,
                             u: transformedAdjoint.pointer, bias: nil, into: dXAll)
        }
        if rows != nil && needWeight {
            for group in 1..<max(1, p.groups) {
                accumulate(rowGradients[group].pointer, into: rowGradients[0].pointer,
                           count: weight.value.count)
            }
            copyKernelRows(g, toRows: false)
        }
        // Groups' gradients, added in group order.
        for group in 1..<max(1, p.groups) {
            if needWeight && rows == nil {
                accumulate(weightPartials[group - 1].pointer, into: weight.gradient.pointer,
                           count: weight.value.count)
            }
            if let bias {
                addShort(biasPartials[group - 1].pointer, bias.gradient.pointer,
                         count: filters)
            }
        }
    }
}
