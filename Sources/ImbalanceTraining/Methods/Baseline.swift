extension MethodDefinition {
    /// The reference every method is compared with: cross-entropy on the imbalanced set as
    /// it is, instance-balanced epochs. Recorded as sampler "none".
    public static let baseline = MethodDefinition(
        name: "baseline", label: "Baseline", family: .baseline,
        summary: "cross-entropy on the imbalanced training set as it is",
        reference: "Buda et al. 2018 (the paper's baseline)", inBuda2018: true,
        role: .training(TrainingRecipe(recordedName: "none")))
}
