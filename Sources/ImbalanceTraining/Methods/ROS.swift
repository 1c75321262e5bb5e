extension MethodDefinition {
    /// Random minority oversampling: every class grows to the largest by replicating random
    /// examples (with replacement), as imbalanced-learn's `RandomOverSampler`; with
    /// `samplerRatio` only to max/min <= that ratio (the paper's section 4.5).
    public static let ros = MethodDefinition(
        name: "ROS", label: "ROS", family: .resampling,
        summary: "random oversampling: replicate random examples of every class up to the largest",
        reference: "Buda et al. 2018, method 1", inBuda2018: true,
        role: .training(.randomResampling(.randomOversampling)))
}
