import Foundation
import ImbalanceData
import ImbalanceNN
import ImbalancePreprocessing
import ImbalanceRandom

/// Solver hyper-parameters of one training phase.
public struct SolverSettings: Sendable, Equatable {
    public var iterations: Int
    public var batchSize: Int
    public var baseLearningRate: Double
    public var policy: LearningRatePolicy
    public var momentum: Double
    public var weightDecay: Double

    public init(iterations: Int, batchSize: Int, baseLearningRate: Double,
                policy: LearningRatePolicy, momentum: Double, weightDecay: Double) {
        self.iterations = iterations; self.batchSize = batchSize
        self.baseLearningRate = baseLearningRate; self.policy = policy
        self.momentum = momentum; self.weightDecay = weightDecay
    }

    /// The paper's LeNet-5 solver (Caffe's lenet_solver.prototxt): lr 0.01, "inv" policy
    /// with gamma 1e-4 and power 0.75, momentum 0.9, weight decay 5e-4, batch 64, 10,000
    /// iterations.
    public static func lenet5(iterations: Int = 10_000, batchSize: Int = 64) -> SolverSettings {
        SolverSettings(iterations: iterations, batchSize: batchSize, baseLearningRate: 0.01,
                       policy: .inverse(gamma: 1e-4, power: 0.75), momentum: 0.9,
                       weightDecay: 5e-4)
    }
}

/// What the training loop reports while it runs.
public struct TrainingProgress: Sendable {
    public var iteration: Int
    public var iterations: Int
    public var loss: Double
    public var learningRate: Double
    public var imagesPerSecond: Double
    public var elapsedSeconds: Double
    public var etaSeconds: Double
}

/// The result of one training phase.
public struct TrainingOutcome: Sendable {
    public var iterationsRun: Int
    /// Mean training loss over the last `min(100, iterations)` iterations.
    public var finalLoss: Double
    public var divergedAt: Int?
    public var divergenceReason: String?
    public var curve: [CurvePointData]
    public var seconds: Double
    public var imagesPerSecond: Double
}

/// A learning-curve point before it becomes part of a record.
public struct CurvePointData: Sendable {
    public var iteration: Int
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var testLoss: Double
    public var testAccuracy: Double
}

/// Trains a `Network` with SGD on a list of example indices into an `ImageDataset`.
///
/// The list may repeat indices (oversampling). Batches come from a `BatchSampling` (by
/// default epochs, each shuffled by the batch-order stream, a batch that runs past the end
/// of an epoch continuing into the next one, as Caffe's data cursor wraps) and the loss of
/// each step from a `LossSchedule` (by default cross-entropy). Every buffer is allocated
/// before the first step.
public final class Trainer {
    public let network: Network
    public let classCount: Int
    public var progressInterval: Int = 50
    /// Stop after this many iterations, keeping the schedule of `settings.iterations`
    /// (`imbench reproduce --iterations`); nil runs them all.
    public var stopAfter: Int?

    /// Learning-curve period in iterations (0 = none) and how many test images to use.
    public var curveInterval: Int = 0
    public var curveTestLimit: Int = 2_000
    /// Images per forward pass when predicting (test sets, learning curves). 250 keeps the
    /// records of the paper's small inputs as they are; large inputs need less (a batch of
    /// 250 ResNet-10 activations at 224 x 224 is about 10 GB).
    public var evaluationBatch: Int = 250

    private var labelBuffer: UnsafeMutablePointer<Int>
    private var indexBuffer: UnsafeMutablePointer<Int>
    private var probabilityBuffer: UnsafeMutablePointer<Float>
    private var capacity: Int

    public init(network: Network, classCount: Int) {
        self.network = network
        self.classCount = classCount
        capacity = 0
        labelBuffer = .allocate(capacity: 1)
        indexBuffer = .allocate(capacity: 1)
        probabilityBuffer = .allocate(capacity: 1)
    }

    deinit {
        labelBuffer.deallocate(); indexBuffer.deallocate(); probabilityBuffer.deallocate()
    }

    private func reserve(batch: Int) {
        network.prepare(batch: batch)
        guard batch > capacity else { return }
        labelBuffer.deallocate(); indexBuffer.deallocate(); probabilityBuffer.deallocate()
        labelBuffer = .allocate(capacity: batch)
        indexBuffer = .allocate(capacity: batch)
        probabilityBuffer = .allocate(capacity: batch * classCount)
        capacity = batch
    }

    /// Runs `settings.iterations` SGD steps. Stops early, reporting divergence, if the loss
    /// or a parameter becomes NaN or infinite.
    public func train(on data: ImageDataset, indices: [Int], settings: SolverSettings,
                      orderRNG: inout RandomStream, dropoutRNG: inout RandomStream,
                      batches: BatchSampling = .epochs, loss: LossSchedule = .crossEntropy,
                      test: ImageDataset? = nil,
                      progress: ((TrainingProgress) -> Void)? = nil) -> TrainingOutcome {
        train(on: InputPipeline.scaled(data), indices: indices, settings: settings,
              orderRNG: &orderRNG, dropoutRNG: &dropoutRNG, batches: batches, loss: loss,
              test: test.map(InputPipeline.scaled), progress: progress)
    }

    /// As above, reading batches through a preprocessing/augmentation pipeline (in memory,
    /// or decoding images as it goes). Stops early when the source reports a `failure`.
    public func train(on data: some BatchSource, indices: [Int], settings: SolverSettings,
                      orderRNG: inout RandomStream, dropoutRNG: inout RandomStream,
                      batches: BatchSampling = .epochs, loss schedule: LossSchedule = .crossEntropy,
                      test: (any BatchSource)? = nil,
                      progress: ((TrainingProgress) -> Void)? = nil) -> TrainingOutcome {
        precondition(!indices.isEmpty, "cannot train on an empty set")
        let batch = settings.batchSize
        let solver = SGD(parameters: network.parameters, momentum: Float(settings.momentum),
                         weightDecay: Float(settings.weightDecay))
        let sampler = batches.make(indices: indices, labels: data.labels, classCount: classCount,
                                   rng: &orderRNG)
        var context = ForwardContext(training: true, dropoutRNG: dropoutRNG)
        var recentLoss = [Double](repeating: 0, count: 100)
        var curve: [CurvePointData] = []
        var windowLoss = 0.0, windowCorrect = 0, windowSeen = 0
        let start = DispatchTime.now().uptimeNanoseconds
        var divergedAt: Int?
        var reason: String?
        var it = 0
        reserve(batch: batch)
        let k = classCount
        let last = min(settings.iterations, stopAfter ?? settings.iterations)
        while it < last {
            sampler.next(into: indexBuffer, count: batch, iteration: it, iterations: settings.iterations,
                         rng: &orderRNG)
            data.fillBatch(indices: UnsafeBufferPointer(start: indexBuffer, count: batch),
                           into: network.input.pointer, labels: labelBuffer)
            if data.failure != nil { break }
            let logits = network.forward(context: &context)
            let loss = schedule.loss(at: it).evaluate(
                logits: logits.pointer, labels: labelBuffer, batch: batch, classes: k,
                probabilities: probabilityBuffer, logitsGradient: network.outputGradient.pointer)
            if !loss.isFinite {
                divergedAt = it; reason = "loss is \(loss)"
                break
            }
            network.backward()
            let rate = settings.policy.rate(base: settings.baseLearningRate, iteration: it)
            solver.step(learningRate: rate)
            recentLoss[it % 100] = loss
            if curveInterval > 0 {
                windowLoss += loss
                for b in 0..<batch where argmax(probabilityBuffer + b * k, k) == labelBuffer[b] {
                    windowCorrect += 1
                }
                windowSeen += batch
            }
            it += 1
            if it % 100 == 0 || it == settings.iterations,
               let bad = network.parameters.first(where: { !allFinite($0.value) }) {
                divergedAt = it; reason = "parameter \(bad.name) is not finite"
                break
            }
            if curveInterval > 0, it % curveInterval == 0 || it == settings.iterations {
                var point = CurvePointData(iteration: it,
                                           trainLoss: windowLoss / Double(max(1, windowSeen / batch)),
                                           trainAccuracy: Double(windowCorrect) / Double(max(1, windowSeen)),
                                           testLoss: .nan, testAccuracy: .nan)
                if let test {
                    let n = min(curveTestLimit, test.count)
                    let scores = predict(test, limit: n)
                    var nll = 0.0, correct = 0
                    for i in 0..<n {
                        let y = test.labels[i]
                        nll -= log(max(Double(scores[i * k + y]), 1e-30))
                        if argmax(scores, offset: i * k, k) == y { correct += 1 }
                    }
                    point.testLoss = nll / Double(n)
                    point.testAccuracy = Double(correct) / Double(n)
                    reserve(batch: batch)
                }
                curve.append(point)
                windowLoss = 0; windowCorrect = 0; windowSeen = 0
            }
            if let progress, it % progressInterval == 0 || it == settings.iterations {
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                let window = min(it, 100)
                let meanLoss = recentLoss.prefix(window).reduce(0, +) / Double(window)
                let ips = Double(it * batch) / max(elapsed, 1e-9)
                progress(TrainingProgress(
                    iteration: it, iterations: settings.iterations, loss: meanLoss,
                    learningRate: rate, imagesPerSecond: ips, elapsedSeconds: elapsed,
                    etaSeconds: elapsed / Double(it) * Double(settings.iterations - it)))
            }
        }
        dropoutRNG = context.dropoutRNG
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let window = min(it, 100)
        let finalLoss = window > 0 ? recentLoss.prefix(window).reduce(0, +) / Double(window) : .nan
        return TrainingOutcome(iterationsRun: it, finalLoss: finalLoss, divergedAt: divergedAt,
                               divergenceReason: reason, curve: curve, seconds: seconds,
                               imagesPerSecond: Double(it * batch) / max(seconds, 1e-9))
    }

    /// Softmax outputs (n, classCount), row-major, for the first `limit` images of `data`
    /// (all by default), in inference mode (dropout off).
    public func predict(_ data: ImageDataset, limit: Int? = nil, batch: Int? = nil) -> [Float] {
        predict(InputPipeline.scaled(data), limit: limit, batch: batch)
    }

    /// `batch` images per forward pass (default `evaluationBatch`).
    public func predict(_ data: some BatchSource, limit: Int? = nil, batch: Int? = nil) -> [Float] {
        let batch = batch ?? evaluationBatch
        let n = min(limit ?? data.count, data.count)
        let k = classCount
        var scores = [Float](repeating: 0, count: n * k)
        reserve(batch: batch)
        var context = ForwardContext(training: false, dropoutRNG: RandomStream(seed: 0))
        var start = 0
        scores.withUnsafeMutableBufferPointer { out in
            while start < n {
                let m = min(batch, n - start)
                network.prepare(batch: m)
                for b in 0..<m { indexBuffer[b] = start + b }
                data.fillBatch(indices: UnsafeBufferPointer(start: indexBuffer, count: m),
                               into: network.input.pointer, labels: labelBuffer)
                let logits = network.forward(context: &context)
                SoftmaxCrossEntropy.evaluate(logits: logits.pointer, labels: labelBuffer,
                                             batch: m, classes: k, probabilities: out.baseAddress! + start * k,
                                             logitsGradient: nil)
                start += m
            }
        }
        return scores
    }
}

@inline(__always)
func argmax(_ p: UnsafePointer<Float>, _ k: Int) -> Int {
    var best = 0
    for j in 1..<k where p[j] > p[best] { best = j }
    return best
}

@inline(__always)
func argmax(_ p: [Float], offset: Int, _ k: Int) -> Int {
    var best = 0
    for j in 1..<k where p[offset + j] > p[offset + best] { best = j }
    return best
}

func allFinite(_ t: Tensor) -> Bool {
    let p = t.pointer
    var acc: Float = 0
    for i in 0..<t.count { acc += p[i] * 0 }   // NaN or Inf anywhere makes acc NaN
    return acc == 0
}
