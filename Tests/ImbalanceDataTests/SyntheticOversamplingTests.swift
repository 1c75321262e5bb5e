import Foundation
import XCTest
import ImbalanceRandom
@testable import ImbalanceData

/// The fixture written once by scripts/make_smote_fixtures.py with imbalanced-learn.
struct SMOTEFixture: Decodable {
    struct Sampler: Decodable {
        var resampledCounts: [Int]
        var synthetic: [[Double]]
        var syntheticLabels: [Int]
        var danger: [String: [Int]]?
    }
    var features: Int
    var x: [Int]
    var y: [Int]
    var withinClass5: [String: [String: [Int]]]
    var wholeSet10: [String: [Int]]
    var wholeSet5: [String: [Int]]
    var adasynSamplesPerMember: [String: [String: Int]]
    var samplers: [String: Sampler]

    /// Read from the source tree (the test target excludes Fixtures/ from its bundle).
    static func load() throws -> SMOTEFixture {
        let path = ImageFixtures.directory + "/smote_known_answers.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw XCTSkip("\(path) is missing")
        }
        return try JSONDecoder().decode(SMOTEFixture.self, from: data)
    }

    /// The points as a dataset of 1 x 1 x d "images" of bytes.
    var dataset: ImageDataset {
        ImageDataset(name: "smote-fixture", channels: 1, height: 1, width: features,
                     pixels: x.map(UInt8.init), labels: y, classNames: ["a", "b", "c"])
    }
    var classCount: Int { 3 }
    func members(_ c: Int) -> [Int] { y.indices.filter { y[$0] == c } }
    func point(_ i: Int) -> [Double] { (0..<features).map { Double(x[i * features + $0]) } }

    static let samplers: [String: SyntheticOversampler] = [
        "SMOTE": .smote(k: 5), "borderline-SMOTE-1": .borderlineSMOTE1(k: 5, m: 10),
        "borderline-SMOTE-2": .borderlineSMOTE2(k: 5, m: 10), "ADASYN": .adasyn(k: 5),
    ]

    /// The members that may seed samples of class c under `name`, and the neighbours each
    /// seed may interpolate towards, both as imbalanced-learn defines them.
    func allowed(_ name: String, _ c: Int) -> (seeds: [Int], neighbours: (Int) -> [Int]) {
        let seeds = samplers[name]!.danger.map { $0[String(c)] ?? [] } ?? members(c)
        if name == "borderline-SMOTE-2" { return (seeds, { self.wholeSet5[String($0)]! }) }
        return (seeds, { self.withinClass5[String(c)]![String($0)]! })
    }
}

final class SyntheticOversamplingTests: XCTestCase {
    /// Our exact k-NN finds scikit-learn's neighbours, in scikit-learn's order.
    func testNeighboursMatchScikitLearn() throws {
        let f = try SMOTEFixture.load()
        let data = f.dataset
        let all = Array(0..<f.y.count)
        for c in 0..<f.classCount {
            let m = f.members(c)
            let found = NearestNeighbors.search(data, queries: m, references: m, k: 5)
            for (i, row) in zip(m, found) {
                XCTAssertEqual(row.map { m[$0] }, f.withinClass5[String(c)]![String(i)], "class \(c), point \(i)")
            }
        }
        for (k, expected) in [(10, f.wholeSet10), (5, f.wholeSet5)] {
            let found = NearestNeighbors.search(data, queries: all, references: all, k: k)
            for i in all { XCTAssertEqual(found[i], expected[String(i)], "k \(k), point \(i)") }
        }
    }

    func run(_ f: SMOTEFixture, _ name: String, seed: UInt64 = 5) throws
        -> (images: SyntheticImages, diagnostics: OversamplingDiagnostics) {
        var rng = RandomStream(seed: seed)
        return try oversample(Array(0..<f.y.count), in: f.dataset, classCount: f.classCount,
                              with: SMOTEFixture.samplers[name]!, rng: &rng)
    }

    /// Danger sets (borderline-1 and -2), ADASYN's samples per member and the class counts
    /// after resampling are imbalanced-learn's.
    func testDangerSetsSeedsAndCountsMatchImbalancedLearn() throws {
        let f = try SMOTEFixture.load()
        for name in SMOTEFixture.samplers.keys.sorted() {
            let r = try run(f, name)
            var counts = [Int](repeating: 0, count: f.classCount)
            for y in f.y + r.images.labels { counts[y] += 1 }
            XCTAssertEqual(counts, f.samplers[name]!.resampledCounts, name)
            if let danger = f.samplers[name]!.danger {
                for c in 0..<f.classCount {
                    XCTAssertEqual(r.diagnostics.seedMembers[c].sorted(), danger[String(c)] ?? [], "\(name) class \(c)")
                }
                XCTAssertFalse(danger.isEmpty, "the fixture must exercise the danger test")
            }
        }
        let adasyn = try run(f, "ADASYN")
        for (c, expected) in f.adasynSamplesPerMember {
            let cls = Int(c)!
            let got = Dictionary(uniqueKeysWithValues: zip(adasyn.diagnostics.seedMembers[cls].map(String.init),
                                                           adasyn.diagnostics.seedsPerMember[cls]))
            XCTAssertEqual(got, expected, "ADASYN class \(c)")
        }
    }

    /// Every sample of ours comes from an allowed seed towards one of its allowed
    /// neighbours, with a step in range, and its bytes are that point rounded.
    func testOurSamplesLieOnImbalancedLearnsSegments() throws {
        let f = try SMOTEFixture.load()
        for name in SMOTEFixture.samplers.keys.sorted() {
            let r = try run(f, name).images
            XCTAssertGreaterThan(r.count, 0, name)
            for s in 0..<r.count {
                let c = r.labels[s], seed = r.seeds[s], nn = r.neighbours[s], t = r.steps[s]
                let allowed = f.allowed(name, c)
                XCTAssertEqual(f.y[seed], c)
                XCTAssertTrue(allowed.seeds.contains(seed), "\(name): seed \(seed) of class \(c) may not seed")
                XCTAssertTrue(allowed.neighbours(seed).contains(nn), "\(name): \(nn) is not a neighbour of \(seed)")
                let limit = f.y[nn] == c ? 1.0 : 0.5
                XCTAssertTrue(t >= 0 && t < limit, "\(name): step \(t)")
                let x = f.point(seed), z = f.point(nn)
                let bytes = (0..<f.features).map { UInt8((x[$0] + t * (z[$0] - x[$0])).rounded()) }
                XCTAssertEqual(Array(r.pixels[(s * f.features)..<((s + 1) * f.features)]), bytes)
            }
            if name == "borderline-SMOTE-2" {
                XCTAssertTrue((0..<r.count).contains { f.y[r.neighbours[$0]] != r.labels[$0] },
                              "borderline-2 also interpolates towards other classes")
            }
        }
    }

    /// And every sample imbalanced-learn made lies on a segment that our neighbour sets
    /// allow: its seed is a permitted member, its neighbour one of our k nearest, its step
    /// within [0, 1] (or [0, 0.5] towards another class).
    func testImbalancedLearnsSamplesLieOnOurSegments() throws {
        let f = try SMOTEFixture.load()
        let data = f.dataset
        for name in SMOTEFixture.samplers.keys.sorted() {
            let ref = f.samplers[name]!
            XCTAssertEqual(ref.synthetic.count, ref.syntheticLabels.count)
            for (s, c) in zip(ref.synthetic, ref.syntheticLabels) {
                let allowed = f.allowed(name, c).seeds
                var found = false
                search: for seed in allowed {
                    let candidates: [Int]
                    if name == "borderline-SMOTE-2" {
                        let all = Array(0..<f.y.count)
                        candidates = NearestNeighbors.search(data, queries: [seed], references: all, k: 5)[0]
                    } else {
                        let m = f.members(c)
                        candidates = NearestNeighbors.search(data, queries: [seed], references: m, k: 5)[0].map { m[$0] }
                    }
                    let x = f.point(seed)
                    for nn in candidates {
                        let z = f.point(nn)
                        let diff = zip(z, x).map { $0 - $1 }
                        let norm2 = diff.map { $0 * $0 }.reduce(0, +)
                        let t = zip(zip(s, x).map { $0 - $1 }, diff).map { $0 * $1 }.reduce(0, +) / norm2
                        let residual = (0..<f.features).map { abs(x[$0] + t * diff[$0] - s[$0]) }.max()!
                        let limit = f.y[nn] == c ? 1.0 : 0.5
                        // imbalanced-learn's float64 s = x + t (z - x) on coordinates < 256
                        // (ulp 2.8e-14), projected back over 5 features here: a few such ulps
                        // (~1e-13) in the residual, ~1e-15 in t. Off the segment: far more.
                        if residual < 1e-9 && t >= -1e-12 && t <= limit + 1e-12 { found = true; break search }
                    }
                }
                XCTAssertTrue(found, "\(name): imbalanced-learn's sample \(s) of class \(c) is on no allowed segment")
            }
        }
    }

    /// Same seed, same samples; the originals are untouched; a class of one member can only
    /// be repeated; a class of three uses two neighbours.
    func testDeterminismAndSmallClasses() throws {
        let f = try SMOTEFixture.load()
        let a = try run(f, "SMOTE", seed: 9), b = try run(f, "SMOTE", seed: 9)
        XCTAssertEqual(a.images, b.images)
        XCTAssertNotEqual(a.images, try run(f, "SMOTE", seed: 10).images)
        let data = f.dataset
        let big = f.members(0), one = [f.members(1)[0]], three = Array(f.members(2).prefix(3))
        var rng = RandomStream(seed: 1)
        let r = try oversample(big + one + three, in: data, classCount: 3, with: .smote(k: 5), rng: &rng).images
        XCTAssertEqual(r.labels.filter { $0 == 1 }.count, big.count - 1)
        XCTAssertEqual(r.labels.filter { $0 == 2 }.count, big.count - 3)
        for s in 0..<r.count where r.labels[s] == 1 {
            XCTAssertEqual(r.seeds[s], one[0]); XCTAssertEqual(r.neighbours[s], one[0]); XCTAssertEqual(r.steps[s], 0)
        }
        for s in 0..<r.count where r.labels[s] == 2 {
            XCTAssertTrue(three.contains(r.neighbours[s]) && r.neighbours[s] != r.seeds[s])
        }
        XCTAssertThrowsError(try oversample([0], in: data, classCount: 3, with: .smote(k: 0), rng: &rng))
        XCTAssertThrowsError(try oversample([999], in: data, classCount: 3, with: .smote(k: 5), rng: &rng))
        let extended = data.appending(r)
        XCTAssertEqual(extended.count, data.count + r.count)
        XCTAssertEqual(Array(extended.pixels.prefix(data.pixels.count)), data.pixels)
    }

    /// The k-NN on MNIST-sized input (5,000 images of 784 bytes, all against all) against a
    /// naive reference for a sample of queries, and timed: the DGEMM blocks must find
    /// exactly the neighbours (and order) that direct integer distances give.
    func testNearestNeighboursOnMNISTSizedInputAgainstNaiveReference() throws {
        let dir = RealDataTests.mnistDirectory
        guard DataLocation.regularFileExists(dir + "/train-images-idx3-ubyte.gz") else {
            throw XCTSkip("real MNIST not found at \(dir)")
        }
        let train = try loadIDXDataset(kind: .mnist, directory: dir).train
        let points = Array(0..<5_000)
        let start = Date()
        let found = NearestNeighbors.search(train, queries: points, references: points, k: 5)
        let seconds = Date().timeIntervalSince(start)
        print(String(format: "k-NN (k = 5) of 5,000 x 784 MNIST images, all against all: %.2f s", seconds))
        let d = 784
        func distance(_ a: Int, _ b: Int) -> Int {
            var s = 0
            for j in 0..<d { let v = Int(train.pixels[a * d + j]) - Int(train.pixels[b * d + j]); s += v * v }
            return s
        }
        for q in stride(from: 0, to: 5_000, by: 97) {
            let order = points.filter { $0 != q }.map { (distance(q, $0), $0) }.sorted { $0 < $1 }
            XCTAssertEqual(found[q], order.prefix(5).map(\.1), "query \(q)")
        }
    }
}
