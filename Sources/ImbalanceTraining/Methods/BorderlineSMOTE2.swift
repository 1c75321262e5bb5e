extension MethodDefinition {
    public static let borderlineSMOTE2 = synthetic(
        "borderline-SMOTE-2", label: "Borderline-SMOTE-2",
        summary: "borderline-SMOTE that also interpolates a short way (u < 0.5) towards other classes' points",
        reference: "Han et al. 2005 (imbalanced-learn's BorderlineSMOTE kind='borderline-2', k = 5, m = 10)",
        parameters: [.integer("k", 5, min: 1, "nearest neighbours in the whole set to interpolate towards"), mNeighbours],
        sampler: { .borderlineSMOTE2(k: $0.integer("k"), m: $0.integer("m")) })
}
