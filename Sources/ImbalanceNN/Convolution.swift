import ImbalanceKernels
import ImbalanceRandom

/// 2-D convolution. Input (N, C, H, W) -> output (N, F, OH, OW) with
/// OH = (H + 2 * padding - kernel) / stride + 1 (Caffe's floor rule), likewise OW;
/// weights (F, C, kernel, kernel), bias (F).
///
/// The layer holds the parameters and dispatches; how a batch is computed is a
/// `ConvolutionPlan` (worked out in `reserve(for:)` from the shapes and the layer's
/// `ConvolutionTuning`), executed by one `ConvolutionAlgorithm` per pass: the direct method
/// (`DirectConvolution`, im2col + GEMM) or Winograd (`WinogradConvolution`). The work is
/// dealt to a fixed number of groups whatever the thread count, so one thread and two give
/// the same bits. With `plan.fusesPooling`, a max pooling after the layer can run in the same
/// pass (`ConvolutionPooling`, which `Network` uses).
public final class Convolution: Layer, MACCounting, FusingLayer {
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
    /// How the layer computes (never what): see `ConvolutionTuning`.
    public let tuning: ConvolutionTuning
    /// The plan of the batch last reserved (`reserve(for:)`), which forward and backward
    /// follow; nil before the first.
    public private(set) var plan: ConvolutionPlan?
    /// One instance per method the plans so far used, with its scratch.
    private var algorithms: [ConvolutionMethod: ConvolutionAlgorithm] = [:]
    private let biasGradient: BiasGradient?

    public init(name: String, inputChannels: Int, filters: Int, kernel: Int, stride: Int = 1,
                padding: Int = 0, bias: Bool = true, biasLearningRateMultiplier: Float = 1,
                initialization: WeightInitialization = .xavier,
                tuning: ConvolutionTuning = .standard) {
        precondition(tuning.invalidKnob == nil, "\(name): \(tuning.invalidKnob ?? "")")
        self.name = name; self.filters = filters; self.kernel = kernel
        self.stride = stride; self.padding = padding; self.initialization = initialization
        self.tuning = tuning
        weight = Parameter(name: "\(name).weight", shape: [filters, inputChannels, kernel, kernel])
        self.bias = bias ? Parameter(name: "\(name).bias", shape: [filters],
                                     learningRateMultiplier: biasLearningRateMultiplier) : nil
        biasGradient = self.bias.map { BiasGradient(filters: filters, gradient: $0.gradient.pointer) }
    }

    public var parameters: [Parameter] { bias.map { [weight, $0] } ?? [weight] }
    public var inputChannels: Int { weight.value.shape[1] }

    public func initialize(using rng: inout RandomStream) {
        initialization.fill(weight.value, fanIn: inputChannels * kernel * kernel, rng: &rng)
        bias?.value.zero()
    }

    /// Pure shape arithmetic (Caffe's floor rule).
    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        ((height + 2 * padding - kernel) / stride + 1, (width + 2 * padding - kernel) / stride + 1)
    }

    public func forwardMACs(inputShape: [Int]) -> Int {
        let (oh, ow) = outputSize(height: inputShape[2], width: inputShape[3])
        return inputShape[0] * filters * oh * ow * inputChannels * kernel * kernel
    }

    /// One image's geometry for an input (N, C, H, W).
    private func geometry(for input: [Int]) -> ConvGeometry {
        precondition(input.count == 4 && input[1] == inputChannels,
                     "\(name): expected (N, \(inputChannels), H, W), got \(input)")
        return ConvGeometry(channels: input[1], height: input[2], width: input[3],
                            kernel: kernel, stride: stride, pad: padding)
    }

    public func outputShape(for input: [Int]) -> [Int] {
        let g = geometry(for: input)
        return [input[0], filters, g.outHeight, g.outWidth]
    }

    /// The plan for an input (N, C, H, W): pure, sizes nothing.
    public func plan(for input: [Int]) -> ConvolutionPlan {
        ConvolutionPlan(geometry: geometry(for: input), filters: filters, images: input[0],
                        tuning: tuning)
    }

    /// Plans the batch and sizes the scratch of every method the plan uses.
    public func reserve(for input: [Int]) {
        let p = plan(for: input)
        plan = p
        for method in p.methods { algorithm(method).reserve(p) }
        biasGradient?.reserve(p)
    }

    @inline(__always)
    private func algorithm(_ method: ConvolutionMethod) -> ConvolutionAlgorithm {
        if let a = algorithms[method] { return a }
        let a = method.makeAlgorithm()
        algorithms[method] = a
        return a
    }

    /// The reserved plan, checked against the input a pass is given.
    @inline(__always)
    private func plan(checking input: Tensor) -> ConvolutionPlan {
        guard let p = plan, p.images == input.shape[0], input.shape.count == 4,
              p.geometry.channels == input.shape[1], p.geometry.height == input.shape[2],
              p.geometry.width == input.shape[3] else {
            preconditionFailure("\(name): reserve(for:) was not called for the input \(input.shape)")
        }
        return p
    }

    public func forward(_ input: Tensor, into output: Tensor, context: inout ForwardContext) {
        let p = plan(checking: input)
        guard p.images > 0 else { return }
        algorithm(p.forward).forward(p, input: input.pointer, weights: weight.value.pointer,
                                     bias: bias?.value.pointer, output: .batch(output.pointer))
    }

    public func backward(input: Tensor, output: Tensor, outputGradient: Tensor,
                         inputGradient: Tensor?) {
        backward(plan(checking: input), input: input,
                 outputGradient: .batch(outputGradient.pointer), inputGradient: inputGradient)
    }

    /// Forward, then max pooling of each image as soon as it is computed, into `pooled`.
    func forward(_ input: Tensor, pooledBy pool: MaxPool, into pooled: Tensor) {
        let p = plan(checking: input)
        guard p.images > 0 else { return }
        algorithm(p.forward).forward(p, input: input.pointer, weights: weight.value.pointer,
                                     bias: bias?.value.pointer,
                                     output: .pooled(FusedPooling(layer: pool,
                                                                  batch: pooled.pointer)))
    }

    /// Backward through the fused max pooling and this convolution: each image's output
    /// gradient is unpooled from `pooledGradient` into a worker's buffer and used at once.
    func backward(input: Tensor, pooledBy pool: MaxPool, pooledGradient: Tensor,
                  inputGradient: Tensor?) {
        backward(plan(checking: input), input: input,
                 outputGradient: .pooled(FusedPooling(layer: pool, batch: pooledGradient.pointer)),
                 inputGradient: inputGradient)
    }

    /// The weight and bias gradients of trainable parameters (overwriting), and the input
    /// gradient when asked; a pass with nothing to compute is skipped. When both passes go
    /// by the same method it runs them together (the direct method reads each chunk's dY
    /// once for both).
    private func backward(_ p: ConvolutionPlan, input: Tensor,
                          outputGradient dY: ConvolutionOutputGradient, inputGradient: Tensor?) {
        let dW = weight.isTrainable ? weight.gradient.pointer : nil
        let db = (bias?.isTrainable ?? false) ? biasGradient : nil
        let dX = inputGradient?.pointer
        if p.images == 0 {
            dW?.update(repeating: 0, count: weight.value.count)
            db.map { $0.gradient.update(repeating: 0, count: filters) }
            return
        }
        let x = input.pointer, w = weight.value.pointer
        let weights = dW != nil || db != nil
        if weights, let dX, p.backwardWeights == p.backwardData {
            algorithm(p.backwardData).backward(p, input: x, outputGradient: dY, weights: w,
                                               inputGradient: dX, weightGradient: dW, bias: db)
            return
        }
        if weights {
            algorithm(p.backwardWeights).backwardWeights(p, input: x, outputGradient: dY,
                                                         weightGradient: dW, bias: db)
        }
        if let dX {
            algorithm(p.backwardData).backwardData(p, outputGradient: dY, weights: w,
                                                   inputGradient: dX)
        }
    }

    /// A `ConvolutionPooling` of this layer and `next` when `next` is a max pooling and the
    /// reserved plan fuses pooling (`ConvolutionTuning.fusesPooling`, one image per chunk,
    /// every pass by a method that goes image by image).
    public func fused(with next: Layer) -> Layer? {
        guard let pool = next as? MaxPool, let p = plan, p.fusesPooling else { return nil }
        return ConvolutionPooling(self, pool)
    }
}
