extension MethodDefinition {
    /// Post-hoc logit adjustment on the baseline's network: decide argmax_j z_j - tau log pi_j.
    /// With tau = 1 its decisions are exactly thresholding's (the same arithmetic);
    /// decisions only, so its AUCs are the baseline's.
    public static let logitAdjustment = MethodDefinition(
        name: "logit-adjustment", label: "Logit adjustment (post hoc)", family: .postHoc,
        summary: "the baseline's logits shifted by -tau log(prior) before the arg-max",
        reference: "Menon et al. 2021, Long-tail learning via logit adjustment (post-hoc, tau = 1)",
        parameters: [.real("tau", 1, min: 0, "scale of the log-prior shift; 1 equals thresholding")],
        role: .postHoc(base: "baseline", decidesOnly: true,
                       PostHocRecipe(decision: { .logitAdjusted(tau: $0.parameters.number("tau")) })))
}
