import ArgumentParser
import Foundation
import ImbalanceData
import ImbalanceKernels
import ImbalanceNN
import ImbalanceRandom
import ImbalanceTraining

/// `imbench bench`: end-to-end training and inference throughput, with the machine's own
/// sgemm figure measured in the same run as the yardstick, and per-layer times (as Caffe's
/// `caffe time`) to show where the time goes.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure training and inference throughput (images/s, GFLOP/s, peak memory).",
        discussion: """
        Uses synthetic images (the speed of a network does not depend on pixel values), so \
        it needs no data. Each figure is the median of --repeats timed runs after a warm-up.
        """)

    @Option(help: "Network: lenet5, allcnn or resnet10 (at its native input: 1x28x28, 3x32x32, 3x32x32 with the CIFAR stem).",
            transform: OptionValue.choice(Models.known.sorted()))
    var model: String = "lenet5"
    @Option(help: "Shape the network for this dataset's images and classes (\(DatasetKind.allCases.map(\.rawValue).joined(separator: ", "))) instead of the model's native input.",
            transform: OptionValue.choice(DatasetKind.allCases.map(\.rawValue)))
    var dataset: String?
    @Option(parsing: .unconditional, help: "Square input size instead of the native one or the dataset's (resnet10 above 64: the ImageNet stem; 224 is the paper's ImageNet crop).",
            transform: OptionValue.integer(1...4096))
    var size: Int?
    @Option(parsing: .unconditional, help: "Classes of the output layer (default 10; 1000 for ILSVRC-2012; with --dataset, the dataset's).",
            transform: OptionValue.integer(atLeast: 1))
    var classes: Int?
    @Option(parsing: .unconditional, help: "Mini-batch size (>= 1).", transform: OptionValue.integer(atLeast: 1))
    var batch: Int = 64
    @Option(parsing: .unconditional, help: "Threads (1 to the cores): each batch is split across them (OpenBLAS itself stays at one).", transform: OptionValue.cores)
    var threads: Int = 1
    @Option(parsing: .unconditional, help: "Training iterations per timed run (>= 1; default 200 for lenet5, 20 for the CIFAR models).", transform: OptionValue.integer(atLeast: 1))
    var iterations: Int?
    @Option(parsing: .unconditional, help: "Timed runs (>= 1; the median is reported).",
            transform: OptionValue.integer(atLeast: 1))
    var repeats: Int = 5
    @Flag(help: "Also time every layer's forward and backward pass.") var layers = false
    @Option(help: ArgumentHelp("Column-buffer budget of every convolution, in floats (for tuning).", visibility: .hidden))
    var columnBudget: Int?
    @Option(help: ArgumentHelp("Band budget of every convolution, in floats: larger images are unfolded in bands of output rows (for tuning).", visibility: .hidden))
    var bandBudget: Int?
    @Flag(help: ArgumentHelp("Direct (im2col) convolution everywhere, no Winograd (to measure what Winograd gains).", visibility: .hidden))
    var noWinograd = false
    @Flag(help: ArgumentHelp("One GEMM over the full column matrix in every direct convolution, no kernel-row split (to measure what the split gains).", visibility: .hidden))
    var noKernelRows = false
    @Flag(help: ArgumentHelp("Winograd in every 3x3 stride-1 layer, whatever its size (to measure the automatic rule).", visibility: .hidden))
    var winogradEverywhere = false
    @Flag(name: .customLong("winograd-5x5"), help: ArgumentHelp("Winograd F(4x4,5x5) in the 5x5 stride-1 layers where its rule says it pays (LeNet-5's conv2); off in engine 0.6.0, whose records it would change (to measure it).", visibility: .hidden))
    var winograd5x5 = false
    @Option(help: ArgumentHelp("Target output tiles per Winograd chunk.", visibility: .hidden))
    var winogradTiles: Int?
    @Option(help: ArgumentHelp("Fewest GEMM columns per im2col chunk (small maps batch images until their GEMM is this wide).", visibility: .hidden))
    var minimumColumns: Int?
    @Flag(help: ArgumentHelp("Run every convolution and the max pooling after it as two layers, not fused (to measure what fusion gains).", visibility: .hidden))
    var noFusedPooling = false
    @Option(help: ArgumentHelp("Force the engine GEMM's path: avx512, avx2 or scalar (all give the same bits; to measure each).", visibility: .hidden))
    var gemmPath: String?
    @Option(help: "Write the results as JSON here.") var output: String?

    struct Result: Codable {
        var model: String
        /// The dataset whose input shape and classes the network had (nil: the model's native input).
        var dataset: String?
        var batch: Int
        var threads: Int
        var openblasCore: String
        /// The engine GEMM's instruction-set path ("avx512", "avx2", "scalar").
        var gemmPath: String
        /// The engine's own GEMM on 512^3, one thread.
        var engineGEMMGFLOPS: Double
        var trainImagesPerSecond: Double
        var trainRuns: [Double]
        var inferenceImagesPerSecond: Double
        var trainGFLOPS: Double
        var inferenceGFLOPS: Double
        var sgemmGFLOPS: Double
        var sgemmSize: Int
        var forwardMFLOPPerImage: Double
        var trainMFLOPPerImage: Double
        var peakMemoryMiB: Double
        var secondsPer10kIterations: Double
        var layers: [LayerTime]?
    }

    struct LayerTime: Codable {
        var name: String
        var forwardMilliseconds: Double
        var backwardMilliseconds: Double
    }

    func validate() throws {
        if dataset != nil && classes != nil {
            throw ValidationError("--classes does not apply with --dataset, which sets the classes (leave one out)")
        }
        if let output { try checkOutputPath(output) }
    }

    func run() throws {
        Parallel.configure(threads: threads)
        if let gemmPath {
            guard let path = BLAS.Path.allCases.first(where: { $0.description == gemmPath }) else {
                throw ValidationError("--gemm-path: unknown path '\(gemmPath)' (expected avx512, avx2 or scalar)")
            }
            guard BLAS.force(path) else {
                throw ValidationError("--gemm-path \(gemmPath): this CPU does not support it (best: \(BLAS.supportedPath))")
            }
        }
        let kind = dataset.flatMap(DatasetKind.init(rawValue:))
        let classes = kind?.expectedClassCount ?? self.classes ?? 10
        let iterations = self.iterations ?? (model == "lenet5" ? 200 : 20)
        let tuning = try convolutionTuning()
        let net = try kind.map { try Models.make(model, classes: classes, inputChannels: $0.imageShape.channels,
                                                 inputSize: size ?? $0.imageShape.height, tuning: tuning) }
            ?? (model == "resnet10"
                ? try Models.make(model, classes: classes, inputChannels: 3, inputSize: size ?? 32, tuning: tuning)
                : try Models.make(model, classes: classes, inputSize: size, tuning: tuning))
        if !switches.isEmpty || noFusedPooling || winogradTiles != nil {
            net.prepare(batch: batch)
            try refuseFlagsThatChangeNothing(net)
        }
        var rng = RandomStream(seed: 1)
        net.initialize(using: &rng)
        let shape = net.inputShape
        let n = model == "lenet5" ? max(batch * 20, 2_000) : batch * 4
        var pixels = [UInt8](repeating: 0, count: n * shape.reduce(1, *))
        for i in pixels.indices { pixels[i] = UInt8(truncatingIfNeeded: rng.next()) }
        let labels = (0..<n).map { $0 % classes }
        let data = ImageDataset(name: "synthetic", channels: shape[0], height: shape[1], width: shape[2],
                                pixels: pixels, labels: labels, classNames: (0..<classes).map(String.init))
        let trainer = Trainer(network: net, classCount: classes)
        let d = ModelDefaults.forModel(model, iterations: iterations, batch: batch)
        let settings = SolverSettings(iterations: iterations, batchSize: batch,
                                      baseLearningRate: d.baseLearningRate, policy: d.policy,
                                      momentum: d.momentum, weightDecay: d.weightDecay)
        var order = RandomStream(seed: 2), drop = RandomStream(seed: 3)
        let indices = Array(0..<n)

        // Warm-up: first-touch page faults, OpenBLAS buffers, caches.
        var warm = settings
        warm.iterations = max(10, iterations / 10)
        _ = trainer.train(on: data, indices: indices, settings: warm, orderRNG: &order, dropoutRNG: &drop)

        var trainRuns: [Double] = []
        for _ in 0..<repeats {
            let o = trainer.train(on: data, indices: indices, settings: settings,
                                  orderRNG: &order, dropoutRNG: &drop)
            trainRuns.append(o.imagesPerSecond)
            writeIgnoringErrors(.standardError, String(format: "  training run: %.0f images/s\n", o.imagesPerSecond))
        }
        var inferRuns: [Double] = []
        _ = trainer.predict(data, limit: n, batch: batch)
        for _ in 0..<repeats {
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = trainer.predict(data, limit: n, batch: batch)
            let s = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            inferRuns.append(Double(n) / s)
        }
        let macs = Double(net.forwardMACsPerImage)
        let forwardFLOP = 2 * macs
        // Backward: the weight gradient of every layer costs as much as its forward pass;
        // the input gradient too, except for the first layer, whose input gradient is
        // never computed.
        let firstMACs = Double(firstLayerMACs(net))
        let trainFLOP = forwardFLOP + 2 * macs + 2 * (macs - firstMACs)
        let trainIPS = median(trainRuns), inferIPS = median(inferRuns)
        // The yardstick gets the same cores: OpenBLAS on `threads` threads for this one GEMM.
        let blas = try OpenBLAS.load()
        try OpenBLAS.setThreads(threads)
        let gemm = try measureSGEMM(size: 512, engine: false)
        try OpenBLAS.setThreads(1)
        let engineGEMM = try measureSGEMM(size: 512, engine: true)
        var result = Result(
            model: model, dataset: dataset, batch: batch, threads: threads, openblasCore: blas.core,
            gemmPath: BLAS.path.description, engineGEMMGFLOPS: engineGEMM,
            trainImagesPerSecond: trainIPS, trainRuns: trainRuns,
            inferenceImagesPerSecond: inferIPS,
            trainGFLOPS: trainIPS * trainFLOP / 1e9, inferenceGFLOPS: inferIPS * forwardFLOP / 1e9,
            sgemmGFLOPS: gemm, sgemmSize: 512,
            forwardMFLOPPerImage: forwardFLOP / 1e6, trainMFLOPPerImage: trainFLOP / 1e6,
            peakMemoryMiB: peakMemoryMiB(),
            secondsPer10kIterations: 10_000 * Double(batch) / trainIPS, layers: nil)
        if layers { result.layers = timeLayers(net, data: data) }

        print("ImbalanceBench \(ImbalanceBenchInfo.version) bench: \(model)"
              + (kind.map { " on \($0.displayName)'s input (\(net.inputShape.map(String.init).joined(separator: "x")), \(classes) classes)" } ?? "")
              + ", batch \(batch), "
              + "\(threads) thread(s), OpenBLAS core \(blas.core), engine GEMM path \(BLAS.path)")
        print(String(format: "  training   %8.0f images/s  %6.1f GFLOP/s  (%.1f MFLOP/image; 10,000 iterations in %.0f s)",
                     trainIPS, result.trainGFLOPS, result.trainMFLOPPerImage, result.secondsPer10kIterations))
        print(String(format: "  inference  %8.0f images/s  %6.1f GFLOP/s  (%.1f MFLOP/image)",
                     inferIPS, result.inferenceGFLOPS, result.forwardMFLOPPerImage))
        print(String(format: "  sgemm 512x512x512: OpenBLAS %.1f GFLOP/s (same run, %d thread(s)); training reaches %.0f%% of it",
                     gemm, threads, 100 * result.trainGFLOPS / gemm))
        print(String(format: "  the engine's GEMM 512x512x512: %.1f GFLOP/s (1 thread)", engineGEMM))
        print(String(format: "  peak memory %.0f MiB", result.peakMemoryMiB))
        if let lt = result.layers {
            print("  per layer (ms per batch):      forward  backward")
            for l in lt {
                print("    " + l.name.padding(toLength: 22, withPad: " ", startingAt: 0)
                      + String(format: " %8.3f  %8.3f", l.forwardMilliseconds, l.backwardMilliseconds))
            }
        }
        if let output {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            try enc.encode(result).write(to: URL(fileURLWithPath: output))
            print("written to \(output)")
        }
    }

    /// The hidden on/off flags given that choose a convolution's methods, each with what it
    /// sets in a tuning (`--no-fused-pooling` is checked on the network's layers instead).
    private var switches: [(flag: String, set: (inout ConvolutionTuning) -> Void)] {
        var list: [(flag: String, set: (inout ConvolutionTuning) -> Void)] = []
        if noWinograd { list.append(("--no-winograd", { $0.winograd = .never })) }
        if winogradEverywhere { list.append(("--winograd-everywhere", { $0.winograd = .always })) }
        if winograd5x5 { list.append(("--winograd-5x5", { $0.winograd5x5 = .automatic })) }
        if noKernelRows { list.append(("--no-kernel-rows", { $0.kernelRows = .never })) }
        return list
    }

    /// A measuring flag that changes nothing would report the standard engine under its
    /// name: each on/off flag must change some convolution's plan at this batch (plans are
    /// pure values of shapes and tuning, compared with the standard tuning's),
    /// `--no-fused-pooling` needs a convolution that the standard tuning fuses with the max
    /// pooling after it, and `--winograd-tiles` a layer computed by Winograd.
    private func refuseFlagsThatChangeNothing(_ net: Network) throws {
        let plans = net.convolutions.compactMap(\.plan)
        func replanned(_ p: ConvolutionPlan, _ t: ConvolutionTuning) -> ConvolutionPlan {
            ConvolutionPlan(geometry: p.geometry, filters: p.filters, images: p.images, tuning: t)
        }
        for (flag, set) in switches {
            var only = ConvolutionTuning.standard
            set(&only)
            if plans.contains(where: { replanned($0, only) != replanned($0, .standard) }) { continue }
            throw ValidationError("\(flag): no convolution of \(model) is computed differently with it at batch \(batch), so the run would measure the standard engine")
        }
        if noFusedPooling {
            let fused = zip(net.layers, net.layers.dropFirst()).contains { pair in
                guard let conv = pair.0 as? Convolution, pair.1 is MaxPool, let p = conv.plan
                else { return false }
                return replanned(p, .standard).fusesPooling
            }
            if !fused {
                throw ValidationError("--no-fused-pooling: \(model) has no convolution fused with a max pooling, so the run would measure the standard engine")
            }
        }
        if winogradTiles != nil && !plans.contains(where: { $0.winograd != nil }) {
            throw ValidationError("--winograd-tiles: no convolution of \(model) is computed by Winograd at batch \(batch), so the option would change nothing")
        }
    }

    /// The hidden tuning flags as the convolutions' one tuning value.
    private func convolutionTuning() throws -> ConvolutionTuning {
        var t = ConvolutionTuning.standard
        if noWinograd && winogradEverywhere {
            throw ValidationError("--no-winograd and --winograd-everywhere contradict each other; give one")
        }
        if let columnBudget { t.columnBudget = columnBudget }
        if let bandBudget { t.bandBudget = bandBudget }
        for (_, set) in switches { set(&t) }
        if noFusedPooling { t.fusesPooling = false }
        if let winogradTiles { t.winogradTiles = winogradTiles }
        if let minimumColumns {
            t.minimumColumns = minimumColumns
            t.largeWeightColumns = minimumColumns
        }
        let flags = ["columnBudget": "--column-budget", "bandBudget": "--band-budget",
                     "winogradTiles": "--winograd-tiles", "minimumColumns": "--minimum-columns",
                     "largeWeightColumns": "--minimum-columns"]
        if let bad = t.counts.first(where: { $0.value < 1 }) {
            throw ValidationError("\(flags[bad.name] ?? bad.name) must be at least 1 (got \(bad.value))")
        }
        return t
    }

    private func firstLayerMACs(_ net: Network) -> Int {
        var shape = [1] + net.inputShape
        for layer in net.layers {
            let out = layer.outputShape(for: shape)
            if let conv = layer as? Convolution {
                return out.reduce(1, *) * conv.inputChannels * conv.kernel * conv.kernel
            }
            if let fc = layer as? FullyConnected { return fc.inputs * fc.outputs }
            shape = out
        }
        return 0
    }

    /// Median time of each stage's forward and backward pass over 50 batches: the network's
    /// own stages (`Network.stages`), so a convolution fused with its max pooling is timed
    /// as the one pass training runs.
    private func timeLayers(_ net: Network, data: ImageDataset) -> [LayerTime] {
        net.prepare(batch: batch)
        let idx = Array(0..<batch)
        idx.withUnsafeBufferPointer {
            data.fillBatch(indices: $0, into: net.input.pointer, labels: nil, scale: ImageDataset.caffeScale)
        }
        var ctx = ForwardContext(training: true, dropoutRNG: RandomStream(seed: 9))
        let stages = net.stages.indices
        var fwd = [[Double]](repeating: [], count: stages.count)
        var bwd = [[Double]](repeating: [], count: stages.count)
        for _ in 0..<50 {
            for s in stages {
                let t0 = DispatchTime.now().uptimeNanoseconds
                net.forward(stage: s, context: &ctx)
                fwd[s].append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            }
            net.outputGradient.buffer.update(repeating: 0.01)
            for s in stages.reversed() where net.backwardRuns(stage: s) {
                let t0 = DispatchTime.now().uptimeNanoseconds
                net.backward(stage: s)
                bwd[s].append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            }
        }
        return stages.map {
            LayerTime(name: net.stages[$0].layer.name, forwardMilliseconds: median(fwd[$0]),
                      backwardMilliseconds: bwd[$0].isEmpty ? 0 : median(bwd[$0]))
        }
    }
}

/// sgemm GFLOP/s on square matrices, the yardstick every kernel figure is set against:
/// OpenBLAS's (`engine` false) or the engine's own fixed-order GEMM.
func measureSGEMM(size n: Int, repeats: Int = 20, engine: Bool) throws -> Double {
    let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
    var c = [Float](repeating: 0, count: n * n)
    var times: [Double] = []
    try a.withUnsafeBufferPointer { ap in try b.withUnsafeBufferPointer { bp in try c.withUnsafeMutableBufferPointer { cp in
        for r in 0..<(repeats + 3) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            if engine {
                BLAS.sgemm(transA: false, transB: false, m: n, n: n, k: n, alpha: 1, a: ap.baseAddress!, lda: n,
                           b: bp.baseAddress!, ldb: n, beta: 0, c: cp.baseAddress!, ldc: n)
            } else {
                try OpenBLAS.sgemm(transA: false, transB: false, m: n, n: n, k: n, alpha: 1, a: ap.baseAddress!,
                                   lda: n, b: bp.baseAddress!, ldb: n, beta: 0, c: cp.baseAddress!, ldc: n)
            }
            if r >= 3 { times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9) }
        }
    } } }
    return 2 * Double(n * n * n) / median(times) / 1e9
}

func median(_ xs: [Double]) -> Double {
    guard !xs.isEmpty else { return .nan }
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func peakMemoryMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024   // ru_maxrss is in KiB on Linux
}
