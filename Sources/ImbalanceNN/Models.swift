/// The networks of the study.
///
/// Input rule: every model takes the input's channels, height, width and class count, and
/// builds exactly the paper's network for the paper's input (LeNet-5 on 1 x 28 x 28, All-CNN
/// on 3 x 32 x 32, ResNet-10 on 3 x 224 x 224 or, with the CIFAR stem, 3 x 32 x 32: the same
/// layers, shapes and parameter counts as before this rule, hence the same records). For
/// other inputs:
/// - the first layer takes the input's channels; the last layer has one output per class;
/// - LeNet-5 has no global pooling: its first fully connected layer takes whatever its
///   second pooling leaves, 50 x floor((floor((H - 4) / 2) - 4) / 2) x (the same for W)
///   inputs (800 at 28 x 28), so it needs at least 16 x 16 and grows with the image;
/// - All-CNN and ResNet-10 end in global average pooling, so their parameters do not depend
///   on the size; All-CNN needs at least 9 x 9;
/// - ResNet-10 takes the CIFAR stem (3x3 conv, no pooling) when the shorter side is at most
///   64 and the ImageNet stem (7x7 stride 2, max pooling) above.
/// Images need not be square: heights and widths are handled separately throughout.
public enum Models {
    /// LeNet-5 in Caffe's variant (examples/mnist/lenet_train_test.prototxt), the network the
    /// paper trained on MNIST. It differs from LeCun's 1998 LeNet-5: max pooling instead of
    /// subsampling, 20 and 50 filters, one hidden FC layer of 500 with ReLU, no RBF output.
    ///
    /// (N, 1, 28, 28) -> conv 5x5x20 -> (N, 20, 24, 24) -> maxpool 2/2 -> (N, 20, 12, 12)
    /// -> conv 5x5x50 -> (N, 50, 8, 8) -> maxpool 2/2 -> (N, 50, 4, 4) -> FC 500 -> ReLU
    /// -> FC classes -> logits (N, classes). Biases learn at twice the base rate, as in
    /// Caffe's prototxt. The last FC layer ("ip2") is what two-phase training fine-tunes.
    public static func lenet5(inputChannels: Int = 1, inputSize: Int = 28,
                              classes: Int = 10,
                              tuning: ConvolutionTuning = .standard) -> Network {
        lenet5(inputChannels: inputChannels, inputHeight: inputSize, inputWidth: inputSize,
               classes: classes, tuning: tuning)
    }

    /// LeNet-5 on `inputHeight` x `inputWidth` images (see the input rule above).
    public static func lenet5(inputChannels: Int, inputHeight: Int, inputWidth: Int,
                              classes: Int, tuning: ConvolutionTuning = .standard) -> Network {
        func pooled(_ n: Int) -> Int { ((n - 4) / 2 - 4) / 2 }
        let ph = pooled(inputHeight), pw = pooled(inputWidth)
        return Network(name: "lenet5", inputShape: [inputChannels, inputHeight, inputWidth], layers: [
            Convolution(name: "conv1", inputChannels: inputChannels, filters: 20, kernel: 5,
                        biasLearningRateMultiplier: 2, tuning: tuning),
            MaxPool(name: "pool1", kernel: 2, stride: 2),
            Convolution(name: "conv2", inputChannels: 20, filters: 50, kernel: 5,
                        biasLearningRateMultiplier: 2, tuning: tuning),
            MaxPool(name: "pool2", kernel: 2, stride: 2),
            FullyConnected(name: "ip1", inputs: 50 * ph * pw, outputs: 500,
                           biasLearningRateMultiplier: 2),
            ReLU(name: "relu1"),
            FullyConnected(name: "ip2", inputs: 500, outputs: classes,
                           biasLearningRateMultiplier: 2),
        ])
    }

    /// All-CNN-C (Springenberg et al., 2015), the paper's CIFAR-10 network: no pooling and
    /// no fully connected layer; strided convolutions downsample and global average pooling
    /// of a 1x1 convolution with one filter per class gives the logits.
    ///
    /// (N, 3, 32, 32) -> dropout 0.2 -> conv 3x3x96 pad 1 -> ReLU -> conv 3x3x96 pad 1 -> ReLU
    /// -> conv 3x3x96 stride 2 pad 1 -> ReLU -> (N, 96, 16, 16) -> dropout 0.5
    /// -> conv 3x3x192 pad 1 -> ReLU -> conv 3x3x192 pad 1 -> ReLU -> conv 3x3x192 stride 2
    /// pad 1 -> ReLU -> (N, 192, 8, 8) -> dropout 0.5 -> conv 3x3x192 pad 0 -> ReLU
    /// -> (N, 192, 6, 6) -> conv 1x1x192 -> ReLU -> conv 1x1xclasses -> ReLU
    /// -> global average pooling -> logits (N, classes).
    ///
    /// Xavier weights, zero biases, learning-rate and decay multipliers 1. Two-phase training
    /// fine-tunes the last two 1x1 convolutions, "conv8" and "conv9" (PROTOCOL).
    public static func allCNN(inputChannels: Int = 3, inputSize: Int = 32,
                              classes: Int = 10,
                              tuning: ConvolutionTuning = .standard) -> Network {
        allCNN(inputChannels: inputChannels, inputHeight: inputSize, inputWidth: inputSize,
               classes: classes, tuning: tuning)
    }

    /// All-CNN-C on `inputHeight` x `inputWidth` images (see the input rule above).
    public static func allCNN(inputChannels: Int, inputHeight: Int, inputWidth: Int,
                              classes: Int, tuning: ConvolutionTuning = .standard) -> Network {
        func conv(_ i: Int, _ inC: Int, _ f: Int, kernel: Int = 3, stride: Int = 1,
                  padding: Int = 1) -> [Layer] {
            [Convolution(name: "conv\(i)", inputChannels: inC, filters: f, kernel: kernel,
                         stride: stride, padding: padding, tuning: tuning),
             ReLU(name: "relu\(i)")]
        }
        var layers: [Layer] = [Dropout(name: "drop0", probability: 0.2)]
        layers += conv(1, inputChannels, 96)
        layers += conv(2, 96, 96)
        layers += conv(3, 96, 96, stride: 2)
        layers.append(Dropout(name: "drop3", probability: 0.5))
        layers += conv(4, 96, 192)
        layers += conv(5, 192, 192)
        layers += conv(6, 192, 192, stride: 2)
        layers.append(Dropout(name: "drop6", probability: 0.5))
        layers += conv(7, 192, 192, padding: 0)
        layers += conv(8, 192, 192, kernel: 1, padding: 0)
        layers += conv(9, 192, classes, kernel: 1, padding: 0)
        layers.append(GlobalAveragePool(name: "pool"))
        return Network(name: "allcnn", inputShape: [inputChannels, inputHeight, inputWidth],
                       layers: layers)
    }

    /// Where a ResNet first reduces its input.
    public enum ResNetStem: String, Sendable, CaseIterable {
        /// 3x3x64 stride 1 convolution, no pooling: for 32x32 images, which a 4x reduction
        /// up front would leave at 8x8 before the first block.
        case cifar
        /// 7x7x64 stride 2 convolution and 3x3 stride 2 max pooling: 224 -> 112 -> 56.
        case imagenet
    }

    /// ResNet-10, the paper's ImageNet network: a stem, four basic residual blocks of
    /// width 64, 128, 256 and 512 (stride 2 from the second on, projection shortcuts where
    /// the shape changes), global average pooling and one fully connected layer.
    ///
    /// imagenet stem: (N, 3, 224, 224) -> conv 7x7x64 stride 2 pad 3 -> BN -> ReLU
    /// -> (N, 64, 112, 112) -> maxpool 3x3 stride 2 -> (N, 64, 56, 56) -> res1 (56)
    /// -> res2 (N, 128, 28, 28) -> res3 (N, 256, 14, 14) -> res4 (N, 512, 7, 7) -> pool
    /// -> fc -> logits (N, classes).
    /// cifar stem: (N, 3, 32, 32) -> conv 3x3x64 pad 1 -> BN -> ReLU -> res1 (32) -> res2
    /// (16) -> res3 (8) -> res4 (N, 512, 4, 4) -> pool -> fc.
    ///
    /// The stem's max pooling has no padding: with Caffe's ceil output rule (our `MaxPool`)
    /// pad 0 maps 112 to 56, as in Caffe's ResNet prototxts, whereas PyTorch's pad 1 (floor
    /// rule) would give 57 here. The 56 windows start at 0, 2, ..., 110, one pixel right of
    /// PyTorch's; the last one sees only two columns.
    ///
    /// Convolutions have no bias and MSRA weights; the fc layer has MSRA weights and a zero
    /// bias. Two-phase training fine-tunes "fc" only.
    public static func resnet10(stem: ResNetStem, inputChannels: Int = 3, inputSize: Int,
                                classes: Int,
                                tuning: ConvolutionTuning = .standard) -> Network {
        resnet10(stem: stem, inputChannels: inputChannels, inputHeight: inputSize, inputWidth: inputSize,
                 classes: classes, tuning: tuning)
    }

    /// ResNet-10 on `inputHeight` x `inputWidth` images (see the input rule above).
    public static func resnet10(stem: ResNetStem, inputChannels: Int, inputHeight: Int, inputWidth: Int,
                                classes: Int, tuning: ConvolutionTuning = .standard) -> Network {
        var layers: [Layer] = []
        switch stem {
        case .cifar:
            layers.append(Convolution(name: "conv1", inputChannels: inputChannels, filters: 64,
                                      kernel: 3, stride: 1, padding: 1, bias: false,
                                      initialization: .msra, tuning: tuning))
        case .imagenet:
            layers.append(Convolution(name: "conv1", inputChannels: inputChannels, filters: 64,
                                      kernel: 7, stride: 2, padding: 3, bias: false,
                                      initialization: .msra, tuning: tuning))
        }
        layers.append(BatchNorm(name: "bn1", channels: 64))
        layers.append(ReLU(name: "relu1"))
        if stem == .imagenet { layers.append(MaxPool(name: "pool1", kernel: 3, stride: 2)) }
        layers.append(ResidualBlock(name: "res1", inputChannels: 64, outputChannels: 64,
                                    tuning: tuning))
        layers.append(ResidualBlock(name: "res2", inputChannels: 64, outputChannels: 128,
                                    stride: 2, tuning: tuning))
        layers.append(ResidualBlock(name: "res3", inputChannels: 128, outputChannels: 256,
                                    stride: 2, tuning: tuning))
        layers.append(ResidualBlock(name: "res4", inputChannels: 256, outputChannels: 512,
                                    stride: 2, tuning: tuning))
        layers.append(GlobalAveragePool(name: "pool"))
        layers.append(FullyConnected(name: "fc", inputs: 512, outputs: classes,
                                     initialization: .msra))
        return Network(name: "resnet10", inputShape: [inputChannels, inputHeight, inputWidth],
                       layers: layers)
    }

    /// The layer that maps features to one score per class, per model: the layer cRT
    /// re-initialises and retrains, whose class vectors tau-norm rescales, and that LDAM's
    /// cosine classifier replaces (LeNet-5's and ResNet-10's fully connected output layer,
    /// All-CNN's last 1x1 convolution).
    public static func classifierLayer(model: String) -> String {
        switch model {
        case "allcnn": return "conv9"
        case "resnet10": return "fc"
        default: return "ip2"
        }
    }

    /// Names of the layers that two-phase training fine-tunes, per model (PROTOCOL).
    public static func fineTunedLayers(model: String) -> Set<String> {
        switch model {
        case "lenet5": return ["ip2"]
        case "allcnn": return ["conv8", "conv9"]
        case "resnet10": return ["fc"]
        default: return []
        }
    }
}

/// The input a model was designed for: what `Models.make` builds when no shape is given.
public struct ModelInput: Sendable, Equatable {
    public var channels: Int
    /// Height and width (square images).
    public var size: Int
    /// The dataset the paper trains the model on.
    public var dataset: String

    public var description: String { "\(channels)x\(size)x\(size) (\(dataset))" }
}

extension Models {
    /// Model names the command line and configs accept.
    public static let known: Set<String> = ["lenet5", "allcnn", "resnet10"]

    /// Each model's native input. resnet10 also accepts 32x32 images (the cifar stem).
    public static let nativeInputs: [String: ModelInput] = [
        "lenet5": ModelInput(channels: 1, size: 28, dataset: "MNIST"),
        "allcnn": ModelInput(channels: 3, size: 32, dataset: "CIFAR-10"),
        "resnet10": ModelInput(channels: 3, size: 224, dataset: "ImageNet crops"),
    ]

    /// "lenet5: 1x28x28 (MNIST)"-style line per model, for help texts and error messages.
    public static func inputDescription(model: String) -> String? {
        guard let input = nativeInputs[model] else { return nil }
        var text = "\(model): \(input.description)"
        if model == "resnet10" {
            text += "; inputs of 64x64 or less get the CIFAR stem (3x3 conv, no pooling)"
        }
        return text
    }

    /// Builds a model by name. Without a shape, the model's native input (`nativeInputs`);
    /// `inputSize` gives a square one, `inputHeight` and `inputWidth` any (see the input
    /// rule above); resnet10 picks its stem from the shorter side: CIFAR's up to 64, ImageNet's above.
    /// `tuning` is every convolution's (how they compute, never what).
    public static func make(_ name: String, classes: Int, inputChannels: Int? = nil,
                            inputSize: Int? = nil, inputHeight: Int? = nil,
                            inputWidth: Int? = nil,
                            tuning: ConvolutionTuning = .standard) throws -> Network {
        guard let native = nativeInputs[name] else {
            throw ModelError(description: "unknown model '\(name)' (expected one of \(known.sorted().joined(separator: ", ")))")
        }
        let channels = inputChannels ?? native.channels
        let height = inputHeight ?? inputSize ?? native.size, width = inputWidth ?? inputSize ?? native.size
        guard classes >= 1, channels >= 1, height >= 1, width >= 1 else {
            throw ModelError(description: "model '\(name)': classes (\(classes)), input channels (\(channels)) and size (\(height)x\(width)) must be positive")
        }
        let shorter = min(height, width)
        switch name {
        case "lenet5":
            guard shorter >= 16 else {
                throw ModelError(description: "model 'lenet5' needs inputs of at least 16x16 (got \(height)x\(width))")
            }
            return lenet5(inputChannels: channels, inputHeight: height, inputWidth: width, classes: classes,
                          tuning: tuning)
        case "allcnn":
            guard shorter >= 9 else {
                throw ModelError(description: "model 'allcnn' needs inputs of at least 9x9 (two stride-2 convolutions, then a 3x3 without padding; got \(height)x\(width))")
            }
            return allCNN(inputChannels: channels, inputHeight: height, inputWidth: width, classes: classes,
                          tuning: tuning)
        default:
            return resnet10(stem: shorter <= 64 ? .cifar : .imagenet, inputChannels: channels,
                            inputHeight: height, inputWidth: width, classes: classes, tuning: tuning)
        }
    }
}

public struct ModelError: Error, CustomStringConvertible {
    public var description: String
}
