import XCTest
import ImbalanceRandom
@testable import ImbalanceNN

/// Shapes, parameter counts, work counts and two-phase freezing of the study's networks,
/// each against a count worked out from the architecture's definition.
final class ModelTests: XCTestCase {
    private func forward(_ net: Network, batch: Int, training: Bool, seed: UInt64 = 1) -> Tensor {
        var rng = RandomStream(seed: seed)
        net.initialize(using: &rng)
        net.prepare(batch: batch)
        for i in 0..<net.input.count { net.input[i] = rng.uniformFloat() }
        var ctx = ForwardContext(training: training, dropoutRNG: RandomStream(seed: 2))
        return net.forward(context: &ctx)
    }

    private func parameterCount(_ net: Network) -> Int {
        net.parameters.reduce(0) { $0 + $1.value.count }
    }

    // MARK: weight initialisation

    func testDefaultInitialisationIsStillXavierOnTheSameStream() {
        // LeNet records depend on the exact random numbers the default layers draw.
        let conv = Convolution(name: "c", inputChannels: 3, filters: 5, kernel: 3)
        let fc = FullyConnected(name: "f", inputs: 7, outputs: 4)
        var a = RandomStream(seed: 42), b = RandomStream(seed: 42)
        conv.initialize(using: &a)
        fc.initialize(using: &a)
        let w1 = Tensor(shape: [5, 3, 3, 3]), w2 = Tensor(shape: [4, 7])
        Initializer.xavierUniform(w1, fanIn: 27, rng: &b)
        Initializer.xavierUniform(w2, fanIn: 7, rng: &b)
        XCTAssertEqual(conv.weight.value.array, w1.array)
        XCTAssertEqual(fc.weight.value.array, w2.array)
        XCTAssertEqual(conv.bias?.value.array, [Float](repeating: 0, count: 5))
        XCTAssertEqual(a.next(), b.next(), "the same number of draws")
    }

    func testMSRAInitialisationHasVarianceTwoOverFanIn() {
        let conv = Convolution(name: "c", inputChannels: 64, filters: 64, kernel: 3,
                               bias: false, initialization: .msra)
        var rng = RandomStream(seed: 7)
        conv.initialize(using: &rng)
        let w = conv.weight.value.array.map(Double.init)
        let n = Double(w.count)
        let mean = w.reduce(0, +) / n
        let variance = w.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / n
        let expected = 2.0 / 576
        // Standard errors: sqrt(var/n) for the mean, var*sqrt(2/n) (0.7%) for the variance.
        XCTAssertEqual(mean, 0, accuracy: 4 * (expected / n).squareRoot())
        XCTAssertEqual(variance, expected, accuracy: 4 * expected * (2 / n).squareRoot())
    }

    // MARK: LeNet-5 unchanged

    func testLeNetWorkCountUnchanged() {
        // conv1 20*24*24*(1*5*5) + conv2 50*8*8*(20*5*5) + ip1 800*500 + ip2 500*10
        let net = Models.lenet5()
        XCTAssertEqual(net.forwardMACsPerImage,
                       20 * 24 * 24 * 25 + 50 * 8 * 8 * 500 + 800 * 500 + 500 * 10)
        XCTAssertEqual(try Models.make("lenet5", classes: 10).inputShape, [1, 28, 28])
    }

    // MARK: All-CNN-C

    /// (input channels, filters, kernel, output side) of conv1...conv9 for 32x32 inputs.
    private func allCNNConvs(classes: Int) -> [(Int, Int, Int, Int)] {
        [(3, 96, 3, 32), (96, 96, 3, 32), (96, 96, 3, 16),
         (96, 192, 3, 16), (192, 192, 3, 16), (192, 192, 3, 8),
         (192, 192, 3, 6), (192, 192, 1, 6), (192, classes, 1, 6)]
    }

    func testAllCNNShapes() {
        let net = Models.allCNN(classes: 10)
        XCTAssertEqual(net.inputShape, [3, 32, 32])
        let out = forward(net, batch: 2, training: true)
        XCTAssertEqual(out.shape, [2, 10])
        // The layer after each convolution's ReLU has the side the architecture says.
        var sides: [Int] = []
        for (i, layer) in net.layers.enumerated() where layer is Convolution {
            sides.append(net.activations[i + 1].shape[2])
        }
        XCTAssertEqual(sides, allCNNConvs(classes: 10).map(\.3))
        XCTAssertEqual(net.layers.compactMap { $0 as? Convolution }.map(\.name),
                       (1...9).map { "conv\($0)" })
        XCTAssertEqual(net.layers.compactMap { $0 as? Dropout }.map(\.probability), [0.2, 0.5, 0.5])
        // Logits are averages of ReLU outputs, so never negative.
        XCTAssertTrue(out.array.allSatisfy { $0 >= 0 })
        let inference = forward(net, batch: 3, training: false)
        XCTAssertEqual(inference.shape, [3, 10])
    }

    func testAllCNNParameterCount() {
        let net = Models.allCNN(classes: 10)
        let byHand = allCNNConvs(classes: 10).reduce(0) { $0 + $1.0 * $1.1 * $1.2 * $1.2 + $1.1 }
        XCTAssertEqual(byHand, 1_369_738)   // Springenberg et al.'s All-CNN-C on CIFAR-10
        XCTAssertEqual(parameterCount(net), byHand)
        XCTAssertEqual(parameterCount(Models.allCNN(classes: 100)),
                       allCNNConvs(classes: 100).reduce(0) { $0 + $1.0 * $1.1 * $1.2 * $1.2 + $1.1 })
    }

    func testAllCNNWorkCount() {
        let byHand = allCNNConvs(classes: 10).reduce(0) { $0 + $1.1 * $1.3 * $1.3 * $1.0 * $1.2 * $1.2 }
        XCTAssertEqual(Models.allCNN(classes: 10).forwardMACsPerImage, byHand)
    }

    // MARK: ResNet-10

    /// Convolution weights and BN parameters of ResNet-10 by hand: stem, then per block
    /// two 3x3 convolutions, a 1x1 projection where the shape changes, two (or three) BNs.
    private func resnet10ParameterCount(stemKernel: Int, classes: Int) -> Int {
        var total = 3 * 64 * stemKernel * stemKernel + 2 * 64
        for (c, f) in [(64, 64), (64, 128), (128, 256), (256, 512)] {
            total += c * f * 9 + f * f * 9 + 2 * 2 * f
            if c != f || f != 64 { total += c * f + 2 * f }
        }
        return total + 512 * classes + classes
    }

    func testResNet10CIFARShapesAndParameters() {
        let net = Models.resnet10(stem: .cifar, inputSize: 32, classes: 10)
        XCTAssertFalse(net.layers.contains { $0 is MaxPool })
        let out = forward(net, batch: 2, training: true)
        XCTAssertEqual(out.shape, [2, 10])
        let blockSides = net.layers.enumerated().filter { $0.element is ResidualBlock }
            .map { net.activations[$0.offset + 1].shape }
        XCTAssertEqual(blockSides, [[2, 64, 32, 32], [2, 128, 16, 16], [2, 256, 8, 8], [2, 512, 4, 4]])
        XCTAssertEqual(parameterCount(net), resnet10ParameterCount(stemKernel: 3, classes: 10))
        XCTAssertEqual(forward(net, batch: 2, training: false).shape, [2, 10])
        // Only res1 keeps the identity shortcut.
        XCTAssertEqual(net.layers.compactMap { $0 as? ResidualBlock }.map { $0.shortcut == nil },
                       [true, false, false, false])
    }

    func testResNet10ImageNetShapes() {
        let net = Models.resnet10(stem: .imagenet, inputSize: 224, classes: 7)
        let out = forward(net, batch: 1, training: true)
        XCTAssertEqual(out.shape, [1, 7])
        let shapes = Dictionary(uniqueKeysWithValues: net.layers.enumerated().map {
            ($0.element.name, net.activations[$0.offset + 1].shape)
        })
        XCTAssertEqual(shapes["conv1"], [1, 64, 112, 112])
        XCTAssertEqual(shapes["pool1"], [1, 64, 56, 56], "Caffe's ceil rule, pad 0: 112 -> 56")
        XCTAssertEqual(shapes["res1"], [1, 64, 56, 56])
        XCTAssertEqual(shapes["res4"], [1, 512, 7, 7])
        XCTAssertEqual(parameterCount(net), resnet10ParameterCount(stemKernel: 7, classes: 7))
    }

    func testResNet10WorkCountIncludesTheBlocks() {
        // cifar stem on 32x32: stem 64*32*32*27; per block conv1 (stride s) + conv2 + 1x1 projection.
        var byHand = 64 * 32 * 32 * 27
        var side = 32
        for (c, f, s) in [(64, 64, 1), (64, 128, 2), (128, 256, 2), (256, 512, 2)] {
            side = (side - 1) / s + 1
            byHand += f * side * side * c * 9 + f * side * side * f * 9
            if s != 1 { byHand += f * side * side * c }
        }
        byHand += 512 * 10
        XCTAssertEqual(Models.resnet10(stem: .cifar, inputSize: 32, classes: 10).forwardMACsPerImage,
                       byHand)
    }

    // MARK: by name

    func testMakeByName() throws {
        XCTAssertEqual(Models.known, ["lenet5", "allcnn", "resnet10"])
        for name in Models.known {
            XCTAssertNotNil(Models.nativeInputs[name], name)
            XCTAssertNotNil(Models.inputDescription(model: name), name)
        }
        XCTAssertEqual(try Models.make("allcnn", classes: 10).inputShape, [3, 32, 32])
        let small = try Models.make("resnet10", classes: 10, inputChannels: 3, inputSize: 32)
        XCTAssertFalse(small.layers.contains { $0 is MaxPool }, "32x32 gets the CIFAR stem")
        let large = try Models.make("resnet10", classes: 1000)
        XCTAssertEqual(large.inputShape, [3, 224, 224])
        XCTAssertTrue(large.layers.contains { $0 is MaxPool }, "224x224 gets the ImageNet stem")
        XCTAssertThrowsError(try Models.make("vgg16", classes: 10)) { error in
            XCTAssertTrue("\(error)".contains("vgg16"))
        }
        XCTAssertThrowsError(try Models.make("allcnn", classes: 10, inputSize: 8))
    }

    // MARK: two-phase freezing

    func testFreezeLeavesExactlyTheFineTunedLayersTrainable() throws {
        let expected: [String: Set<String>] = [
            "lenet5": ["ip2.weight", "ip2.bias"],
            "allcnn": ["conv8.weight", "conv8.bias", "conv9.weight", "conv9.bias"],
            "resnet10": ["fc.weight", "fc.bias"],
        ]
        for name in Models.known {
            let net = try Models.make(name, classes: 10, inputSize: name == "resnet10" ? 32 : nil)
            net.freezeAll(except: Models.fineTunedLayers(model: name))
            let trainable = Set(net.parameters.filter(\.isTrainable).map(\.name))
            XCTAssertEqual(trainable, expected[name], name)
            let lowest = try XCTUnwrap(net.firstTrainableLayer)
            XCTAssertTrue(Models.fineTunedLayers(model: name).contains(net.layers[lowest].name), name)
            net.unfreezeAll()
            XCTAssertTrue(net.parameters.allSatisfy(\.isTrainable), name)
        }
    }

    func testPhaseTwoChangesNothingBelowTheFineTunedLayer() throws {
        // A training step with everything but fc frozen: BN keeps its running statistics
        // and normalises with them, so the frozen part computes what it computes at test time.
        let net = Models.resnet10(stem: .cifar, inputSize: 8, classes: 3)
        _ = forward(net, batch: 4, training: true)   // phase 1: statistics move
        let norms = net.layers.flatMap { layer -> [BatchNorm] in
            if let bn = layer as? BatchNorm { return [bn] }
            if let block = layer as? ResidualBlock { return block.innerLayers.compactMap { $0 as? BatchNorm } }
            return []
        }
        XCTAssertEqual(norms.count, 1 + 2 + 3 * 3)
        let statistics = norms.map { $0.runningMean.array + $0.runningVariance.array }
        XCTAssertFalse(statistics.allSatisfy { s in s.prefix(s.count / 2).allSatisfy { $0 == 0 } })

        net.freezeAll(except: Models.fineTunedLayers(model: "resnet10"))
        var ctx = ForwardContext(training: false, dropoutRNG: RandomStream(seed: 2))
        let inferenceLogits = net.forward(context: &ctx).array
        ctx.training = true
        let trainingLogits = net.forward(context: &ctx).array
        XCTAssertEqual(trainingLogits, inferenceLogits)
        net.outputGradient.buffer.update(repeating: 0.25)
        net.backward()
        XCTAssertEqual(norms.map { $0.runningMean.array + $0.runningVariance.array }, statistics)
        let fc = try XCTUnwrap(net.layers.last as? FullyConnected)
        XCTAssertTrue(fc.bias.gradient.array.allSatisfy { $0 == 0.25 * 4 })
    }

    /// Phase 2 of two-phase training: backward stops at the lowest fine-tuned layer, which
    /// gets no input gradient. The fine-tuned layers' gradients have the bits of a full
    /// backward from the same forward pass (the same weight-gradient calls in the same
    /// order; the lowest layer only skips its input-gradient calls), and no frozen
    /// parameter's gradient is written.
    func testPhaseTwoBackwardGivesTheFineTunedLayersTheirFullGradients() throws {
        for (name, batch) in [("lenet5", 5), ("allcnn", 3)] {
            let net = try Models.make(name, classes: 10)
            let out = forward(net, batch: batch, training: true)
            var rng = RandomStream(seed: 9)
            for i in 0..<out.count { net.outputGradient[i] = 2 * rng.uniformFloat() - 1 }
            net.backward()
            let fineTuned = Models.fineTunedLayers(model: name)
            let tuned = net.layers.filter { fineTuned.contains($0.name) }.flatMap(\.parameters)
            let full = tuned.map { $0.gradient.array.map(\.bitPattern) }
            net.freezeAll(except: fineTuned)
            for p in net.parameters { p.gradient.buffer.update(repeating: .nan) }
            net.backward()
            XCTAssertEqual(tuned.map { $0.gradient.array.map(\.bitPattern) }, full, name)
            for p in net.parameters where !p.isTrainable {
                XCTAssertTrue(p.gradient.array.allSatisfy(\.isNaN), "\(name): \(p.name) written")
            }
            net.unfreezeAll()
        }
    }

    func testResNet10LearnsAFixedBatch() {
        // End to end through every block: a few SGD steps must fit four labelled images.
        let net = Models.resnet10(stem: .cifar, inputSize: 8, classes: 4)
        var rng = RandomStream(seed: 5)
        net.initialize(using: &rng)
        net.prepare(batch: 4)
        for i in 0..<net.input.count { net.input[i] = rng.uniformFloat() }
        let labels = [0, 1, 2, 3]
        let solver = SGD(parameters: net.parameters, momentum: 0.9, weightDecay: 1e-4)
        var ctx = ForwardContext(training: true, dropoutRNG: RandomStream(seed: 2))
        var losses: [Double] = []
        for _ in 0..<25 {
            let logits = net.forward(context: &ctx)
            let loss = labels.withUnsafeBufferPointer { y in
                SoftmaxCrossEntropy.evaluate(logits: logits.pointer, labels: y.baseAddress!,
                                             batch: 4, classes: 4, probabilities: nil,
                                             logitsGradient: net.outputGradient.pointer)
            }
            losses.append(loss)
            net.backward()
            solver.step(learningRate: 0.02)
        }
        XCTAssertTrue(losses.allSatisfy(\.isFinite))
        XCTAssertLessThan(losses.suffix(3).reduce(0, +) / 3, 0.2 * losses[0],
                          "losses: \(losses.map { String(format: "%.3f", $0) })")
    }
}
