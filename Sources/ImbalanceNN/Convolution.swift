import ImbalanceKernels
import ImbalanceRandom

/// 2-D convolution as im2col + one GEMM per chunk of images (Caffe's approach, batched).
///
/// Input (N, C, H, W) -> output (N, F, OH, OW); weights (F, C, KH, KW), bias (F).
/// A chunk of images is unfolded side by side into one column matrix
/// (C*KH*KW, chunk*OH*OW), so a LeNet mini-batch is a single large GEMM instead of 64
/// small ones. When the whole batch fits one chunk, the column matrix of the forward pass
/// is kept for the weight gradient instead of being unfolded again.
public final class Convolution: Layer {
    public let name: String
    public let filters: Int
    public let kernel: Int
    public let stride: Int
    public let padding: Int
    public let weight: Parameter
    public let bias: Parameter
    /// Upper bound on the column buffer, in floats (default 1 MiB, so it stays in L2 between
    /// im2col and the GEMM that reads it; measured fastest for LeNet-5): bigger batches go in
    /// chunks, and the weight gradient then unfolds each chunk again.
    public var columnBudget = 262_144

    private var geometry: ConvGeometry?
    private var chunk = 1
    private var column = Tensor(shape: [0])
    private var product = Tensor(shape: [0])
    private var columnHoldsBatch = false

    public init(name: String, inputChannels: Int, filters: Int, kernel: Int, stride: Int = 1,
                padding: Int = 0, biasLearningRateMultiplier: Float = 1) {
        self.name = name; self.filters = filters; self.kernel = kernel
        self.stride = stride; self.padding = padding
        weight = Parameter(name: "\(name).weight", shape: [filters, inputChannels, kernel, kernel])
        bias = Parameter(name: "\(name).bias", shape: [filters],
                         learningRateMultiplier: biasLearningRateMultiplier)
    }

    public var parameters: [Parameter] { [weight, bias] }
    public var inputChannels: Int { weight.value.shape[1] }

    public func initialize(using rng: inout RandomStream) {
        Initializer.xavierUniform(weight.value, fanIn: inputChannels * kernel * kernel, rng: &rng)
        bias.value.zero()
    }

    public func outputShape(for input: [Int]) -> [Int] {
        precondition(input.count == 4 && input[1] == inputChannels,
                     "\(name): expected (N, \(inputChannels), H, W), got \(input)")
        let g = ConvGeometry(channels: input[1], height: input[2], width: input[3],
                             kernel: kernel, stride: stride, pad: padding)
        geometry = g
        let n = input[0]
        chunk = max(1, min(n, columnBudget / max(1, g.patchSize * g.outPlane)))
        if column.capacity < g.patchSize * chunk * g.outPlane {
            column = Tensor(shape: [g.patchSize, chunk * g.outPlane])
        }
        if product.capacity < filters * chunk * g.outPlane {
            product = Tensor(shape: [filters, chunk * g.outPlane])
        }
        return [n, filters, g.outHeight, g.outWidth]
    }

    public func forward(_ input: Tensor, into output: Tensor, context: inout ForwardContext) {
        guard let g = geometry else { preconditionFailure("\(name): outputShape not called") }
        let n = input.shape[0]
        let inSize = g.channels * g.inPlane, outPlane = g.outPlane
        let patch = g.patchSize
        var start = 0
        while start < n {
            let m = min(chunk, n - start)
            let ld = m * outPlane
            for i in 0..<m {
                im2col(input.pointer + (start + i) * inSize, g, column.pointer + i * outPlane,
                       ldCol: ld)
            }
            BLAS.sgemm(transA: false, transB: false, m: filters, n: ld, k: patch, alpha: 1,
                       a: weight.value.pointer, lda: patch, b: column.pointer, ldb: ld,
                       beta: 0, c: product.pointer, ldc: ld)
            // (F, m*P) -> (m, F, P), adding the bias on the way.
            for i in 0..<m {
                let dst = output.pointer + (start + i) * filters * outPlane
                for f in 0..<filters {
                    let b = bias.value.pointer[f]
                    let src = product.pointer + f * ld + i * outPlane
                    let d = dst + f * outPlane
                    for p in 0..<outPlane { d[p] = src[p] + b }
                }
            }
            start += m
        }
        columnHoldsBatch = n <= chunk
    }

    public func backward(input: Tensor, output: Tensor, outputGradient: Tensor,
                         inputGradient: Tensor?) {
        guard let g = geometry else { preconditionFailure("\(name): outputShape not called") }
        let n = input.shape[0]
        let inSize = g.channels * g.inPlane, outPlane = g.outPlane
        let patch = g.patchSize
        let dW = weight.gradient.pointer, dB = bias.gradient.pointer
        dB.update(repeating: 0, count: filters)
        var start = 0
        var first = true
        while start < n {
            let m = min(chunk, n - start)
            let ld = m * outPlane
            if !columnHoldsBatch {
                for i in 0..<m {
                    im2col(input.pointer + (start + i) * inSize, g,
                           column.pointer + i * outPlane, ldCol: ld)
                }
            }
            // (m, F, P) -> (F, m*P), summing the bias gradient on the way.
            for i in 0..<m {
                let src = outputGradient.pointer + (start + i) * filters * outPlane
                for f in 0..<filters {
                    let s = src + f * outPlane
                    let d = product.pointer + f * ld + i * outPlane
                    var acc: Float = 0
                    for p in 0..<outPlane { d[p] = s[p]; acc += s[p] }
                    dB[f] += acc
                }
            }
            if weight.isTrainable {
                // dW (F, patch) (+)= dY (F, ld) * col^T (ld, patch)
                BLAS.sgemm(transA: false, transB: true, m: filters, n: patch, k: ld, alpha: 1,
                           a: product.pointer, lda: ld, b: column.pointer, ldb: ld,
                           beta: first ? 0 : 1, c: dW, ldc: patch)
            }
            if let dX = inputGradient {
                // dCol (patch, ld) = W^T (patch, F) * dY (F, ld), reusing the column buffer.
                BLAS.sgemm(transA: true, transB: false, m: patch, n: ld, k: filters, alpha: 1,
                           a: weight.value.pointer, lda: patch, b: product.pointer, ldb: ld,
                           beta: 0, c: column.pointer, ldc: ld)
                for i in 0..<m {
                    col2im(column.pointer + i * outPlane, ldCol: ld, g,
                           dX.pointer + (start + i) * inSize)
                }
                columnHoldsBatch = false
            }
            first = false
            start += m
        }
    }
}
