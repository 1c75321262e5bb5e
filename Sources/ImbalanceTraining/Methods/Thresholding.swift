extension MethodDefinition {
    /// Buda et al.'s thresholding (their method 5) on the network of `base`: divide each
    /// softmax output by the class prior of the imbalanced training set (before any
    /// resampling) and take the arg-max. Decisions only: AUCs are the base's, bit for bit.
    /// Free, so every job of its base evaluates it (as every record before the registry).
    static func thresholding(after base: String, name: String, label: String, summary: String,
                             reference: String) -> MethodDefinition {
        MethodDefinition(
            name: name, label: label, family: .postHoc, summary: summary, reference: reference,
            inBuda2018: true, recording: .always,
            role: .postHoc(base: base, decidesOnly: true, PostHocRecipe(decision: { _ in .thresholded })))
    }
}
