import ImbalanceKernels
import ImbalanceNN
import ImbalanceRandom
import ImbalanceReferences

/// One timed operation of a workload. Its closures hold their workload (and so its buffers)
/// alive, so a pass stays valid after the workload's own variable is gone.
public struct Pass {
    public let name: String
    /// Floating-point operations of one run (a multiply-accumulate counts two); 0 for pure
    /// data movement.
    public let flops: Double
    /// The fewest bytes one run must read and write, for the memory-bound kernels.
    public let bytes: Double
    /// Untimed work before every timed run that leaves the layer as training would (the
    /// forward pass before a backward pass, which the backward pass reads from).
    public let prepare: () -> Void
    public let run: () -> Void

    public init(name: String, flops: Double, bytes: Double, prepare: @escaping () -> Void,
                run: @escaping () -> Void) {
        self.name = name; self.flops = flops; self.bytes = bytes
        self.prepare = prepare; self.run = run
    }
}

public enum Family: String, Codable, Sendable, CaseIterable {
    case conv, pool, unfold, sgemm
}

/// Kernels grouped with the buffers they share. Building one allocates; `verified()` checks
/// every kernel against its reference and only then hands out the passes to time, so no
/// code path can time an unchecked kernel.
public protocol Workload: AnyObject {
    func verified() throws -> (checks: [Check], passes: [Pass])
}

/// A catalogue entry: what a workload is, and how to build it when it is its turn (the
/// largest All-CNN layer at batch 256 needs 400 MB, so workloads are built one at a time).
public struct WorkloadSpec: Sendable {
    public let family: Family
    public let id: String
    public let network: String
    public let layer: String
    public let shape: String
    public let passNames: [String]
    public let make: @Sendable () -> Workload

    /// The name every benchmark and filter uses, for example "conv/allcnn.conv2.b64/forward".
    public func caseName(_ pass: String) -> String { "\(family.rawValue)/\(id)/\(pass)" }
}

/// Uniform in [-scale, scale).
func fill(_ p: UnsafeMutablePointer<Float>, _ count: Int, _ rng: inout RandomStream,
          scale: Float = 1) {
    for i in 0..<count { p[i] = (2 * rng.uniformFloat() - 1) * scale }
}

// MARK: - Convolution

/// The engine's `Convolution` layer at one shape: forward, backward without the input
/// gradient (weights and bias only) and the full backward pass, plus the exact sequence of
/// sgemm calls each pass issues, timed alone, to show how much of a pass is GEMM.
///
/// The layer verified is the layer timed: it is first set up for a small batch that still
/// spans two column chunks (so the chunk loop, the partial last chunk and the accumulation
/// of the weight gradient across chunks are all exercised), compared with the references,
/// then set up again for the benchmark batch.
public final class ConvolutionWorkload: Workload {
    public let shape: ConvShape
    public let layer: Convolution
    let input: Tensor, output: Tensor, outputGradient: Tensor, inputGradient: Tensor
    var context = ForwardContext(training: true, dropoutRNG: RandomStream(seed: 0))
    var rng: RandomStream
    /// Images per column chunk at the benchmark batch, as the layer's plan has it.
    public let chunk: Int
    /// The smallest batch that still uses more than one column chunk, when the benchmark
    /// batch does (the benchmark batch otherwise).
    public let verificationBatch: Int
    // Buffers of the GEMM-only passes, sized as the layer's own.
    let gemmWeight: UnsafeMutablePointer<Float>
    let gemmColumn: UnsafeMutablePointer<Float>
    let gemmProduct: UnsafeMutablePointer<Float>
    let gemmWeightGradient: UnsafeMutablePointer<Float>

    /// `tuning` differs from the layer's default only in tests, to force several chunks on
    /// shapes small enough to check quickly.
    public init(_ s: ConvShape, seed: UInt64 = 1, tuning: ConvolutionTuning = .standard) {
        shape = s
        rng = RandomStream(seed: seed, label: s.id)
        layer = Convolution(name: s.id, inputChannels: s.inputChannels, filters: s.filters,
                            kernel: s.kernel, stride: s.stride, padding: s.padding,
                            tuning: tuning)
        layer.initialize(using: &rng)
        input = Tensor(shape: [s.batch, s.inputChannels, s.height, s.width])
        output = Tensor(shape: [s.batch, s.filters, s.outHeight, s.outWidth])
        outputGradient = Tensor(shape: output.shape)
        inputGradient = Tensor(shape: input.shape)
        fill(input.pointer, input.count, &rng)
        fill(outputGradient.pointer, outputGradient.count, &rng)
        let layer = self.layer
        func chunks(_ n: Int) -> ChunkPlan {
            layer.plan(for: [n, s.inputChannels, s.height, s.width]).chunks
        }
        chunk = chunks(s.batch).chunk
        verificationBatch = (1...s.batch).first { chunks($0).chunkCount > 1 } ?? s.batch
        let weights = s.filters * s.patchSize, columns = chunk * s.outPlane
        gemmWeight = .allocate(capacity: weights)
        gemmWeightGradient = .allocate(capacity: weights)
        gemmColumn = .allocate(capacity: s.patchSize * columns)
        gemmProduct = .allocate(capacity: s.filters * columns)
        fill(gemmWeight, weights, &rng)
        fill(gemmColumn, s.patchSize * columns, &rng)
        fill(gemmProduct, s.filters * columns, &rng)
        gemmWeightGradient.initialize(repeating: 0, count: weights)
        // Non-zero biases, so that a bias added twice or not at all shows.
        fill(bias.value.pointer, s.filters, &rng, scale: 0.5)
    }

    /// The layer's bias. Typed through an optional so that this compiles whether the engine
    /// declares the bias optional (layers followed by batch normalisation have none) or not.
    var bias: Parameter {
        let b: Parameter? = layer.bias
        guard let b else { preconditionFailure("\(shape.id): the benchmarked layer has a bias") }
        return b
    }

    deinit {
        gemmWeight.deallocate(); gemmWeightGradient.deallocate()
        gemmColumn.deallocate(); gemmProduct.deallocate()
    }

    /// The GEMM of each pass, per full chunk: forward W·col, weight gradient dY·colᵀ, input
    /// gradient Wᵀ·dY.
    public var gemms: (forward: GemmShape, weights: GemmShape, data: GemmShape) {
        let s = shape, ld = chunk * s.outPlane
        return (GemmShape(m: s.filters, n: ld, k: s.patchSize),
                GemmShape(m: s.filters, n: s.patchSize, k: ld, transB: true),
                GemmShape(m: s.patchSize, n: ld, k: s.filters, transA: true))
    }

    public func verified() throws -> (checks: [Check], passes: [Pass]) {
        var checks = try verifyLayer()
        checks += try verifyGemms()
        layer.reserve(for: input.shape)
        return (checks, passes)
    }

    private func verifyLayer() throws -> [Check] {
        let s = shape, n = verificationBatch
        let id = s.id, coverage = "N=\(n)"
        let x = Tensor(shape: [n, s.inputChannels, s.height, s.width])
        let dy = Tensor(shape: [n, s.filters, s.outHeight, s.outWidth])
        let y = Tensor(shape: dy.shape), dx = Tensor(shape: x.shape)
        fill(x.pointer, x.count, &rng)
        fill(dy.pointer, dy.count, &rng)
        precondition(layer.outputShape(for: x.shape) == y.shape, "\(id): unexpected output shape")
        layer.reserve(for: x.shape)
        let w = layer.weight.value.pointer, b = bias.value.pointer
        let r = s.reference
        let wantY = Reference.convolutionForward(r, batch: n, x: x.pointer, w: w, b: b)
        let wantDX = Reference.convolutionInputGradient(r, batch: n, dy: dy.pointer, w: w)
        let (wantDW, wantDB) = Reference.convolutionWeightGradient(r, batch: n, x: x.pointer,
                                                                   dy: dy.pointer)
        var checks: [Check] = []
        layer.forward(x, into: y, context: &context)
        checks.append(try check(id, "forward output", coverage: coverage, y.pointer, wantY))
        // Weights only: the pass timed as backward-weights.
        layer.backward(input: x, output: y, outputGradient: dy, inputGradient: nil)
        checks.append(try check(id, "weight gradient (weights-only backward)", coverage: coverage,
                                layer.weight.gradient.pointer, wantDW))
        checks.append(try check(id, "bias gradient (weights-only backward)", coverage: coverage,
                                bias.gradient.pointer, wantDB))
        // The full backward pass, after a fresh forward as in training.
        layer.forward(x, into: y, context: &context)
        layer.backward(input: x, output: y, outputGradient: dy, inputGradient: dx)
        checks.append(try check(id, "input gradient", coverage: coverage, dx.pointer, wantDX))
        checks.append(try check(id, "weight gradient (full backward)", coverage: coverage,
                                layer.weight.gradient.pointer, wantDW))
        checks.append(try check(id, "bias gradient (full backward)", coverage: coverage,
                                bias.gradient.pointer, wantDB))
        return checks
    }

    private func verifyGemms() throws -> [Check] {
        let s = shape, ld = chunk * s.outPlane, patch = s.patchSize
        let g = gemms
        var checks: [Check] = []
        // Each product on fresh random operands, checked on sampled entries.
        BLAS.sgemm(transA: false, transB: false, m: s.filters, n: ld, k: patch, alpha: 1,
                   a: gemmWeight, lda: patch, b: gemmColumn, ldb: ld, beta: 0,
                   c: gemmProduct, ldc: ld)
        checks.append(try checkGemm(g.forward, a: gemmWeight, lda: patch, b: gemmColumn, ldb: ld,
                                    c: gemmProduct, ldc: ld, what: "GEMM alone, forward"))
        fill(gemmProduct, s.filters * ld, &rng)
        BLAS.sgemm(transA: false, transB: true, m: s.filters, n: patch, k: ld, alpha: 1,
                   a: gemmProduct, lda: ld, b: gemmColumn, ldb: ld, beta: 0,
                   c: gemmWeightGradient, ldc: patch)
        checks.append(try checkGemm(g.weights, a: gemmProduct, lda: ld, b: gemmColumn, ldb: ld,
                                    c: gemmWeightGradient, ldc: patch,
                                    what: "GEMM alone, weight gradient"))
        BLAS.sgemm(transA: true, transB: false, m: patch, n: ld, k: s.filters, alpha: 1,
                   a: gemmWeight, lda: patch, b: gemmProduct, ldb: ld, beta: 0,
                   c: gemmColumn, ldc: ld)
        checks.append(try checkGemm(g.data, a: gemmWeight, lda: patch, b: gemmProduct, ldb: ld,
                                    c: gemmColumn, ldc: ld, what: "GEMM alone, input gradient"))
        return checks
    }

    private func checkGemm(_ g: GemmShape, a: UnsafePointer<Float>, lda: Int,
                           b: UnsafePointer<Float>, ldb: Int, c: UnsafePointer<Float>, ldc: Int,
                           what: String) throws -> Check {
        try sampledGemmCheck(shape.id, what, g, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc,
                             rng: &rng)
    }

    private var passes: [Pass] {
        let s = shape, flops = s.flops
        let layer = self.layer, x = input, y = output, dy = outputGradient, dx = inputGradient
        let forward: () -> Void = {
            layer.forward(x, into: y, context: &self.context)
        }
        let chunk = self.chunk, batch = s.batch, outPlane = s.outPlane, patch = s.patchSize
        let f = s.filters
        let w = gemmWeight, col = gemmColumn, prod = gemmProduct, dw = gemmWeightGradient
        return [
            Pass(name: "forward", flops: flops, bytes: 0, prepare: {}, run: forward),
            Pass(name: "backward-weights", flops: flops, bytes: 0, prepare: forward, run: {
                layer.backward(input: x, output: y, outputGradient: dy, inputGradient: nil)
            }),
            Pass(name: "backward", flops: 2 * flops, bytes: 0, prepare: forward, run: {
                layer.backward(input: x, output: y, outputGradient: dy, inputGradient: dx)
            }),
            Pass(name: "gemm-forward", flops: flops, bytes: 0, prepare: {}, run: {
                var start = 0
                while start < batch {
                    let ld = min(chunk, batch - start) * outPlane
                    BLAS.sgemm(transA: false, transB: false, m: f, n: ld, k: patch, alpha: 1,
                               a: w, lda: patch, b: col, ldb: ld, beta: 0, c: prod, ldc: ld)
                    start += chunk
                }
            }),
            Pass(name: "gemm-weights", flops: flops, bytes: 0, prepare: {}, run: {
                var start = 0
                while start < batch {
                    let ld = min(chunk, batch - start) * outPlane
                    BLAS.sgemm(transA: false, transB: true, m: f, n: patch, k: ld, alpha: 1,
                               a: prod, lda: ld, b: col, ldb: ld, beta: start == 0 ? 0 : 1,
                               c: dw, ldc: patch)
                    start += chunk
                }
            }),
            Pass(name: "gemm-data", flops: flops, bytes: 0, prepare: {}, run: {
                var start = 0
                while start < batch {
                    let ld = min(chunk, batch - start) * outPlane
                    BLAS.sgemm(transA: true, transB: false, m: patch, n: ld, k: f, alpha: 1,
                               a: w, lda: patch, b: prod, ldb: ld, beta: 0, c: col, ldc: ld)
                    start += chunk
                }
            }),
        ]
    }

    public static let passNames = ["forward", "backward-weights", "backward",
                                   "gemm-forward", "gemm-weights", "gemm-data"]
}

/// Checks up to 64 entries of C (all of them for small products), at random positions
/// that always include the corners, against `Reference.gemmEntry`.
func sampledGemmCheck(_ id: String, _ what: String, _ g: GemmShape,
                      a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                      c: UnsafePointer<Float>, ldc: Int, rng: inout RandomStream) throws -> Check {
    var positions: [(Int, Int)] = []
    if g.m * g.n <= 64 {
        for i in 0..<g.m { for j in 0..<g.n { positions.append((i, j)) } }
    } else {
        positions = [(0, 0), (0, g.n - 1), (g.m - 1, 0), (g.m - 1, g.n - 1)]
        while positions.count < 64 {
            positions.append((rng.uniformInt(below: g.m), rng.uniformInt(below: g.n)))
        }
    }
    var got: [Float] = [], want: [Double] = []
    for (i, j) in positions {
        got.append(c[i * ldc + j])
        want.append(Reference.gemmEntry(g, a: a, lda: lda, b: b, ldb: ldb, row: i, column: j))
    }
    return try got.withUnsafeBufferPointer {
        try check(id, "\(what) (\(g.description))", coverage: "\(positions.count) entries",
                  $0.baseAddress!, want)
    }
}

// MARK: - Pooling

/// The engine's `MaxPool` layer: forward (max and argmax) and backward (the scatter of the
/// output gradient). Pooling is small enough to verify at the benchmark batch itself.
public final class PoolWorkload: Workload {
    public let shape: PoolShape
    let layer: MaxPool
    let input: Tensor, output: Tensor, outputGradient: Tensor, inputGradient: Tensor
    var context = ForwardContext(training: true, dropoutRNG: RandomStream(seed: 0))

    public init(_ s: PoolShape, seed: UInt64 = 1) {
        shape = s
        var rng = RandomStream(seed: seed, label: s.id)
        layer = MaxPool(name: s.id, kernel: s.kernel, stride: s.stride)
        input = Tensor(shape: [s.batch, s.channels, s.height, s.width])
        output = Tensor(shape: [s.batch, s.channels, s.outHeight, s.outWidth])
        outputGradient = Tensor(shape: output.shape)
        inputGradient = Tensor(shape: input.shape)
        fill(input.pointer, input.count, &rng)
        fill(outputGradient.pointer, outputGradient.count, &rng)
    }

    public func verified() throws -> (checks: [Check], passes: [Pass]) {
        let s = shape
        precondition(layer.outputShape(for: input.shape) == output.shape,
                     "\(s.id): unexpected pooled shape")
        layer.reserve(for: input.shape)
        let want = Reference.maxPool(s.reference, x: input.pointer, dy: outputGradient.pointer)
        layer.forward(input, into: output, context: &context)
        layer.backward(input: input, output: output, outputGradient: outputGradient,
                       inputGradient: inputGradient)
        let coverage = "N=\(s.batch)"
        let checks = [
            try check(s.id, "pooled output", coverage: coverage, output.pointer, want.output),
            try check(s.id, "input gradient", coverage: coverage, inputGradient.pointer,
                      want.inputGradient),
        ]
        let layer = self.layer, x = input, y = output, dy = outputGradient, dx = inputGradient
        let forward: () -> Void = {
            layer.forward(x, into: y, context: &self.context)
        }
        let window = Double(s.kernel * s.kernel - 1)
        let inBytes = 4 * Double(s.inputCount), outBytes = 4 * Double(s.outputCount)
        return (checks, [
            // A comparison per window element after the first; reads x, writes y and argmax.
            Pass(name: "forward", flops: window * Double(s.outputCount),
                 bytes: inBytes + 2 * outBytes, prepare: {}, run: forward),
            // One addition per output; reads dy and argmax, writes dx.
            Pass(name: "backward", flops: Double(s.outputCount), bytes: inBytes + 2 * outBytes,
                 prepare: forward, run: {
                     layer.backward(input: x, output: y, outputGradient: dy, inputGradient: dx)
                 }),
        ])
    }

    public static let passNames = ["forward", "backward"]
}

// MARK: - im2col / col2im

/// The engine's `im2col` and `col2im` over a whole batch, laid out as the convolution layer
/// lays them out: images side by side in the column chunks of its default plan.
public final class UnfoldWorkload: Workload {
    public let shape: ConvShape
    let geometry: ConvGeometry
    let chunk: Int
    let images: UnsafeMutablePointer<Float>
    let gradients: UnsafeMutablePointer<Float>
    let column: UnsafeMutablePointer<Float>
    var rng: RandomStream

    public init(_ s: ConvShape, seed: UInt64 = 1) {
        shape = s
        rng = RandomStream(seed: seed, label: "unfold." + s.id)
        geometry = ConvGeometry(channels: s.inputChannels, height: s.height, width: s.width,
                                kernel: s.kernel, stride: s.stride, pad: s.padding)
        precondition(geometry.outHeight == s.outHeight && geometry.outWidth == s.outWidth,
                     "\(s.id): the engine's output size differs from the catalogue's")
        // The chunk the layer itself uses at this batch, by its default plan.
        chunk = ConvolutionPlan(geometry: geometry, filters: s.filters, images: s.batch).chunks.chunk
        let inCount = s.batch * s.inputChannels * s.height * s.width
        images = .allocate(capacity: inCount)
        gradients = .allocate(capacity: inCount)
        gradients.initialize(repeating: 0, count: inCount)
        column = .allocate(capacity: s.patchSize * chunk * s.outPlane)
        fill(images, inCount, &rng)
        fill(column, s.patchSize * chunk * s.outPlane, &rng)
    }

    deinit { images.deallocate(); gradients.deallocate(); column.deallocate() }

    private func unfoldAll() {
        let g = geometry, inSize = g.channels * g.inPlane, plane = g.outPlane
        var start = 0
        while start < shape.batch {
            let m = min(chunk, shape.batch - start), ld = m * plane
            for i in 0..<m {
                im2col(images + (start + i) * inSize, g, column + i * plane, ldCol: ld)
            }
            start += m
        }
    }

    private func foldAll() {
        let g = geometry, inSize = g.channels * g.inPlane, plane = g.outPlane
        var start = 0
        while start < shape.batch {
            let m = min(chunk, shape.batch - start), ld = m * plane
            for i in 0..<m {
                col2im(column + i * plane, ldCol: ld, g, gradients + (start + i) * inSize)
            }
            start += m
        }
    }

    /// The images of the last chunk (partial when the batch does not divide evenly): what
    /// the column buffer holds after a whole-batch pass.
    private var lastChunk: (first: Int, count: Int) {
        let full = (shape.batch - 1) / chunk * chunk
        return (full, shape.batch - full)
    }

    /// One image's columns out of the chunk's shared matrix, made contiguous.
    private func gathered(image i: Int, ld: Int) -> [Float] {
        let s = shape
        var out = [Float](repeating: 0, count: s.patchSize * s.outPlane)
        for r in 0..<s.patchSize {
            for q in 0..<s.outPlane { out[r * s.outPlane + q] = column[r * ld + i * s.outPlane + q] }
        }
        return out
    }

    public func verified() throws -> (checks: [Check], passes: [Pass]) {
        let s = shape, inSize = s.inputChannels * s.height * s.width
        let (first, count) = lastChunk, ld = count * s.outPlane
        let coverage = "last chunk, \(count) of \(chunk) images"
        // Every image of the last chunk, compared as one block per kernel.
        foldAll()
        var wantFold: [Double] = []
        for i in 0..<count {
            wantFold += gathered(image: i, ld: ld).withUnsafeBufferPointer {
                Reference.col2im(s.reference, column: $0.baseAddress!)
            }
        }
        let fold = try check(s.id, "col2im", coverage: coverage, gradients + first * inSize,
                             wantFold)
        unfoldAll()
        var gotUnfold: [Float] = [], wantUnfold: [Double] = []
        for i in 0..<count {
            gotUnfold += gathered(image: i, ld: ld)
            wantUnfold += Reference.im2col(s.reference, image: images + (first + i) * inSize)
        }
        let unfold = try gotUnfold.withUnsafeBufferPointer {
            try check(s.id, "im2col", coverage: coverage, $0.baseAddress!, wantUnfold)
        }
        let checks = [fold, unfold]
        let inBytes = 4 * Double(s.batch * inSize)
        let columnBytes = 4 * Double(s.batch * s.patchSize * s.outPlane)
        return (checks, [
            Pass(name: "im2col", flops: 0, bytes: inBytes + columnBytes, prepare: {},
                 run: { self.unfoldAll() }),
            // col2im adds every column entry into the image it came from.
            Pass(name: "col2im", flops: Double(s.batch * s.patchSize * s.outPlane),
                 bytes: inBytes + columnBytes, prepare: {},
                 run: { self.foldAll() }),
        ])
    }

    public static let passNames = ["im2col", "col2im"]
}

// MARK: - sgemm

/// A plain sgemm on random operands, the machine's yardstick: OpenBLAS's (its kernel family
/// pinned as for the engine's ZCA fit), not the engine's own GEMM.
public final class GemmWorkload: Workload {
    public let shape: GemmShape
    let a: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>
    let c: UnsafeMutablePointer<Float>
    var rng: RandomStream

    public init(_ g: GemmShape, seed: UInt64 = 1) {
        precondition(!g.transA && !g.transB, "the yardstick is a plain A·B")
        shape = g
        rng = RandomStream(seed: seed, label: g.id)
        a = .allocate(capacity: g.m * g.k); b = .allocate(capacity: g.k * g.n)
        c = .allocate(capacity: g.m * g.n)
        fill(a, g.m * g.k, &rng); fill(b, g.k * g.n, &rng)
        c.initialize(repeating: 0, count: g.m * g.n)
    }

    deinit { a.deallocate(); b.deallocate(); c.deallocate() }

    public func run() {
        try! OpenBLAS.sgemm(transA: false, transB: false, m: shape.m, n: shape.n, k: shape.k, alpha: 1,
                            a: a, lda: shape.k, b: b, ldb: shape.n, beta: 0, c: c, ldc: shape.n)
    }

    public func verified() throws -> (checks: [Check], passes: [Pass]) {
        run()
        let g = shape
        let checks = [try sampledGemmCheck(g.id, "sgemm", g, a: a, lda: g.k, b: b, ldb: g.n,
                                           c: c, ldc: g.n, rng: &rng)]
        return (checks, [Pass(name: "sgemm", flops: g.flops, bytes: 0, prepare: {},
                              run: { self.run() })])
    }

    public static let passNames = ["sgemm"]
}

// MARK: - The suite

public enum Suite {
    /// Every workload, in report order: the square sgemm sizes, then each network's layers,
    /// then im2col/col2im alone.
    public static let all: [WorkloadSpec] = {
        var specs: [WorkloadSpec] = []
        for g in Catalogue.squares {
            specs.append(WorkloadSpec(family: .sgemm, id: "\(g.m)x\(g.n)x\(g.k)", network: "sgemm",
                                      layer: "square", shape: g.description,
                                      passNames: GemmWorkload.passNames,
                                      make: { GemmWorkload(g) }))
        }
        func conv(_ s: ConvShape) -> WorkloadSpec {
            WorkloadSpec(family: .conv, id: s.id, network: s.network, layer: s.layer,
                         shape: s.description, passNames: ConvolutionWorkload.passNames,
                         make: { ConvolutionWorkload(s) })
        }
        specs += Catalogue.lenet5.map(conv)
        for p in Catalogue.pools {
            specs.append(WorkloadSpec(family: .pool, id: p.id, network: p.network, layer: p.layer,
                                      shape: p.description, passNames: PoolWorkload.passNames,
                                      make: { PoolWorkload(p) }))
        }
        specs += Catalogue.allCNN.map(conv)
        specs += Catalogue.resnet10.map(conv)
        for s in Catalogue.unfoldings {
            specs.append(WorkloadSpec(family: .unfold, id: s.id, network: s.network, layer: s.layer,
                                      shape: s.description, passNames: UnfoldWorkload.passNames,
                                      make: { UnfoldWorkload(s) }))
        }
        return specs
    }()
}
