import XCTest
import ImbalanceKernels
import ImbalanceRandom
@testable import ImbalanceNN

/// `ConvolutionPlan` on its own: a pure value from shapes and tuning, each field against
/// the rule that sets it, worked out by hand for the study's layers.
final class ConvolutionPlanTests: XCTestCase {
    private func plan(_ c: Int, _ f: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                      size: Int, batch: Int, tuning: ConvolutionTuning = .standard)
        -> ConvolutionPlan {
        ConvolutionPlan(geometry: ConvGeometry(channels: c, height: size, width: size,
                                               kernel: kernel, stride: stride, pad: padding),
                        filters: f, images: batch, tuning: tuning)
    }

    func testChunksAreEqualAndDealtToAtMostFourGroups() {
        // 64 images with room for 18: 4 x 16, not 18 + 18 + 18 + 10.
        let p = ChunkPlan(images: 64, most: 18)
        XCTAssertEqual([p.chunk, p.chunkCount, p.groups], [16, 4, 4])
        // 7 images, 2 at most: 2, 2, 2, 1 in four groups.
        let q = ChunkPlan(images: 7, most: 2)
        XCTAssertEqual([q.chunk, q.chunkCount, q.groups], [2, 4, 4])
        var seen: [(Int, Int, Int)] = []
        q.forEachChunk { group, _, start, count in seen.append((group, start, count)) }
        XCTAssertEqual(seen.map(\.0), [0, 1, 2, 3])
        XCTAssertEqual(seen.map(\.1), [0, 2, 4, 6])
        XCTAssertEqual(seen.map(\.2), [2, 2, 2, 1])
        XCTAssertTrue(q.isFirst(start: 4, group: 2))
        XCTAssertFalse(ChunkPlan(images: 9, most: 1).isFirst(start: 4, group: 0))
        // No images: nothing to run, one (empty) group.
        let none = ChunkPlan(images: 0, most: 5)
        XCTAssertEqual([none.chunkCount, none.groups], [0, 1])
        // A huge budget: one chunk of the whole batch.
        XCTAssertEqual(ChunkPlan(images: 5, most: 1000).chunkCount, 1)
    }

    func testLeNetLayers() {
        // conv1: 25 x 576 = 14,400 floats per image, under the 16,384 budget: one image per
        // chunk, 64 chunks in 4 groups; one input channel, so no kernel rows; pooling fused.
        let c1 = plan(1, 20, kernel: 5, size: 28, batch: 64)
        XCTAssertEqual([c1.chunks.chunk, c1.chunks.chunkCount, c1.chunks.groups], [1, 64, 4])
        XCTAssertEqual(c1.bandRows, 24)
        XCTAssertFalse(c1.kernelRows)
        XCTAssertNil(c1.winograd)
        XCTAssertEqual(c1.methods, [.direct])
        XCTAssertTrue(c1.fusesPooling)
        XCTAssertEqual(c1.directColumnFloats, 25 * 576)
        // conv2: C*KW = 100 >= 64, kernel rows; its 1 x 5 column matrix holds 20*5 rows of
        // (8 + 4) * 8 columns.
        let c2 = plan(20, 50, kernel: 5, size: 12, batch: 64)
        XCTAssertTrue(c2.kernelRows)
        XCTAssertEqual(c2.rowGeometry?.patchSize, 100)
        XCTAssertEqual(c2.directColumnFloats, max(500 * 64, 100 * 12 * 8))
        XCTAssertTrue(c2.fusesPooling)
        // Without fusion in the tuning, or with several images per chunk, no fusion.
        XCTAssertFalse(plan(20, 50, kernel: 5, size: 12, batch: 64,
                            tuning: ConvolutionTuning(fusesPooling: false)).fusesPooling)
        let wide = plan(20, 50, kernel: 5, size: 12, batch: 64,
                        tuning: ConvolutionTuning(columnBudget: 262_144))
        XCTAssertEqual(wide.chunks.chunk, 8)
        XCTAssertFalse(wide.kernelRows)
        XCTAssertFalse(wide.fusesPooling)
    }

    func testAllCNNLayers() {
        // conv2: 864 x 1024 floats per image exceed the 262,144 band budget: bands of at
        // most 262,144 / (864 * 32) = 9 rows, so 4 bands of 8; Winograd for every pass.
        let c2 = plan(96, 96, kernel: 3, padding: 1, size: 32, batch: 64)
        XCTAssertEqual(c2.bandRows, 8)
        XCTAssertEqual(c2.methods, [.winograd])
        XCTAssertEqual([c2.forward, c2.backwardData, c2.backwardWeights],
                       [.winograd, .winograd, .winograd])
        // 256 tiles per Winograd chunk over 256 tiles per image: one image per chunk.
        XCTAssertEqual(c2.winograd?.chunks.chunk, 1)
        XCTAssertFalse(c2.fusesPooling)
        // conv3, stride 2: direct only, one image per chunk (884,736 / 256 floats per image).
        let c3 = plan(96, 96, kernel: 3, stride: 2, padding: 1, size: 32, batch: 64)
        XCTAssertEqual(c3.methods, [.direct])
        XCTAssertEqual(c3.bandRows, 16)
        // conv7: a 6-wide output is too narrow for the Winograd forward, not for its weight
        // gradient; 331,776 weights (over 262,144) want GEMMs of at least 128 columns, at 36
        // positions per image chunks of 4.
        let c7 = plan(192, 192, kernel: 3, size: 8, batch: 64)
        XCTAssertEqual([c7.forward, c7.backwardData, c7.backwardWeights],
                       [.direct, .direct, .winograd])
        XCTAssertEqual(c7.chunks.chunk, 4)
        XCTAssertEqual(c7.chunks.chunkCount, 16)
        XCTAssertEqual(c7.methods, [.direct, .winograd])
        // conv8, 1x1 with 36,864 weights: at least 64 columns, chunks of 2.
        XCTAssertEqual(plan(192, 192, kernel: 1, size: 6, batch: 64).chunks.chunk, 2)
    }

    func testResNetSmallMapsBatchImagesByTheirWeights() {
        // res4's 3x3: 512 x 4608 weights (> 262,144): GEMMs of at least 128 columns, so
        // 128 / 16 = 8 images per chunk; the 4x4 map gets the Winograd weight gradient, and
        // at 4 tiles per image 256 tiles per chunk take the whole batch of 64.
        let p = plan(512, 512, kernel: 3, padding: 1, size: 4, batch: 64)
        XCTAssertEqual(p.chunks.chunk, 8)
        XCTAssertEqual(p.backwardWeights, .winograd)
        XCTAssertEqual(p.forward, .direct)
        XCTAssertEqual(p.winograd?.chunks.chunkCount, 1)
        XCTAssertEqual(p.winograd?.planePieces, ChunkPlan.maxGroups)
        // A layer under the weight threshold keeps the 64-column floor: 4 images of 4x4.
        XCTAssertEqual(plan(16, 16, kernel: 1, size: 4, batch: 64).chunks.chunk, 64)
        XCTAssertEqual(plan(16, 16, kernel: 1, size: 4, batch: 64,
                            tuning: ConvolutionTuning(columnBudget: 1)).chunks.chunk, 4)
    }

    func testChoicesOverrideTheMeasuredRules() {
        let never = ConvolutionTuning(kernelRows: .never, winograd: .never)
        let always = ConvolutionTuning(kernelRows: .always, winograd: .always)
        let small = (c: 3, f: 4)
        XCTAssertEqual(plan(small.c, small.f, kernel: 3, padding: 1, size: 7, batch: 2).methods,
                       [.direct])
        let forced = plan(small.c, small.f, kernel: 3, padding: 1, size: 7, batch: 2,
                          tuning: always)
        XCTAssertEqual(forced.methods, [.winograd])
        XCTAssertFalse(forced.fusesPooling)
        XCTAssertEqual(plan(96, 96, kernel: 3, padding: 1, size: 32, batch: 2,
                            tuning: never).methods, [.direct])
        XCTAssertFalse(plan(20, 50, kernel: 5, size: 12, batch: 2, tuning: never).kernelRows)
        // Winograd applies to 3x3 stride 1 only, kernel rows to stride 1 only, whatever asked.
        XCTAssertEqual(plan(96, 96, kernel: 3, stride: 2, padding: 1, size: 8, batch: 2,
                            tuning: always).methods, [.direct])
        XCTAssertFalse(plan(3, 4, kernel: 3, stride: 2, size: 9, batch: 2,
                            tuning: always).kernelRows)
        XCTAssertFalse(plan(3, 4, kernel: 1, size: 9, batch: 2, tuning: always).kernelRows)
    }

    func testPlansAreValuesOfTheirInputs() {
        let a = plan(20, 50, kernel: 5, size: 12, batch: 64)
        XCTAssertEqual(a, plan(20, 50, kernel: 5, size: 12, batch: 64))
        XCTAssertNotEqual(a, plan(20, 50, kernel: 5, size: 12, batch: 63))
        XCTAssertTrue(a.description.contains("kernel rows"), a.description)
    }

    /// Shape queries are pure: asking for the shape or plan of another batch leaves the
    /// reserved plan alone (`imbench bench` asks for one image's work count).
    func testShapeQueriesHaveNoSideEffects() throws {
        let conv = Convolution(name: "c", inputChannels: 20, filters: 50, kernel: 5)
        conv.reserve(for: [64, 20, 12, 12])
        let reserved = conv.plan
        XCTAssertEqual(conv.outputShape(for: [1, 20, 12, 12]), [1, 50, 8, 8])
        XCTAssertEqual(conv.plan(for: [3, 20, 12, 12]).images, 3)
        XCTAssertEqual(conv.plan, reserved)

        let net = try Models.make("lenet5", classes: 10)
        var rng = RandomStream(seed: 3)
        net.initialize(using: &rng)
        net.prepare(batch: 64)
        for i in 0..<net.input.count { net.input[i] = rng.uniformFloat() }
        var ctx = ForwardContext(training: false, dropoutRNG: RandomStream(seed: 1))
        let before = net.forward(context: &ctx).array
        _ = net.layers[0].outputShape(for: [1, 1, 28, 28])
        _ = net.layers[2].outputShape(for: [3, 20, 12, 12])
        _ = net.forwardMACsPerImage
        XCTAssertEqual(net.forward(context: &ctx).array, before)
        XCTAssertNotEqual(before.suffix(10), Array(repeating: 0, count: 10))
    }

    /// The networks' layers get what the measured rules give them.
    func testAutomaticChoicesInTheModels() throws {
        let lenet = try Models.make("lenet5", classes: 10)
        lenet.prepare(batch: 64)
        // conv1 (one channel: GEMMs with 5-long inner dimensions) keeps the full columns.
        XCTAssertEqual(lenet.convolutions.filter { $0.plan!.kernelRows }.map(\.name), ["conv2"])
        XCTAssertEqual(lenet.stages.map(\.layer.name),
                       ["conv1+pool1", "conv2+pool2", "ip1", "relu1", "ip2"])

        let allcnn = try Models.make("allcnn", classes: 10)
        allcnn.prepare(batch: 2)
        XCTAssertEqual(allcnn.convolutions.filter { $0.plan!.forward == .winograd }.map(\.name),
                       ["conv2", "conv4", "conv5"])
        // The weight gradient's rule reaches smaller maps: conv7's 6x6 too.
        XCTAssertEqual(allcnn.convolutions.filter { $0.plan!.backwardWeights == .winograd }
                        .map(\.name), ["conv2", "conv4", "conv5", "conv7"])
    }

    func testTuningReachesEveryConvolutionOfAModel() throws {
        let tuning = ConvolutionTuning(winograd: .never, fusesPooling: false)
        let resnet = try Models.make("resnet10", classes: 10, inputChannels: 3, inputSize: 32,
                                     tuning: tuning)
        XCTAssertEqual(resnet.convolutions.count, 1 + 4 * 2 + 3)
        XCTAssertTrue(resnet.convolutions.allSatisfy { $0.tuning == tuning })
        let lenet = try Models.make("lenet5", classes: 10, tuning: tuning)
        lenet.prepare(batch: 8)
        XCTAssertEqual(lenet.stages.count, lenet.layers.count, "no fused stage")
        XCTAssertEqual(ConvolutionTuning(bandBudget: 0).invalidKnob,
                       "bandBudget must be at least 1 (got 0)")
        XCTAssertNil(ConvolutionTuning.standard.invalidKnob)
    }
}
