extension MethodDefinition {
    /// Class-aware sampling: every batch draws classes from a cycled, reshuffled class list,
    /// then examples from each class's cycled, reshuffled list; cross-entropy.
    public static let classAware = MethodDefinition(
        name: "class-aware", label: "Class-aware sampling", family: .batchSampling,
        summary: "class-balanced batches: classes in turn, each class's examples in turn",
        reference: "Shen et al. 2016, Relay backpropagation (as Kang et al. 2020's ClassAwareSampler)",
        parameters: [.integer("samplesPerClass", 1, min: 1, "consecutive examples taken per class draw")],
        role: .training(TrainingRecipe(batches: { .classAware(samplesPerClass: $0.parameters.integer("samplesPerClass")) })))
}
