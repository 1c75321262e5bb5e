import ArgumentParser
import Foundation
import ImbalanceData
import ImbalanceKernels
import ImbalanceNN
import ImbalanceRandom
import ImbalanceTraining

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train one network and report test accuracy, multi-class ROC AUC and wall time.")

    @Option(help: "mnist or fashion-mnist.") var dataset: String = "fashion-mnist"
    @Option(help: "Network: lenet5.") var model: String = "lenet5"
    @Option(help: "SGD iterations.") var iterations: Int = 10_000
    @Option(help: "Mini-batch size.") var batch: Int = 64
    @Option(help: "Base seed; every random stream is derived from it.") var seed: UInt64 = 1
    @Option(help: "Directory holding the dataset files (see `imbench data where`).") var dataDir: String?
    @Option(help: "Cap per class of the training base set, or 'all'.") var maxPerClass: String = "5000"
    @Option(help: "OpenBLAS threads.") var threads: Int = 1

    func run() throws {
        BLAS.setThreads(threads)
        guard let kind = DatasetKind(rawValue: dataset) else {
            throw ValidationError("unknown dataset '\(dataset)'")
        }
        let location = try DataLocation.resolve(kind, explicitDirectory: dataDir)
        let splits = try loadIDXDataset(kind: kind, directory: location.directory)
        var subsetRNG = RandomStream(seed: seed, label: "subset")
        let cap = try BaseSet.parseMaxPerClass(maxPerClass)
        let indices = BaseSet.capPerClass(splits.train, maxPerClass: cap, rng: &subsetRNG)
        let net = Models.lenet5(classes: kind.classCount)
        var initRNG = RandomStream(seed: seed, label: "init")
        net.initialize(using: &initRNG)
        let trainer = Trainer(network: net, classCount: kind.classCount)
        var order = RandomStream(seed: seed, label: "order")
        var drop = RandomStream(seed: seed, label: "dropout")
        let outcome = trainer.train(on: splits.train, indices: indices,
                                    settings: .lenet5(iterations: iterations, batchSize: batch),
                                    orderRNG: &order, dropoutRNG: &drop) { p in
            FileHandle.standardError.write(String(format: "\riter %d/%d loss %.4f lr %.5f %.0f img/s ETA %.0fs   ", p.iteration, p.iterations, p.loss, p.learningRate, p.imagesPerSecond, p.etaSeconds).data(using: .utf8)!)
        }
        let scores = trainer.predict(splits.test)
        var correct = 0
        for i in 0..<splits.test.count {
            var best = 0
            for j in 1..<10 where scores[i * 10 + j] > scores[i * 10 + best] { best = j }
            if best == splits.test.labels[i] { correct += 1 }
        }
        print("\naccuracy \(Double(correct) / Double(splits.test.count)) time \(outcome.seconds) ips \(outcome.imagesPerSecond)")
    }
}
