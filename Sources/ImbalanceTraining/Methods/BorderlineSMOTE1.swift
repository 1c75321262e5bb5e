extension MethodDefinition {
    public static let borderlineSMOTE1 = synthetic(
        "borderline-SMOTE-1", label: "Borderline-SMOTE-1",
        summary: "SMOTE seeded only by members near other classes (m/2 <= other-class neighbours < m)",
        reference: "Han et al. 2005 (imbalanced-learn's BorderlineSMOTE kind='borderline-1', k = 5, m = 10)",
        parameters: [kNeighbours, mNeighbours],
        sampler: { .borderlineSMOTE1(k: $0.integer("k"), m: $0.integer("m")) })
}
