import ImbalanceKernels
import ImbalanceRandom

/// 2-D convolution as im2col + one GEMM per chunk of images (Caffe's approach, batched).
///
/// Input (N, C, H, W) -> output (N, F, OH, OW); weights (F, C, KH, KW), bias (F).
/// A chunk of images is unfolded side by side into one column matrix
/// (C*KH*KW, chunk*OH*OW), so a LeNet mini-batch is a single large GEMM instead of 64
/// small ones. When the whole batch fits one chunk, the column matrix of the forward pass
/// is kept for the weight gradient instead of being unfolded again.
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
            if m == 1 {
                // One image: the GEMM's (F, P) result is already the output's layout, so it
                // goes there directly (the usual case for 32x32 and larger feature maps).
                let dst = output.pointer + start * filters * outPlane
                BLAS.sgemm(transA: false, transB: false, m: filters, n: ld, k: patch, alpha: 1,
                           a: weight.value.pointer, lda: patch, b: column.pointer, ldb: ld,
                           beta: 0, c: dst, ldc: ld)
                if let bias {
                    for f in 0..<filters {
                        let b = bias.value.pointer[f]
                        let d = dst + f * outPlane
                        for p in 0..<outPlane { d[p] = d[p] + b }
                    }
                }
                start += 1
                continue
            }
            BLAS.sgemm(transA: false, transB: false, m: filters, n: ld, k: patch, alpha: 1,
                       a: weight.value.pointer, lda: patch, b: column.pointer, ldb: ld,
                       beta: 0, c: product.pointer, ldc: ld)
            // (F, m*P) -> (m, F, P), adding the bias on the way.
            for i in 0..<m {
                let dst = output.pointer + (start + i) * filters * outPlane
                for f in 0..<filters {
                    let src = product.pointer + f * ld + i * outPlane
                    let d = dst + f * outPlane
                    if let bias {
                        let b = bias.value.pointer[f]
                        for p in 0..<outPlane { d[p] = src[p] + b }
                    } else {
                        d.update(from: src, count: outPlane)
                    }
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
        let dW = weight.gradient.pointer
        let dB = bias?.gradient.pointer
        dB?.update(repeating: 0, count: filters)
        let needWeight = weight.isTrainable
        var start = 0
        var first = true
        while start < n {
            let m = min(chunk, n - start)
            let ld = m * outPlane
            if !columnHoldsBatch && needWeight {
                for i in 0..<m {
                    im2col(input.pointer + (start + i) * inSize, g,
                           column.pointer + i * outPlane, ldCol: ld)
                }
            }
            // dY as an (F, m*P) matrix: one image's gradient already is one, several are
            // gathered side by side. The bias gradient is summed on the way, in the same
            // order either way.
            let dY: UnsafeMutablePointer<Float>
            if m == 1 {
                dY = outputGradient.pointer + start * filters * outPlane
                if let dB {
                    for f in 0..<filters {
                        let s = dY + f * outPlane
                        var acc: Float = 0
                        for p in 0..<outPlane { acc += s[p] }
                        dB[f] += acc
                    }
                }
            } else {
                dY = product.pointer
                for i in 0..<m {
                    let src = outputGradient.pointer + (start + i) * filters * outPlane
                    for f in 0..<filters {
                        let s = src + f * outPlane
                        let d = product.pointer + f * ld + i * outPlane
                        if let dB {
                            var acc: Float = 0
                            for p in 0..<outPlane { d[p] = s[p]; acc += s[p] }
                            dB[f] += acc
                        } else {
                            d.update(from: s, count: outPlane)
                        }
                    }
                }
            }
            if needWeight {
                // dW (F, patch) (+)= dY (F, ld) * col^T (ld, patch)
                BLAS.sgemm(transA: false, transB: true, m: filters, n: patch, k: ld, alpha: 1,
                           a: dY, lda: ld, b: column.pointer, ldb: ld,
                           beta: first ? 0 : 1, c: dW, ldc: patch)
            }
            if let dX = inputGradient {
                // dCol (patch, ld) = W^T (patch, F) * dY (F, ld), reusing the column buffer.
                BLAS.sgemm(transA: true, transB: false, m: patch, n: ld, k: filters, alpha: 1,
                           a: weight.value.pointer, lda: patch, b: dY, ldb: ld,
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
