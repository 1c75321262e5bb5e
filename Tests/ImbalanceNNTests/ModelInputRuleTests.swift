import XCTest
import ImbalanceRandom
@testable import ImbalanceNN

/// The input rule of `Models`: the paper's inputs build the paper's networks unchanged;
/// other channels, sizes (square or not) and class counts give the shapes and parameter
/// counts the rule states.
final class ModelInputRuleTests: XCTestCase {
    private func parameterCount(_ net: Network) -> Int { net.parameters.reduce(0) { $0 + $1.value.count } }

    private func outputShape(_ net: Network, batch: Int = 2) -> [Int] {
        net.prepare(batch: batch)
        return net.output.shape
    }

    func testNativeInputsBuildTheSameNetworks() throws {
        // Counts from the layer definitions (conv weights + biases, FC weights + biases).
        let lenet = try Models.make("lenet5", classes: 10)
        XCTAssertEqual(parameterCount(lenet), (20 * 25 + 20) + (50 * 20 * 25 + 50) + (800 * 500 + 500) + (500 * 10 + 10))
        XCTAssertEqual(lenet.inputShape, [1, 28, 28])
        let square = Models.lenet5(inputChannels: 1, inputSize: 28, classes: 10)
        let rect = Models.lenet5(inputChannels: 1, inputHeight: 28, inputWidth: 28, classes: 10)
        XCTAssertEqual(zip(square.layers, rect.layers).map { $0.0.name == $0.1.name }, Array(repeating: true, count: 7))
        XCTAssertEqual(parameterCount(square), parameterCount(rect))
        var a = RandomStream(seed: 5), b = RandomStream(seed: 5)
        square.initialize(using: &a); rect.initialize(using: &b)
        XCTAssertEqual(square.parameters.map { Array(UnsafeBufferPointer(start: $0.value.pointer, count: $0.value.count)) },
                       rect.parameters.map { Array(UnsafeBufferPointer(start: $0.value.pointer, count: $0.value.count)) })
        XCTAssertEqual(try Models.make("allcnn", classes: 10, inputChannels: 3, inputHeight: 32, inputWidth: 32).inputShape, [3, 32, 32])
    }

    func testOtherSizesChannelsAndClasses() throws {
        // LeNet-5 on 1 x 64 x 48: ((64-4)/2-4)/2 = 13, ((48-4)/2-4)/2 = 9 -> 50 * 13 * 9 inputs to ip1.
        let lenet = try Models.make("lenet5", classes: 3, inputChannels: 1, inputHeight: 64, inputWidth: 48)
        XCTAssertEqual(outputShape(lenet), [2, 3])
        XCTAssertEqual(parameterCount(lenet), (20 * 25 + 20) + (50 * 20 * 25 + 50) + (50 * 13 * 9 * 500 + 500) + (500 * 3 + 3))
        // All-CNN and ResNet-10: global pooling keeps the parameters independent of the size.
        let a32 = try Models.make("allcnn", classes: 7, inputChannels: 1, inputSize: 32)
        let a50 = try Models.make("allcnn", classes: 7, inputChannels: 1, inputHeight: 50, inputWidth: 40)
        XCTAssertEqual(parameterCount(a32), parameterCount(a50))
        XCTAssertEqual(outputShape(a50), [2, 7])
        let r28 = try Models.make("resnet10", classes: 2, inputChannels: 1, inputSize: 28)
        let r64 = try Models.make("resnet10", classes: 2, inputChannels: 1, inputHeight: 64, inputWidth: 100)
        XCTAssertFalse(r64.layers.contains { $0 is MaxPool }, "shorter side 64: the CIFAR stem")
        XCTAssertEqual(parameterCount(r28), parameterCount(r64))
        XCTAssertEqual(outputShape(r64, batch: 1), [1, 2])
        let r80 = try Models.make("resnet10", classes: 2, inputChannels: 3, inputHeight: 80, inputWidth: 96)
        XCTAssertTrue(r80.layers.contains { $0 is MaxPool }, "shorter side above 64: the ImageNet stem")
        XCTAssertEqual(outputShape(r80, batch: 1), [1, 2])
        XCTAssertThrowsError(try Models.make("lenet5", classes: 2, inputHeight: 40, inputWidth: 15)) { e in
            XCTAssertTrue("\(e)".contains("at least 16x16 (got 40x15)"), "\(e)")
        }
    }
}
