extension MethodDefinition {
    /// Random majority undersampling: every class shrinks to the smallest by keeping a
    /// random subset (without replacement), as imbalanced-learn's `RandomUnderSampler`; with
    /// `samplerRatio` only to max/min <= that ratio.
    public static let rus = MethodDefinition(
        name: "RUS", label: "RUS", family: .resampling,
        summary: "random undersampling: keep a random subset of every class, as large as the smallest",
        reference: "Buda et al. 2018, method 2", inBuda2018: true,
        role: .training(.randomResampling(.randomUndersampling)))
}
