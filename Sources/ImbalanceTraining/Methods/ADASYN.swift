extension MethodDefinition {
    public static let adasyn = synthetic(
        "ADASYN", label: "ADASYN",
        summary: "SMOTE with more synthetic images from members whose neighbourhoods hold more other-class points",
        reference: "He et al. 2008 (imbalanced-learn's ADASYN, n_neighbors = 5)",
        parameters: [.integer("k", 5, min: 1, "nearest neighbours (whole set for the weights, class for synthesis)")],
        sampler: { .adasyn(k: $0.integer("k")) })
}
