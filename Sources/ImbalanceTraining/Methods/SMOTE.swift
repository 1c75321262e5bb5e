extension MethodDefinition {
    public static let smote = synthetic(
        "SMOTE", label: "SMOTE",
        summary: "synthetic images on segments between a class's members and their k nearest class neighbours",
        reference: "Chawla et al. 2002 (imbalanced-learn's SMOTE, k = 5)",
        parameters: [kNeighbours], sampler: { .smote(k: $0.integer("k")) })
}
