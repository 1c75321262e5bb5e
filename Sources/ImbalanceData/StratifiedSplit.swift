import ImbalanceRandom

/// A stratified, seeded split of a labelled set into a kept part and a held-out part (a
/// test set for data that has none, or a validation set taken from the training set).
///
/// Every class gives up round(fraction x its size) images (half away from zero), at least
/// one and at most all but one, drawn uniformly without replacement with one `sample` call
/// per class in label order, so the split depends only on the seed and the class sizes.
/// A class with fewer than two images cannot be split and is an error. Both parts are in
/// ascending index order, so they keep the dataset's canonical order.
public enum StratifiedSplit {
    public static func split(labels: [Int], classNames: [String], fraction: Double, what: String,
                             path: String, rng: inout RandomStream) throws -> (kept: [Int], heldOut: [Int]) {
        guard fraction > 0 && fraction < 1 else {
            throw DataError(path: path, field: what, message: "the \(what) fraction must lie strictly between 0 and 1, got \(fraction)")
        }
        var members = [[Int]](repeating: [], count: classNames.count)
        for (i, label) in labels.enumerated() { members[label].append(i) }
        var held: [Int] = []
        for (c, list) in members.enumerated() {
            guard list.count >= 2 else {
                throw DataError(path: path, field: what, message: "class \(c) ('\(classNames[c])') has \(list.count) image(s); a stratified \(what) split needs at least 2 in every class")
            }
            let k = min(max(Int((fraction * Double(list.count)).rounded()), 1), list.count - 1)
            held += rng.sample(k, from: list.count).map { list[$0] }
        }
        held.sort()
        var isHeld = [Bool](repeating: false, count: labels.count)
        for i in held { isHeld[i] = true }
        return ((0..<labels.count).filter { !isHeld[$0] }, held)
    }

    /// `split` applied to a dataset: (kept, held-out) datasets named `keptName`/`heldName`.
    public static func split(_ data: ImageDataset, fraction: Double, what: String, path: String,
                             seed: UInt64, keptName: String, heldName: String) throws -> (ImageDataset, ImageDataset) {
        var rng = RandomStream(seed: RandomStream.mix(seed, "\(what)-split"))
        let (kept, held) = try split(labels: data.labels, classNames: data.classNames, fraction: fraction,
                                     what: what, path: path, rng: &rng)
        return (data.subset(kept).renamed(keptName), data.subset(held).renamed(heldName))
    }
}

extension ImageDataset {
    /// The same images under another name.
    func renamed(_ name: String) -> ImageDataset {
        ImageDataset(name: name, channels: channels, height: height, width: width, pixels: pixels,
                     labels: labels, classNames: classNames)
    }
}
