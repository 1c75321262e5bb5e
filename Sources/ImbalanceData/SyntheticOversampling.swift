import ImbalanceRandom

/// Synthetic minority oversampling in input space, as imbalanced-learn (0.14) defines each
/// sampler, with its default targets: every class but the largest grows to the largest's
/// count ("not majority"). A synthetic sample is x + u (x_nn - x) for a seed x of the class,
/// a neighbour x_nn and a step u:
///
/// - SMOTE (Chawla et al. 2002): seeds uniformly with replacement among the class's members,
///   x_nn uniformly among the seed's k = 5 nearest members of its class, u ~ U(0, 1).
/// - Borderline-SMOTE (Han et al. 2005): only "danger" members seed, those whose m = 10
///   nearest neighbours in the whole training set include m' of other classes with
///   m/2 <= m' < m (all m of other classes is noise, not danger). Borderline-1 takes x_nn
///   among the seed's k = 5 nearest members of its class; borderline-2 among its k = 5
///   nearest points of the whole set, and when x_nn belongs to another class the step is
///   u v with v ~ U(0, 0.5), so the sample stays on the seed's half of the segment.
///   A class without danger members is not grown (imbalanced-learn does the same).
/// - ADASYN (He et al. 2008): r_i = (other-class share among the K = 5 nearest neighbours of
///   member i in the whole set), normalised to sum 1; member i seeds round(r_i G) samples
///   (round half to even, numpy's `rint`), G the class's deficit, so the class can end a
///   few samples off the target, as in imbalanced-learn; x_nn among i's K nearest members
///   of its class.
///
/// Where this differs from imbalanced-learn, and why:
/// - Small classes: imbalanced-learn raises when a class has fewer than k + 1 members. Here
///   a class of n members uses k' = min(k, n - 1) neighbours (and m' = min(m, N - 1) for the
///   danger test on a set of N points); a class with a single member can only repeat it,
///   so its "synthetic" samples are copies (what ROS would add).
/// - ADASYN on a class whose neighbourhoods hold no other class at all: imbalanced-learn
///   raises; here every member gets r_i = 1, i.e. ADASYN falls back to SMOTE's even seeding.
/// - Pixels: samples are rounded to the nearest byte, so they are images of the same kind
///   as the originals (at most half a grey level from the segment); imbalanced-learn casts
///   back to the input dtype, which for uint8 truncates.
/// - Random draws: one stream, per class in label order, per sample (seed, neighbour, step,
///   then v for borderline-2 pairs of two classes): the same distributions as
///   imbalanced-learn's vectorised draws, not the same numbers.
/// - Neighbours exclude the point itself by index (imbalanced-learn drops the first
///   neighbour, which is the point unless an exact duplicate comes first).
public enum SyntheticOversampler: Hashable, Sendable, CustomStringConvertible {
    case smote(k: Int)
    case borderlineSMOTE1(k: Int, m: Int)
    case borderlineSMOTE2(k: Int, m: Int)
    case adasyn(k: Int)

    public var description: String {
        switch self {
        case .smote(let k): return "SMOTE(k=\(k))"
        case .borderlineSMOTE1(let k, let m): return "borderline-SMOTE-1(k=\(k), m=\(m))"
        case .borderlineSMOTE2(let k, let m): return "borderline-SMOTE-2(k=\(k), m=\(m))"
        case .adasyn(let k): return "ADASYN(k=\(k))"
        }
    }

    var k: Int {
        switch self {
        case .smote(let k), .adasyn(let k), .borderlineSMOTE1(let k, _), .borderlineSMOTE2(let k, _): return k
        }
    }
}

/// Images made by a synthetic sampler, with where each came from.
public struct SyntheticImages: Equatable, Sendable {
    /// count * sampleSize bytes, image after image, as `ImageDataset.pixels`.
    public var pixels: [UInt8]
    public var labels: [Int]
    /// Per sample: the seed's and the neighbour's dataset indices and the step actually
    /// taken along the segment (u, or u v for borderline-2 towards another class).
    public var seeds: [Int]
    public var neighbours: [Int]
    public var steps: [Double]
    public var count: Int { labels.count }

    public static let empty = SyntheticImages(pixels: [], labels: [], seeds: [], neighbours: [], steps: [])
}

/// What a synthetic sampler found on the way: per class, the members that seeded samples
/// (the danger set for borderline-SMOTE, every member otherwise, dataset indices), and for
/// ADASYN how many samples each member seeded.
public struct OversamplingDiagnostics: Equatable, Sendable {
    public var seedMembers: [[Int]]
    public var seedsPerMember: [[Int]]
}

/// Grows every class of `indices` but the largest towards the largest's count with
/// synthetic images; the originals are kept as they are (the training set is `indices`
/// followed by the returned images).
///
/// - Throws: `ImbalanceError` for k or m below 1, an index outside `data` or a label
///   outside 0..<classCount.
public func oversample(_ indices: [Int], in data: ImageDataset, classCount: Int,
                       with sampler: SyntheticOversampler, rng: inout RandomStream) throws
    -> (images: SyntheticImages, diagnostics: OversamplingDiagnostics) {
    let subject = sampler.description
    switch sampler {
    case .smote(let k), .adasyn(let k):
        guard k >= 1 else { throw ImbalanceError(subject: subject, message: "k (neighbours) must be at least 1, found \(k)") }
    case .borderlineSMOTE1(let k, let m), .borderlineSMOTE2(let k, let m):
        guard k >= 1, m >= 1 else {
            throw ImbalanceError(subject: subject, message: "k and m (neighbours) must be at least 1, found k = \(k), m = \(m)")
        }
    }
    var members = [[Int]](repeating: [], count: classCount)
    for i in indices {
        guard i >= 0, i < data.count else {
            throw ImbalanceError(subject: subject, message: "index \(i) is outside the dataset's 0..<\(data.count)")
        }
        let y = data.labels[i]
        guard y < classCount else {
            throw ImbalanceError(subject: subject, message: "example \(i) has label \(y), outside 0..<\(classCount)")
        }
        members[y].append(i)
    }
    let target = members.map(\.count).max() ?? 0
    var out = SyntheticImages.empty
    var diagnostics = OversamplingDiagnostics(seedMembers: [[Int]](repeating: [], count: classCount),
                                              seedsPerMember: [[Int]](repeating: [], count: classCount))
    let d = data.sampleSize
    let labels = data.labels
    out.pixels.reserveCapacity(members.map { max(0, target - $0.count) }.reduce(0, +) * d)

    func emit(_ seed: Int, _ neighbour: Int, _ step: Double, _ label: Int) {
        data.pixels.withUnsafeBufferPointer { px in
            let x = px.baseAddress! + seed * d, y = px.baseAddress! + neighbour * d
            for j in 0..<d {
                let a = Double(x[j])
                out.pixels.append(UInt8((a + step * (Double(y[j]) - a)).rounded()))
            }
        }
        out.labels.append(label); out.seeds.append(seed); out.neighbours.append(neighbour)
        out.steps.append(step)
    }

    for c in 0..<classCount {
        let own = members[c]
        let deficit = target - own.count
        guard deficit > 0, !own.isEmpty else { continue }
        let kk = min(sampler.k, own.count - 1)
        switch sampler {
        case .smote:
            let nns = NearestNeighbors.search(data, queries: own, references: own, k: kk).map { $0.map { own[$0] } }
            diagnostics.seedMembers[c] = own
            for _ in 0..<deficit {
                let i = rng.uniformInt(below: own.count)
                let nn = kk == 0 ? own[i] : nns[i][rng.uniformInt(below: kk)]
                emit(own[i], nn, kk == 0 ? 0 : rng.uniformDouble(), c)
            }
        case .borderlineSMOTE1(_, let m), .borderlineSMOTE2(_, let m):
            let mm = min(m, indices.count - 1)
            let around = NearestNeighbors.search(data, queries: own, references: indices, k: mm)
            var danger: [Int] = []
            for (i, nn) in around.enumerated() {
                let others = nn.filter { labels[indices[$0]] != c }.count
                if 2 * others >= mm && others < mm { danger.append(own[i]) }
            }
            diagnostics.seedMembers[c] = danger
            guard !danger.isEmpty else { continue }
            if case .borderlineSMOTE1 = sampler {
                let nns = NearestNeighbors.search(data, queries: danger, references: own, k: kk).map { $0.map { own[$0] } }
                for _ in 0..<deficit {
                    let i = rng.uniformInt(below: danger.count)
                    let nn = kk == 0 ? danger[i] : nns[i][rng.uniformInt(below: kk)]
                    emit(danger[i], nn, kk == 0 ? 0 : rng.uniformDouble(), c)
                }
            } else {
                let kw = min(sampler.k, indices.count - 1)
                let nns = NearestNeighbors.search(data, queries: danger, references: indices, k: kw)
                    .map { $0.map { indices[$0] } }
                for _ in 0..<deficit {
                    let i = rng.uniformInt(below: danger.count)
                    let nn = nns[i][rng.uniformInt(below: kw)]
                    var step = rng.uniformDouble()
                    if labels[nn] != c { step *= 0.5 * rng.uniformDouble() }
                    emit(danger[i], nn, step, c)
                }
            }
        case .adasyn(let k):
            let kw = min(k, indices.count - 1)
            let around = NearestNeighbors.search(data, queries: own, references: indices, k: kw)
            var r = around.map { nn in Double(nn.filter { labels[indices[$0]] != c }.count) / Double(kw) }
            var sum = r.reduce(0, +)
            if sum == 0 { r = r.map { _ in 1 }; sum = Double(r.count) }
            let counts = r.map { Int(($0 / sum * Double(deficit)).rounded(.toNearestOrEven)) }
            diagnostics.seedMembers[c] = own
            diagnostics.seedsPerMember[c] = counts
            let nns = NearestNeighbors.search(data, queries: own, references: own, k: kk).map { $0.map { own[$0] } }
            for (i, n) in counts.enumerated() {
                for _ in 0..<n {
                    let nn = kk == 0 ? own[i] : nns[i][rng.uniformInt(below: kk)]
                    emit(own[i], nn, kk == 0 ? 0 : rng.uniformDouble(), c)
                }
            }
        }
    }
    return (out, diagnostics)
}

extension ImageDataset {
    /// This dataset followed by `extra`'s images (their indices start at `count`), for
    /// training on a set with synthetic samples.
    public func appending(_ extra: SyntheticImages) -> ImageDataset {
        guard extra.count > 0 else { return self }
        return ImageDataset(name: name + "+synthetic", channels: channels, height: height, width: width,
                            pixels: pixels + extra.pixels, labels: labels + extra.labels,
                            classNames: classNames)
    }
}
