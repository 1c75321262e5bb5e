import ImbalanceRandom

/// The balanced base set of the protocol: every class capped at a maximum size.
public enum BaseSet {
    /// Indices (ascending) of a per-class-capped subset of `dataset`.
    ///
    /// Each class with more than `maxPerClass` images keeps a uniform random subsample of
    /// that size, drawn without replacement; smaller classes are kept whole; nil keeps
    /// everything. Draws go class by class in label order, one `sample` call per capped
    /// class, so the result depends only on the seed and the class sizes. The result is
    /// sorted so that later draws (imbalance, resampling) see the same order whatever the
    /// draw order here was.
    public static func capPerClass(_ dataset: some LabelledImages, maxPerClass: Int?,
                                   rng: inout RandomStream) -> [Int] {
        guard let cap = maxPerClass else { return Array(0..<dataset.count) }
        precondition(cap > 0, "maxPerClass must be positive (use parseMaxPerClass to validate input)")
        var kept: [Int] = []
        kept.reserveCapacity(min(dataset.count, cap * dataset.classCount))
        for members in dataset.indicesByClass() {
            if members.count <= cap {
                kept += members
            } else {
                kept += rng.sample(cap, from: members.count).map { members[$0] }
            }
        }
        kept.sort()
        return kept
    }

    /// Parses the `--max-per-class` value: a positive integer, or `all` for no cap (nil).
    public static func parseMaxPerClass(_ text: String) throws -> Int? {
        if text.lowercased() == "all" { return nil }
        guard let value = Int(text), value > 0 else {
            throw DataError(path: "--max-per-class", message:
                "expected a positive integer or 'all', found '\(text)'")
        }
        return value
    }
}
