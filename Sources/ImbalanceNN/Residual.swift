import ImbalanceKernels
import ImbalanceRandom

/// A basic residual block (He et al., 2016), as one composite layer so that `Network`
/// stays a plain chain:
///
///     x (N, C, H, W) -> conv1 3x3 stride s -> bn1 -> ReLU -> conv2 3x3 -> bn2 ---+
///       \-> shortcut: x itself, or conv 1x1 stride s -> bn (projection) --------(+)-> ReLU
///     -> (N, F, H', W'), H' = (H - 1) / s + 1
///
/// The projection is used whenever the shape changes (s != 1 or C != F), as in ResNet's
/// option B. Convolutions have no bias (the BN after each supplies the shift) and start
/// from MSRA weights. Parameters are named after the block ("res2.conv1.weight",
/// "res2.bn1.gamma", "res2.shortcut.weight", ...), so freezing or fine-tuning the block by
/// its name reaches all of them.
///
/// The block owns its intermediate activations and gradients, sized in `reserve(for:)`
/// and reused for every batch. bn2 writes straight into the block's output, and the first
/// ReLU runs in place (BN's backward reads its input, never its output), which saves two
/// feature maps per block.
public final class ResidualBlock: Layer, MACCounting {
    public let name: String
    public let inputChannels: Int
    public let outputChannels: Int
    public let stride: Int
    public let conv1: Convolution
    public let bn1: BatchNorm
    public let conv2: Convolution
    public let bn2: BatchNorm
    /// The 1x1 projection and its BN, nil for an identity shortcut.
    public let shortcut: Convolution?
    public let shortcutNorm: BatchNorm?

    /// conv1's output; bn1's output after the in-place ReLU; conv2's output; the shortcut
    /// conv's output and its BN's output.
    private var conv1Out = Tensor(shape: [0])
    private var hidden = Tensor(shape: [0])
    private var conv2Out = Tensor(shape: [0])
    private var shortcutConvOut = Tensor(shape: [0])
    private var shortcutOut = Tensor(shape: [0])
    /// Gradient buffers: at the sum (output gradient through the final ReLU), two
    /// ping-pong buffers of the output's shape, and one of the input's shape for the
    /// second path's input gradient when there is a projection.
    private var sumGradient = Tensor(shape: [0])
    private var gradientA = Tensor(shape: [0])
    private var gradientB = Tensor(shape: [0])
    private var inputGradientScratch = Tensor(shape: [0])

    /// `tuning` is every convolution's of the block.
    public init(name: String, inputChannels: Int, outputChannels: Int, stride: Int = 1,
                tuning: ConvolutionTuning = .standard) {
        self.name = name; self.inputChannels = inputChannels
        self.outputChannels = outputChannels; self.stride = stride
        conv1 = Convolution(name: "\(name).conv1", inputChannels: inputChannels,
                            filters: outputChannels, kernel: 3, stride: stride, padding: 1,
                            bias: false, initialization: .msra, tuning: tuning)
        bn1 = BatchNorm(name: "\(name).bn1", channels: outputChannels)
        conv2 = Convolution(name: "\(name).conv2", inputChannels: outputChannels,
                            filters: outputChannels, kernel: 3, stride: 1, padding: 1,
                            bias: false, initialization: .msra, tuning: tuning)
        bn2 = BatchNorm(name: "\(name).bn2", channels: outputChannels)
        if stride != 1 || inputChannels != outputChannels {
            shortcut = Convolution(name: "\(name).shortcut", inputChannels: inputChannels,
                                   filters: outputChannels, kernel: 1, stride: stride,
                                   padding: 0, bias: false, initialization: .msra,
                                   tuning: tuning)
            shortcutNorm = BatchNorm(name: "\(name).shortcut_bn", channels: outputChannels)
        } else {
            shortcut = nil; shortcutNorm = nil
        }
        var layers: [Layer] = [conv1, bn1, conv2, bn2]
        if let shortcut, let shortcutNorm { layers += [shortcut, shortcutNorm] }
        innerLayers = layers
        parameters = layers.flatMap(\.parameters)
    }

    /// The inner layers in initialisation order.
    public let innerLayers: [Layer]
    /// Built once: backward asks for it every step.
    public let parameters: [Parameter]

    public func initialize(using rng: inout RandomStream) {
        for layer in innerLayers { layer.initialize(using: &rng) }
    }

    public func forwardMACs(inputShape: [Int]) -> Int {
        let (oh, ow) = conv1.outputSize(height: inputShape[2], width: inputShape[3])
        let hiddenShape = [inputShape[0], outputChannels, oh, ow]
        return conv1.forwardMACs(inputShape: inputShape) + conv2.forwardMACs(inputShape: hiddenShape)
            + (shortcut?.forwardMACs(inputShape: inputShape) ?? 0)
    }

    public func outputShape(for input: [Int]) -> [Int] {
        precondition(input.count == 4 && input[1] == inputChannels,
                     "\(name): expected (N, \(inputChannels), H, W), got \(input)")
        let s1 = conv1.outputShape(for: input)
        let s2 = conv2.outputShape(for: s1)
        if let shortcut {
            let sp = shortcut.outputShape(for: input)
            precondition(sp == s2, "\(name): shortcut shape \(sp) differs from the main path's \(s2)")
        } else {
            precondition(s2 == input, "\(name): identity shortcut needs the output shape \(s2) "
                         + "to equal the input shape \(input)")
        }
        return s2
    }

    /// Reserves every inner layer and sizes the block's intermediate buffers.
    public func reserve(for input: [Int]) {
        let s2 = outputShape(for: input)
        let s1 = conv1.outputShape(for: input)
        conv1.reserve(for: input)
        bn1.reserve(for: s1)
        conv2.reserve(for: s1)
        bn2.reserve(for: s2)
        conv1Out = sized(conv1Out, s1)
        hidden = sized(hidden, s1)
        conv2Out = sized(conv2Out, s2)
        sumGradient = sized(sumGradient, s2)
        gradientA = sized(gradientA, s2)
        gradientB = sized(gradientB, s2)
        if let shortcut, let shortcutNorm {
            shortcut.reserve(for: input)
            shortcutNorm.reserve(for: s2)
            shortcutConvOut = sized(shortcutConvOut, s2)
            shortcutOut = sized(shortcutOut, s2)
            inputGradientScratch = sized(inputGradientScratch, input)
        }
    }

    /// Reuses `t` when it is large enough, so that a smaller (last) batch allocates nothing.
    private func sized(_ t: Tensor, _ shape: [Int]) -> Tensor {
        if t.capacity >= shape.reduce(1, *) {
            t.reshape(shape)
            return t
        }
        return Tensor(shape: shape)
    }

    public func forward(_ input: Tensor, into output: Tensor, context: inout ForwardContext) {
        conv1.forward(input, into: conv1Out, context: &context)
        bn1.forward(conv1Out, into: hidden, context: &context)
        let h = hidden.pointer
        Parallel.elementwise(hidden.count) { r in
            for i in r { h[i] = h[i] > 0 ? h[i] : 0 }
        }
        conv2.forward(hidden, into: conv2Out, context: &context)
        bn2.forward(conv2Out, into: output, context: &context)
        let residual: UnsafeMutablePointer<Float>
        if let shortcut, let shortcutNorm {
            shortcut.forward(input, into: shortcutConvOut, context: &context)
            shortcutNorm.forward(shortcutConvOut, into: shortcutOut, context: &context)
            residual = shortcutOut.pointer
        } else {
            residual = input.pointer
        }
        let y = output.pointer
        Parallel.elementwise(output.count) { r in
            for i in r {
                let v = y[i] + residual[i]
                y[i] = v > 0 ? v : 0
            }
        }
    }

    public func backward(input: Tensor, output: Tensor, outputGradient: Tensor,
                         inputGradient: Tensor?) {
        guard inputGradient != nil || parameters.contains(where: \.isTrainable) else { return }
        // Through the final ReLU: both paths receive the same gradient.
        let y = output.pointer, dy = outputGradient.pointer, g = sumGradient.pointer
        Parallel.elementwise(output.count) { r in
            for i in r {
                let d = dy[i]   // loaded unconditionally so that the select vectorises
                g[i] = y[i] > 0 ? d : 0
            }
        }

        // Shortcut first: a projection writes the input gradient, the main path adds to it.
        if let shortcut, let shortcutNorm {
            shortcutNorm.backward(input: shortcutConvOut, output: shortcutOut,
                                  outputGradient: sumGradient, inputGradient: gradientA)
            shortcut.backward(input: input, output: shortcutConvOut, outputGradient: gradientA,
                              inputGradient: inputGradient)
        }
        bn2.backward(input: conv2Out, output: output, outputGradient: sumGradient,
                     inputGradient: gradientA)
        conv2.backward(input: hidden, output: conv2Out, outputGradient: gradientA,
                       inputGradient: gradientB)
        let h = hidden.pointer, gb = gradientB.pointer
        Parallel.elementwise(hidden.count) { r in
            for i in r {
                let d = gb[i]
                gb[i] = h[i] > 0 ? d : 0
            }
        }
        bn1.backward(input: conv1Out, output: hidden, outputGradient: gradientB,
                     inputGradient: gradientA)
        guard let dX = inputGradient else {
            conv1.backward(input: input, output: conv1Out, outputGradient: gradientA,
                           inputGradient: nil)
            return
        }
        let dx = dX.pointer
        if shortcut != nil {
            conv1.backward(input: input, output: conv1Out, outputGradient: gradientA,
                           inputGradient: inputGradientScratch)
            let s = inputGradientScratch.pointer
            Parallel.elementwise(dX.count) { r in for i in r { dx[i] += s[i] } }
        } else {
            conv1.backward(input: input, output: conv1Out, outputGradient: gradientA,
                           inputGradient: dX)
            Parallel.elementwise(dX.count) { r in for i in r { dx[i] += g[i] } }
        }
    }
}
