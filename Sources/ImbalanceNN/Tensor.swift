/// A Float32 tensor with owned, fixed storage, laid out row-major (NCHW for images).
///
/// A class rather than a struct on purpose: the training loop hands the same buffers to
/// every layer at every step, and a value type would invite silent copy-on-write copies in
/// the hot path. Storage is allocated once, at construction, and freed at deinit.
public final class Tensor: @unchecked Sendable {
    public private(set) var shape: [Int]
    public let capacity: Int
    public let pointer: UnsafeMutablePointer<Float>

    public init(shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        capacity = Swift.max(1, shape.reduce(1, *))
        pointer = .allocate(capacity: capacity)
        pointer.initialize(repeating: 0, count: capacity)
    }

    public convenience init(shape: [Int], values: [Float]) {
        self.init(shape: shape)
        precondition(values.count == count, "\(values.count) values for shape \(shape)")
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: count) }
    }

    deinit { pointer.deallocate() }

    public var count: Int { shape.reduce(1, *) }
    public var buffer: UnsafeMutableBufferPointer<Float> { .init(start: pointer, count: count) }

    /// Changes the logical shape without reallocating; a smaller last batch reuses the
    /// buffers of a full one.
    public func reshape(_ newShape: [Int]) {
        precondition(newShape.reduce(1, *) <= capacity,
                     "shape \(newShape) exceeds the capacity \(capacity)")
        shape = newShape
    }

    public func zero() { pointer.update(repeating: 0, count: count) }

    public var array: [Float] { Array(buffer) }

    public subscript(i: Int) -> Float {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }
}

/// A trainable tensor with its gradient and Caffe's per-parameter multipliers.
public final class Parameter: @unchecked Sendable {
    public let name: String
    public let value: Tensor
    public let gradient: Tensor
    /// Multiplies the solver's learning rate (Caffe's `lr_mult`; LeNet gives biases 2).
    public var learningRateMultiplier: Float
    /// Multiplies the weight decay (Caffe's `decay_mult`).
    public var decayMultiplier: Float
    /// Frozen parameters get no gradient and no update (two-phase training's phase 2).
    public var isTrainable = true

    public init(name: String, shape: [Int], learningRateMultiplier: Float = 1,
                decayMultiplier: Float = 1) {
        self.name = name
        value = Tensor(shape: shape)
        gradient = Tensor(shape: shape)
        self.learningRateMultiplier = learningRateMultiplier
        self.decayMultiplier = decayMultiplier
    }
}
