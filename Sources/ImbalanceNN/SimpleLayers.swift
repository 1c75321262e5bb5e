import ImbalanceKernels
import ImbalanceRandom

/// Max pooling with the argmax kept for backward. (N, C, H, W) -> (N, C, OH, OW) with
/// Caffe's ceil output rule.
public final class MaxPool: Layer {
    public let name: String
    public let kernel: Int
    public let stride: Int
    public let padding: Int
    private var geometry: PoolGeometry?
    private var argmax: UnsafeMutablePointer<Int32> = .allocate(capacity: 1)
    private var argmaxCapacity = 1

    public init(name: String, kernel: Int, stride: Int, padding: Int = 0) {
        self.name = name; self.kernel = kernel; self.stride = stride; self.padding = padding
    }

    deinit { argmax.deallocate() }

    private func geometry(for input: [Int]) -> PoolGeometry {
        precondition(input.count == 4, "\(name): expected (N, C, H, W), got \(input)")
        return PoolGeometry(channels: input[1], height: input[2], width: input[3],
                            kernel: kernel, stride: stride, pad: padding)
    }

    public func outputShape(for input: [Int]) -> [Int] {
        let g = geometry(for: input)
        return [input[0], input[1], g.outHeight, g.outWidth]
    }

    /// Sets the geometry and grows the argmax buffer (one index per output).
    public func reserve(for input: [Int]) {
        let g = geometry(for: input)
        geometry = g
        let need = input[0] * input[1] * g.outHeight * g.outWidth
        if need > argmaxCapacity {
            argmax.deallocate()
            argmax = .allocate(capacity: need)
            argmaxCapacity = need
        }
    }

    public func forward(_ input: Tensor, into output: Tensor, context: inout ForwardContext) {
        guard let g = geometry else { preconditionFailure("\(name): reserve(for:) not called") }
        let x = input.pointer, y = output.pointer, arg = argmax
        forEachImageRange(input.shape[0], g) { first, count, inImage, outImage in
            maxPoolForward(x + first * inImage, images: count, g,
                           y + first * outImage, arg + first * outImage)
        }
    }

    public func backward(input: Tensor, output: Tensor, outputGradient: Tensor,
                         inputGradient: Tensor?) {
        guard let g = geometry, let dX = inputGradient else { return }
        let dy = outputGradient.pointer, dx = dX.pointer, arg = argmax
        forEachImageRange(input.shape[0], g) { first, count, inImage, outImage in
            maxPoolBackward(dy + first * outImage, images: count, g,
                            arg + first * outImage, dx + first * inImage)
        }
    }

    /// Pools images first..<first+count of a batch whose pooling input for those images is
    /// at `source` (image-local: a convolution's output for them, never stored in full), into
    /// the batch's `output`. For `Network`'s convolution + pooling fusion.
    func pool(images first: Int, count: Int, from source: UnsafePointer<Float>,
              into output: UnsafeMutablePointer<Float>) {
        guard let g = geometry else { preconditionFailure("\(name): reserve(for:) not called") }
        let outImage = g.channels * g.outHeight * g.outWidth
        maxPoolForward(source, images: count, g, output + first * outImage,
                       argmax + first * outImage)
    }

    /// The input gradient of images first..<first+count, image-local at `destination`, from
    /// the batch's output gradient: the counterpart of `pool(images:count:from:into:)`.
    func unpool(images first: Int, count: Int, gradient: UnsafePointer<Float>,
                into destination: UnsafeMutablePointer<Float>) {
        guard let g = geometry else { preconditionFailure("\(name): reserve(for:) not called") }
        let outImage = g.channels * g.outHeight * g.outWidth
        maxPoolBackward(gradient + first * outImage, images: count, g,
                        argmax + first * outImage, destination)
    }

    /// Runs `body` on ranges of the batch's images across the workers. Pooling works plane
    /// by plane, so any split gives the same result.
    private func forEachImageRange(_ n: Int, _ g: PoolGeometry,
                                   _ body: (_ first: Int, _ count: Int, _ inImage: Int,
                                            _ outImage: Int) -> Void) {
        let inImage = g.channels * g.height * g.width
        let outImage = g.channels * g.outHeight * g.outWidth
        Parallel.forEachRange(n, pieces: Parallel.pieces(forElements: n * inImage)) { r in
            body(r.lowerBound, r.count, inImage, outImage)
        }
    }
}

/// max(0, x), elementwise. The gradient passes where the output is positive.
public final class ReLU: Layer {
    public let name: String
    public init(name: String) { self.name = name }

    public func outputShape(for input: [Int]) -> [Int] { input }

    public func forward(_ input: Tensor, into output: Tensor, context: inout ForwardContext) {
        let x = input.pointer, y = output.pointer, count = input.count
        Parallel.forEachRange(count, pieces: Parallel.pieces(forElements: count)) { r in
            for i in r { y[i] = x[i] > 0 ? x[i] : 0 }
        }
    }

    public func backward(input: Tensor, output: Tensor, outputGradient: Tensor,
                         inputGradient: Tensor?) {
        guard let dX = inputGradient else { return }
        let y = output.pointer, dy = outputGradient.pointer, dx = dX.pointer
        let count = output.count
        Parallel.forEachRange(count, pieces: Parallel.pieces(forElements: count)) { r in
            // Both loads unconditional: a select the compiler vectorises, instead of a
            // branch per element that mispredicts on about half of them (8x slower at
            // 32x32x96).
            for i in r {
                let g = dy[i]
                dx[i] = y[i] > 0 ? g : 0
            }
        }
    }
}

/// Fully connected layer (Caffe's InnerProduct): y = x W^T + b.
/// Input (N, ...) is read as (N, D) with D the product of the other dimensions;
/// weights (O, D), bias (O); output (N, O).
public final class FullyConnected: Layer, MACCounting {
    public let name: String
    public let outputs: Int
    public let inputs: Int
    public let weight: Parameter
    public let bias: Parameter
    public let initialization: WeightInitialization

    public init(name: String, inputs: Int, outputs: Int, biasLearningRateMultiplier: Float = 1,
                initialization: WeightInitialization = .xavier) {
        self.name = name; self.inputs = inputs; self.outputs = outputs
        self.initialization = initialization
        weight = Parameter(name: "\(name).weight", shape: [outputs, inputs])
        bias = Parameter(name: "\(name).bias", shape: [outputs],
                         learningRateMultiplier: biasLearningRateMultiplier)
    }

    public var parameters: [Parameter] { [weight, bias] }

    public func initialize(using rng: inout RandomStream) {
        initialization.fill(weight.value, fanIn: inputs, rng: &rng)
        bias.value.zero()
    }

    public func forwardMACs(inputShape: [Int]) -> Int { inputShape[0] * inputs * outputs }

    public func outputShape(for input: [Int]) -> [Int] {
        let d = input.dropFirst().reduce(1, *)
        precondition(d == inputs, "\(name): expected \(inputs) inputs per example, got \(input)")
        return [input[0], outputs]
    }

    /// Pieces the FC's GEMMs are cut into: a constant (not the thread count), so the
    /// results are the same on any number of threads; 1 for layers too small to gain.
    private func pieces(_ rows: Int) -> Int { rows >= 64 ? 4 : 1 }

    public func forward(_ input: Tensor, into output: Tensor, context: inout ForwardContext) {
        let n = input.shape[0]
        let x = input.pointer, y = output.pointer, w = weight.value.pointer
        let b = bias.value.pointer, outputs = self.outputs, inputs = self.inputs
        // Output columns in pieces; each piece writes its bias first, then the GEMM
        // accumulates onto it.
        Parallel.forEachRange(outputs, pieces: pieces(outputs)) { o in
            for i in 0..<n {
                (y + i * outputs + o.lowerBound).update(from: b + o.lowerBound, count: o.count)
            }
            BLAS.sgemm(transA: false, transB: true, m: n, n: o.count, k: inputs, alpha: 1,
                       a: x, lda: inputs, b: w + o.lowerBound * inputs, ldb: inputs,
                       beta: 1, c: y + o.lowerBound, ldc: outputs)
        }
    }

    public func backward(input: Tensor, output: Tensor, outputGradient: Tensor,
                         inputGradient: Tensor?) {
        let n = input.shape[0], outputs = self.outputs, inputs = self.inputs
        let x = input.pointer, dy = outputGradient.pointer, w = weight.value.pointer
        let dw = weight.gradient.pointer, db = bias.gradient.pointer
        let weightTrainable = weight.isTrainable, biasTrainable = bias.isTrainable
        // Weight and bias gradients by output rows: sums over the batch stay whole.
        Parallel.forEachRange(outputs, pieces: pieces(outputs)) { o in
            if weightTrainable {
                // dW (O, D) = dY^T (O, N) * X (N, D)
                BLAS.sgemm(transA: true, transB: false, m: o.count, n: inputs, k: n, alpha: 1,
                           a: dy + o.lowerBound, lda: outputs, b: x, ldb: inputs,
                           beta: 0, c: dw + o.lowerBound * inputs, ldc: inputs)
            }
            if biasTrainable {
                (db + o.lowerBound).update(repeating: 0, count: o.count)
                for i in 0..<n {
                    addShort(dy + i * outputs + o.lowerBound, db + o.lowerBound,
                             count: o.count)
                }
            }
        }
        if let dX = inputGradient {
            // dX (N, D) = dY (N, O) * W (O, D), by input columns: every piece packs only
            // its slice of W (cut by batch rows, each piece packed all of it).
            let dx = dX.pointer
            Parallel.forEachRange(inputs, pieces: pieces(inputs)) { d in
                BLAS.sgemm(transA: false, transB: false, m: n, n: d.count, k: outputs,
                           alpha: 1, a: dy, lda: outputs, b: w + d.lowerBound,
                           ldb: inputs, beta: 0, c: dx + d.lowerBound, ldc: inputs)
            }
        }
    }
}

/// Inverted dropout: in training, zero each element with probability p and scale the
/// survivors by 1/(1-p), so inference is the identity and needs no rescaling.
/// The mask comes from the context's dropout stream only.
public final class Dropout: Layer {
    public let name: String
    public let probability: Float
    private var mask = Tensor(shape: [0])
    private var lastWasTraining = false

    public init(name: String, probability: Float) {
        precondition(probability >= 0 && probability < 1, "dropout probability must be in [0, 1)")
        self.name = name; self.probability = probability
    }

    public func outputShape(for input: [Int]) -> [Int] { input }

    /// Grows the mask to one scale per element.
    public func reserve(for input: [Int]) {
        let count = input.reduce(1, *)
        if mask.capacity < count { mask = Tensor(shape: [count]) }
        mask.reshape([count])
    }

    public func forward(_ input: Tensor, into output: Tensor, context: inout ForwardContext) {
        let x = input.pointer, y = output.pointer, count = input.count
        lastWasTraining = context.training
        guard context.training, probability > 0 else {
            y.update(from: x, count: count)
            return
        }
        let scale = 1 / (1 - probability)
        let m = mask.pointer
        for i in 0..<count {
            let keep: Float = context.dropoutRNG.uniformFloat() >= probability ? scale : 0
            m[i] = keep
            y[i] = x[i] * keep
        }
    }

    public func backward(input: Tensor, output: Tensor, outputGradient: Tensor,
                         inputGradient: Tensor?) {
        guard let dX = inputGradient else { return }
        let count = input.count
        if !lastWasTraining || probability == 0 {
            dX.pointer.update(from: outputGradient.pointer, count: count)
            return
        }
        let m = mask.pointer, dy = outputGradient.pointer, dx = dX.pointer
        for i in 0..<count { dx[i] = dy[i] * m[i] }
    }
}

/// Global average pooling: (N, C, H, W) -> (N, C), the mean of each channel's plane.
///
/// All-CNN and ResNet end with it instead of a large fully connected layer, so a model's
/// parameter count does not depend on the input size.
public final class GlobalAveragePool: Layer {
    public let name: String
    public init(name: String) { self.name = name }

    public func outputShape(for input: [Int]) -> [Int] {
        precondition(input.count == 4, "\(name): expected (N, C, H, W), got \(input)")
        return [input[0], input[1]]
    }

    public func forward(_ input: Tensor, into output: Tensor, context: inout ForwardContext) {
        let planes = input.shape[0] * input.shape[1]
        let size = input.shape[2] * input.shape[3]
        let scale = 1 / Float(size)
        let x = input.pointer, y = output.pointer
        for p in 0..<planes {
            let src = x + p * size
            var acc: Float = 0
            for i in 0..<size { acc += src[i] }
            y[p] = acc * scale
        }
    }

    public func backward(input: Tensor, output: Tensor, outputGradient: Tensor,
                         inputGradient: Tensor?) {
        guard let dX = inputGradient else { return }
        let planes = input.shape[0] * input.shape[1]
        let size = input.shape[2] * input.shape[3]
        let scale = 1 / Float(size)
        let dy = outputGradient.pointer, dx = dX.pointer
        for p in 0..<planes {
            (dx + p * size).update(repeating: dy[p] * scale, count: size)
        }
    }
}
