/// The networks of the study.
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
                              classes: Int = 10) -> Network {
        let c1 = inputSize - 4, p1 = c1 / 2, c2 = p1 - 4, p2 = c2 / 2
        return Network(name: "lenet5", inputShape: [inputChannels, inputSize, inputSize], layers: [
            Convolution(name: "conv1", inputChannels: inputChannels, filters: 20, kernel: 5,
                        biasLearningRateMultiplier: 2),
            MaxPool(name: "pool1", kernel: 2, stride: 2),
            Convolution(name: "conv2", inputChannels: 20, filters: 50, kernel: 5,
                        biasLearningRateMultiplier: 2),
            MaxPool(name: "pool2", kernel: 2, stride: 2),
            FullyConnected(name: "ip1", inputs: 50 * p2 * p2, outputs: 500,
                           biasLearningRateMultiplier: 2),
            ReLU(name: "relu1"),
            FullyConnected(name: "ip2", inputs: 500, outputs: classes,
                           biasLearningRateMultiplier: 2),
        ])
    }

    /// Names of the layers that two-phase training fine-tunes, per model (PROTOCOL).
    public static func fineTunedLayers(model: String) -> Set<String> {
        switch model {
        case "lenet5": return ["ip2"]
        default: return []
        }
    }
}

extension Models {
    /// Model names the command line and configs accept.
    public static let known: Set<String> = ["lenet5"]

    /// Builds a model by name for inputs of the given shape.
    public static func make(_ name: String, classes: Int, inputChannels: Int = 1,
                            inputSize: Int = 28) throws -> Network {
        switch name {
        case "lenet5":
            return lenet5(inputChannels: inputChannels, inputSize: inputSize, classes: classes)
        default:
            throw ModelError(description: "unknown model '\(name)' (expected one of \(known.sorted().joined(separator: ", ")))")
        }
    }
}

public struct ModelError: Error, CustomStringConvertible {
    public var description: String
}
